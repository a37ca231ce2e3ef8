// Package fonts ships the open fonts segel draws with and the TrueType
// code to embed them in PDF files: parsing, measuring and subsetting.
//
// # The shipped fonts
//
// DejaVu Sans Condensed and DejaVu Serif Condensed, regular and bold
// (version 2.37, from Debian's fonts-dejavu-core and fonts-dejavu-extra;
// the Bitstream Vera licence with DejaVu's changes in the public domain,
// see files/LICENSE). They cover the Latin script (with Vietnamese and
// the letters of Indonesian and other European languages), Greek,
// Cyrillic, Armenian and Georgian, which render left to right without
// shaping. Scripts that need shaping or right-to-left ordering (Arabic,
// Hebrew, the Indic and Southeast Asian scripts such as Javanese) and CJK
// are not drawn; [Covers] tells which characters are.
//
// # Subsets
//
// [Font.Subset] writes a font program with only the glyphs a document
// uses (and the glyphs their composite outlines need), renumbered from 0,
// with a format 4 cmap of the characters drawn, ready for a PDF FontFile2
// stream of a Type 0 (Identity-H) or simple TrueType font.
package fonts

import (
	_ "embed"
	"sync"
	"unicode"
)

var (
	//go:embed files/DejaVuSansCondensed.ttf
	sansData []byte
	//go:embed files/DejaVuSansCondensed-Bold.ttf
	sansBoldData []byte
	//go:embed files/DejaVuSerifCondensed.ttf
	serifData []byte
	//go:embed files/DejaVuSerifCondensed-Bold.ttf
	serifBoldData []byte
)

// Face names one of the shipped fonts.
type Face int

// The shipped faces.
const (
	Sans Face = iota
	SansBold
	Serif
	SerifBold
)

var (
	once   [4]sync.Once
	parsed [4]*Font
	errs   [4]error
)

// Get returns the parsed shipped font f. The fonts are embedded in the
// binary, so an error means a broken build.
func Get(f Face) (*Font, error) {
	if f < Sans || f > SerifBold {
		f = Sans
	}
	once[f].Do(func() {
		data := [...][]byte{sansData, sansBoldData, serifData, serifBoldData}[f]
		parsed[f], errs[f] = Parse(data)
	})
	return parsed[f], errs[f]
}

// IsSerif tells whether f is one of the serif faces.
func (f Face) IsSerif() bool { return f == Serif || f == SerifBold }

// drawable are the scripts set left to right without shaping.
var drawable = []*unicode.RangeTable{unicode.Latin, unicode.Greek, unicode.Cyrillic,
	unicode.Armenian, unicode.Georgian, unicode.Common, unicode.Inherited}

// Covers tells whether r can be drawn with font f: the font has a glyph
// for it and its script needs neither shaping nor right-to-left order.
func Covers(f *Font, r rune) bool {
	if _, ok := f.Glyph(r); !ok {
		return false
	}
	return unicode.IsOneOf(drawable, r)
}
