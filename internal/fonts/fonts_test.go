package fonts

import (
	"testing"
)

// TestSubsetParses: a subset of the shipped fonts is itself a font this
// package reads, with the glyphs asked for (renumbered) and their widths.
func TestSubsetParses(t *testing.T) {
	for _, face := range []Face{Sans, SansBold, Serif, SerifBold} {
		f, err := Get(face)
		if err != nil {
			t.Fatal(err)
		}
		text := "Bupati Tuban — NIP. 1978 · Анна Ω ā"
		chars := map[rune]uint16{}
		var used []uint16
		for _, r := range text {
			g, ok := f.Glyph(r)
			if !ok || !Covers(f, r) {
				t.Fatalf("%s: no glyph for %q", f.PostScriptName, r)
			}
			chars[r] = g
			used = append(used, g)
		}
		sub, err := f.Subset(used, chars)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Parse(sub.Data)
		if err != nil {
			t.Fatalf("%s: the subset does not parse: %v", f.PostScriptName, err)
		}
		if g.NumGlyphs() != len(sub.Glyphs) || g.NumGlyphs() >= f.NumGlyphs()/10 {
			t.Errorf("%s: subset of %d glyphs (original %d)", f.PostScriptName, g.NumGlyphs(), f.NumGlyphs())
		}
		for r, og := range chars {
			ng, ok := g.Glyph(r)
			if !ok || ng != sub.GID[og] || g.Advance(ng) != f.Advance(og) {
				t.Errorf("%s: %q maps to %d (want %d), width %g vs %g", f.PostScriptName, r, ng, sub.GID[og], g.Advance(ng), f.Advance(og))
			}
		}
		if w := f.Width("Tuban", 10); w < 20 || w > 40 {
			t.Errorf("%s: width of Tuban at 10 pt: %g", f.PostScriptName, w)
		}
	}
	if f, _ := Get(Sans); Covers(f, 'م') {
		t.Error("Arabic claimed drawable without shaping")
	}
}
