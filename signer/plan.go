package signer

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"segel/pdf"
)

type planned struct {
	upd       *pdf.Update
	sigRef    pdf.Ref
	fieldName string
}

// plan prepares every object of the update except the signature dictionary,
// after checking that the document may be signed as asked.
func plan(doc *pdf.Document, o *Options) (*planned, error) {
	cat, err := doc.Catalog()
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	catRef, ok := doc.Trailer()["Root"].(pdf.Ref)
	if !ok {
		return nil, fmt.Errorf("signer: %w: the catalog is not an indirect object", pdf.ErrMalformed)
	}
	fields, err := doc.Fields()
	if err != nil {
		return nil, fmt.Errorf("signer: reading the form: %w", err)
	}
	pages, err := doc.Pages()
	if err != nil {
		return nil, fmt.Errorf("signer: reading the page tree: %w", err)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("signer: %w: the document has no pages", pdf.ErrMalformed)
	}
	if o.Anchor != "" {
		// Before the footer changes the pages' content in the update.
		if err := anchorPlace(doc, pages, o); err != nil {
			return nil, err
		}
	}

	// Permissions set by an earlier certification signature.
	signed := 0
	for _, f := range fields {
		if f.Type == "Sig" && f.Dict["V"] != nil {
			signed++
		}
	}
	if perms, _ := doc.GetDict(cat["Perms"]); perms != nil && perms["DocMDP"] != nil {
		certSig, _ := doc.GetDict(perms["DocMDP"])
		if p := doc.DocMDPPermission(certSig); p == 1 && !o.docTimestamp {
			return nil, fmt.Errorf("signer: %w", ErrNoChangesAllowed)
		}
		if o.Certify > 0 {
			return nil, fmt.Errorf("signer: %w (the document is already certified)", ErrCertifyNotFirst)
		}
	}
	if o.Certify > 0 && signed > 0 {
		return nil, fmt.Errorf("signer: %w (the document has %d signature(s))", ErrCertifyNotFirst, signed)
	}

	u := doc.NewUpdate()
	p := &planned{upd: u, sigRef: u.Alloc()}
	if o.Footer != "" && !(o.FooterFirstOnly && signed > 0) {
		if signed > 0 {
			return nil, fmt.Errorf("signer: %w: the footer must be written with the first signature, so that it covers it; this document carries %d signature(s) already", ErrBadOptions, signed)
		}
		var cert *x509.Certificate
		if len(o.Chain) > 0 {
			cert = o.Chain[0]
		}
		if err := addFooter(doc, pages, u, FooterText(o.Footer, cert)); err != nil {
			return nil, err
		}
	}

	// The AcroForm, as a dictionary we will rewrite.
	afObj := cat["AcroForm"]
	afRef, afIndirect := afObj.(pdf.Ref)
	af, err := doc.GetDict(afObj)
	if err != nil {
		return nil, fmt.Errorf("signer: AcroForm: %w", err)
	}
	af = clone(af)
	if af == nil {
		af = pdf.Dict{}
		afIndirect = false
	}
	newCat := clone(cat)
	catChanged := false

	var fieldRef pdf.Ref
	if o.Field == "" && o.FirstEmpty && o.Rect[2] == 0 {
		for _, f := range fields {
			if f.Type == "Sig" && (f.Dict["V"] == nil || isNull(f.Dict["V"])) {
				o.Field = f.Name
				break
			}
		}
	}
	if o.Field != "" {
		f, ok := pdf.FieldByName(fields, o.Field)
		if !ok {
			var names []string
			for _, f := range fields {
				if f.Type == "Sig" {
					names = append(names, f.Name)
				}
			}
			hint := "the document has no signature fields"
			if len(names) > 0 {
				hint = "its signature fields are: " + strings.Join(names, ", ")
			}
			return nil, fmt.Errorf("signer: %w: %q (%s)", ErrFieldNotFound, o.Field, hint)
		}
		if f.Type != "Sig" {
			return nil, fmt.Errorf("signer: %w: %q is a /%s field", ErrNotSignatureField, f.Name, f.Type)
		}
		if f.Dict["V"] != nil {
			if _, isNull := f.Dict["V"].(pdf.Null); !isNull {
				return nil, fmt.Errorf("signer: %w: %q", ErrFieldSigned, f.Name)
			}
		}
		fd := clone(f.Dict)
		fd["V"] = p.sigRef
		fieldRef = f.Ref
		p.fieldName = f.Name
		// Appearance for a visible widget.
		for _, wr := range f.Widgets {
			wd := fd
			if wr != f.Ref {
				w, err := doc.GetDict(wr)
				if err != nil || w == nil {
					continue
				}
				wd = clone(w)
			}
			wd["F"] = pdf.Int(132) // Print | Locked
			if rect := rectOf(doc, wd["Rect"]); !o.NoAppearance && rect.visible() {
				ap, err := o.appearanceFor(rect, u)
				if err != nil {
					return nil, err
				}
				wd["AP"] = pdf.Dict{"N": u.Add(ap)}
			}
			if wr != f.Ref {
				u.Set(wr, wd)
			}
		}
		u.Set(f.Ref, fd)
	} else {
		name := uniqueName(fields)
		p.fieldName = name
		page := pages[0]
		widget := pdf.Dict{
			"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
			"T": pdf.TextString(name), "V": p.sigRef, "F": pdf.Int(132),
			"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}, "P": page.Ref,
		}
		if o.Rect[2] > 0 || o.Rect[3] > 0 {
			if o.Page < 1 || o.Page > len(pages) {
				return nil, fmt.Errorf("signer: %w: page %d (the document has %d)", ErrBadOptions, o.Page, len(pages))
			}
			if err := checkBox("a visible signature", o.Rect[0], o.Rect[1], o.Rect[2], o.Rect[3]); err != nil {
				return nil, err
			}
			page = pages[o.Page-1]
			r := rect{o.Rect[0], o.Rect[1], o.Rect[0] + o.Rect[2], o.Rect[1] + o.Rect[3]}
			widget["P"] = page.Ref
			widget["Rect"] = pdf.Array{pdf.Real(r.x1), pdf.Real(r.y1), pdf.Real(r.x2), pdf.Real(r.y2)}
			if !o.NoAppearance {
				ap, err := o.appearanceFor(r, u)
				if err != nil {
					return nil, err
				}
				widget["AP"] = pdf.Dict{"N": u.Add(ap)}
			}
		}
		fieldRef = u.Alloc()
		u.Set(fieldRef, widget)
		// Add the widget to the page's /Annots.
		switch a := page.Dict["Annots"].(type) {
		case pdf.Ref:
			arr, err := doc.GetArray(a)
			if err != nil {
				return nil, fmt.Errorf("signer: page annotations: %w", err)
			}
			u.Set(a, append(append(pdf.Array{}, arr...), fieldRef))
		default:
			pd := clone(page.Dict)
			arr, _ := a.(pdf.Array)
			pd["Annots"] = append(append(pdf.Array{}, arr...), fieldRef)
			u.Set(page.Ref, pd)
		}
		// Add the field to the AcroForm's /Fields.
		switch fl := af["Fields"].(type) {
		case pdf.Ref:
			arr, err := doc.GetArray(fl)
			if err != nil {
				return nil, fmt.Errorf("signer: AcroForm fields: %w", err)
			}
			u.Set(fl, append(append(pdf.Array{}, arr...), fieldRef))
		default:
			arr, _ := fl.(pdf.Array)
			af["Fields"] = append(append(pdf.Array{}, arr...), fieldRef)
		}
	}
	_ = fieldRef
	af["SigFlags"] = pdf.Int(3)
	if afIndirect {
		u.Set(afRef, af)
	} else {
		// A direct or new AcroForm becomes an indirect object.
		newCat["AcroForm"] = u.Add(af)
		catChanged = true
	}
	if o.Certify > 0 {
		perms, _ := doc.GetDict(newCat["Perms"])
		perms = clone(perms)
		if perms == nil {
			perms = pdf.Dict{}
		}
		perms["DocMDP"] = p.sigRef
		newCat["Perms"] = perms
		catChanged = true
	}
	if catChanged {
		u.Set(catRef, newCat)
	}
	return p, nil
}

// appearanceFor draws the signature's appearance into r: the stamp when
// there is one, else the default.
func (o *Options) appearanceFor(r rect, u *pdf.Update) (*pdf.Stream, error) {
	if o.Stamp == nil {
		return appearance(o, r), nil
	}
	name := o.Name
	if name == "" && len(o.Chain) > 0 {
		name = o.Chain[0].Subject.CommonName
	}
	return stampAppearance(o.Stamp, o.Time, name, r.x2-r.x1, r.y2-r.y1, u)
}

func isNull(o pdf.Object) bool {
	_, ok := o.(pdf.Null)
	return ok
}

func clone(d pdf.Dict) pdf.Dict {
	if d == nil {
		return nil
	}
	c := make(pdf.Dict, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}

func uniqueName(fields []pdf.Field) string {
	used := map[string]bool{}
	for _, f := range fields {
		used[f.Name] = true
	}
	for i := 1; ; i++ {
		n := fmt.Sprintf("Signature%d", i)
		if !used[n] {
			return n
		}
	}
}

// pdfDate formats t as a PDF date string: D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	if off == 0 {
		return t.Format("D:20060102150405") + "Z"
	}
	return fmt.Sprintf("%s%c%02d'%02d'", t.Format("D:20060102150405"), sign, off/3600, (off%3600)/60)
}
