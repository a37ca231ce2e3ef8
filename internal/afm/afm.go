// Package afm holds the advance widths of the standard 14 Type 1 fonts
// that PDF files may use without embedding them, from Adobe's Core14 AFM
// files, for the characters of printable ASCII and a few WinAnsi extras.
// The sample documents are laid out with them and the text locator
// (package textpos) measures text drawn in non-embedded standard fonts
// without a /Widths array.
package afm

import "strings"

// Metrics are the widths of one standard font, in 1/1000 em.
type Metrics struct {
	// Name is the font's PostScript name, e.g. "Helvetica".
	Name string
	// ASCII holds the widths of codes 32..126.
	ASCII [95]uint16
	// Extra holds the widths of some WinAnsiEncoding codes above 127
	// (ellipsis, quotes, bullet, dashes, degree, e acute).
	Extra map[byte]uint16
}

// WinAnsi returns the width of WinAnsiEncoding code c, and false when the
// table does not know it.
func (m *Metrics) WinAnsi(c byte) (uint16, bool) {
	if c >= 32 && c <= 126 {
		return m.ASCII[c-32], true
	}
	w, ok := m.Extra[c]
	return w, ok
}

// The fonts with tables. Helvetica-Oblique and Helvetica-BoldOblique have
// the widths of their upright faces; Courier's glyphs are all 600 wide.
var (
	Helvetica     = &Metrics{Name: "Helvetica", ASCII: helveticaWidths, Extra: helveticaExtra}
	HelveticaBold = &Metrics{Name: "Helvetica-Bold", ASCII: helveticaBoldWidths, Extra: helveticaBoldExtra}
	TimesRoman    = &Metrics{Name: "Times-Roman", ASCII: timesRomanWidths, Extra: timesRomanExtra}
	TimesBold     = &Metrics{Name: "Times-Bold", ASCII: timesBoldWidths, Extra: timesBoldExtra}
	Courier       = &Metrics{Name: "Courier", ASCII: courierWidths, Extra: courierExtra}
)

// Lookup returns the metrics for a font's /BaseFont name: a standard 14
// name or a common alias (Arial, TimesNewRoman, CourierNew, with style
// suffixes and a subset prefix), or nil. Italic Times faces get the
// widths of their upright faces, which differ by a few percent.
func Lookup(baseFont string) *Metrics {
	name := baseFont
	if len(name) > 7 && name[6] == '+' {
		name = name[7:] // subset prefix ABCDEF+
	}
	low := strings.ToLower(strings.NewReplacer(" ", "", "-", "", ",", "").Replace(name))
	bold := strings.Contains(low, "bold")
	switch {
	case strings.HasPrefix(low, "helvetica") || strings.HasPrefix(low, "arial"):
		if bold {
			return HelveticaBold
		}
		return Helvetica
	case strings.HasPrefix(low, "times"):
		if bold {
			return TimesBold
		}
		return TimesRoman
	case strings.HasPrefix(low, "courier"):
		return Courier
	}
	return nil
}

// extraCodes are the WinAnsiEncoding codes above 127 with widths in the
// tables: ellipsis, quoteleft, quoteright, quotedblleft, quotedblright,
// bullet, endash, emdash, degree, eacute.
var extraCodes = [...]byte{0x85, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0xB0, 0xE9}

// extras maps extraCodes to the widths w, in that order.
func extras(w ...uint16) map[byte]uint16 {
	m := make(map[byte]uint16, len(extraCodes))
	for i, c := range extraCodes {
		m[c] = w[i]
	}
	return m
}

var courierWidths = func() (w [95]uint16) {
	for i := range w {
		w[i] = 600
	}
	return w
}()

var courierExtra = extras(600, 600, 600, 600, 600, 600, 600, 600, 600, 600)

var helveticaWidths = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
}

var helveticaExtra = extras(1000, 222, 222, 333, 333, 350, 556, 1000, 400, 556)

var helveticaBoldWidths = [95]uint16{
	278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
	975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
	333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
	611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
}

var helveticaBoldExtra = extras(1000, 278, 278, 500, 500, 350, 556, 1000, 400, 556)

var timesRomanWidths = [95]uint16{
	250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
	500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
	921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
	556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
	333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
	500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
}

var timesRomanExtra = extras(1000, 333, 333, 444, 444, 350, 500, 1000, 400, 444)

var timesBoldWidths = [95]uint16{
	250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278,
	500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500,
	930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778,
	611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500,
	333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500,
	556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
}

var timesBoldExtra = extras(1000, 333, 333, 500, 500, 350, 500, 1000, 400, 444)
