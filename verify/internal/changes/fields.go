package changes

import (
	"fmt"

	"segel/pdf"
)

// fieldState is what happened to one field in one revision.
type fieldState struct {
	num       uint32
	name      string
	sig       bool
	isNew     bool
	filled    bool // the value changed, or an empty signature field was signed
	signed    bool // a signature field was signed in this revision
	timestamp bool // … with a document timestamp
	allowed   bool // the fill, signature or new field is permitted
	page      int
	rect      string
}

// state returns the field state of owner, or a neutral one.
func (s *step) state(owner uint32) *fieldState {
	if st := s.fields[owner]; st != nil {
		return st
	}
	return &fieldState{num: owner, name: fmt.Sprintf("object %d", owner)}
}

// checkFields compares the fields of the two revisions: fills, signatures,
// new and removed fields. It decides which owners may have their values,
// appearances and signature dictionaries changed or created.
func (s *step) checkFields() {
	for _, of := range s.old.fieldList {
		st := &fieldState{num: of.num, name: of.name, sig: of.ft == "Sig", page: s.old.fieldPage(of)}
		s.fields[of.num] = st
		obj := s.objName(of.num)
		nf := s.new.fields[of.num]
		if nf == nil {
			s.add(Change{Object: obj, Page: st.page, Kind: KindAcroForm, Description: fmt.Sprintf("form field %q was removed", of.name)})
			continue
		}
		if nf.name != of.name {
			s.add(Change{Object: obj, Page: st.page, Kind: KindAcroForm, Description: fmt.Sprintf("form field %q was renamed to %q", of.name, nf.name)})
		}
		if nf.ft != of.ft {
			s.add(Change{Object: obj, Page: st.page, Kind: KindAcroForm, Description: fmt.Sprintf("the type of form field %q changed from /%s to /%s", of.name, of.ft, nf.ft)})
		}
		oldVal, newVal := s.old.resolve(of.value), s.new.resolve(nf.value)
		if st.sig {
			oldEmpty, newEmpty := oldVal == nil, newVal == nil
			switch {
			case oldEmpty && !newEmpty:
				s.signField(st, nf, false)
			case !oldEmpty && newEmpty:
				s.add(Change{Object: obj, Page: st.page, Kind: KindSignature, Description: fmt.Sprintf("the signature in field %q was removed", of.name)})
			case !oldEmpty && !pdf.Equal(of.value, nf.value):
				s.add(Change{Object: obj, Page: st.page, Kind: KindSigDict, Description: fmt.Sprintf("signature field %q now points to another signature dictionary", of.name)})
			}
			continue
		}
		same, err := s.sameValue(oldVal, newVal)
		if err != nil {
			s.add(Change{Object: obj, Page: st.page, Kind: KindFormFill, Description: fmt.Sprintf("the value of field %q cannot be read: %v", of.name, err)})
			continue
		}
		if same {
			continue
		}
		st.filled = true
		desc := fmt.Sprintf("value of form field %q changed", of.name)
		switch {
		case s.p.DocMDP == 1:
			desc += " (the certification permits no changes)"
		case s.p.locked(of.name):
			desc += " (the field is locked by a FieldMDP lock)"
		case of.orphan:
			desc += " (the widget is not part of the form's field tree)"
		default:
			st.allowed = true
		}
		s.add(Change{Object: obj, Page: st.page, Kind: KindFormFill, Allowed: st.allowed, Description: desc})
	}
	for _, nf := range s.new.fieldList {
		if _, ok := s.old.fields[nf.num]; ok {
			continue
		}
		s.newField(nf)
	}
	// One signature dictionary belongs to one field.
	owner := map[uint32]*fieldState{}
	for _, nf := range s.new.fieldList {
		st := s.fields[nf.num]
		r, ok := nf.value.(pdf.Ref)
		if st == nil || !st.signed || !ok {
			continue
		}
		if o := owner[r.Num]; o != nil {
			st.allowed, o.allowed = false, false
			s.add(Change{Object: s.objName(nf.num), Page: st.page, Kind: KindSignature, Description: fmt.Sprintf("fields %q and %q share one signature dictionary", o.name, st.name)})
			continue
		}
		owner[r.Num] = st
	}
}

// signField judges a signature field signed in this revision (an existing
// empty one, or a new one when isNew).
func (s *step) signField(st *fieldState, nf *field, isNew bool) {
	st.filled, st.signed = true, true
	obj := s.objName(nf.num)
	ts, prob := s.sigValue(nf)
	st.timestamp = ts
	visible := s.fieldVisible(nf)
	kind, desc := KindSignature, fmt.Sprintf("signature added to empty signature field %q", nf.name)
	if isNew {
		desc = fmt.Sprintf("signature field %q added and signed", nf.name)
	}
	if ts {
		kind, desc = KindTimestamp, fmt.Sprintf("document timestamp added to empty signature field %q", nf.name)
		if isNew {
			desc = fmt.Sprintf("document timestamp added in new field %q", nf.name)
		}
	}
	switch {
	case prob != "":
		desc = prob
	case ts && visible:
		desc += " (a document timestamp must be invisible, but its widget has an area on the page)"
	case s.p.DocMDP == 1 && !ts:
		desc += " (the certification permits no changes)"
	case s.p.locked(nf.name) && !ts:
		desc += " (the field is locked by a FieldMDP lock)"
	case nf.orphan && !isNew:
		desc += " (the widget is not part of the form's field tree)"
	default:
		st.allowed = true
		if s.p.DocMDP > 0 && visible && !ts {
			s.warn(fmt.Sprintf("visible signature field %q signed after a certification signature (page %d)", nf.name, st.page))
		}
	}
	s.add(Change{Object: obj, Page: st.page, Kind: kind, Allowed: st.allowed, Description: desc})
}

// newField judges a field that is not in the signed revision. Only
// signature fields may be added: widgets without actions, visible only when
// signed in the same revision, after P=1 only invisible document
// timestamps.
func (s *step) newField(nf *field) {
	st := &fieldState{num: nf.num, name: nf.name, sig: nf.ft == "Sig", isNew: true, page: s.new.fieldPage(nf)}
	s.fields[nf.num] = st
	obj := s.objName(nf.num)
	if s.old.inUse(nf.num) && len(s.old.ctxs[nf.num]) > 0 {
		s.add(Change{Object: obj, Page: st.page, Kind: KindAcroForm, Description: fmt.Sprintf("object %d, already part of the document, became form field %q", nf.num, nf.name)})
		return
	}
	if !st.sig {
		s.add(Change{Object: obj, Page: st.page, Kind: KindFormFill, Description: fmt.Sprintf("form field %q was added (only signature fields may be added after signing)", nf.name)})
		return
	}
	if bad := s.sigFieldShape(nf); bad != "" {
		s.add(Change{Object: obj, Page: st.page, Kind: KindSignature, Description: bad})
		return
	}
	if s.new.resolve(nf.value) != nil {
		s.signField(st, nf, true)
		return
	}
	desc := fmt.Sprintf("empty signature field %q added", nf.name)
	switch {
	case s.fieldVisible(nf):
		desc += " with an area on the page: a visible signature field must be signed in the revision that adds it"
	case s.p.DocMDP == 1:
		desc += " (the certification permits no changes)"
	default:
		st.allowed = true
	}
	s.add(Change{Object: obj, Page: st.page, Kind: KindSignature, Allowed: st.allowed, Description: desc})
}

// sigFieldShape checks the structure of a new signature field: every
// widget a new object of subtype /Widget, no actions anywhere.
func (s *step) sigFieldShape(nf *field) string {
	if nf.orphan && nf.dict["Subtype"] != pdf.Name("Widget") {
		return fmt.Sprintf("new signature field %q is not a widget annotation", nf.name)
	}
	if len(nf.widgets) != 1 {
		// One widget is where the signature is shown; more would let one
		// signature paint anywhere else on the pages.
		return fmt.Sprintf("new signature field %q has %d widgets; a signature field has one", nf.name, len(nf.widgets))
	}
	check := func(d pdf.Dict, what string) string {
		for _, k := range []pdf.Name{"A", "AA"} {
			if !isNull(d[k]) {
				return fmt.Sprintf("new signature field %q has an action (/%s) on its %s", nf.name, k, what)
			}
		}
		return ""
	}
	if bad := check(nf.dict, "field"); bad != "" {
		return bad
	}
	for _, w := range nf.widgets {
		wd := nf.dict
		if w != nf.num {
			if s.old.inUse(w) && len(s.old.ctxs[w]) > 0 {
				return fmt.Sprintf("new signature field %q uses object %d, already part of the document, as its widget", nf.name, w)
			}
			wd = s.new.dict(pdf.Ref{Num: w})
		}
		if wd == nil {
			return fmt.Sprintf("a widget of new signature field %q cannot be read", nf.name)
		}
		if st, _ := wd["Subtype"].(pdf.Name); st != "Widget" {
			return fmt.Sprintf("new signature field %q has a widget of subtype /%s, not /Widget", nf.name, st)
		}
		if bad := check(wd, "widget"); bad != "" {
			return bad
		}
	}
	return ""
}

// sigValue checks the value of a field signed now: an indirect signature
// dictionary that is new in this revision. It reports whether it is a
// document timestamp, and a problem if any.
func (s *step) sigValue(f *field) (timestamp bool, problem string) {
	r, ok := f.value.(pdf.Ref)
	if !ok {
		return false, fmt.Sprintf("the value of signature field %q is not an indirect signature dictionary", f.name)
	}
	if s.old.inUse(r.Num) {
		return false, fmt.Sprintf("signature field %q was signed with object %d, which already existed before this revision", f.name, r.Num)
	}
	d := s.new.dict(r)
	if d == nil {
		return false, fmt.Sprintf("the value of signature field %q is not a signature dictionary", f.name)
	}
	typ, _ := d["Type"].(pdf.Name)
	sub, _ := d["SubFilter"].(pdf.Name)
	switch typ {
	case "DocTimeStamp":
		return true, ""
	case "Sig", "":
		return sub == "ETSI.RFC3161", ""
	}
	return false, fmt.Sprintf("the value of signature field %q has /Type /%s", f.name, typ)
}

// fieldVisible reports whether some widget of the field has an area on the
// page and is not hidden.
func (s *step) fieldVisible(f *field) bool {
	for _, w := range f.widgets {
		d := f.dict
		if w != f.num {
			d = s.new.dict(pdf.Ref{Num: w})
		}
		if d != nil && visibleAnnot(s.new, d) {
			return true
		}
	}
	return false
}

// visibleAnnot reports whether an annotation dictionary has an area and is
// neither hidden nor invisible to viewers.
func visibleAnnot(g *graph, d pdf.Dict) bool {
	r, ok := rectOf(g, d)
	if !ok || (r[2]-r[0])*(r[3]-r[1]) == 0 {
		return false
	}
	f, _ := g.resolve(d["F"]).(pdf.Int)
	return f&(2|32) == 0 // Hidden, NoView
}

func rectOf(g *graph, d pdf.Dict) ([4]float64, bool) {
	var v [4]float64
	rect, _ := g.resolve(d["Rect"]).(pdf.Array)
	if len(rect) != 4 {
		return v, false
	}
	for i, x := range rect {
		switch n := g.resolve(x).(type) {
		case pdf.Int:
			v[i] = float64(n)
		case pdf.Real:
			v[i] = float64(n)
		default:
			return v, false
		}
	}
	return v, true
}

// rectText formats an annotation's rectangle for messages.
func rectText(g *graph, d pdf.Dict) string {
	r, ok := rectOf(g, d)
	if !ok {
		return "no valid rectangle"
	}
	return fmt.Sprintf("[%g %g %g %g]", r[0], r[1], r[2], r[3])
}

// formDrawsFromDefaults reports whether a viewer would draw some field of
// the new revision from the form's defaults (/DA, /DR, /Q): a widget of a
// non-signature field without a normal appearance, or any field when
// /NeedAppearances is set. Then those defaults decide what is shown.
func (s *step) formDrawsFromDefaults() string {
	if b, _ := s.new.resolve(s.new.acroForm["NeedAppearances"]).(pdf.Bool); b {
		return "the form asks viewers to regenerate every field's appearance (/NeedAppearances)"
	}
	for _, f := range s.new.fieldList {
		if f.ft == "Sig" {
			continue
		}
		for _, w := range f.widgets {
			d := f.dict
			if w != f.num {
				d = s.new.dict(pdf.Ref{Num: w})
			}
			if d == nil {
				continue
			}
			if !hasOwnAppearance(s.new, d) {
				return fmt.Sprintf("field %q has a widget without a usable appearance of its own, which viewers draw from the form's defaults", f.name)
			}
		}
	}
	return ""
}

// hasOwnAppearance reports whether a viewer draws the widget d from its own
// normal appearance: /AP /N is a stream, or a dictionary of states in
// which /AS names a stream. Otherwise (no /N, a state dictionary without
// the state /AS names) viewers build an appearance from the field's value
// and the form's defaults.
func hasOwnAppearance(g *graph, d pdf.Dict) bool {
	ap := g.dict(d["AP"])
	switch n := g.resolve(ap["N"]).(type) {
	case *pdf.Stream:
		return true
	case pdf.Dict:
		as, ok := g.resolve(d["AS"]).(pdf.Name)
		if !ok {
			return false
		}
		_, isStream := g.resolve(n[as]).(*pdf.Stream)
		return isStream
	}
	return false
}
