package textpos

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"segel/internal/fonts"
	"segel/internal/judge"
	"segel/internal/sample"
	"segel/pdf"
)

// pdfFile builds a PDF from object bodies: objs[i] is object i+1; object
// 1 must be the catalog.
func pdfFile(objs ...string) []byte { return sample.FromObjects(objs...) }

// stream formats a stream object body.
func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// onePage is a catalog, a page tree and pages with the given contents
// and resources, numbered 1, 2, 3…; more objects follow from number
// 3+len(pages).
func pages(contents []string, resources string, more ...string) []byte {
	n := len(contents)
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>"}
	var kids []string
	for i := range contents {
		kids = append(kids, fmt.Sprintf("%d 0 R", 3+i))
	}
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] /Resources %s >>", strings.Join(kids, " "), n, resources))
	for i := range contents {
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", 3+n+i))
	}
	for _, c := range contents {
		objs = append(objs, stream("", []byte(c)))
	}
	return pdfFile(append(objs, more...)...)
}

func open(t testing.TB, data []byte) *pdf.Document {
	t.Helper()
	doc, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// word is a word box from pdftotext -bbox, converted to PDF user space
// (y upwards).
type word struct {
	page                   int
	text                   string
	xMin, yMin, xMax, yMax float64
}

var (
	pageRe = regexp.MustCompile(`<page width="([0-9.]+)" height="([0-9.]+)">`)
	wordRe = regexp.MustCompile(`<word xMin="([0-9.-]+)" yMin="([0-9.-]+)" xMax="([0-9.-]+)" yMax="([0-9.-]+)">([^<]*)</word>`)
)

// popplerWords runs pdftotext -bbox (poppler) on data: the outside judge
// of where words are.
func popplerWords(t testing.TB, data []byte) []word {
	t.Helper()
	judge.Require(t, "pdftotext")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-bbox", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	var words []word
	page, height := 0, 0.0
	for _, line := range strings.Split(string(out), "\n") {
		if m := pageRe.FindStringSubmatch(line); m != nil {
			page++
			height, _ = strconv.ParseFloat(m[2], 64)
			continue
		}
		m := wordRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v := make([]float64, 4)
		for i := range v {
			v[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		text := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'").Replace(m[5])
		words = append(words, word{page: page, text: text, xMin: v[0], xMax: v[2], yMin: height - v[3], yMax: height - v[1]})
	}
	return words
}

// dejaVu returns a Type 0 (Identity-H) font with a ToUnicode CMap for the
// characters of text, as object bodies numbered from first (the font
// dictionary is first), and the hex string that shows text.
func dejaVu(t testing.TB, text string, first int) (objs []string, show func(string) string) {
	t.Helper()
	f, err := fonts.Get(fonts.Sans)
	if err != nil {
		t.Fatal(err)
	}
	chars := map[rune]uint16{}
	var used []uint16
	for _, r := range text {
		g, ok := f.Glyph(r)
		if !ok {
			t.Fatalf("no glyph for %q", r)
		}
		chars[r] = g
		used = append(used, g)
	}
	sub, err := f.Subset(used, chars)
	if err != nil {
		t.Fatal(err)
	}
	var w, bf strings.Builder
	n := 0
	for r, g := range chars {
		fmt.Fprintf(&w, "%d [%.0f] ", sub.GID[g], f.Advance(g))
		fmt.Fprintf(&bf, "<%04X> <%04X>\n", sub.GID[g], r)
		n++
	}
	cmap := fmt.Sprintf("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"+
		"1 begincodespacerange <0000> <FFFF> endcodespacerange\n%d beginbfchar\n%sendbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end", n, bf.String())
	objs = []string{
		fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+DejaVuSansCondensed /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", first+1, first+2),
		fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /AAAAAA+DejaVuSansCondensed /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 1000 /W [%s] >>", first+3, w.String()),
		stream("", []byte(cmap)),
		fmt.Sprintf("<< /Type /FontDescriptor /FontName /AAAAAA+DejaVuSansCondensed /Flags 4 /FontBBox [%.0f %.0f %.0f %.0f] /ItalicAngle 0 /Ascent %.0f /Descent %.0f /CapHeight %.0f /StemV 80 /FontFile2 %d 0 R >>",
			f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3], f.Ascent, f.Descent, f.CapHeight, first+4),
		stream(fmt.Sprintf("/Length1 %d", len(sub.Data)), sub.Data),
	}
	show = func(s string) string {
		var b strings.Builder
		b.WriteByte('<')
		for _, r := range s {
			fmt.Fprintf(&b, "%04X", sub.GID[chars[r]])
		}
		b.WriteByte('>')
		return b.String()
	}
	return objs, show
}
