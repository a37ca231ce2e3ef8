package sample

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"segel/internal/fonts"
)

// The embedded faces: DejaVu Sans Condensed in place of Helvetica and
// DejaVu Serif Condensed in place of Times (package fonts ships them with
// their licence). They are written as simple TrueType fonts in
// WinAnsiEncoding, so that the content streams are the same bytes as with
// the standard 14 fonts; only the widths (hence line breaks) differ. Each
// font program is a subset of the characters its pages show, with a
// ToUnicode map for text extraction.

// fontSet is the four fonts a document is set in, in allFonts order
// (resources F1 to F4).
type fontSet struct {
	sans, sansBold, serif, serifBold *font
}

func (s *fontSet) all() []*font { return []*font{s.sans, s.sansBold, s.serif, s.serifBold} }

var standardFonts = &fontSet{helvetica, helveticaBold, timesRoman, timesBold}

var (
	embeddedOnce sync.Once
	embeddedSet  *fontSet
	embeddedErr  error
)

// embeddedFonts returns the DejaVu set, its widths read from the fonts.
func embeddedFonts() (*fontSet, error) {
	embeddedOnce.Do(func() {
		faces := []fonts.Face{fonts.Sans, fonts.SansBold, fonts.Serif, fonts.SerifBold}
		out := make([]*font, 4)
		for i, std := range standardFonts.all() {
			tt, err := fonts.Get(faces[i])
			if err != nil {
				embeddedErr = fmt.Errorf("sample: %w", err)
				return
			}
			f := &font{base: tt.PostScriptName, res: std.res, ascii: new([95]uint16), extras: map[byte]uint16{},
				tt: tt, serif: faces[i].IsSerif()}
			for c := 32; c <= 126; c++ {
				g, _ := tt.Glyph(rune(c))
				f.ascii[c-32] = uint16(tt.Advance(g) + 0.5)
			}
			for r, c := range winAnsiExtras {
				g, _ := tt.Glyph(r)
				f.extras[c] = uint16(tt.Advance(g) + 0.5)
			}
			out[i] = f
		}
		embeddedSet = &fontSet{out[0], out[1], out[2], out[3]}
	})
	return embeddedSet, embeddedErr
}

// winAnsiRune is the character of WinAnsi code c among those the fixtures
// write (printable ASCII and winAnsiExtras).
func winAnsiRune(c byte) (rune, bool) {
	if c >= 32 && c <= 126 {
		return rune(c), true
	}
	for r, b := range winAnsiExtras {
		if b == c {
			return r, true
		}
	}
	return 0, false
}

// addEmbedded writes f (an embedded face) with a subset of the codes used
// and returns the font dictionary's object number.
func addEmbedded(pw *pdfWriter, f *font, used map[byte]bool) (int, error) {
	codes := make([]int, 0, len(used))
	for c := range used {
		if _, ok := winAnsiRune(c); ok {
			codes = append(codes, int(c))
		}
	}
	if len(codes) == 0 {
		codes = append(codes, ' ')
	}
	sort.Ints(codes)
	chars := map[rune]uint16{}
	var glyphs []uint16
	for _, c := range codes {
		r, _ := winAnsiRune(byte(c))
		g, _ := f.tt.Glyph(r)
		chars[r] = g
		glyphs = append(glyphs, g)
	}
	sub, err := f.tt.Subset(glyphs, chars)
	if err != nil {
		return 0, fmt.Errorf("sample: subsetting %s: %w", f.base, err)
	}
	name := sub.Name(f.base)
	file := pw.addStream(fmt.Sprintf("/Length1 %d", len(sub.Data)), sub.Data, true)
	tt := f.tt
	desc := pw.add(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [%s %s %s %s] /ItalicAngle %s /Ascent %s /Descent %s /CapHeight %s /StemV %s /FontFile2 %s >>",
		name, tt.Flags(f.serif, false), num(tt.BBox[0]), num(tt.BBox[1]), num(tt.BBox[2]), num(tt.BBox[3]),
		num(tt.ItalicAngle), num(tt.Ascent), num(tt.Descent), num(tt.CapHeight), num(tt.StemV()), ref(file)))
	first, last := codes[0], codes[len(codes)-1]
	widths := make([]string, 0, last-first+1)
	for c := first; c <= last; c++ {
		w := 0.0
		if used[byte(c)] {
			w = f.glyphWidth(byte(c))
		}
		widths = append(widths, num(w))
	}
	uni := make(map[uint16]rune, len(codes))
	for _, c := range codes {
		uni[uint16(c)], _ = winAnsiRune(byte(c))
	}
	toUni := pw.addStream("", fonts.ToUnicodeCMap(1, uni), true)
	return pw.add(fmt.Sprintf("<< /Type /Font /Subtype /TrueType /BaseFont /%s /FirstChar %d /LastChar %d /Widths [%s] /Encoding /WinAnsiEncoding /FontDescriptor %s /ToUnicode %s >>",
		name, first, last, strings.Join(widths, " "), ref(desc), ref(toUni))), nil
}
