// Package textpos finds where a text is shown on the pages of a PDF file:
// the page and the box a marker such as "#ttd_kabupaten#" occupies, so
// that a signature stamp can be placed on it (as BSrE's tag_koordinat
// does).
//
// # What it reads
//
// Each page's content (a stream or an array of streams) and the Form
// XObjects it draws (nested up to [Limits].MaxDepth), with the graphics
// and text state that positions text: q/Q, cm, BT, Tm, Td, TD, T*, TL,
// Tf, Tc, Tw, Tz, Ts, Tj, TJ (with its adjustments), ' and ". Shown
// strings become text through the font's /ToUnicode CMap, else for
// simple fonts through /Encoding (WinAnsi, MacRoman, Standard, with
// /Differences glyph names). Widths come from /Widths and /FirstChar
// (simple fonts), /W and /DW (CID fonts), or the standard fonts' metrics
// (non-embedded Helvetica, Times, Courier without /Widths).
//
// Glyphs are joined in content order; a gap of more than a quarter of
// the font size between two glyphs on one line (after the character and
// word spacing of Tc and Tw) reads as a space, a move to another line as
// a line break. So a marker is found when it is shown
// in one piece or in several (Tj after Tj, TJ pieces with kerning, one
// glyph at a time) on one line.
//
// # What it does not read
//
// Annotation appearances (form field values), vertical writing
// (Identity-V is read as horizontal), text in Type 3 glyph procedures,
// marked-content /ActualText, and CID fonts whose CMap is a predefined
// one other than Identity (their codes are taken as 2-byte CIDs).
//
// # Hostile input
//
// The content is untrusted: the tokenizer skips what it does not
// understand and never fails; decoded bytes, operators and glyphs are
// bounded by [Limits], and reaching a bound stops the search with an
// error wrapping pdf.ErrLimit.
package textpos

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"segel/pdf"
)

// Limits bound the work of one search. Zero fields take the values of
// [DefaultLimits].
type Limits struct {
	// MaxDepth is how deep Form XObjects nest (a page's content is 0).
	MaxDepth int
	// MaxBytes bounds the decoded bytes of content streams and CMaps over
	// the whole document.
	MaxBytes int64
	// MaxOps bounds the content operators run over the whole document.
	MaxOps int64
	// MaxGlyphs bounds the glyphs kept for one page.
	MaxGlyphs int
}

// DefaultLimits are the limits applied to zero fields of [Limits].
var DefaultLimits = Limits{MaxDepth: 8, MaxBytes: 256 << 20, MaxOps: 50_000_000, MaxGlyphs: 500_000}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MaxOps > 0 {
		d.MaxOps = l.MaxOps
	}
	if l.MaxGlyphs > 0 {
		d.MaxGlyphs = min(l.MaxGlyphs, math.MaxInt32) // glyph numbers are int32
	}
	return d
}

// Options tune [Find].
type Options struct {
	Limits
	// Max stops the search after that many hits (0: all).
	Max int
}

// Hit is one place a marker is shown.
type Hit struct {
	// Page is the page number, from 1.
	Page int
	// X, Y, Width and Height are the marker's box in the page's default
	// user space (points, from the lower-left corner of the coordinate
	// system, before the page's /Rotate): from its baseline to one font
	// size above it, and from the left of its first glyph to the right
	// of its last. For upright text, X, Y is the baseline's left end.
	// For rotated or skewed text it is the axis-aligned box around that
	// area.
	X, Y, Width, Height float64
	// Size is the font size in user space (text scaled by cm or Tm
	// included).
	Size float64
	// Rotate is the page's /Rotate (0, 90, 180 or 270); the box is not
	// turned by it.
	Rotate int
}

// ErrEmptyMarker is returned for an empty marker (or one of white space
// only).
var ErrEmptyMarker = errors.New("textpos: empty marker")

// Find returns the places where marker is shown on doc's pages, in page
// order and content order within a page. White space in the marker
// matches any gap between words. A missing or broken content stream
// reads as no text. It fails only when a limit is reached or the page
// tree cannot be read.
func Find(doc *pdf.Document, marker string, opts *Options) ([]Hit, error) {
	want := []rune(normalise(marker))
	if len(want) == 0 {
		return nil, ErrEmptyMarker
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	pages, err := doc.Pages()
	if err != nil {
		return nil, fmt.Errorf("textpos: reading the page tree: %w", err)
	}
	x := &interp{doc: doc, lim: o.Limits.withDefaults(), fonts: map[pdf.Ref]*font{}, formData: map[pdf.Ref][]byte{}}
	var hits []Hit
	for i, pg := range pages {
		x.glyphs, x.text = x.glyphs[:0], x.text[:0]
		res, _ := doc.GetDict(doc.Inherited(pg.Dict, "Resources"))
		data := x.contents(pg.Dict["Contents"])
		if x.err == nil && len(data) > 0 {
			x.run(data, res, gstate{ctm: identity, th: 1}, 0)
		}
		rot, _ := number0(doc, doc.Inherited(pg.Dict, "Rotate"))
		for _, h := range match(x.glyphs, x.text, want) {
			h.Page, h.Rotate = i+1, ((int(rot)%360)+360)%360
			hits = append(hits, h)
			if o.Max > 0 && len(hits) >= o.Max {
				return hits, nil
			}
		}
		if x.err != nil {
			return hits, x.err
		}
	}
	return hits, nil
}

// normalise turns runs of white space into one space and trims.
func normalise(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// match finds want in the text of glyphs (in buf) and returns the boxes.
func match(glyphs []glyph, buf []byte, want []rune) []Hit {
	// The glyphs' text plus the spaces and line breaks between them: a
	// little more than buf.
	hint := len(buf) + len(glyphs)/8 + 16
	text := make([]byte, 0, hint)
	owner := make([]int32, 0, hint) // glyph of each byte of text (MaxGlyphs < 2^31)
	add := func(r rune, g int) {
		n := len(text)
		text = utf8.AppendRune(text, r)
		for range len(text) - n {
			owner = append(owner, int32(g))
		}
	}
	space := func(g int) {
		if len(text) > 0 && text[len(text)-1] != ' ' {
			add(' ', g)
		}
	}
	for i, g := range glyphs {
		if i > 0 {
			switch gap(glyphs[i-1], g) {
			case gapWord:
				space(i)
			case gapLine:
				space(i) // a line break reads as a space
				add('\n', i)
			}
		}
		for _, r := range string(buf[g.t0:g.t1]) {
			if unicode.IsSpace(r) {
				space(i)
				continue
			}
			add(r, i)
		}
	}
	pat, str := string(want), string(text)
	var hits []Hit
	for at := 0; at+len(pat) <= len(str); {
		k := strings.Index(str[at:], pat)
		if k < 0 {
			break
		}
		at += k
		if h, ok := box(glyphs[owner[at] : owner[at+len(pat)-1]+1]); ok {
			hits = append(hits, h)
		}
		at += len(pat)
	}
	return hits
}

type gapKind int

const (
	gapNone gapKind = iota
	gapWord
	gapLine
)

// gap tells how glyph b follows glyph a: on the same line closely, after
// a word gap, or on another line.
func gap(a, b glyph) gapKind {
	ux, uy := a.up()
	size := math.Hypot(ux, uy)
	dx, dy := a.x1-a.x0, a.y1-a.y0
	n := math.Hypot(dx, dy)
	if n == 0 || size == 0 {
		// No advance (a zero-width glyph): use the baseline direction of
		// the size vector turned clockwise.
		dx, dy, n = uy, -ux, size
	}
	if n == 0 || !finite(dx, dy, n, size) {
		return gapLine
	}
	dx, dy = dx/n, dy/n
	// From where a's spacing left the text position: letter-spaced text
	// is one word, as pdftotext reads it.
	vx, vy := b.x0-(a.x1+float64(a.sx)), b.y0-(a.y1+float64(a.sy))
	along := vx*dx + vy*dy
	across := vx*-dy + vy*dx
	switch {
	case math.Abs(across) > size/2 || along < -size:
		return gapLine
	case along > size/4:
		return gapWord
	}
	return gapNone
}

// box is the axis-aligned box of glyphs from their baselines to one font
// size above.
func box(gs []glyph) (Hit, bool) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for i := range gs {
		g := &gs[i]
		ux, uy := g.up()
		for _, p := range [][2]float64{{g.x0, g.y0}, {g.x1, g.y1}, {g.x0 + ux, g.y0 + uy}, {g.x1 + ux, g.y1 + uy}} {
			minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
			minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
		}
	}
	h := Hit{X: minX, Y: minY, Width: maxX - minX, Height: maxY - minY, Size: math.Hypot(gs[0].up())}
	return h, finite(h.X, h.Y, h.Width, h.Height, h.Size)
}
