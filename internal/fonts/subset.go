package fonts

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// Subset is a TrueType font program holding only some glyphs of a Font,
// renumbered from 0 (.notdef) upwards.
type Subset struct {
	// Data is the font program, for a PDF FontFile2 stream.
	Data []byte
	// GID maps a glyph of the original font to its number in the subset.
	GID map[uint16]uint16
	// Glyphs lists the original glyphs in subset order (Glyphs[0] is 0).
	Glyphs []uint16
}

// tables copied unchanged into a subset: hinting programs and the data
// viewers read for names and line metrics.
var keptTables = []string{"OS/2", "cvt ", "fpgm", "gasp", "name", "prep"}

// Subset returns a font program with the glyphs used (and the glyphs their
// composite outlines refer to, and .notdef). chars maps the characters the
// subset must draw to their original glyphs; they form its cmap, so that
// a viewer can find the glyphs of a simple TrueType font by character.
func (f *Font) Subset(used []uint16, chars map[rune]uint16) (*Subset, error) {
	glyf := f.tables["glyf"]
	keep := map[uint16]bool{0: true}
	queue := []uint16{}
	add := func(g uint16) {
		if int(g) < f.numGlyphs && !keep[g] {
			keep[g] = true
			queue = append(queue, g)
		}
	}
	for _, g := range used {
		add(g)
	}
	for _, g := range chars {
		add(g)
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		comps, err := f.components(g)
		if err != nil {
			return nil, err
		}
		for _, c := range comps {
			add(c.gid)
		}
	}
	order := make([]uint16, 0, len(keep))
	for g := range keep {
		order = append(order, g)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	gid := make(map[uint16]uint16, len(order))
	for i, g := range order {
		gid[g] = uint16(i)
	}

	// glyf and loca (long offsets).
	var newGlyf []byte
	loca := make([]byte, 4*(len(order)+1))
	for i, g := range order {
		binary.BigEndian.PutUint32(loca[4*i:], uint32(len(newGlyf)))
		data := append([]byte(nil), glyf[f.loca[g]:f.loca[g+1]]...)
		comps, err := f.components(g)
		if err != nil {
			return nil, err
		}
		for _, c := range comps {
			binary.BigEndian.PutUint16(data[c.at:], gid[c.gid])
		}
		newGlyf = append(newGlyf, data...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
	}
	binary.BigEndian.PutUint32(loca[4*len(order):], uint32(len(newGlyf)))

	// hmtx: a full metric for every glyph.
	hmtx := f.tables["hmtx"]
	nh := int(u16(f.tables["hhea"], 34))
	newHmtx := make([]byte, 4*len(order))
	for i, g := range order {
		var lsb uint16
		if int(g) < nh {
			lsb = u16(hmtx, 4*int(g)+2)
		} else if at := 4*nh + 2*(int(g)-nh); at+2 <= len(hmtx) {
			lsb = u16(hmtx, at)
		}
		binary.BigEndian.PutUint16(newHmtx[4*i:], f.advances[g])
		binary.BigEndian.PutUint16(newHmtx[4*i+2:], lsb)
	}

	head := append([]byte(nil), f.tables["head"]...)
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1)
	hhea := append([]byte(nil), f.tables["hhea"]...)
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(order)))
	maxp := append([]byte(nil), f.tables["maxp"]...)
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(order)))
	post := make([]byte, 32)
	if p := f.tables["post"]; len(p) >= 32 {
		copy(post, p[:32])
	}
	binary.BigEndian.PutUint32(post[0:], 0x00030000)

	newChars := map[rune]uint16{}
	for r, g := range chars {
		newChars[r] = gid[g]
	}
	tables := map[string][]byte{
		"cmap": cmapFormat4(newChars), "glyf": newGlyf, "head": head, "hhea": hhea,
		"hmtx": newHmtx, "loca": loca, "maxp": maxp, "post": post,
	}
	for _, t := range keptTables {
		if b := f.tables[t]; b != nil {
			tables[t] = b
		}
	}
	data := writeFont(tables)
	return &Subset{Data: data, GID: gid, Glyphs: order}, nil
}

type component struct {
	gid uint16
	at  int // offset of the glyph index within the glyph's data
}

// components lists the glyphs a composite glyph is made of.
func (f *Font) components(g uint16) ([]component, error) {
	data := f.tables["glyf"][f.loca[g]:f.loca[g+1]]
	if len(data) < 10 || i16(data, 0) >= 0 {
		return nil, nil
	}
	var out []component
	at := 10
	for {
		if at+4 > len(data) {
			return nil, fmt.Errorf("fonts: %w: composite glyph %d is truncated", ErrFont, g)
		}
		flags := u16(data, at)
		out = append(out, component{gid: u16(data, at+2), at: at + 2})
		at += 4
		if flags&1 != 0 {
			at += 4
		} else {
			at += 2
		}
		switch {
		case flags&8 != 0:
			at += 2
		case flags&0x40 != 0:
			at += 4
		case flags&0x80 != 0:
			at += 8
		}
		if flags&0x20 == 0 {
			return out, nil
		}
		if len(out) > 256 {
			return nil, fmt.Errorf("fonts: %w: composite glyph %d has too many parts", ErrFont, g)
		}
	}
}

// cmapFormat4 writes a cmap with one (3,1) format 4 subtable mapping the
// BMP characters of m.
func cmapFormat4(m map[rune]uint16) []byte {
	var rs []rune
	for r := range m {
		if r > 0 && r < 0xFFFF {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	// Segments of consecutive characters with consecutive glyphs.
	type seg struct{ start, end rune }
	var segs []seg
	for _, r := range rs {
		if n := len(segs); n > 0 && segs[n-1].end == r-1 && int(m[r])-int(m[segs[n-1].start]) == int(r-segs[n-1].start) {
			segs[n-1].end = r
			continue
		}
		segs = append(segs, seg{r, r})
	}
	segs = append(segs, seg{0xFFFF, 0xFFFF})
	n := len(segs)
	sub := make([]byte, 16+8*n)
	binary.BigEndian.PutUint16(sub[0:], 4)
	binary.BigEndian.PutUint16(sub[2:], uint16(len(sub)))
	binary.BigEndian.PutUint16(sub[6:], uint16(2*n))
	p := 1
	e := 0
	for p*2 <= n {
		p *= 2
		e++
	}
	binary.BigEndian.PutUint16(sub[8:], uint16(2*p))
	binary.BigEndian.PutUint16(sub[10:], uint16(e))
	binary.BigEndian.PutUint16(sub[12:], uint16(2*n-2*p))
	for i, s := range segs {
		binary.BigEndian.PutUint16(sub[14+2*i:], uint16(s.end))
		binary.BigEndian.PutUint16(sub[16+2*n+2*i:], uint16(s.start))
		delta := 1
		if s.start != 0xFFFF {
			delta = int(m[s.start]) - int(s.start)
		}
		binary.BigEndian.PutUint16(sub[16+4*n+2*i:], uint16(int16(delta)))
		// idRangeOffset stays 0.
	}
	out := make([]byte, 12, 12+len(sub))
	binary.BigEndian.PutUint16(out[2:], 1)
	binary.BigEndian.PutUint16(out[4:], 3)
	binary.BigEndian.PutUint16(out[6:], 1)
	binary.BigEndian.PutUint32(out[8:], 12)
	return append(out, sub...)
}

func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

// writeFont assembles an sfnt file with its table directory and checksums.
func writeFont(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	p, e := 1, 0
	for p*2 <= n {
		p *= 2
		e++
	}
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out[0:], 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(16*p))
	binary.BigEndian.PutUint16(out[8:], uint16(e))
	binary.BigEndian.PutUint16(out[10:], uint16(16*n-16*p))
	headAt := 0
	for i, t := range tags {
		b := tables[t]
		rec := out[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[4:], checksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
		if t == "head" {
			headAt = len(out)
		}
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	return out
}
