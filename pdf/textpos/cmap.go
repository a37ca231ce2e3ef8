package textpos

import (
	"sort"
	"unicode/utf16"
	"unicode/utf8"
)

// cmap is what the locator keeps of a CMap stream: the code space (how
// many bytes each code has), the codes' text (a ToUnicode CMap) and
// their CIDs (an encoding CMap).
type cmap struct {
	space  []codeRange
	uni    map[uint64]string // key: code length << 32 | code
	uniRng []textRange
	cid    map[uint64]uint32
	cidRng []cidRange
}

type codeRange struct {
	n      int
	lo, hi uint32
}

type textRange struct {
	n      int
	lo, hi uint32
	base   string   // text of lo; the last character increments
	list   []string // or one text per code
	inList bool
}

type cidRange struct {
	n      int
	lo, hi uint32
	cid    uint32
}

// Bounds of one CMap: entries of all kinds.
const maxCMapEntries = 1 << 18

func key(n int, code uint32) uint64 { return uint64(n)<<32 | uint64(code) }

// codeOf reads a code from a hex string of at most 4 bytes.
func codeOf(b []byte) (uint32, int, bool) {
	if len(b) == 0 || len(b) > 4 {
		return 0, 0, false
	}
	var c uint32
	for _, x := range b {
		c = c<<8 | uint32(x)
	}
	return c, len(b), true
}

// maxDest bounds the bytes of one ToUnicode destination (a ligature or
// a short sequence, in practice).
const maxDest = 64

// utf16Text decodes a ToUnicode destination (UTF-16BE).
func utf16Text(b []byte) string {
	if len(b) > maxDest {
		b = b[:maxDest]
	}
	if len(b)%2 == 1 {
		b = append(b[:len(b):len(b)], 0)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// parseCMap reads a CMap program. It never fails: what it cannot read is
// left out.
func parseCMap(data []byte) *cmap {
	m := &cmap{uni: map[uint64]string{}, cid: map[uint64]uint32{}}
	l := &lexer{b: data, maxOps: maxCMapEntries}
	var ops []operand
	entries := 0
	for entries < maxCMapEntries {
		op, args, ok := l.next(ops)
		ops = args
		if !ok {
			break
		}
		switch string(op) {
		case "endcodespacerange":
			for i := 0; i+1 < len(args); i += 2 {
				lo, n, ok1 := codeOf(args[i].str)
				hi, n2, ok2 := codeOf(args[i+1].str)
				if ok1 && ok2 && n == n2 && len(m.space) < 256 {
					m.space = append(m.space, codeRange{n, lo, hi})
				}
			}
		case "endbfchar":
			for i := 0; i+1 < len(args); i += 2 {
				c, n, ok := codeOf(args[i].str)
				if !ok {
					continue
				}
				d := args[i+1]
				switch d.kind {
				case kString:
					m.uni[key(n, c)] = utf16Text(d.str)
				case kName:
					m.uni[key(n, c)] = nameText(string(d.str))
				}
				entries++
			}
		case "endbfrange":
			for i := 0; i+2 < len(args); i += 3 {
				lo, n, ok1 := codeOf(args[i].str)
				hi, n2, ok2 := codeOf(args[i+1].str)
				if !ok1 || !ok2 || n != n2 || hi < lo {
					continue
				}
				r := textRange{n: n, lo: lo, hi: hi}
				switch d := args[i+2]; d.kind {
				case kString:
					r.base = utf16Text(d.str)
				case kArray:
					r.inList = true
					for _, e := range d.arr {
						r.list = append(r.list, utf16Text(e.str))
					}
				default:
					continue
				}
				m.uniRng = append(m.uniRng, r)
				entries += 1 + len(r.list)
			}
		case "endcidchar":
			for i := 0; i+1 < len(args); i += 2 {
				c, n, ok := codeOf(args[i].str)
				if ok && args[i+1].kind == kNum && args[i+1].num >= 0 {
					m.cid[key(n, c)] = uint32(args[i+1].num)
					entries++
				}
			}
		case "endcidrange":
			for i := 0; i+2 < len(args); i += 3 {
				lo, n, ok1 := codeOf(args[i].str)
				hi, n2, ok2 := codeOf(args[i+1].str)
				if ok1 && ok2 && n == n2 && hi >= lo && args[i+2].kind == kNum && args[i+2].num >= 0 {
					m.cidRng = append(m.cidRng, cidRange{n, lo, hi, uint32(args[i+2].num)})
					entries++
				}
			}
		}
	}
	sortSpans(m.uniRng)
	sortSpans(m.cidRng)
	return m
}

// span is a range of codes or CIDs: textRange, cidRange, wRange.
type span interface {
	span() (n int, lo, hi uint32)
}

func (r *textRange) span() (int, uint32, uint32) { return r.n, r.lo, r.hi }
func (r *cidRange) span() (int, uint32, uint32)  { return r.n, r.lo, r.hi }
func (r *wRange) span() (int, uint32, uint32)    { return 0, r.lo, r.hi }

// sortSpans orders ranges by their start, keeping the file order of
// ranges that start together.
func sortSpans[R any, P interface {
	*R
	span
}](rs []R) {
	sort.SliceStable(rs, func(i, j int) bool {
		_, a, _ := P(&rs[i]).span()
		_, b, _ := P(&rs[j]).span()
		return a < b
	})
}

// maxOverlap is how many ranges starting at or below a code are tried:
// ranges should not overlap, and a lookup runs once per glyph.
const maxOverlap = 16

// findSpan returns the index of the range of length n holding v among
// rs (sorted by sortSpans): the one starting last at or below v, of the
// maxOverlap nearest; -1 when none holds it.
func findSpan[R any, P interface {
	*R
	span
}](rs []R, n int, v uint32) int {
	i := sort.Search(len(rs), func(i int) bool {
		_, lo, _ := P(&rs[i]).span()
		return lo > v
	})
	for j := i - 1; j >= 0 && j >= i-maxOverlap; j-- {
		if rn, _, hi := P(&rs[j]).span(); rn == n && v <= hi {
			return j
		}
	}
	return -1
}

// appendText appends the text of a code to dst, and reports false when
// the CMap has none. It allocates nothing beyond growing dst: it runs
// once per shown glyph.
func (m *cmap) appendText(dst []byte, code uint32, n int) ([]byte, bool) {
	if s, ok := m.uni[key(n, code)]; ok {
		return append(dst, s...), true
	}
	if j := findSpan(m.uniRng, n, code); j >= 0 {
		r := &m.uniRng[j]
		off := code - r.lo
		if r.inList {
			if int(off) < len(r.list) {
				return append(dst, r.list[off]...), true
			}
			return dst, false
		}
		// The base is valid UTF-8 (decoded from UTF-16): its last
		// character is incremented by the code's offset.
		last, size := utf8.DecodeLastRuneInString(r.base)
		if size == 0 {
			return dst, true
		}
		last += rune(off)
		if !utf8.ValidRune(last) {
			return dst, true
		}
		return utf8.AppendRune(append(dst, r.base[:len(r.base)-size]...), last), true
	}
	return dst, false
}

// cidOf maps a code to a CID with an encoding CMap; identity otherwise.
func (m *cmap) cidOf(code uint32, n int) uint32 {
	if m == nil {
		return code
	}
	if c, ok := m.cid[key(n, code)]; ok {
		return c
	}
	if j := findSpan(m.cidRng, n, code); j >= 0 {
		r := &m.cidRng[j]
		return r.cid + (code - r.lo)
	}
	if len(m.cid) > 0 || len(m.cidRng) > 0 {
		return 0
	}
	return code
}

// codeLen returns the length of the code at the start of s by the code
// space ranges (2 bytes without any).
func codeLen(space []codeRange, s []byte) int {
	if len(space) == 0 {
		return min(2, len(s))
	}
	for n := 1; n <= 4 && n <= len(s); n++ {
		c, _, _ := codeOf(s[:n])
		for _, r := range space {
			if r.n == n && c >= r.lo && c <= r.hi {
				return n
			}
		}
	}
	// Not in the code space: take the shortest length the CMap knows.
	short := 4
	for _, r := range space {
		short = min(short, r.n)
	}
	return max(1, min(short, len(s)))
}
