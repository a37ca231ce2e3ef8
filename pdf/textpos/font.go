package textpos

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"segel/internal/afm"
	"segel/pdf"
)

// font is what the locator needs of a PDF font: how to split a string
// into codes, each code's text and its advance width.
type font struct {
	composite bool // Type 0: codes by the encoding CMap's code space
	toUni     *cmap
	encCMap   *cmap       // Type 0 with an embedded encoding CMap
	space     []codeRange // Type 0 code space (2 bytes when empty)
	enc       [256]string // simple fonts: text of each code
	// Simple fonts: /Widths from /FirstChar, /MissingWidth, and the
	// standard font's metrics when there are no /Widths.
	first   int
	widths  []float64
	missing float64
	std     *afm.Metrics
	// Type 0: /W of the descendant font and /DW.
	cidW   map[uint32]float64
	cidRng []wRange
	dw     float64
	// scale converts widths to text space (1/1000, or /FontMatrix's for
	// Type 3 fonts).
	scale float64
}

type wRange struct {
	lo, hi uint32
	w      float64
}

// Bounds of one font's tables.
const (
	maxWidths = 1 << 16
	maxWItems = 1 << 18
)

// code is one character code of a shown string.
type code struct {
	c uint32
	n int // bytes
}

// codes splits s into character codes.
func (f *font) codes(s []byte, fn func(code)) {
	if !f.composite {
		for _, b := range s {
			fn(code{uint32(b), 1})
		}
		return
	}
	for len(s) > 0 {
		n := codeLen(f.space, s)
		c, _, _ := codeOf(s[:n])
		fn(code{c, n})
		s = s[n:]
	}
}

// appendText appends the Unicode text of a code to dst (nothing when
// unknown).
func (f *font) appendText(dst []byte, c code) []byte {
	if f.toUni != nil {
		if out, ok := f.toUni.appendText(dst, c.c, c.n); ok {
			return out
		}
	}
	if f.composite {
		return dst
	}
	return append(dst, f.enc[c.c&0xFF]...)
}

// width returns the advance of a code in text space units per unit of
// font size.
func (f *font) width(c code) float64 {
	if f.composite {
		cid := f.encCMap.cidOf(c.c, c.n)
		if w, ok := f.cidW[cid]; ok {
			return w * f.scale
		}
		if j := findSpan(f.cidRng, 0, cid); j >= 0 {
			return f.cidRng[j].w * f.scale
		}
		return f.dw * f.scale
	}
	if i := int(c.c) - f.first; i >= 0 && i < len(f.widths) {
		return f.widths[i] * f.scale
	}
	if f.std != nil && f.widths == nil {
		// The standard fonts' tables are by WinAnsi code; ASCII text
		// has the same code in every base encoding.
		if t := f.enc[c.c&0xFF]; t != "" {
			r, _ := utf8.DecodeRuneInString(t)
			if b, ok := winAnsiCode(r); ok {
				if w, ok := f.std.WinAnsi(b); ok {
					return float64(w) * f.scale
				}
			}
		}
		w, _ := f.std.WinAnsi('?')
		return float64(w) * f.scale
	}
	return f.missing * f.scale
}

// winAnsiCode returns the WinAnsiEncoding code of r.
func winAnsiCode(r rune) (byte, bool) {
	if r >= 32 && r <= 126 || r >= 0xA0 && r <= 0xFF {
		return byte(r), true
	}
	for b, x := range winAnsiHigh {
		if x == r {
			return b, true
		}
	}
	return 0, false
}

// loadFont reads a font dictionary.
func (x *interp) loadFont(fd pdf.Dict) *font {
	doc := x.doc
	f := &font{scale: 0.001, dw: 1000}
	sub, _ := fd["Subtype"].(pdf.Name)
	if tu, err := doc.Resolve(fd["ToUnicode"]); err == nil {
		if st, ok := tu.(*pdf.Stream); ok {
			if data := x.streamData(st); data != nil {
				f.toUni = parseCMap(data)
			}
		}
	}
	if sub == "Type0" {
		f.composite = true
		enc, _ := doc.Resolve(fd["Encoding"])
		if st, ok := enc.(*pdf.Stream); ok {
			if data := x.streamData(st); data != nil {
				f.encCMap = parseCMap(data)
				f.space = f.encCMap.space
			}
		}
		if len(f.space) == 0 && f.toUni != nil {
			if n, _ := enc.(pdf.Name); n != "Identity-H" && n != "Identity-V" {
				f.space = f.toUni.space
			}
		}
		desc, _ := doc.GetArray(fd["DescendantFonts"])
		if len(desc) > 0 {
			if cf, _ := doc.GetDict(desc[0]); cf != nil {
				if v, ok := number0(doc, cf["DW"]); ok {
					f.dw = v
				}
				x.readW(f, cf["W"])
				sortSpans(f.cidRng)
			}
		}
		return f
	}
	// Simple fonts.
	if sub == "Type3" {
		if m, _ := doc.GetArray(fd["FontMatrix"]); len(m) == 6 {
			if v, ok := number0(doc, m[0]); ok {
				f.scale = v
			}
		}
	}
	base := "StandardEncoding"
	if sub == "TrueType" {
		base = "WinAnsiEncoding"
	}
	var diffs pdf.Array
	switch e := resolve(doc, fd["Encoding"]).(type) {
	case pdf.Name:
		base = string(e)
	case pdf.Dict:
		if b, ok := e["BaseEncoding"].(pdf.Name); ok {
			base = string(b)
		}
		diffs, _ = doc.GetArray(e["Differences"])
	}
	f.enc = baseEncoding(base)
	next := -1
	for i, d := range diffs {
		if i >= 4*256 {
			break
		}
		switch v := resolve(doc, d).(type) {
		case pdf.Int:
			next = int(v)
		case pdf.Name:
			if next >= 0 && next < 256 {
				f.enc[next] = nameText(string(v))
				next++
			}
		}
	}
	first, _ := number0(doc, fd["FirstChar"])
	if w, _ := doc.GetArray(fd["Widths"]); len(w) > 0 {
		f.first = int(first)
		for i, v := range w {
			if i >= maxWidths {
				break
			}
			n, _ := number0(doc, v)
			f.widths = append(f.widths, n)
		}
	}
	if fdesc, _ := doc.GetDict(fd["FontDescriptor"]); fdesc != nil {
		f.missing, _ = number0(doc, fdesc["MissingWidth"])
	}
	if bf, ok := fd["BaseFont"].(pdf.Name); ok && f.widths == nil {
		f.std = afm.Lookup(string(bf))
	}
	if f.widths == nil && f.std == nil && f.missing == 0 {
		f.missing = 500 // no metrics at all: an average width
	}
	return f
}

// readW reads a CID font's /W array: c [w1 w2 …] and c1 c2 w entries.
func (x *interp) readW(f *font, o pdf.Object) {
	w, _ := x.doc.GetArray(o)
	f.cidW = map[uint32]float64{}
	items := 0
	for i := 0; i < len(w) && items < maxWItems; {
		c, ok := number0(x.doc, w[i])
		if !ok || c < 0 || i+1 >= len(w) {
			return
		}
		if arr, _ := x.doc.GetArray(w[i+1]); arr != nil {
			for k, v := range arr {
				n, _ := number0(x.doc, v)
				f.cidW[uint32(c)+uint32(k)] = n
				if items++; items >= maxWItems {
					return
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(w) {
			return
		}
		c2, ok2 := number0(x.doc, w[i+1])
		n, ok3 := number0(x.doc, w[i+2])
		if ok2 && ok3 && c2 >= c {
			f.cidRng = append(f.cidRng, wRange{uint32(c), uint32(c2), n})
		}
		items++
		i += 3
	}
}

// baseEncoding returns the text of each code of a base encoding.
func baseEncoding(name string) (enc [256]string) {
	for c := 32; c < 127; c++ {
		enc[c] = string(rune(c))
	}
	switch name {
	case "WinAnsiEncoding":
		for c := 0xA0; c <= 0xFF; c++ {
			enc[c] = string(rune(c))
		}
		for c, r := range winAnsiHigh {
			enc[c] = string(r)
		}
	case "MacRomanEncoding":
		for i, r := range macRomanHigh {
			enc[0x80+i] = string(r)
		}
	default: // StandardEncoding (and others, read as it)
		enc['\''] = "’"
		enc['`'] = "‘"
	}
	return enc
}

// nameText returns the text of a glyph name: a known name, a single
// character, uniXXXX[XXXX…] or uXXXX[XX], a ligature a_b; "" otherwise.
func nameText(name string) string {
	if len(name) > 128 {
		return ""
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i] // a.sc, one.oldstyle
	}
	if strings.Contains(name, "_") {
		var b strings.Builder
		for _, part := range strings.Split(name, "_") {
			b.WriteString(nameText(part))
		}
		return b.String()
	}
	if t, ok := glyphNames[name]; ok {
		return t
	}
	if len(name) == 1 && name[0] > ' ' && name[0] < 127 {
		return name
	}
	if strings.HasPrefix(name, "uni") && len(name) >= 7 && (len(name)-3)%4 == 0 {
		var b strings.Builder
		for i := 3; i+4 <= len(name); i += 4 {
			v, err := strconv.ParseUint(name[i:i+4], 16, 32)
			if err != nil {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	}
	if strings.HasPrefix(name, "u") && len(name) >= 5 && len(name) <= 7 {
		if v, err := strconv.ParseUint(name[1:], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
			return string(rune(v))
		}
	}
	return ""
}

// resolve follows a reference; nil when it cannot.
func resolve(doc *pdf.Document, o pdf.Object) pdf.Object {
	v, err := doc.Resolve(o)
	if err != nil {
		return nil
	}
	return v
}

// number0 returns a (possibly indirect) number.
func number0(doc *pdf.Document, o pdf.Object) (float64, bool) {
	switch n := resolve(doc, o).(type) {
	case pdf.Int:
		return float64(n), true
	case pdf.Real:
		return float64(n), true
	}
	return 0, false
}
