package producers

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"segel/pdf"
)

// Describe says what each incremental update of the PDF b changed, one
// line per object, for the updates after revision from (0 describes every
// update). A line reads, for example,
//
//	rev 2: 15 0 R Annot/Widget Sig "SigProvinsi": +M (D:2026…) +AP <<…>> +V 18 0 R
//	rev 2: 17 0 R new XObject/Form stream (0 bytes)
//	rev 2: trailer: ~Info 3 0 R → 25 0 R
//
// "+K v" is a key added, "-K" a key removed, "~K old → new" a key whose
// value changed, "data" a stream whose bytes changed. Cross-reference and
// object streams are left out; so are the trailer's /ID, /Prev, /Size and
// cross-reference stream keys.
func Describe(b []byte, from int) ([]string, error) {
	doc, err := open(b)
	if err != nil {
		return nil, err
	}
	revs := doc.Revisions()
	var out []string
	for i := max(from, 0) + 1; i < len(revs); i++ {
		oldV, err := doc.Revision(i - 1)
		if err != nil {
			return out, err
		}
		newV, err := doc.Revision(i)
		if err != nil {
			return out, err
		}
		prefix := fmt.Sprintf("rev %d: ", i)
		if t := describeDict(revs[i-1].Trailer, revs[i].Trailer, trailerSkip); t != "" {
			out = append(out, prefix+"trailer: "+t)
		}
		for _, ref := range revs[i].Objects {
			no, err := newV.Get(ref)
			if err != nil {
				out = append(out, fmt.Sprintf("%s%v unreadable: %v", prefix, ref, err))
				continue
			}
			if st, ok := no.(*pdf.Stream); ok {
				if t, _ := st.Dict["Type"].(pdf.Name); t == "XRef" || t == "ObjStm" {
					continue
				}
			}
			oo := pdf.Object(pdf.Null{})
			if oldV.Has(ref.Num) {
				oo, _ = oldV.Get(ref)
			}
			if _, isNull := oo.(pdf.Null); isNull {
				out = append(out, fmt.Sprintf("%s%v new %s", prefix, ref, label(newV, no)))
				continue
			}
			if d := describeObject(oldV, newV, oo, no); d != "" {
				out = append(out, fmt.Sprintf("%s%v %s: %s", prefix, ref, label(newV, no), d))
			} else {
				out = append(out, fmt.Sprintf("%s%v %s: rewritten unchanged", prefix, ref, label(newV, no)))
			}
		}
		for _, ref := range revs[i].Freed {
			if oldV.Has(ref.Num) {
				out = append(out, fmt.Sprintf("%s%v freed", prefix, ref))
			}
		}
	}
	return out, nil
}

var trailerSkip = map[pdf.Name]bool{"ID": true, "Prev": true, "Size": true, "Type": true, "W": true,
	"Index": true, "Length": true, "Filter": true, "DecodeParms": true, "XRefStm": true}

// describeObject compares two versions of an object.
func describeObject(oldV, newV *pdf.Document, oo, no pdf.Object) string {
	os, oIsStream := oo.(*pdf.Stream)
	ns, nIsStream := no.(*pdf.Stream)
	switch {
	case oIsStream && nIsStream:
		d := describeDict(os.Dict, ns.Dict, map[pdf.Name]bool{"Length": true})
		ob, err1 := oldV.StreamData(os)
		nb, err2 := newV.StreamData(ns)
		if err1 != nil || err2 != nil || !bytes.Equal(ob, nb) {
			d = strings.TrimSpace(d + fmt.Sprintf(" data (%d → %d bytes)", len(ob), len(nb)))
		}
		return d
	case oIsStream != nIsStream:
		return "type " + typeName(oo) + " → " + typeName(no)
	}
	od, ok1 := oo.(pdf.Dict)
	nd, ok2 := no.(pdf.Dict)
	if ok1 && ok2 {
		return describeDict(od, nd, nil)
	}
	if pdf.Equal(oo, no) {
		return ""
	}
	return short(oo) + " → " + short(no)
}

// describeDict lists the keys that differ between o and n.
func describeDict(o, n pdf.Dict, skip map[pdf.Name]bool) string {
	keys := map[pdf.Name]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		if !skip[k] {
			names = append(names, string(k))
		}
	}
	sort.Strings(names)
	var parts []string
	for _, s := range names {
		k := pdf.Name(s)
		ov, inO := o[k]
		nv, inN := n[k]
		switch {
		case !inO:
			parts = append(parts, "+"+s+" "+short(nv))
		case !inN:
			parts = append(parts, "-"+s)
		case !pdf.Equal(ov, nv):
			parts = append(parts, "~"+s+" "+short(ov)+" → "+short(nv))
		}
	}
	return strings.Join(parts, " ")
}

// label names an object by its /Type, /Subtype, /FT and /T.
func label(doc *pdf.Document, o pdf.Object) string {
	var d pdf.Dict
	kind := typeName(o)
	switch x := o.(type) {
	case pdf.Dict:
		d = x
	case *pdf.Stream:
		d = x.Dict
		if b, err := doc.StreamData(x); err == nil {
			kind = fmt.Sprintf("stream (%d bytes)", len(b))
		}
	default:
		return kind
	}
	var parts []string
	t, _ := d["Type"].(pdf.Name)
	st, _ := d["Subtype"].(pdf.Name)
	switch {
	case t != "" && st != "":
		parts = append(parts, string(t)+"/"+string(st))
	case t != "":
		parts = append(parts, string(t))
	case st != "":
		parts = append(parts, "/"+string(st))
	}
	if ft, ok := d["FT"].(pdf.Name); ok {
		parts = append(parts, string(ft))
	}
	if _, ok := d["T"]; ok {
		parts = append(parts, fmt.Sprintf("%q", pdf.Text(d["T"])))
	}
	if _, ok := d["Fields"]; ok && t == "" {
		parts = append(parts, "AcroForm")
	}
	if kind != "dictionary" || len(parts) == 0 {
		parts = append(parts, kind)
	}
	return strings.Join(parts, " ")
}

func typeName(o pdf.Object) string {
	switch o.(type) {
	case pdf.Dict:
		return "dictionary"
	case *pdf.Stream:
		return "stream"
	case pdf.Array:
		return "array"
	case pdf.String:
		return "string"
	}
	return fmt.Sprintf("%T", o)
}

// short formats a value, cut to 60 characters.
func short(o pdf.Object) string {
	s := pdf.Format(o)
	if st, ok := o.(pdf.String); ok && len(st.Value) > 24 {
		s = fmt.Sprintf("<%d-byte string>", len(st.Value))
	}
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}
