package textpos

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"segel/internal/afm"
	"segel/internal/judge"
	"segel/pdf"
)

const helv = "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> /F2 << /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >> >> >>"

// afmWidth is the width of ASCII s in a standard font at size.
func afmWidth(m *afm.Metrics, s string, size float64) float64 {
	var w float64
	for _, c := range []byte(s) {
		v, _ := m.WinAnsi(c)
		w += float64(v)
	}
	return w * size / 1000
}

type placed struct {
	name   string
	data   []byte
	marker string
	// want: page, baseline-left x, y, font size; width when known
	// (< 0: from the judge only).
	page          int
	x, y, size, w float64
}

func cases(t testing.TB) []placed {
	const m = "#ttd_kabupaten#"
	var out []placed

	// One Tj, between other words on the line.
	out = append(out, placed{name: "one Tj",
		data:   pages([]string{"BT /F1 12 Tf 100 500 Td (Bupati Tuban,) Tj 0 -14 Td (Tanda tangan: #ttd_kabupaten# di sini) Tj ET"}, helv),
		marker: m, page: 1, x: 100 + afmWidth(afm.Helvetica, "Tanda tangan: ", 12), y: 486, size: 12, w: afmWidth(afm.Helvetica, m, 12)})

	// Split over TJ pieces with kerning, character and horizontal
	// scaling, set by Tm.
	tj := "BT /F2 11 Tf 0.3 Tc 90 Tz 1 0 0 1 72 400 Tm [(#ttd_) -15 (kabu) 40 (pa) (ten#)] TJ ET"
	w := (afmWidth(afm.TimesRoman, m, 11) + 0.3*float64(len(m)) + (15-40)/1000.0*11) * 0.9
	out = append(out, placed{name: "TJ pieces", data: pages([]string{tj}, helv), marker: m, page: 1, x: 72, y: 400, size: 11, w: w - 0.3*0.9})

	// Several Tj, one glyph per Td, and ' with leading.
	var b strings.Builder
	b.WriteString("BT /F1 10 Tf 14 TL 60 700 Td (Mengetahui) Tj (Kepala Dinas) ' 0 -14 Td")
	x := 0.0
	for i, c := range m {
		if i > 0 {
			step := afmWidth(afm.Helvetica, string(m[i-1]), 10)
			b.WriteString(" " + ftoa(step) + " 0 Td")
			x += step
		}
		b.WriteString(" (" + string(c) + ") Tj")
	}
	b.WriteString(" ET")
	out = append(out, placed{name: "glyph by glyph", data: pages([]string{b.String()}, helv), marker: m, page: 1, x: 60, y: 672, size: 10,
		w: afmWidth(afm.Helvetica, m, 10)})

	// Inside a Form XObject drawn with cm, the form scaled by /Matrix.
	form := stream("/Type /XObject /Subtype /Form /BBox [0 0 300 100] /Matrix [2 0 0 2 0 0] /Resources "+helv, []byte("BT /F1 10 Tf 20 30 Td (#ttd_provinsi#) Tj ET"))
	out = append(out, placed{name: "form XObject",
		data:   pages([]string{"q 1 0 0 1 50 60 cm /Fx Do Q BT /F1 9 Tf 300 60 Td (Gubernur) Tj ET"}, "<< /XObject << /Fx 5 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>", form),
		marker: "#ttd_provinsi#", page: 1, x: 90, y: 120, size: 20, w: afmWidth(afm.Helvetica, "#ttd_provinsi#", 20)})

	// A Type 0 font (Identity-H) with ToUnicode, on page 2.
	fobjs, show := dejaVu(t, "Page two "+m+" Ditandatangani", 7)
	c1 := "BT /F1 12 Tf 72 760 Td (Halaman satu tanpa penanda) Tj ET"
	c2 := "BT /D 14 Tf 80 300 Td " + show("Page two ") + " Tj " + "[" + show("#ttd_kab") + " -30 " + show("upaten#") + "] TJ 0 -20 Td " + show("Ditandatangani") + " Tj ET"
	data := pdfFile(append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources " + helv + " >>",
		"<< /Type /Page /Parent 2 0 R /Contents [6 0 R] /Resources << /Font << /D 7 0 R >> >> >>",
		stream("", []byte(c1)), stream("", []byte(c2)),
	}, fobjs...)...)
	out = append(out, placed{name: "Type0 ToUnicode page 2", data: data, marker: m, page: 2, y: 300, size: 14, x: -1, w: -1})

	// A simple TrueType-like font with /Widths and /Differences glyph
	// names for codes that are not ASCII.
	diffs := "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 1 /LastChar 6 /Widths [556 278 556 500 556 833] /Encoding << /Type /Encoding /Differences [1 /numbersign /t /underscore /k /a /m] >> >>"
	out = append(out, placed{name: "Differences",
		data:   pages([]string{"BT /G 20 Tf 200 150 Td <010202030405060501> Tj ET"}, "<< /Font << /G "+diffs+" >> >>"),
		marker: "#tt_kama#", page: 1, x: 200, y: 150, size: 20, w: (556 + 278 + 278 + 556 + 500 + 556 + 833 + 556 + 556) * 20 / 1000.0})
	return out
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

// TestFind: the marker's box on each generated page, against the
// position it was drawn at and against poppler's word box.
func TestFind(t *testing.T) {
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			hits, err := Find(open(t, c.data), c.marker, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 1 {
				t.Fatalf("%d hits, want 1: %+v", len(hits), hits)
			}
			h := hits[0]
			near := func(what string, got, want float64) {
				if math.Abs(got-want) > 1 {
					t.Errorf("%s = %.2f, want %.2f (±1 pt)", what, got, want)
				}
			}
			if h.Page != c.page {
				t.Errorf("page %d, want %d", h.Page, c.page)
			}
			if c.x >= 0 {
				near("x", h.X, c.x)
			}
			near("y", h.Y, c.y)
			near("height", h.Height, c.size)
			near("size", h.Size, c.size)
			if c.w >= 0 {
				near("width", h.Width, c.w)
			}
			// The judge: poppler's box of the same word.
			var judged *word
			for _, w := range popplerWords(t, c.data) {
				if w.text == c.marker {
					w := w
					judged = &w
				}
			}
			if judged == nil {
				t.Fatalf("pdftotext -bbox shows no word %q", c.marker)
			}
			if judged.page != h.Page {
				t.Errorf("poppler: page %d, locator %d", judged.page, h.Page)
			}
			near("x vs poppler's xMin", h.X, judged.xMin)
			near("right vs poppler's xMax", h.X+h.Width, judged.xMax)
			if h.Y < judged.yMin || h.Y > judged.yMax || h.Y+h.Height < judged.yMax-0.35*h.Size || h.Y+h.Height > judged.yMax+0.35*h.Size {
				t.Errorf("baseline %.2f, top %.2f outside poppler's box y %.2f..%.2f", h.Y, h.Y+h.Height, judged.yMin, judged.yMax)
			}
			t.Logf("locator x %.2f..%.2f y %.2f..%.2f; poppler x %.2f..%.2f y %.2f..%.2f", h.X, h.X+h.Width, h.Y, h.Y+h.Height, judged.xMin, judged.xMax, judged.yMin, judged.yMax)
		})
	}
}

// TestFindMany: every occurrence, in page order, Max stops early, and an
// absent or empty marker.
func TestFindMany(t *testing.T) {
	data := pages([]string{
		"BT /F1 10 Tf 50 50 Td (#a# and #a#) Tj ET",
		"BT /F1 10 Tf 50 50 Td (no marker) Tj 0 -12 Td (#a) Tj 0 -12 Td (#) Tj ET", // split over two lines: no hit
		"BT /F1 10 Tf 70 80 Td (#a#) Tj ET",
	}, helv)
	doc := open(t, data)
	hits, err := Find(doc, "#a#", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, h := range hits {
		got = append(got, h.Page)
	}
	if len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 3 || hits[1].X <= hits[0].X {
		t.Fatalf("hits %+v", hits)
	}
	if hits, _ := Find(doc, "#a#", &Options{Max: 1}); len(hits) != 1 {
		t.Errorf("Max 1: %d hits", len(hits))
	}
	if hits, err := Find(doc, "#b#", nil); err != nil || len(hits) != 0 {
		t.Errorf("absent marker: %v %v", hits, err)
	}
	if _, err := Find(doc, "  ", nil); !errors.Is(err, ErrEmptyMarker) {
		t.Errorf("empty marker: %v", err)
	}
	// White space in a marker matches a word gap made by a move.
	d2 := pages([]string{"BT /F1 10 Tf 50 50 Td (Kepala) Tj 1 0 0 1 90 50 Tm (Dinas) Tj ET"}, helv)
	if hits, _ := Find(open(t, d2), "Kepala  Dinas", nil); len(hits) != 1 {
		t.Errorf("words apart by Td: %d hits", len(hits))
	}
}

// TestLimits: a form that draws itself, and budgets that stop the run
// with ErrLimit.
func TestLimits(t *testing.T) {
	loop := stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /L 5 0 R >> >>", []byte("/L Do /L Do"))
	data := pages([]string{"/L Do BT /F1 10 Tf 5 5 Td (#x#) Tj ET"}, "<< /XObject << /L 5 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>", loop)
	hits, err := Find(open(t, data), "#x#", nil)
	if err != nil || len(hits) != 1 {
		t.Fatalf("self-drawing form: %v %v", hits, err)
	}
	// A form drawn on three pages is decoded (and counted) once.
	const form = "BT /F1 10 Tf 5 5 Td (#f#) Tj ET"
	shared := pages([]string{"/Fx Do", "/Fx Do", "/Fx Do"}, "<< /XObject << /Fx 9 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
		stream("/Type /XObject /Subtype /Form /BBox [0 0 100 100]", []byte(form)))
	hits, err = Find(open(t, shared), "#f#", &Options{Limits: Limits{MaxBytes: int64(3*len("/Fx Do") + len(form) + 10)}})
	if err != nil || len(hits) != 3 || hits[2].Page != 3 {
		t.Errorf("a form on three pages: %+v %v", hits, err)
	}
	// A font given as a direct dictionary, selected three times: its
	// ToUnicode CMap is decoded (and counted) once.
	const cmap = "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <0020> endbfrange"
	const tf = "BT /F1 10 Tf (#a#) Tj /F1 10 Tf (#a#) Tj /F1 10 Tf (#a#) Tj ET"
	direct := pages([]string{tf}, "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 5 0 R >> >> >>", stream("", []byte(cmap)))
	hits, err = Find(open(t, direct), "#a#", &Options{Limits: Limits{MaxBytes: int64(len(tf) + len(cmap) + 10)}})
	if err != nil || len(hits) != 3 {
		t.Errorf("a direct font selected three times: %+v %v", hits, err)
	}
	big := pages([]string{strings.Repeat("1 0 0 1 0 0 cm ", 5000)}, helv)
	if _, err := Find(open(t, big), "#x#", &Options{Limits: Limits{MaxOps: 1000}}); !errors.Is(err, pdf.ErrLimit) {
		t.Errorf("operators: %v", err)
	}
	if _, err := Find(open(t, big), "#x#", &Options{Limits: Limits{MaxBytes: 1000}}); !errors.Is(err, pdf.ErrLimit) {
		t.Errorf("bytes: %v", err)
	}
}

// TestSamplePKSWords: on the sample PKS (justified paragraphs set with
// Tw, several fonts, three pages), every word pdftotext -bbox reports is
// found by the locator at poppler's box.
func TestSamplePKSWords(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pks.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := allWordsAt(t, data); n < 500 {
		t.Errorf("only %d words from pdftotext", n)
	}
}

// allWordsAt checks that every word pdftotext -bbox reports in data is
// found by the locator at poppler's box (left and right within 1 pt,
// baseline inside the box) and returns how many words there were.
func allWordsAt(t *testing.T, data []byte) int {
	t.Helper()
	words := popplerWords(t, data)
	doc := open(t, data)
	cache := map[string][]Hit{}
	missed := 0
	for _, w := range words {
		hits, ok := cache[w.text]
		if !ok {
			var err error
			if hits, err = Find(doc, w.text, nil); err != nil {
				t.Fatal(err)
			}
			cache[w.text] = hits
		}
		found := false
		for _, h := range hits {
			if h.Page == w.page && math.Abs(h.X-w.xMin) <= 1 && math.Abs(h.X+h.Width-w.xMax) <= 1 && h.Y >= w.yMin && h.Y <= w.yMax {
				found = true
				break
			}
		}
		if !found {
			missed++
			if missed <= 10 {
				t.Errorf("page %d %q at x %.2f..%.2f y %.2f..%.2f: locator hits %+v", w.page, w.text, w.xMin, w.xMax, w.yMin, w.yMax, hits)
			}
		}
	}
	t.Logf("%d words, %d distinct, %d not matched", len(words), len(cache), missed)
	return len(words)
}

// TestChromiumWords: a letter printed to PDF by headless Chromium (Skia:
// subset TrueType fonts, Type 0 Identity-H with ToUnicode; justified
// text, letter and word spacing, bold, italic, sans and serif): every
// word poppler reports is found at poppler's box, the markers included.
func TestChromiumWords(t *testing.T) {
	chromium := judge.RequireChromium(t)
	dir := t.TempDir()
	html := filepath.Join(dir, "surat.html")
	os.WriteFile(html, []byte(`<!doctype html><html><head><meta charset="utf-8"><style>
body{font-family:serif;font-size:12pt;margin:2cm} .s{font-family:sans-serif} .k{letter-spacing:0.6pt;word-spacing:4pt} p{text-align:justify}
</style></head><body>
<p>Demikian Perjanjian Kerja Sama ini dibuat dan ditandatangani secara elektronik oleh PARA PIHAK pada hari, tanggal, bulan, dan tahun sebagaimana tersebut di atas, dengan itikad baik untuk dipatuhi dan dilaksanakan.</p>
<p class="s">Bupati Tuban,</p><p class="s" style="font-size:9pt">#ttd_kabupaten#</p>
<p class="k"><b>Gubernur</b> <i>Jawa Timur</i>, #ttd_provinsi# — “kutip” é</p>
<p style="margin-top:900px">Halaman dua: #ttd_saksi#</p>
</body></html>`), 0o644)
	out := filepath.Join(dir, "surat.pdf")
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+out, "file://"+html)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	allWordsAt(t, data)
	for marker, page := range map[string]int{"#ttd_kabupaten#": 1, "#ttd_provinsi#": 1, "#ttd_saksi#": 2} {
		if hits, err := Find(open(t, data), marker, nil); err != nil || len(hits) != 1 || hits[0].Page != page {
			t.Errorf("%s: %+v %v", marker, hits, err)
		}
	}
}

// BenchmarkFindPKS: one search of the three-page sample PKS.
func BenchmarkFindPKS(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pks.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if hits, err := Find(open(b, data), "(tempat tanda tangan elektronik)", nil); err != nil || len(hits) != 2 {
			b.Fatal(hits, err)
		}
	}
}

// BenchmarkFindDense: a page of 1 MiB of short Tj operators (about
// 200,000 glyphs).
func BenchmarkFindDense(b *testing.B) {
	content := "BT /F1 8 Tf 10 10 Td " + strings.Repeat("(abcde) Tj 1 0 Td ", 1<<20/18) + "(#ttd#) Tj ET"
	data := pages([]string{content}, helv)
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if hits, err := Find(open(b, data), "#ttd#", nil); err != nil || len(hits) != 1 {
			b.Fatal(hits, err)
		}
	}
}

// TestRotated: text turned 90° by Tm gets the axis-aligned box around
// it; a page's /Rotate is reported, not applied.
func TestRotated(t *testing.T) {
	data := pdfFile(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate -270 /Contents 4 0 R /Resources "+helv+" >>",
		stream("", []byte("BT /F1 10 Tf 0 1 -1 0 300 200 Tm (#ttd#) Tj ET")),
	)
	hits, err := Find(open(t, data), "#ttd#", nil)
	if err != nil || len(hits) != 1 {
		t.Fatalf("%v %v", hits, err)
	}
	h, w := hits[0], afmWidth(afm.Helvetica, "#ttd#", 10)
	if h.Rotate != 90 || math.Abs(h.X-290) > 0.01 || math.Abs(h.Y-200) > 0.01 || math.Abs(h.Width-10) > 0.01 || math.Abs(h.Height-w) > 0.01 || math.Abs(h.Size-10) > 0.01 {
		t.Errorf("hit %+v, want rotate 90, box 290,200 10×%.2f", h, w)
	}
}

// TestCMap: bfrange with a start text and with an array, bfchar to a
// ligature, mixed code lengths by the code space, cidrange.
func TestCMap(t *testing.T) {
	m := parseCMap([]byte(`2 begincodespacerange <00> <7F> <8000> <FFFF> endcodespacerange
1 beginbfchar <8001> <00660069> endbfchar
3 beginbfrange <20> <7E> <0020> <9000> <9002> [<0041> <D83DDE00> <0042>] <9100> <9101> <00E90066> endbfrange
1 begincidrange <8000> <80FF> 100 endcidrange`))
	for _, c := range []struct {
		code uint32
		n    int
		want string
	}{{0x41, 1, "A"}, {0x7E, 1, "~"}, {0x8001, 2, "fi"}, {0x9001, 2, "😀"}, {0x9002, 2, "B"}, {0x9100, 2, "éf"}, {0x9101, 2, "ég"}} {
		if b, ok := m.appendText(nil, c.code, c.n); !ok || string(b) != c.want {
			got := string(b)
			t.Errorf("code %X/%d: %q %v, want %q", c.code, c.n, got, ok, c.want)
		}
	}
	if _, ok := m.appendText(nil, 0x41, 2); ok {
		t.Error("a 1-byte code's text found for a 2-byte code")
	}
	if n := codeLen(m.space, []byte{0x41, 0x80}); n != 1 {
		t.Errorf("code length of 41: %d", n)
	}
	if n := codeLen(m.space, []byte{0x80, 0x01}); n != 2 {
		t.Errorf("code length of 8001: %d", n)
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { m.appendText(buf, 0x9101, 2) }); n != 0 {
		t.Errorf("text of a range code: %v allocations", n)
	}
	if cid := m.cidOf(0x8005, 2); cid != 105 {
		t.Errorf("CID of 8005: %d", cid)
	}
}

// TestManyOperands: a run of operands with no operator costs linear
// time (dropping the oldest one at a time took minutes for a 1 MiB
// CMap), and the operator after it still sees its own operands.
func TestManyOperands(t *testing.T) {
	run := strings.Repeat("1 ", 2<<20)
	start := time.Now()
	if m := parseCMap([]byte(run + "1 begincodespacerange <00> <FF> endcodespacerange")); len(m.space) != 1 {
		t.Errorf("code space after 2 Mi operands: %+v", m.space)
	}
	data := pages([]string{run + "BT /F1 10 Tf " + run + "1 0 0 1 70 80 Tm (#x#) Tj ET"}, helv)
	hits, err := Find(open(t, data), "#x#", nil)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("4 Mi operands took %v", d)
	}
	if err != nil || len(hits) != 1 || math.Abs(hits[0].X-70) > 0.01 || math.Abs(hits[0].Y-80) > 0.01 {
		t.Errorf("after 2 Mi operands: %+v %v", hits, err)
	}
	// A string without escapes is not copied; one with escapes is
	// decoded.
	sl := &lexer{b: []byte("(Tanda (tangan)) Tj (a\\)b\\101) Tj")}
	buf := make([]operand, 0, maxOperands)
	if n := testing.AllocsPerRun(10, func() { sl.i = 0; sl.next(buf) }); n != 0 {
		t.Errorf("a plain string: %v allocations", n)
	}
	sl.i = 0
	for _, want := range []string{"Tanda (tangan)", "a)bA"} {
		if op, args, _ := sl.next(buf); string(op) != "Tj" || len(args) != 1 || string(args[0].str) != want {
			t.Errorf("%s %+v, want Tj (%s)", op, args, want)
		}
	}
	// true, false and null are operands too: kept within the bound.
	l := &lexer{b: []byte(strings.Repeat("true null ", 1000) + "cm")}
	if op, args, _ := l.next(nil); string(op) != "cm" || len(args) > maxOperands {
		t.Errorf("%s after 2,000 booleans and nulls: %d operands kept, want at most %d", op, len(args), maxOperands)
	}
}

// TestLetterSpacing: character spacing (Tc) does not split a word, as in
// pdftotext, which reads "#ttd#" set with 4 Tc at 12 pt as one word at
// the same box; the box ends at the last glyph, without its spacing.
func TestLetterSpacing(t *testing.T) {
	for _, tc := range []float64{4, 6} {
		data := pages([]string{"BT /F1 12 Tf " + ftoa(tc) + " Tc 100 500 Td (Tanda #ttd# di) Tj ET"}, helv)
		hits, err := Find(open(t, data), "#ttd#", nil)
		x, w := 100+afmWidth(afm.Helvetica, "Tanda ", 12)+6*tc, afmWidth(afm.Helvetica, "#ttd#", 12)+4*tc
		if err != nil || len(hits) != 1 || math.Abs(hits[0].X-x) > 0.01 || math.Abs(hits[0].Width-w) > 0.01 || math.Abs(hits[0].Y-500) > 0.01 {
			t.Errorf("Tc %g: %+v %v, want x %.3f width %.3f", tc, hits, err, x, w)
		}
	}
}

// TestManyRanges: a CID font whose encoding CMap and /W have 50,000
// ranges each costs a search per glyph, not a scan of every range (that
// was 200,000 × 100,000 steps for this page); the widths and CIDs are
// those of the ranges.
func TestManyRanges(t *testing.T) {
	const n = 50_000
	var enc, w strings.Builder
	enc.WriteString("1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + strconv.Itoa(n) + " begincidrange\n")
	for k := range n {
		fmt.Fprintf(&enc, "<%04X> <%04X> %d\n", k, k, k+1) // code k is CID k+1
		fmt.Fprintf(&w, "%d %d %d ", k+1, k+1, 100+k%7)    // CID k+1 is 100 + k mod 7 wide
	}
	enc.WriteString("endcidrange")
	uni := "1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0000> <00FF> <0000> endbfrange"
	content := "BT /T 10 Tf 10 10 Td <" + strings.Repeat("0041", 200_000) + "> Tj <0023007400740064002300> Tj ET"
	data := pages([]string{content}, "<< /Font << /T 5 0 R >> >>",
		"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding 6 0 R /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>",
		stream("/Type /CMap", []byte(enc.String())),
		"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /DW 1000 /W ["+w.String()+"] >>",
		stream("", []byte(uni)))
	start := time.Now()
	hits, err := Find(open(t, data), "#ttd#", nil)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	width := func(code int) float64 { return float64(100+code%7) / 1000 * 10 }
	x := 10 + 200_000*width(0x41)
	want := width(0x23) + width(0x74) + width(0x74) + width(0x64) + width(0x23)
	if err != nil || len(hits) != 1 || math.Abs(hits[0].X-x) > 0.01 || math.Abs(hits[0].Width-want) > 0.01 {
		t.Errorf("%+v %v, want x %.2f width %.3f", hits, err, x, want)
	}
}
