package signer

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	"segel/internal/fonts"
	"segel/pdf"
)

// DefaultFooter is the footer's Indonesian text; {issuer} is replaced by
// the organisation (or name) of the signer certificate's issuer.
const DefaultFooter = "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik yang diterbitkan oleh {issuer}"

// FooterText fills {issuer} in text (DefaultFooter when empty) from cert.
func FooterText(text string, cert *x509.Certificate) string {
	if text == "" {
		text = DefaultFooter
	}
	issuer := ""
	if cert != nil {
		if len(cert.Issuer.Organization) > 0 {
			issuer = cert.Issuer.Organization[0]
		} else {
			issuer = cert.Issuer.CommonName
		}
	}
	return strings.ReplaceAll(text, "{issuer}", issuer)
}

// footerSize is the footer's font size in points.
const footerSize = 7.0

// addFooter draws text, centred near the bottom edge, on every page, in
// the update u: page content streams are wrapped (q … Q) and followed by
// the footer, drawn from one Form XObject with an embedded font.
//
// The pages' new dictionaries replace those in pages, so that later
// changes to a page (a new widget) keep the footer.
func addFooter(doc *pdf.Document, pages []pdf.Page, u *pdf.Update, text string) error {
	f, err := fonts.Get(fonts.Sans)
	if err != nil {
		return err
	}
	chars := map[rune]uint16{}
	var hexs strings.Builder
	for _, r := range text {
		if !fonts.Covers(f, r) {
			return fmt.Errorf("signer: %w: the footer's font cannot draw %q", ErrBadOptions, r)
		}
		g, _ := f.Glyph(r)
		chars[r] = g
	}
	fontRef, gids, err := embedFont(u, f, chars, false)
	if err != nil {
		return err
	}
	for _, r := range text {
		g, _ := f.Glyph(r)
		fmt.Fprintf(&hexs, "%04X", gids[g])
	}
	width := f.Width(text, footerSize)
	form := u.Add(pdf.NewStream(pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox":      pdf.Array{pdf.Int(0), pdf.Int(-2), pdf.Real(width), pdf.Real(footerSize + 2)},
		"Resources": pdf.Dict{"Font": pdf.Dict{"F": fontRef}},
	}, []byte(fmt.Sprintf("BT 0.25 g /F %.1f Tf 0 0 Td <%s> Tj ET\n", footerSize, hexs.String()))))
	open := u.Add(pdf.NewStream(pdf.Dict{}, []byte("q\n")))
	for i, pg := range pages {
		// The visible page: the crop box, else the media box.
		x1, y1, x2 := 0.0, 0.0, 595.0
		if box, ok := pageBox(doc, pg.Dict); ok {
			x1, y1, x2 = box[0], box[1], box[2]
		}
		scale := 1.0
		if avail := (x2 - x1) - 40; width > avail && avail > 0 {
			scale = avail / width
		}
		x := x1 + ((x2-x1)-width*scale)/2
		var cs bytes.Buffer
		fmt.Fprintf(&cs, "Q\nq %.4f 0 0 %.4f %.2f %.2f cm /SegelFooter Do Q\n", scale, scale, x, y1+14)
		closeRef := u.Add(pdf.NewStream(pdf.Dict{}, cs.Bytes()))

		pd := clone(pg.Dict)
		contents := pdf.Array{open}
		switch c := pg.Dict["Contents"].(type) {
		case pdf.Ref:
			if arr, err := doc.GetArray(c); err == nil && arr != nil {
				contents = append(contents, arr...)
			} else {
				contents = append(contents, c)
			}
		case pdf.Array:
			contents = append(contents, c...)
		}
		pd["Contents"] = append(contents, closeRef)
		res, err := doc.GetDict(doc.Inherited(pg.Dict, "Resources"))
		if err != nil {
			return fmt.Errorf("signer: page resources: %w", err)
		}
		res = clone(res)
		if res == nil {
			res = pdf.Dict{}
		}
		xo, err := doc.GetDict(res["XObject"])
		if err != nil {
			return fmt.Errorf("signer: page resources: %w", err)
		}
		xo = clone(xo)
		if xo == nil {
			xo = pdf.Dict{}
		}
		xo["SegelFooter"] = form
		res["XObject"] = xo
		pd["Resources"] = res
		u.Set(pg.Ref, pd)
		pages[i].Dict = pd
	}
	return nil
}

func num(o pdf.Object) float64 {
	switch n := o.(type) {
	case pdf.Int:
		return float64(n)
	case pdf.Real:
		return float64(n)
	}
	return 0
}
