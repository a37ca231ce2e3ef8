package textpos

import (
	"bytes"
	"math"
	"testing"
	"unicode/utf8"

	"segel/pdf"
)

// FuzzContent: any page content (and any marker) is tokenized and
// interpreted without a panic, within the limits, and the hits have
// finite, non-negative boxes on page 1.
func FuzzContent(f *testing.F) {
	f.Add([]byte("BT /F1 12 Tf 100 500 Td (Tanda tangan: #ttd#) Tj ET"), "#ttd#")
	f.Add([]byte("BT /F1 11 Tf 0.3 Tc 90 Tz 2 Tw 3 Ts 1 0 0 1 72 400 Tm [(#ttd_) -15 (kabu) 40 (pa) (ten#)] TJ ET"), "#ttd_kabupaten#")
	f.Add([]byte("BT /T0 14 Tf 80 300 Td [<0001> -30 <0002>] TJ ET"), "ab")
	f.Add([]byte("q 1 0 0 1 50 60 cm /Fx Do Q BT /F1 9 Tf [(#a) -20 (b#)] TJ 0 -12 TD (x) ' 1 2 (y) \" ET"), "#ab#")
	f.Add([]byte("BI /W 1 /H 1 ID \x00\xffEI EI BT /T0 10 Tf <0001> Tj ET % comment\n<< /A [1 2 (x)] >> BDC EMC"), "a")
	f.Add([]byte("BT /F1 1e400 Tf 1 0 0 1 -- 5- Tm (\\101\\\n\\(x) Tj 0 0 0 0 0 0 cm (x) Tj ET"), "A(x")
	form := stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Matrix [2 0 0 2 0 0] /Resources << /XObject << /Fx 5 0 R >> >>", []byte("/Fx Do BT /F1 5 Tf (a) Tj ET"))
	t0, _ := dejaVu(f, "ab", 6)
	f.Fuzz(func(t *testing.T, content []byte, marker string) {
		objs := []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /XObject << /Fx 5 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> /T0 6 0 R >> >> >>",
			stream("", content), form,
		}
		data := pdfFile(append(objs, t0...)...)
		doc, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			t.Skip()
		}
		hits, err := Find(doc, marker, &Options{Limits: Limits{MaxOps: 100_000, MaxBytes: 1 << 20, MaxGlyphs: 100_000}})
		if err != nil {
			return
		}
		for _, h := range hits {
			if h.Page != 1 || h.Width < 0 || h.Height < 0 || math.IsNaN(h.X+h.Y+h.Width+h.Height+h.Size) || math.IsInf(h.X+h.Y+h.Width+h.Height+h.Size, 0) {
				t.Fatalf("bad hit %+v", h)
			}
		}
	})
}

// FuzzCMap: any CMap program parses without a panic, and lookups in it
// return valid text.
func FuzzCMap(f *testing.F) {
	objs, _ := dejaVu(f, "#ttd", 1)
	f.Add([]byte(objs[2]))
	f.Add([]byte("1 begincodespacerange <00> <FF> endcodespacerange 2 beginbfrange <20> <7E> <0020> <80> <82> [<0041> <D83DDE00> <>] endbfrange 1 begincidrange <00> <FF> 5 endcidrange"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := parseCMap(data)
		for _, c := range []uint32{0, 1, 0x20, 0x41, 0x80, 0xFFFF, 0xFFFFFFFF} {
			for n := 1; n <= 4; n++ {
				if b, _ := m.appendText(nil, c, n); !utf8.Valid(b) {
					t.Fatalf("code %X/%d: text %q", c, n, b)
				}
				m.cidOf(c, n)
			}
		}
		codeLen(m.space, data)
	})
}
