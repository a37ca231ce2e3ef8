package signer

import (
	"bytes"
	"fmt"

	"segel/pdf"
)

type rect struct{ x1, y1, x2, y2 float64 }

func (r rect) visible() bool { return r.x2-r.x1 > 1 && r.y2-r.y1 > 1 }

func rectOf(doc *pdf.Document, o pdf.Object) rect {
	a, _ := doc.GetArray(o)
	if len(a) != 4 {
		return rect{}
	}
	var v [4]float64
	for i, x := range a {
		switch n := x.(type) {
		case pdf.Int:
			v[i] = float64(n)
		case pdf.Real:
			v[i] = float64(n)
		}
	}
	r := rect{v[0], v[1], v[2], v[3]}
	if r.x1 > r.x2 {
		r.x1, r.x2 = r.x2, r.x1
	}
	if r.y1 > r.y2 {
		r.y1, r.y2 = r.y2, r.y1
	}
	return r
}

// appearance draws a simple signature stamp: a frame, the signer's name
// and the claimed time, in Helvetica.
func appearance(o *Options, r rect) *pdf.Stream {
	w, h := r.x2-r.x1, r.y2-r.y1
	signer := o.Name
	if signer == "" && len(o.Chain) > 0 {
		signer = o.Chain[0].Subject.CommonName
	}
	lines := []string{
		"Ditandatangani secara elektronik oleh:",
		signer,
		"Tanggal: " + o.Time.Format("2006-01-02 15:04:05 -07:00"),
	}
	if o.Reason != "" {
		lines = append(lines, "Alasan: "+o.Reason)
	}
	size := h / float64(len(lines)+1)
	if size > 10 {
		size = 10
	}
	// Keep the longest line inside the box (Helvetica averages ~0.5 em).
	longest := 0
	for _, l := range lines {
		if len(l) > longest {
			longest = len(l)
		}
	}
	if max := (w - 8) / (0.5 * float64(longest)); size > max {
		size = max
	}
	if size < 3 {
		size = 3
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "q 0.1 0.2 0.5 RG 1 w 0.5 0.5 %.2f %.2f re S Q\n", w-1, h-1)
	b.WriteString("BT\n")
	y := h - 4 - size
	for i, l := range lines {
		font := "/Helv"
		if i == 1 {
			font = "/HelvB"
		}
		fmt.Fprintf(&b, "%s %.2f Tf 1 0 0 1 4 %.2f Tm %s Tj\n", font, size, y, pdfLatin1(l))
		y -= size * 1.25
	}
	b.WriteString("ET\n")
	font := func(base string) pdf.Dict {
		return pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name(base), "Encoding": pdf.Name("WinAnsiEncoding")}
	}
	return pdf.NewStream(pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox":      pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real(w), pdf.Real(h)},
		"Resources": pdf.Dict{"Font": pdf.Dict{"Helv": font("Helvetica"), "HelvB": font("Helvetica-Bold")}},
	}, b.Bytes())
}

// pdfLatin1 writes s as a literal string in WinAnsi (characters outside
// Latin-1 become '?').
func pdfLatin1(s string) string {
	var b []byte
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return pdf.Format(pdf.String{Value: b})
}
