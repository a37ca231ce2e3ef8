package fonts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrFont means the font file is not a TrueType font this package can
// read (CFF-flavoured OpenType, collections and damaged files included).
var ErrFont = errors.New("not a usable TrueType font")

// Font is a parsed TrueType font: enough of it to measure text, map
// characters to glyphs and write subsets.
type Font struct {
	data   []byte
	tables map[string][]byte

	// PostScriptName is the font's PostScript name (name ID 6).
	PostScriptName string
	unitsPerEm     float64
	numGlyphs      int
	advances       []uint16 // per glyph, font units
	cmap           map[rune]uint16
	loca           []uint32 // numGlyphs+1 offsets into glyf

	// Metrics for a PDF font descriptor, in 1/1000 em.
	Ascent, Descent, CapHeight, ItalicAngle float64
	BBox                                    [4]float64
	// Bold and FixedPitch describe the face.
	Bold, FixedPitch bool
}

func u16(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }
func u32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
func i16(b []byte, off int) int16  { return int16(binary.BigEndian.Uint16(b[off:])) }

// Parse reads a TrueType font (glyf outlines) from data. data is kept and
// must not change.
func Parse(data []byte) (f *Font, err error) {
	// Every slice access below is checked, but a damaged font must never
	// panic: fonts can come from users' layout files one day.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("fonts: %w: damaged tables", ErrFont)
		}
	}()
	if len(data) < 12 {
		return nil, fmt.Errorf("fonts: %w: too short", ErrFont)
	}
	if v := u32(data, 0); v != 0x00010000 && v != 0x74727565 {
		return nil, fmt.Errorf("fonts: %w: version %#x (only glyf-based TrueType)", ErrFont, v)
	}
	n := int(u16(data, 4))
	if 12+16*n > len(data) {
		return nil, fmt.Errorf("fonts: %w: table directory beyond the end", ErrFont)
	}
	f = &Font{data: data, tables: map[string][]byte{}}
	for i := 0; i < n; i++ {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, length := int64(u32(rec, 8)), int64(u32(rec, 12))
		if off+length > int64(len(data)) {
			return nil, fmt.Errorf("fonts: %w: table %q beyond the end", ErrFont, tag)
		}
		f.tables[tag] = data[off : off+length]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("fonts: %w: no %s table", ErrFont, t)
		}
	}
	head := f.tables["head"]
	if len(head) < 54 {
		return nil, fmt.Errorf("fonts: %w: short head table", ErrFont)
	}
	f.unitsPerEm = float64(u16(head, 18))
	if f.unitsPerEm < 16 {
		return nil, fmt.Errorf("fonts: %w: unitsPerEm %v", ErrFont, f.unitsPerEm)
	}
	scale := func(v int16) float64 { return math.Round(float64(v) * 1000 / f.unitsPerEm) }
	f.BBox = [4]float64{scale(i16(head, 36)), scale(i16(head, 38)), scale(i16(head, 40)), scale(i16(head, 42))}
	f.Bold = u16(head, 44)&1 != 0
	longLoca := i16(head, 50) == 1

	if len(f.tables["maxp"]) < 6 {
		return nil, fmt.Errorf("fonts: %w: short maxp table", ErrFont)
	}
	f.numGlyphs = int(u16(f.tables["maxp"], 4))
	hhea := f.tables["hhea"]
	if len(hhea) < 36 {
		return nil, fmt.Errorf("fonts: %w: short hhea table", ErrFont)
	}
	f.Ascent, f.Descent = scale(i16(hhea, 4)), scale(i16(hhea, 6))
	nh := int(u16(hhea, 34))
	hmtx := f.tables["hmtx"]
	if nh == 0 || nh > f.numGlyphs || len(hmtx) < 4*nh {
		return nil, fmt.Errorf("fonts: %w: bad hmtx", ErrFont)
	}
	f.advances = make([]uint16, f.numGlyphs)
	for g := 0; g < f.numGlyphs; g++ {
		if g < nh {
			f.advances[g] = u16(hmtx, 4*g)
		} else {
			f.advances[g] = f.advances[nh-1]
		}
	}
	loca := f.tables["loca"]
	f.loca = make([]uint32, f.numGlyphs+1)
	for g := 0; g <= f.numGlyphs; g++ {
		if longLoca {
			f.loca[g] = u32(loca, 4*g)
		} else {
			f.loca[g] = 2 * uint32(u16(loca, 2*g))
		}
	}
	glen := uint32(len(f.tables["glyf"]))
	for g := 0; g < f.numGlyphs; g++ {
		if f.loca[g] > f.loca[g+1] || f.loca[g+1] > glen {
			return nil, fmt.Errorf("fonts: %w: bad loca entry %d", ErrFont, g)
		}
	}
	if os2 := f.tables["OS/2"]; len(os2) >= 78 {
		f.Ascent, f.Descent = scale(i16(os2, 68)), scale(i16(os2, 70))
		if u16(os2, 4) >= 600 {
			f.Bold = true
		}
		if len(os2) >= 90 && u16(os2, 0) >= 2 {
			f.CapHeight = scale(i16(os2, 88))
		}
	}
	if f.CapHeight == 0 {
		f.CapHeight = f.Ascent
	}
	if post := f.tables["post"]; len(post) >= 16 {
		f.ItalicAngle = float64(int32(u32(post, 4))) / 65536
		f.FixedPitch = u32(post, 12) != 0
	}
	if err := f.readCmap(); err != nil {
		return nil, err
	}
	f.PostScriptName = f.readName(6)
	if f.PostScriptName == "" {
		f.PostScriptName = "Font"
	}
	return f, nil
}

// readCmap reads the Unicode cmap subtable (format 12 preferred, else 4).
func (f *Font) readCmap() error {
	c := f.tables["cmap"]
	n := int(u16(c, 2))
	var best []byte
	bestFormat := 0
	for i := 0; i < n; i++ {
		pid, eid, off := u16(c, 4+8*i), u16(c, 6+8*i), int(u32(c, 8+8*i))
		if off+4 > len(c) {
			continue
		}
		sub := c[off:]
		format := int(u16(sub, 0))
		unicode := pid == 0 || (pid == 3 && (eid == 1 || eid == 10))
		if !unicode {
			continue
		}
		if format == 12 || (format == 4 && bestFormat != 12) {
			best, bestFormat = sub, format
		}
	}
	f.cmap = map[rune]uint16{}
	switch bestFormat {
	case 12:
		groups := int(u32(best, 12))
		for i := 0; i < groups && 16+12*i+12 <= len(best); i++ {
			start, end, gid := u32(best, 16+12*i), u32(best, 20+12*i), u32(best, 24+12*i)
			if end < start || end-start > 0x10FFFF {
				continue
			}
			for r := start; r <= end; r++ {
				if g := gid + (r - start); g < uint32(f.numGlyphs) && g != 0 {
					f.cmap[rune(r)] = uint16(g)
				}
			}
		}
	case 4:
		segs := int(u16(best, 6)) / 2
		ends, starts, deltas, ranges := 14, 16+2*segs, 16+4*segs, 16+6*segs
		for s := 0; s < segs; s++ {
			end, start := int(u16(best, ends+2*s)), int(u16(best, starts+2*s))
			delta, ro := int(u16(best, deltas+2*s)), int(u16(best, ranges+2*s))
			for r := start; r <= end && r != 0xFFFF; r++ {
				var g int
				if ro == 0 {
					g = (r + delta) & 0xFFFF
				} else {
					at := ranges + 2*s + ro + 2*(r-start)
					if at+2 > len(best) {
						continue
					}
					g = int(u16(best, at))
					if g != 0 {
						g = (g + delta) & 0xFFFF
					}
				}
				if g != 0 && g < f.numGlyphs {
					f.cmap[rune(r)] = uint16(g)
				}
			}
		}
	default:
		return fmt.Errorf("fonts: %w: no Unicode cmap", ErrFont)
	}
	return nil
}

// readName returns a name record (Windows Unicode or Mac Roman).
func (f *Font) readName(id uint16) string {
	t := f.tables["name"]
	if len(t) < 6 {
		return ""
	}
	count, strOff := int(u16(t, 2)), int(u16(t, 4))
	for i := 0; i < count && 6+12*i+12 <= len(t); i++ {
		r := t[6+12*i:]
		pid, nid, length, off := u16(r, 0), u16(r, 6), int(u16(r, 8)), int(u16(r, 10))
		if nid != id || strOff+off+length > len(t) {
			continue
		}
		s := t[strOff+off : strOff+off+length]
		switch pid {
		case 3, 0:
			var out []rune
			for j := 0; j+1 < len(s); j += 2 {
				out = append(out, rune(u16(s, j)))
			}
			return string(out)
		case 1:
			return string(s)
		}
	}
	return ""
}

// UnitsPerEm is the font's design grid.
func (f *Font) UnitsPerEm() float64 { return f.unitsPerEm }

// NumGlyphs is the number of glyphs in the font.
func (f *Font) NumGlyphs() int { return f.numGlyphs }

// Glyph returns the glyph that draws r, and false when the font has none.
func (f *Font) Glyph(r rune) (uint16, bool) {
	g, ok := f.cmap[r]
	return g, ok
}

// Advance returns the advance width of glyph g in 1/1000 em.
func (f *Font) Advance(g uint16) float64 {
	if int(g) >= len(f.advances) {
		return 0
	}
	return float64(f.advances[g]) * 1000 / f.unitsPerEm
}

// Width returns the width of s set at size points, without kerning;
// characters the font lacks count as its .notdef glyph.
func (f *Font) Width(s string, size float64) float64 {
	var w float64
	for _, r := range s {
		g, _ := f.Glyph(r)
		w += f.Advance(g)
	}
	return w * size / 1000
}

// StemV estimates the vertical stem width for a font descriptor.
func (f *Font) StemV() float64 {
	if f.Bold {
		return 140
	}
	return 80
}

// Flags returns the PDF font descriptor flags: nonsymbolic (or symbolic
// when symbolic is true), serif when serif, fixed pitch and force bold from
// the font.
func (f *Font) Flags(serif, symbolic bool) int {
	fl := 0
	if f.FixedPitch {
		fl |= 1
	}
	if serif {
		fl |= 2
	}
	if symbolic {
		fl |= 4
	} else {
		fl |= 32
	}
	if f.ItalicAngle != 0 {
		fl |= 64
	}
	if f.Bold {
		fl |= 1 << 18
	}
	return fl
}
