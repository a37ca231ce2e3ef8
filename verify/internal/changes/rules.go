package changes

import (
	"fmt"
	"sort"
	"strings"

	"segel/pdf"
)

// dataKey stands for a stream's bytes among its changed keys.
const dataKey pdf.Name = "#data"

// changedKeys lists the top-level keys whose values differ (a null value
// is the same as an absent key), and dataKey when both are streams whose
// bytes differ. ok is false when the objects are not both dictionaries
// (or both streams).
func (s *step) changedKeys(o, n pdf.Object) (keys []pdf.Name, ok bool) {
	od, nd := dictOf(o), dictOf(n)
	_, os := o.(*pdf.Stream)
	_, ns := n.(*pdf.Stream)
	if od == nil || nd == nil || os != ns {
		return nil, false
	}
	for k, v := range od {
		if k == "Length" && os {
			continue
		}
		if !pdf.Equal(v, nd[k]) {
			keys = append(keys, k)
		}
	}
	for k, v := range nd {
		if k == "Length" && os {
			continue
		}
		if _, had := od[k]; !had && !isNull(v) {
			keys = append(keys, k)
		}
	}
	if os {
		if same, err := s.newV.SameData(o.(*pdf.Stream), n.(*pdf.Stream)); err != nil || !same {
			keys = append(keys, dataKey)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys, true
}

func keyList(keys []pdf.Name) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		if k == dataKey {
			s[i] = "the stream data"
		} else {
			s[i] = "/" + string(k)
		}
	}
	return strings.Join(s, ", ")
}

// verb says whether key k was added, removed or changed.
func verb(od, nd pdf.Dict, k pdf.Name) string {
	had, has := !isNull(od[k]), !isNull(nd[k])
	switch {
	case !had && has:
		return "added"
	case had && !has:
		return "removed"
	}
	return "changed"
}

// objectType names what kind of object o is, for messages.
func objectType(o pdf.Object) string {
	d := dictOf(o)
	typ, _ := d["Type"].(pdf.Name)
	sub, _ := d["Subtype"].(pdf.Name)
	switch {
	case typ == "Font" || typ == "FontDescriptor" || sub == "Type1" || sub == "TrueType" || sub == "Type0" || sub == "CIDFontType2":
		return "font"
	case sub == "Image":
		return "image"
	case sub == "Form":
		return "form XObject"
	case typ == "ExtGState":
		return "graphics state"
	}
	if _, ok := o.(*pdf.Stream); ok {
		return "stream"
	}
	return "object"
}

// judge returns the verdict of one context on a change of object num from
// oo to no (no is nil when the object was freed). Changes whose Allowed is
// false make the whole change disallowed.
func (s *step) judge(num uint32, c ctx, oo, no pdf.Object) []Change {
	od, nd := dictOf(oo), dictOf(no)
	pg := s.pageOf(num)
	obj := s.objName(num)
	deny := func(kind, format string, args ...any) []Change {
		return []Change{{Object: obj, Page: pg, Kind: kind, Description: fmt.Sprintf(format, args...)}}
	}
	allow := func(kind, format string, args ...any) []Change {
		return []Change{{Object: obj, Page: pg, Kind: kind, Allowed: true, Description: fmt.Sprintf(format, args...)}}
	}
	freed := no == nil
	switch c.k {
	case kCatalog:
		if freed || od == nil || nd == nil {
			return deny(KindCatalog, "the document catalog was replaced by something that is not a dictionary")
		}
		return s.judgeCatalog(obj, od, nd)
	case kPageNode:
		return deny(KindPageTree, "page-tree node %d changed (pages or their inherited attributes: resources, media box, rotation)", num)
	case kPage:
		if freed || od == nil || nd == nil {
			return deny(KindPageTree, "page %d was removed or replaced", pg)
		}
		return s.judgePage(obj, pg, od, nd)
	case kAnnots:
		oa, _ := oo.(pdf.Array)
		na, _ := no.(pdf.Array)
		return s.judgeAnnots(pg, oa, na)
	case kContent:
		what := objectType(oo)
		if what == "object" || what == "stream" {
			return deny(KindPageContent, "%s %d drawn on page %d changed", what, num, pg)
		}
		return deny(KindResources, "%s %d used by page %d changed", what, num, pg)
	case kAnnot, kAnnotAP, kAnnotOther, kNamesAP:
		return []Change{s.annotationChange(obj, pg, num, fmt.Sprintf("annotation %d modified", num))}
	case kAcroForm:
		if freed || od == nil || nd == nil {
			return deny(KindAcroForm, "the interactive form (/AcroForm) was removed or replaced")
		}
		return s.judgeAcroForm(od, nd)
	case kFieldsArray:
		oa, _ := oo.(pdf.Array)
		na, _ := no.(pdf.Array)
		return s.judgeFieldsArray(oa, na)
	case kFormDR, kFormOther:
		if why := s.formDrawsFromDefaults(); why != "" || c.k == kFormOther {
			return deny(KindAcroForm, "%s %d of the form's defaults changed", objectType(oo), num)
		}
		if s.p.DocMDP == 1 {
			return deny(KindAcroForm, "%s %d of the form's default resources changed (the certification permits no changes)", objectType(oo), num)
		}
		return allow(KindAcroForm, "%s %d of the form's default resources changed; every field has its own appearance, so nothing is drawn from it", objectType(oo), num)
	case kFieldNode:
		return deny(KindAcroForm, "form field node %d changed (its children inherit from it)", num)
	case kKids:
		return deny(KindAcroForm, "the widgets (/Kids) of field %q changed", s.state(c.owner).name)
	case kField, kWidget:
		if freed {
			return deny(KindAcroForm, "field %q: object %d was freed", s.state(c.owner).name, num)
		}
		return s.judgeField(num, c, oo, no)
	case kValue:
		st := s.state(c.owner)
		if st.filled && st.allowed {
			return allow(KindFormFill, "value object %d of field %q written with its new value", num, st.name)
		}
		if st.filled {
			return nil // the fill itself is reported as not permitted
		}
		return deny(KindFormFill, "value object %d of field %q changed", num, st.name)
	case kAP:
		st := s.state(c.owner)
		switch {
		case (st.filled || st.isNew) && st.allowed:
			kind := KindFormFill
			if st.sig {
				kind = KindSignature
			}
			return allow(kind, "appearance object %d of field %q updated with its value", num, st.name)
		case st.filled:
			return nil
		}
		return deny(KindFormFill, "appearance object %d of field %q changed while its value stayed the same", num, st.name)
	case kAPRes:
		return deny(KindResources, "%s %d used by a field's appearance changed", objectType(oo), num)
	case kSigDict:
		return deny(KindSigDict, "signature dictionary %d of field %q changed after it was signed", num, s.state(c.owner).name)
	case kSigContent:
		return deny(KindSigDict, "object %d inside a signature dictionary changed", num)
	case kFieldOther:
		return deny(KindFormFill, "object %d used by a form field (actions, appearance characteristics, locks) changed", num)
	case kDSS:
		return allow(KindDSS, "document security store object %d updated", num)
	case kMetadata:
		return allow(KindMetadata, "XMP metadata object %d updated", num)
	case kInfo:
		return allow(KindMetadata, "document information object %d (/Info) updated", num)
	case kCatalogExt:
		return allow(KindCatalog, "catalog extension object %d updated", num)
	case kStruct:
		if s.p.DocMDP == 1 {
			return deny(KindStructure, "logical structure object %d changed (the certification permits no changes)", num)
		}
		return allow(KindStructure, "logical structure object %d updated", num)
	case kOC:
		return deny(KindOther, "optional content object %d changed (it decides which content is shown)", num)
	case kPerms:
		return deny(KindCatalog, "object %d of the document permissions (/Perms) changed", num)
	case kNames:
		if freed || od == nil || nd == nil {
			return deny(KindCatalog, "the name dictionary was removed or replaced")
		}
		return s.judgeNames(od, nd)
	case kCatalogOther:
		return deny(KindCatalog, "object %d used by the catalog (outlines, actions, page labels …) changed", num)
	case kEncrypt:
		return deny(KindOther, "encryption dictionary object %d changed", num)
	case kTrailerOther:
		return allow(KindOther, "object %d named by a trailer entry that readers do not use changed", num)
	}
	return deny(KindOther, "object %d changed", num)
}

// annotationChange is an annotation change: allowed (with a warning that
// names page and rectangle) when the document is not certified or P=3.
func (s *step) annotationChange(obj string, pg int, num uint32, desc string) Change {
	where := ""
	if pg > 0 {
		where = fmt.Sprintf(" on page %d", pg)
	}
	if num != 0 {
		if d := s.new.dict(pdf.Ref{Num: num}); d != nil {
			where += " at " + rectText(s.new, d)
		} else if d := s.old.dict(pdf.Ref{Num: num}); d != nil {
			where += " at " + rectText(s.old, d)
		}
	}
	desc += where
	allowed := s.p.annotationsAllowed()
	switch s.p.DocMDP {
	case 0:
		s.warn(desc + " after an approval signature")
	case 3:
		s.warn(desc)
	default:
		desc += fmt.Sprintf(" (the certification, P=%d, does not permit annotation changes)", s.p.DocMDP)
	}
	return Change{Object: obj, Page: pg, Kind: KindAnnotation, Allowed: allowed, Description: desc}
}

func (s *step) judgeCatalog(obj string, od, nd pdf.Dict) []Change {
	var out []Change
	c := func(kind string, allowed bool, format string, args ...any) {
		out = append(out, Change{Object: obj, Kind: kind, Allowed: allowed, Description: fmt.Sprintf(format, args...)})
	}
	keys, _ := s.changedKeys(od, nd)
	for _, k := range keys {
		v := verb(od, nd, k)
		switch k {
		case "AcroForm":
			o, n := s.old.dict(od[k]), s.new.dict(nd[k])
			if n == nil {
				c(KindAcroForm, false, "the interactive form (/AcroForm) was removed")
				continue
			}
			if o == nil {
				o = pdf.Dict{}
			}
			out = append(out, s.judgeAcroForm(o, n)...)
		case "DSS":
			c(KindDSS, true, "document security store (/DSS) %s", v)
		case "Metadata":
			c(KindMetadata, true, "catalog /Metadata %s", v)
		case "Extensions", "Version", "MarkInfo":
			c(KindCatalog, true, "catalog /%s %s", k, v)
		case "StructTreeRoot":
			if s.p.DocMDP == 1 {
				c(KindStructure, false, "logical structure tree root %s (the certification permits no changes)", v)
			} else {
				c(KindStructure, true, "logical structure tree root %s", v)
			}
		case "Names":
			o, n := s.old.dict(od[k]), s.new.dict(nd[k])
			out = append(out, s.judgeNames(o, n)...)
		case "Pages":
			c(KindPageTree, false, "the catalog's page tree (/Pages) was replaced")
		case "Perms":
			c(KindCatalog, false, "document permissions (/Perms) %s after signing", v)
		case "OCProperties":
			c(KindOther, false, "optional content properties (/OCProperties) %s", v)
		default:
			c(KindCatalog, false, "catalog /%s %s", k, v)
		}
	}
	return out
}

func (s *step) judgeNames(od, nd pdf.Dict) []Change {
	if od == nil {
		od = pdf.Dict{}
	}
	if nd == nil {
		nd = pdf.Dict{}
	}
	var out []Change
	keys, _ := s.changedKeys(od, nd)
	for _, k := range keys {
		if k == "AP" {
			out = append(out, s.annotationChange("", 0, 0, "named appearance streams for annotations (/Names /AP) "+verb(od, nd, k)))
			continue
		}
		out = append(out, Change{Kind: KindCatalog, Description: fmt.Sprintf("name dictionary /%s %s", k, verb(od, nd, k))})
	}
	return out
}

// judgeAcroForm: only /Fields may grow and /SigFlags be set; the form's
// defaults (/DA, /DR, /Q) may change only while no field is drawn from
// them; nothing else may change.
func (s *step) judgeAcroForm(od, nd pdf.Dict) []Change {
	var out []Change
	keys, _ := s.changedKeys(od, nd)
	for _, k := range keys {
		v := verb(od, nd, k)
		switch k {
		case "Fields":
			out = append(out, s.judgeFieldsArray(s.old.array(od[k]), s.new.array(nd[k]))...)
		case "SigFlags":
			out = append(out, Change{Kind: KindAcroForm, Allowed: true, Description: "form /SigFlags " + v})
		case "DA", "DR", "Q":
			why := s.formDrawsFromDefaults()
			switch {
			case why != "":
				out = append(out, Change{Kind: KindAcroForm, Description: fmt.Sprintf("the form's default appearance settings (/%s) %s, and %s", k, v, why)})
			case s.p.DocMDP == 1:
				out = append(out, Change{Kind: KindAcroForm, Description: fmt.Sprintf("the form's default appearance settings (/%s) %s (the certification permits no changes)", k, v)})
			default:
				out = append(out, Change{Kind: KindAcroForm, Allowed: true, Description: fmt.Sprintf("the form's default appearance settings (/%s) %s; every field has its own appearance, so nothing is drawn from them", k, v)})
			}
		case "NeedAppearances":
			out = append(out, Change{Kind: KindAcroForm, Description: "form /NeedAppearances " + v + ": it decides whether viewers draw fields from their values or from their appearances"})
		default:
			out = append(out, Change{Kind: KindAcroForm, Description: "form /" + string(k) + " " + v})
		}
	}
	return out
}

// judgeFieldsArray: the form's top-level field list may only grow, by new
// fields that are permitted.
func (s *step) judgeFieldsArray(oa, na pdf.Array) []Change {
	var out []Change
	have := map[uint32]bool{}
	for _, x := range na {
		if r, ok := x.(pdf.Ref); ok {
			have[r.Num] = true
		} else {
			out = append(out, Change{Kind: KindAcroForm, Description: "a direct object was added to the form's /Fields"})
		}
	}
	old := map[uint32]bool{}
	for _, x := range oa {
		r, ok := x.(pdf.Ref)
		if !ok {
			continue
		}
		old[r.Num] = true
		if !have[r.Num] {
			name := fmt.Sprintf("object %d", r.Num)
			if f := s.old.fields[r.Num]; f != nil {
				name = fmt.Sprintf("%q", f.name)
			}
			out = append(out, Change{Object: s.objName(r.Num), Kind: KindAcroForm, Description: "form field " + name + " removed from the form's /Fields"})
		}
	}
	added := 0
	for _, x := range na {
		r, ok := x.(pdf.Ref)
		if !ok || old[r.Num] {
			continue
		}
		added++
		st := s.fields[r.Num]
		if st == nil || !st.isNew || !st.allowed {
			if st == nil {
				out = append(out, Change{Object: s.objName(r.Num), Kind: KindAcroForm, Description: fmt.Sprintf("object %d added to the form's /Fields is not a permitted new field", r.Num)})
			}
			// A new field that is not permitted is reported with the field.
			if st != nil {
				out = append(out, Change{Object: s.objName(r.Num), Kind: KindAcroForm, Description: fmt.Sprintf("field %q added to the form's /Fields is not permitted", st.name)})
			}
		}
	}
	if len(out) == 0 && added > 0 {
		out = append(out, Change{Kind: KindAcroForm, Allowed: true, Description: fmt.Sprintf("%d field(s) added to the form's /Fields", added)})
	}
	return out
}

func (s *step) judgePage(obj string, pg int, od, nd pdf.Dict) []Change {
	var out []Change
	keys, _ := s.changedKeys(od, nd)
	for _, k := range keys {
		v := verb(od, nd, k)
		switch k {
		case "Annots":
			out = append(out, s.judgeAnnots(pg, s.old.array(od[k]), s.new.array(nd[k]))...)
		case "Contents":
			out = append(out, Change{Object: obj, Page: pg, Kind: KindPageContent, Description: fmt.Sprintf("the content of page %d was %s", pg, pastVerb(v, "replaced"))})
		case "Resources":
			out = append(out, Change{Object: obj, Page: pg, Kind: KindResources, Description: fmt.Sprintf("the resources of page %d were %s", pg, pastVerb(v, "replaced"))})
		case "Parent", "Type":
			out = append(out, Change{Object: obj, Page: pg, Kind: KindPageTree, Description: fmt.Sprintf("page %d /%s %s", pg, k, v)})
		default:
			out = append(out, Change{Object: obj, Page: pg, Kind: KindPageContent, Description: fmt.Sprintf("page %d /%s %s", pg, k, v)})
		}
	}
	return out
}

func pastVerb(v, changed string) string {
	if v == "changed" {
		return changed
	}
	return v
}

// judgeAnnots compares a page's annotation lists: widgets come and go only
// with new permitted signature fields; other annotations as the policy
// permits annotations.
func (s *step) judgeAnnots(pg int, oa, na pdf.Array) []Change {
	var out []Change
	count := func(arr pdf.Array) map[string]int {
		m := map[string]int{}
		for _, x := range arr {
			m[pdf.Format(x)]++
		}
		return m
	}
	oc, nc := count(oa), count(na)
	membership := false
	for _, x := range oa {
		k := pdf.Format(x)
		if nc[k] > 0 {
			nc[k]--
			continue
		}
		membership = true
		if r, ok := x.(pdf.Ref); ok {
			if f, ok := s.old.widgetOf[r.Num]; ok {
				out = append(out, Change{Object: r.String(), Page: pg, Kind: KindFormFill, Description: fmt.Sprintf("a widget of field %q was removed from page %d", s.state(f).name, pg)})
				continue
			}
			out = append(out, s.annotationChange(r.String(), pg, r.Num, "annotation removed"))
			continue
		}
		out = append(out, s.annotationChange("", pg, 0, "annotation removed"))
	}
	for _, x := range na {
		k := pdf.Format(x)
		if oc[k] > 0 {
			oc[k]--
			continue
		}
		membership = true
		r, isRef := x.(pdf.Ref)
		if !isRef {
			out = append(out, s.annotationChange("", pg, 0, "annotation (direct object) added"))
			continue
		}
		if f, ok := s.new.widgetOf[r.Num]; ok {
			st := s.state(f)
			switch {
			case st.isNew && st.allowed:
				continue // judged with the new field
			case st.isNew:
				out = append(out, Change{Object: r.String(), Page: pg, Kind: KindSignature, Description: fmt.Sprintf("a widget of field %q, which may not be added, was put on page %d", st.name, pg)})
			default:
				out = append(out, Change{Object: r.String(), Page: pg, Kind: KindFormFill, Description: fmt.Sprintf("a widget of existing field %q was added to page %d", st.name, pg)})
			}
			continue
		}
		sub := ""
		if d := s.new.dict(r); d != nil {
			if st, ok := d["Subtype"].(pdf.Name); ok {
				sub = " (/" + string(st) + ")"
			}
		}
		if s.old.inUse(r.Num) && len(s.old.ctxs[r.Num]) > 0 {
			out = append(out, Change{Object: r.String(), Page: pg, Kind: KindAnnotation, Description: fmt.Sprintf("object %d, already part of the document, was put on page %d as an annotation%s", r.Num, pg, sub)})
			continue
		}
		out = append(out, s.annotationChange(r.String(), pg, r.Num, "annotation"+sub+" added"))
	}
	if !membership && !pdf.Equal(oa, na) {
		out = append(out, s.annotationChange("", pg, 0, "annotations reordered"))
	}
	return out
}

// judgeField checks a field dictionary (possibly merged with its widget) or
// a separate widget, key by key.
func (s *step) judgeField(num uint32, c ctx, oo, no pdf.Object) []Change {
	st := s.state(c.owner)
	isField := c.k == kField
	kind := KindFormFill
	if st.sig {
		kind = KindSignature
	}
	pg := s.pageOf(num)
	keys, ok := s.changedKeys(oo, no)
	if !ok {
		return []Change{{Object: s.objName(num), Page: pg, Kind: kind, Description: fmt.Sprintf("field %q: object %d is no longer a dictionary", st.name, num)}}
	}
	od, nd := dictOf(oo), dictOf(no)
	filled := st.filled && st.allowed
	var bad []string
	for _, k := range keys {
		v := verb(od, nd, k)
		switch k {
		case "V":
			if isField && (st.filled || st.sig) {
				continue // judged with the field's value
			}
		case "AP", "AS", "M":
			if filled {
				if k == "AP" {
					if shared := s.sharedAP(od[k], c.owner); shared != "" {
						bad = append(bad, "its appearance dictionary, replaced with its value, "+shared)
					}
				}
				continue
			}
			if st.filled {
				continue // the fill is reported as not permitted
			}
			what := map[pdf.Name]string{"AP": "appearance", "AS": "appearance state", "M": "modification date"}[k]
			bad = append(bad, fmt.Sprintf("its %s (/%s) %s while its value stayed the same", what, k, v))
			continue
		case "DA":
			if filled && !st.sig {
				continue // regenerated with the value
			}
		case "F":
			if st.signed && st.allowed {
				continue // the flags of a widget set when it is signed
			}
			bad = append(bad, "its annotation flags (/F) "+v)
			continue
		case "Ff":
			o, _ := s.old.resolve(od[k]).(pdf.Int)
			n, _ := s.new.resolve(nd[k]).(pdf.Int)
			if (o^n)&^1 == 0 {
				continue // only the read-only flag, which signing tools set
			}
			bad = append(bad, "its field flags (/Ff) "+v)
			continue
		case "Type":
			if t, _ := nd[k].(pdf.Name); t == "Annot" && v == "added" {
				continue
			}
		case dataKey:
			bad = append(bad, "the stream data of its object changed")
			continue
		}
		bad = append(bad, "/"+string(k)+" "+v)
	}
	if len(bad) == 0 {
		return nil
	}
	what := "field"
	if !isField {
		what = "a widget of field"
	}
	return []Change{{Object: s.objName(num), Page: pg, Kind: kind, Description: fmt.Sprintf("%s %q changed: %s", what, st.name, strings.Join(bad, ", "))}}
}

// sharedAP returns a description when the field's old appearance
// dictionary (an indirect object) is also used outside the field's own
// appearance: replacing it in a fill would let one change rewrite what
// another part of the document refers to. "" otherwise.
func (s *step) sharedAP(old pdf.Object, owner uint32) string {
	r, ok := old.(pdf.Ref)
	if !ok {
		return ""
	}
	for _, c := range s.old.ctxs[r.Num] {
		if c.k == kAP && c.owner == owner {
			continue
		}
		for _, e := range s.old.edges[r.Num] {
			if e.c == c {
				if e.from == trailerRef {
					return fmt.Sprintf("is also named by the trailer's /%s", e.key)
				}
				return fmt.Sprintf("is also used by object %d (/%s)", e.from, e.key)
			}
		}
		return "is also used elsewhere in the document"
	}
	return ""
}
