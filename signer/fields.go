package signer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"segel/pdf"
)

// FieldInfo describes one signature field of a document.
type FieldInfo struct {
	Name string `json:"name"`
	// Page is the 1-based page of the field's first widget, 0 when it is
	// on no page.
	Page int `json:"page"`
	// Rect is the widget's rectangle: x, y, width, height in points;
	// zero for an invisible field.
	Rect [4]float64 `json:"rect"`
	// Signed is true when the field holds a signature (or a document
	// time-stamp).
	Signed bool `json:"signed"`
	// Visible is true when the widget has an area.
	Visible bool `json:"visible"`
}

// ListFields returns the signature fields of the PDF in, in form order.
func ListFields(in io.ReaderAt, size int64) ([]FieldInfo, error) {
	doc, err := pdf.Open(in, size, nil)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	fields, err := doc.Fields()
	if err != nil {
		return nil, fmt.Errorf("signer: reading the form: %w", err)
	}
	pages, err := doc.Pages()
	if err != nil {
		return nil, fmt.Errorf("signer: reading the page tree: %w", err)
	}
	pageOf := map[pdf.Ref]int{}
	for i, p := range pages {
		annots, _ := doc.GetArray(p.Dict["Annots"])
		for _, a := range annots {
			if r, ok := a.(pdf.Ref); ok {
				if _, seen := pageOf[r]; !seen {
					pageOf[r] = i + 1
				}
			}
		}
	}
	var out []FieldInfo
	for _, f := range fields {
		if f.Type != "Sig" {
			continue
		}
		fi := FieldInfo{Name: f.Name}
		if v := f.Dict["V"]; v != nil {
			if _, null := v.(pdf.Null); !null {
				fi.Signed = true
			}
		}
		if len(f.Widgets) > 0 {
			w := f.Widgets[0]
			fi.Page = pageOf[w]
			wd := f.Dict
			if w != f.Ref {
				if d, err := doc.GetDict(w); err == nil && d != nil {
					wd = d
				}
			}
			r := rectOf(doc, wd["Rect"])
			fi.Rect = [4]float64{r.x1, r.y1, r.x2 - r.x1, r.y2 - r.y1}
			fi.Visible = r.visible()
		}
		out = append(out, fi)
	}
	return out, nil
}

// NewField is an empty signature field to add to a template.
type NewField struct {
	Name string
	// Page is 1-based.
	Page int
	// X, Y, W, H place the widget on the page, in points from its
	// lower-left corner.
	X, Y, W, H float64
}

// AddFields writes in to out followed by an incremental update that adds
// empty signature fields, each with its widget on its page. A name that
// exists, a page that does not, or an empty rectangle is refused and
// nothing is written.
func AddFields(ctx context.Context, in io.ReaderAt, size int64, out io.Writer, nf []NewField) error {
	if len(nf) == 0 {
		return fmt.Errorf("signer: %w: no fields to add", ErrBadOptions)
	}
	doc, err := pdf.Open(in, size, nil)
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	cat, err := doc.Catalog()
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	catRef, ok := doc.Trailer()["Root"].(pdf.Ref)
	if !ok {
		return fmt.Errorf("signer: %w: the catalog is not an indirect object", pdf.ErrMalformed)
	}
	if perms, _ := doc.GetDict(cat["Perms"]); perms != nil && perms["DocMDP"] != nil {
		return fmt.Errorf("signer: %w: the document is certified; fields must be added before the first signature", ErrBadOptions)
	}
	fields, err := doc.Fields()
	if err != nil {
		return fmt.Errorf("signer: reading the form: %w", err)
	}
	for _, f := range fields {
		if f.Type == "Sig" && f.Dict["V"] != nil {
			return fmt.Errorf("signer: %w: the document is signed already; add fields to the unsigned template", ErrBadOptions)
		}
	}
	pages, err := doc.Pages()
	if err != nil {
		return fmt.Errorf("signer: reading the page tree: %w", err)
	}
	taken := map[string]bool{}
	for _, f := range fields {
		taken[f.Name] = true
	}
	u := doc.NewUpdate()
	af, err := doc.GetDict(cat["AcroForm"])
	if err != nil {
		return fmt.Errorf("signer: AcroForm: %w", err)
	}
	af = clone(af)
	if af == nil {
		af = pdf.Dict{}
	}
	afRef, afIndirect := cat["AcroForm"].(pdf.Ref)
	fieldList, _ := doc.GetArray(af["Fields"])
	fieldList = append(pdf.Array{}, fieldList...)
	pageAnnots := map[int]pdf.Array{}
	for _, f := range nf {
		name := strings.TrimSpace(f.Name)
		switch {
		case name == "" || strings.Contains(name, "."):
			return fmt.Errorf("signer: %w: field name %q (a name without dots)", ErrBadOptions, f.Name)
		case taken[name]:
			return fmt.Errorf("signer: %w: the document has a field %q already", ErrBadOptions, name)
		case f.Page < 1 || f.Page > len(pages):
			return fmt.Errorf("signer: %w: field %q: page %d (the document has %d)", ErrBadOptions, name, f.Page, len(pages))
		}
		if err := checkBox(fmt.Sprintf("field %q", name), f.X, f.Y, f.W, f.H); err != nil {
			return err
		}
		taken[name] = true
		pg := pages[f.Page-1]
		ref := u.Add(pdf.Dict{
			"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
			"T": pdf.TextString(name), "F": pdf.Int(4), "P": pg.Ref,
			"Rect": pdf.Array{pdf.Real(f.X), pdf.Real(f.Y), pdf.Real(f.X + f.W), pdf.Real(f.Y + f.H)},
		})
		fieldList = append(fieldList, ref)
		if _, ok := pageAnnots[f.Page]; !ok {
			a, _ := doc.GetArray(pg.Dict["Annots"])
			pageAnnots[f.Page] = append(pdf.Array{}, a...)
		}
		pageAnnots[f.Page] = append(pageAnnots[f.Page], ref)
	}
	for n, annots := range pageAnnots {
		pg := pages[n-1]
		if r, ok := pg.Dict["Annots"].(pdf.Ref); ok {
			u.Set(r, annots)
			continue
		}
		pd := clone(pg.Dict)
		pd["Annots"] = annots
		u.Set(pg.Ref, pd)
	}
	if r, ok := af["Fields"].(pdf.Ref); ok {
		u.Set(r, fieldList)
	} else {
		af["Fields"] = fieldList
	}
	if afIndirect {
		u.Set(afRef, af)
	} else {
		nc := clone(cat)
		nc["AcroForm"] = u.Add(af)
		u.Set(catRef, nc)
	}
	w, err := u.Write()
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, copyBuffer(size))
	if _, err := io.Copy(bw, io.NewSectionReader(in, 0, size)); err != nil {
		return fmt.Errorf("signer: copy input: %w", err)
	}
	if _, err := bw.Write(w.Bytes); err != nil {
		return fmt.Errorf("signer: write update: %w", err)
	}
	return bw.Flush()
}
