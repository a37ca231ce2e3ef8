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
		var cs bytes.Buffer
		fmt.Fprintf(&cs, "Q\nq %s cm /SegelFooter Do Q\n", footerMatrix(doc, pg.Dict, width))
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

// footerMatrix places a line of the given width (at scale 1) along the
// bottom of what a viewer shows of page: its crop box (else media box),
// turned by its /Rotate, the line centred, 14 points above the bottom
// edge, upright, shrunk to leave 20 points each side.
func footerMatrix(doc *pdf.Document, page pdf.Dict, width float64) string {
	b := [4]float64{0, 0, 595, 842}
	if box, ok := pageBox(doc, page); ok {
		b = box
	}
	rot := 0
	if r, err := doc.Resolve(doc.Inherited(page, "Rotate")); err == nil {
		if n, ok := r.(pdf.Int); ok {
			rot = ((int(n)%360 + 360) % 360) / 90 * 90
		}
	}
	w, h := b[2]-b[0], b[3]-b[1] // as stored
	across := w                  // the visible bottom edge's length
	if rot == 90 || rot == 270 {
		across = h
	}
	s := 1.0
	if avail := across - 40; width > avail && avail > 0 {
		s = avail / width
	}
	margin := (across - width*s) / 2
	switch rot {
	case 90: // shown turned clockwise: the bottom is the right edge
		return fmt.Sprintf("0 %.4f %.4f 0 %.2f %.2f", s, -s, b[2]-14, b[1]+margin)
	case 180:
		return fmt.Sprintf("%.4f 0 0 %.4f %.2f %.2f", -s, -s, b[2]-margin, b[3]-14)
	case 270: // turned anticlockwise: the bottom is the left edge
		return fmt.Sprintf("0 %.4f %.4f 0 %.2f %.2f", -s, s, b[0]+14, b[3]-margin)
	}
	return fmt.Sprintf("%.4f 0 0 %.4f %.2f %.2f", s, s, b[0]+margin, b[1]+14)
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
