package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
)

type entryKind uint8

const (
	entryFree entryKind = iota
	entryOffset
	entryCompressed
)

// xrefEntry locates one object: at a file offset, or as the index-th object
// of object stream number stm.
type xrefEntry struct {
	kind  entryKind
	off   int64 // offset, or object stream number
	gen   uint16
	index int // index in the object stream
	// stmAt is the file offset of the object stream (set only for cache
	// keys of compressed objects).
	stmAt int64
}

type section struct {
	offset   int64
	trailer  Dict
	entries  map[uint32]xrefEntry
	isStream bool
	eof      int64 // offset just after the %%EOF that ends this section's revision, -1 if none
}

// Revision describes one saved state of the file: a cross-reference section
// and its trailer.
type Revision struct {
	// Index is 0 for the original file and grows with each update.
	Index int
	// XRefOffset is where the cross-reference section starts.
	XRefOffset int64
	// XRefStream reports whether the section is a cross-reference stream.
	XRefStream bool
	// EOF is the offset just after the "%%EOF" marker that ends this
	// revision, or -1 when no marker follows the section.
	EOF int64
	// Trailer is the revision's trailer dictionary (the cross-reference
	// stream's dictionary for stream sections).
	Trailer Dict
	// Objects lists the objects this revision defines (in use), and Freed
	// the ones it marks free, in increasing order.
	Objects, Freed []Ref
}

// Options configure [Open].
type Options struct {
	Limits Limits
	// AllowEncrypted opens encrypted files without decrypting them: the
	// structure, the object graph and unencrypted values (such as signature
	// /Contents and /ByteRange) can be read, strings and streams stay as
	// stored. Without it Open fails with ErrEncrypted.
	AllowEncrypted bool
}

type objStm struct {
	data  []byte
	first int
	nums  []uint32
	offs  []int
}

// shared is the state shared by all revision views of a document.
type shared struct {
	r         io.ReaderAt
	size      int64
	lim       Limits
	sections  []*section // newest first
	cache     map[xrefEntry]Object
	stms      map[int64]*objStm
	busy      map[xrefEntry]bool
	header    int64
	repairs   []string
	revGroups [][2]int
	// endstreams are the offsets of every "endstream" in the file, found
	// when a stream's /Length first needs recovering.
	endstreams []int64
}

// Document is an open PDF file, or a view of it at one revision.
type Document struct {
	s *shared
	// view is the index (in s.sections, newest first) of the newest section
	// visible in this view.
	view int
}

// Open reads the cross-reference sections of the PDF file r of the given
// size. r must stay readable and unchanged while the Document is used.
func Open(r io.ReaderAt, size int64, opts *Options) (*Document, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &shared{r: r, size: size, lim: o.Limits.withDefaults(),
		cache: map[xrefEntry]Object{}, stms: map[int64]*objStm{}, busy: map[xrefEntry]bool{}}
	// Header: %PDF- within the first 1024 bytes.
	head := make([]byte, 1024)
	n, _ := r.ReadAt(head, 0)
	i := bytes.Index(head[:n], []byte("%PDF-"))
	if i < 0 {
		return nil, fmt.Errorf("pdf: %w (no %%PDF- header)", ErrNotPDF)
	}
	s.header = int64(i)
	start, err := findStartXref(r, size)
	if err != nil {
		return nil, err
	}
	d := &Document{s: s}
	if err := d.readChain(start); err != nil {
		return nil, err
	}
	if _, ok := s.sections[0].trailer["Encrypt"]; ok && !o.AllowEncrypted {
		return nil, fmt.Errorf("pdf: %w", ErrEncrypted)
	}
	return d, nil
}

func findStartXref(r io.ReaderAt, size int64) (int64, error) {
	from := size - 4096
	if from < 0 {
		from = 0
	}
	i := lastIndex(r, from, size, []byte("startxref"))
	if i < 0 {
		return 0, malformed("no startxref near the end of the file (truncated?)")
	}
	l := &lexer{r: newReader(r, i+9, size), maxTok: 64}
	t := l.next()
	if t.kind != tInt || t.i < 0 || t.i >= size {
		return 0, malformed("startxref does not give a valid offset")
	}
	return t.i, nil
}

func (d *Document) readChain(off int64) error {
	s := d.s
	seen := map[int64]bool{}   // offsets asked for
	sectAt := map[int64]bool{} // offsets where sections were found
	fallbacks := 0
	guessed := false // off came from a repair, not from the file's own chain
	for off >= 0 {
		if seen[off] {
			if guessed {
				return nil // a repair led back into the chain: it ends here
			}
			return fmt.Errorf("pdf: %w: cross-reference sections /Prev loop at offset %d", ErrCycle, off)
		}
		seen[off] = true
		if len(s.sections) >= s.lim.MaxRevisions {
			return &LimitError{What: "number of cross-reference sections", Limit: int64(s.lim.MaxRevisions)}
		}
		sec, err := d.readSection(off)
		if err != nil {
			if len(s.sections) == 0 || fallbacks >= 16 {
				return fmt.Errorf("pdf: cross-reference section at offset %d: %w", off, err)
			}
			// A /Prev that points nowhere: use the section named by the
			// previous startxref in the file instead.
			newer := s.sections[len(s.sections)-1].offset
			fallbacks++
			alt := d.previousStartXref(newer)
			s.repairs = append(s.repairs, fmt.Sprintf("/Prev %d of the section at %d is not a cross-reference section; used %d", off, newer, alt))
			if alt < 0 || seen[alt] {
				return nil
			}
			off, guessed = alt, true
			continue
		}
		if sectAt[sec.offset] {
			// Found at an offset already read (an offset near a section is
			// resolved to it): the same section twice.
			if guessed {
				return nil
			}
			return fmt.Errorf("pdf: %w: cross-reference sections /Prev loop at offset %d", ErrCycle, sec.offset)
		}
		sectAt[sec.offset] = true
		s.sections = append(s.sections, sec)
		off, guessed = -1, false
		if p, ok := sec.trailer["Prev"].(Int); ok {
			switch {
			case int64(p) <= s.header:
				// "/Prev 0" is written by some tools to mean no previous
				// section; look for an earlier one anyway.
				if alt := d.previousStartXref(sec.offset); alt >= 0 && !seen[alt] && fallbacks < 16 {
					fallbacks++
					s.repairs = append(s.repairs, fmt.Sprintf("/Prev %d of the section at %d replaced by %d", p, sec.offset, alt))
					off, guessed = alt, true
				}
			case int64(p) >= s.size:
				return malformed("/Prev %d points outside the file", p)
			default:
				off = int64(p)
			}
		}
	}
	return nil
}

// previousStartXref returns the offset named by the last "startxref" before
// off, or -1.
func (d *Document) previousStartXref(off int64) int64 {
	end := off
	for tries := 0; tries < 16; tries++ {
		i := lastIndex(d.s.r, 0, end, []byte("startxref"))
		if i < 0 {
			return -1
		}
		end = i
		l := &lexer{r: newReader(d.s.r, i+9, d.s.size), maxTok: 64}
		t := l.next()
		if t.kind != tInt || t.i <= d.s.header || t.i >= i {
			continue
		}
		if _, err := d.readSection(t.i); err == nil {
			return t.i
		}
	}
	return -1
}

// Repairs lists the deviations from the PDF syntax that the reader worked
// around (a /Prev or an object offset that pointed to the wrong place).
func (d *Document) Repairs() []string { return append([]string(nil), d.s.repairs...) }

func (d *Document) readSection(off int64) (*section, error) {
	s := d.s
	l := &lexer{r: newReader(s.r, off, s.size), maxTok: 256}
	t := l.next()
	if t.kind == tKeyword && t.s == "xref" {
		return d.readTable(l, off)
	}
	if t.kind == tInt {
		if sec, err := d.readXrefStream(off); err == nil {
			return sec, nil
		}
	}
	// Some writers get startxref slightly wrong; look for "xref" nearby.
	near := off - 64
	if near < 0 {
		near = 0
	}
	if i := lastIndex(s.r, near, min(off+64, s.size), []byte("xref")); i >= 0 && i != off {
		l2 := &lexer{r: newReader(s.r, i, s.size), maxTok: 256}
		if t := l2.next(); t.kind == tKeyword && t.s == "xref" {
			s.repairs = append(s.repairs, fmt.Sprintf("cross-reference table expected at %d found at %d", off, i))
			return d.readTable(l2, i)
		}
	}
	return nil, malformed("no cross-reference table or stream at offset %d", off)
}

func (d *Document) readTable(l *lexer, off int64) (*section, error) {
	s := d.s
	sec := &section{offset: off, entries: map[uint32]xrefEntry{}}
	for {
		t := l.next()
		if l.err != nil {
			return nil, l.err
		}
		if t.kind == tKeyword && t.s == "trailer" {
			break
		}
		if t.kind != tInt {
			return nil, malformed("bad cross-reference subsection header at %d", t.pos)
		}
		c := l.next()
		if c.kind != tInt || t.i < 0 || c.i < 0 || c.i > int64(s.lim.MaxObjects)-t.i {
			if c.kind == tInt && c.i > int64(s.lim.MaxObjects)-t.i {
				return nil, &LimitError{What: "object number", Limit: int64(s.lim.MaxObjects)}
			}
			return nil, malformed("bad cross-reference subsection at %d", t.pos)
		}
		for k := int64(0); k < c.i; k++ {
			a, b, kw := l.next(), l.next(), l.next()
			if a.kind != tInt || b.kind != tInt || kw.kind != tKeyword || (kw.s != "n" && kw.s != "f") {
				return nil, malformed("bad cross-reference entry at %d", a.pos)
			}
			num := uint32(t.i + k)
			if _, dup := sec.entries[num]; dup {
				continue // first entry wins
			}
			if kw.s == "n" {
				if a.i <= 0 || a.i >= s.size {
					// Points nowhere: treat as free, like other readers.
					sec.entries[num] = xrefEntry{kind: entryFree}
					continue
				}
				sec.entries[num] = xrefEntry{kind: entryOffset, off: a.i, gen: uint16(b.i)}
			} else {
				sec.entries[num] = xrefEntry{kind: entryFree, gen: uint16(b.i)}
			}
		}
	}
	tr, err := l.parseObject(0, s.lim.MaxDepth, false)
	if err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	trailer, ok := tr.(Dict)
	if !ok {
		return nil, malformed("trailer is not a dictionary")
	}
	sec.trailer = trailer
	sec.eof = findEOF(s.r, l.r.pos(), s.size)
	// Hybrid file: entries of the /XRefStm stream fill in objects that the
	// table lists as free or not at all.
	if xs, ok := trailer["XRefStm"].(Int); ok && xs > 0 && int64(xs) < s.size {
		hs, err := d.readXrefStream(int64(xs))
		if err != nil {
			return nil, fmt.Errorf("/XRefStm: %w", err)
		}
		for n, e := range hs.entries {
			if old, ok := sec.entries[n]; !ok || old.kind == entryFree {
				sec.entries[n] = e
			}
		}
	}
	return sec, nil
}

// findEOF returns the offset just after the first %%EOF at or after off
// (including one end-of-line sequence), or -1.
func findEOF(r io.ReaderAt, off, size int64) int64 {
	const window = 1 << 16
	buf := make([]byte, 4096)
	for p := off; p < size && p < off+window; {
		n, _ := r.ReadAt(buf, p)
		if n <= 0 {
			return -1
		}
		if i := bytes.Index(buf[:n], []byte("%%EOF")); i >= 0 {
			e := p + int64(i) + 5
			var eol [2]byte
			m, _ := r.ReadAt(eol[:], e)
			if m >= 1 && eol[0] == '\r' {
				e++
				if m >= 2 && eol[1] == '\n' {
					e++
				}
			} else if m >= 1 && eol[0] == '\n' {
				e++
			}
			return e
		}
		if n < 5 {
			return -1
		}
		p += int64(n) - 4
	}
	return -1
}

func (d *Document) readXrefStream(off int64) (*section, error) {
	s := d.s
	obj, _, err := d.parseIndirectAt(off, 0)
	if err != nil {
		return nil, err
	}
	st, ok := obj.(*Stream)
	if !ok {
		return nil, malformed("object at %d is not a cross-reference stream", off)
	}
	if t, _ := st.Dict["Type"].(Name); t != "XRef" {
		return nil, malformed("stream at %d is not /Type /XRef", off)
	}
	data, err := d.decodeStream(st, s.lim.MaxDecoded)
	if err != nil {
		return nil, err
	}
	w, _ := st.Dict["W"].(Array)
	if len(w) != 3 {
		return nil, malformed("cross-reference stream /W must have 3 entries")
	}
	var ws [3]int
	for i := range ws {
		v, ok := w[i].(Int)
		if !ok || v < 0 || v > 8 {
			return nil, malformed("bad /W in cross-reference stream")
		}
		ws[i] = int(v)
	}
	rowLen := ws[0] + ws[1] + ws[2]
	if rowLen == 0 {
		return nil, malformed("cross-reference stream /W is all zero")
	}
	size, _ := st.Dict["Size"].(Int)
	var index []int64
	if ix, ok := st.Dict["Index"].(Array); ok {
		for _, v := range ix {
			n, ok := v.(Int)
			if !ok || n < 0 {
				return nil, malformed("bad /Index in cross-reference stream")
			}
			index = append(index, int64(n))
		}
		if len(index)%2 != 0 {
			return nil, malformed("odd /Index in cross-reference stream")
		}
	} else {
		index = []int64{0, int64(size)}
	}
	sec := &section{offset: off, trailer: st.Dict, entries: map[uint32]xrefEntry{}, isStream: true}
	pos := 0
	field := func(k int) int64 {
		var v int64
		for i := 0; i < ws[k]; i++ {
			v = v<<8 | int64(data[pos])
			pos++
		}
		return v
	}
	for i := 0; i < len(index); i += 2 {
		start, count := index[i], index[i+1]
		if count > int64(s.lim.MaxObjects)-start {
			return nil, &LimitError{What: "object number", Limit: int64(s.lim.MaxObjects)}
		}
		for k := int64(0); k < count; k++ {
			if pos+rowLen > len(data) {
				return nil, malformed("cross-reference stream too short")
			}
			typ := int64(1)
			if ws[0] > 0 {
				typ = field(0)
			}
			f2, f3 := field(1), field(2)
			num := uint32(start + k)
			if _, dup := sec.entries[num]; dup {
				continue
			}
			switch typ {
			case 0:
				sec.entries[num] = xrefEntry{kind: entryFree, gen: uint16(f3)}
			case 1:
				if f2 <= 0 || f2 >= s.size {
					sec.entries[num] = xrefEntry{kind: entryFree}
					continue
				}
				sec.entries[num] = xrefEntry{kind: entryOffset, off: f2, gen: uint16(f3)}
			case 2:
				sec.entries[num] = xrefEntry{kind: entryCompressed, off: f2, index: int(f3)}
			}
		}
	}
	sec.eof = findEOF(s.r, st.Offset+st.Length, s.size)
	return sec, nil
}

// Size is the length of the underlying file in bytes.
func (d *Document) Size() int64 { return d.s.size }

// ReaderAt returns the underlying reader.
func (d *Document) ReaderAt() io.ReaderAt { return d.s.r }

// Limits returns the limits in force for this document.
func (d *Document) Limits() Limits { return d.s.lim }

// Trailer returns the newest trailer dictionary visible in this view.
func (d *Document) Trailer() Dict { return d.s.sections[d.view].trailer }

// groups returns, oldest first, the ranges [newest, oldest] of section
// indices (newest first) that form one revision. A linearized file's
// first-page section, whose /Prev points forward to the main section, is
// part of the same revision as that section.
func (s *shared) groups() [][2]int {
	if s.revGroups != nil {
		return s.revGroups
	}
	var g [][2]int // newest first while building
	for i := 0; i < len(s.sections); i++ {
		g = append(g, [2]int{i, i})
	}
	// Only the oldest pair of a linearized file is merged: its first-page
	// section (newer in the chain, near the start of the file) and the
	// main section it points forward to. Merging anywhere else would let
	// a section planted inside signed bytes pass as part of a signed
	// revision.
	if n := len(s.sections); n >= 2 && s.linearized() && s.sections[n-2].offset < s.sections[n-1].offset {
		g = g[:n-1]
		g[n-2][1] = n - 1
	}
	for l, r := 0, len(g)-1; l < r; l, r = l+1, r-1 {
		g[l], g[r] = g[r], g[l]
	}
	s.revGroups = g
	return g
}

// linearized reports whether the first object of the file is a
// linearization dictionary.
func (s *shared) linearized() bool {
	buf := make([]byte, 1024)
	n, _ := s.r.ReadAt(buf, s.header)
	return bytes.Contains(buf[:n], []byte("/Linearized"))
}

// Revisions lists the revisions of the file, oldest first.
func (d *Document) Revisions() []Revision {
	groups := d.s.groups()
	out := make([]Revision, 0, len(groups))
	for gi, g := range groups {
		newest := d.s.sections[g[0]]
		r := Revision{Index: gi, XRefOffset: newest.offset, XRefStream: newest.isStream, EOF: -1, Trailer: newest.trailer}
		seen := map[uint32]bool{}
		for i := g[0]; i <= g[1]; i++ {
			sec := d.s.sections[i]
			if sec.eof > r.EOF {
				r.EOF = sec.eof
			}
			for num, e := range sec.entries {
				if seen[num] {
					continue
				}
				seen[num] = true
				ref := Ref{Num: num, Gen: e.gen}
				if e.kind == entryFree {
					if num != 0 {
						r.Freed = append(r.Freed, ref)
					}
				} else {
					if e.kind == entryCompressed {
						ref.Gen = 0
					}
					r.Objects = append(r.Objects, ref)
				}
			}
		}
		sortRefs(r.Objects)
		sortRefs(r.Freed)
		out = append(out, r)
	}
	return out
}

func sortRefs(rs []Ref) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Num < rs[j].Num })
}

// Revision returns a view of the document as it was saved in revision i
// (0 is the original file).
func (d *Document) Revision(i int) (*Document, error) {
	groups := d.s.groups()
	if i < 0 || i >= len(groups) {
		return nil, fmt.Errorf("pdf: no revision %d (the file has %d)", i, len(groups))
	}
	return &Document{s: d.s, view: groups[i][0]}, nil
}

// RevisionIndex is the index of the newest revision visible in this view.
func (d *Document) RevisionIndex() int {
	for gi, g := range d.s.groups() {
		if d.view >= g[0] && d.view <= g[1] {
			return gi
		}
	}
	return -1
}

// XRefStream reports whether the newest cross-reference section in this view
// is a stream.
func (d *Document) XRefStream() bool { return d.s.sections[d.view].isStream }

// StartXRef is the offset of the newest cross-reference section in this view.
func (d *Document) StartXRef() int64 { return d.s.sections[d.view].offset }

func (d *Document) lookup(num uint32) (xrefEntry, bool) {
	for i := d.view; i < len(d.s.sections); i++ {
		if e, ok := d.s.sections[i].entries[num]; ok {
			return e, true
		}
	}
	return xrefEntry{}, false
}

// Has reports whether object num is in use in this view.
func (d *Document) Has(num uint32) bool {
	e, ok := d.lookup(num)
	return ok && e.kind != entryFree
}

// MaxObjectNumber returns the largest object number defined in any
// revision.
func (d *Document) MaxObjectNumber() uint32 {
	var m uint32
	for _, sec := range d.s.sections {
		for n := range sec.entries {
			if n > m {
				m = n
			}
		}
	}
	if sz, ok := d.s.sections[0].trailer["Size"].(Int); ok && sz > 0 && int64(sz)-1 > int64(m) && int64(sz) <= int64(d.s.lim.MaxObjects) {
		m = uint32(sz - 1)
	}
	return m
}

// Get returns the object with the given reference in this view. A free or
// missing object is Null (as the PDF specification says).
func (d *Document) Get(ref Ref) (Object, error) {
	e, ok := d.lookup(ref.Num)
	if !ok || e.kind == entryFree {
		return Null{}, nil
	}
	if e.kind == entryOffset && e.gen != ref.Gen {
		return Null{}, nil
	}
	if e.kind == entryCompressed {
		// The same object stream number may be redefined in a later
		// revision: key compressed objects by where their stream is.
		se, found := d.lookup(uint32(e.off))
		if !found || se.kind != entryOffset {
			return nil, fmt.Errorf("pdf: object %v: %w", ref, malformed("object stream %d is missing or itself compressed", e.off))
		}
		// Key by the full object number (above the stream number, which
		// getCompressed reads from the low 32 bits).
		e.off = int64(uint32(e.off)) | int64(ref.Num)<<32
		e.stmAt = se.off
	}
	if o, ok := d.s.cache[e]; ok {
		return o, nil
	}
	if d.s.busy[e] {
		return nil, fmt.Errorf("pdf: %w: object %v refers to itself while being read", ErrCycle, ref)
	}
	// Reading an object can read others (an indirect /Length or /Filter,
	// an object stream), which a hostile file can chain as deep as it has
	// objects; bound the recursion.
	if len(d.s.busy) >= maxNestedReads {
		return nil, fmt.Errorf("pdf: object %v: %w", ref, &LimitError{What: "depth of nested object reads", Limit: maxNestedReads})
	}
	d.s.busy[e] = true
	defer delete(d.s.busy, e)
	var o Object
	var err error
	switch e.kind {
	case entryOffset:
		var num uint32
		o, num, err = d.parseIndirectAt(e.off, 0)
		if err == nil && num != ref.Num {
			err = malformed("object at offset %d is %d, expected %d", e.off, num, ref.Num)
		}
		if err != nil && !errors.Is(err, ErrLimit) {
			// Offsets that are a little off are common; look nearby.
			if alt := d.findObjectNear(ref, e.off); alt >= 0 {
				if o2, n2, err2 := d.parseIndirectAt(alt, 0); err2 == nil && n2 == ref.Num {
					d.s.repairs = append(d.s.repairs, fmt.Sprintf("object %v expected at %d found at %d", ref, e.off, alt))
					o, err = o2, nil
				}
			}
		}
	case entryCompressed:
		o, err = d.getCompressed(ref.Num, e)
	}
	if err != nil {
		return nil, fmt.Errorf("pdf: object %v: %w", ref, err)
	}
	d.s.cache[e] = o
	return o, nil
}

// maxNestedReads bounds how many object reads may be in progress at once.
const maxNestedReads = 64

// Location describes where an object is stored: at Offset in the file, or
// in object stream InStream. Ok is false for free or missing objects.
type Location struct {
	Ok       bool
	Offset   int64
	InStream uint32
}

// Locate reports where object num is stored in this view.
func (d *Document) Locate(num uint32) Location {
	e, ok := d.lookup(num)
	if !ok || e.kind == entryFree {
		return Location{}
	}
	if e.kind == entryCompressed {
		return Location{Ok: true, Offset: -1, InStream: uint32(e.off)}
	}
	return Location{Ok: true, Offset: e.off}
}

// Resolve follows indirect references until o is a direct object.
func (d *Document) Resolve(o Object) (Object, error) {
	for hops := 0; ; hops++ {
		r, ok := o.(Ref)
		if !ok {
			return o, nil
		}
		if hops > 32 {
			return nil, fmt.Errorf("pdf: %w: reference chain at %v", ErrCycle, r)
		}
		var err error
		if o, err = d.Get(r); err != nil {
			return nil, err
		}
	}
}

// GetDict resolves o and returns it as a dictionary (the dictionary of a
// stream); nil with no error when o is null or of another type.
func (d *Document) GetDict(o Object) (Dict, error) {
	o, err := d.Resolve(o)
	if err != nil {
		return nil, err
	}
	switch x := o.(type) {
	case Dict:
		return x, nil
	case *Stream:
		return x.Dict, nil
	}
	return nil, nil
}

// GetArray resolves o and returns it as an array; nil when it is not one.
func (d *Document) GetArray(o Object) (Array, error) {
	o, err := d.Resolve(o)
	if err != nil {
		return nil, err
	}
	a, _ := o.(Array)
	return a, nil
}

// Catalog returns the document catalog (/Root) of this view.
func (d *Document) Catalog() (Dict, error) {
	c, err := d.GetDict(d.Trailer()["Root"])
	if err != nil {
		return nil, fmt.Errorf("pdf: catalog: %w", err)
	}
	if c == nil {
		return nil, malformed("trailer has no /Root catalog dictionary")
	}
	return c, nil
}

// findObjectNear looks for "N G obj" within 1 KiB of off.
func (d *Document) findObjectNear(ref Ref, off int64) int64 {
	from := off - 1024
	if from < 0 {
		from = 0
	}
	to := off + 1024
	if to > d.s.size {
		to = d.s.size
	}
	buf := make([]byte, to-from)
	n, _ := d.s.r.ReadAt(buf, from)
	buf = buf[:n]
	pat := []byte(fmt.Sprintf("%d %d obj", ref.Num, ref.Gen))
	best := int64(-1)
	for i := 0; ; {
		j := bytes.Index(buf[i:], pat)
		if j < 0 {
			break
		}
		p := i + j
		if p == 0 || !isDigit(buf[p-1]) {
			c := from + int64(p)
			if best < 0 || abs64(c-off) < abs64(best-off) {
				best = c
			}
		}
		i = p + 1
	}
	return best
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// parseIndirectAt parses "N G obj ... endobj" at off.
func (d *Document) parseIndirectAt(off int64, depth int) (Object, uint32, error) {
	s := d.s
	if off < 0 || off >= s.size {
		return nil, 0, malformed("object offset %d outside the file", off)
	}
	l := &lexer{r: newReader(s.r, off, s.size), maxTok: s.lim.MaxTokenLen}
	n, g, kw := l.next(), l.next(), l.next()
	if n.kind != tInt || g.kind != tInt || kw.kind != tKeyword || kw.s != "obj" || n.i < 0 || n.i > 1<<32-1 {
		if l.err != nil {
			return nil, 0, l.err
		}
		return nil, 0, malformed("no object header at offset %d", off)
	}
	o, err := l.parseObject(0, s.lim.MaxDepth, true)
	if err != nil {
		return nil, 0, err
	}
	t := l.next()
	if t.kind == tKeyword && t.s == "stream" {
		dict, ok := o.(Dict)
		if !ok {
			return nil, 0, malformed("stream without dictionary at %d", off)
		}
		// The keyword is followed by CRLF or LF (a lone CR is tolerated).
		r := l.r
		r.seek(t.end)
		if c, _ := r.peek(); c == '\r' {
			r.i++
		}
		if c, _ := r.peek(); c == '\n' {
			r.i++
		}
		start := r.pos()
		length := int64(-1)
		switch lv := dict["Length"].(type) {
		case Int:
			length = int64(lv)
		case Ref:
			if depth < 4 {
				if v, err := d.Get(lv); err == nil {
					if iv, ok := v.(Int); ok {
						length = int64(iv)
					}
				}
			}
		}
		if length < 0 || start+length > s.size || !hasEndstream(s.r, start+length, s.size) {
			// Recover: find "endstream".
			e := s.endstreamAfter(start)
			if e < 0 {
				return nil, 0, malformed("stream at %d has no endstream", off)
			}
			// Drop the end-of-line before endstream.
			length = e - start
			var eol [2]byte
			if length >= 2 {
				s.r.ReadAt(eol[:], e-2)
				if eol[0] == '\r' && eol[1] == '\n' {
					length -= 2
				} else if eol[1] == '\n' || eol[1] == '\r' {
					length--
				}
			}
		}
		return &Stream{Dict: dict, Offset: start, Length: length}, uint32(n.i), nil
	}
	return o, uint32(n.i), nil
}

func hasEndstream(r io.ReaderAt, off, size int64) bool {
	var b [32]byte
	n, _ := r.ReadAt(b[:], off)
	t := bytes.TrimLeft(b[:n], "\r\n \t\f\x00")
	return bytes.HasPrefix(t, []byte("endstream"))
}

// endstreamAfter returns the offset of the first "endstream" at or after
// from, or -1. The first call finds every "endstream" of the file in one
// pass, so that many streams with a wrong /Length cost linear, not
// quadratic, time.
func (s *shared) endstreamAfter(from int64) int64 {
	if s.endstreams == nil {
		s.endstreams = []int64{}
		pat := []byte("endstream")
		buf := make([]byte, 64<<10)
		for p := int64(0); p < s.size; {
			n, _ := s.r.ReadAt(buf, p)
			if int64(n) > s.size-p {
				n = int(s.size - p)
			}
			if n < len(pat) {
				break
			}
			for j := 0; ; {
				i := bytes.Index(buf[j:n], pat)
				if i < 0 {
					break
				}
				s.endstreams = append(s.endstreams, p+int64(j+i))
				j += i + 1
			}
			p += int64(n - len(pat) + 1)
		}
	}
	i := sort.Search(len(s.endstreams), func(i int) bool { return s.endstreams[i] >= from })
	if i == len(s.endstreams) {
		return -1
	}
	return s.endstreams[i]
}

func (d *Document) getCompressed(num uint32, e xrefEntry) (Object, error) {
	s := d.s
	stmNum := uint32(e.off)
	os, ok := s.stms[e.stmAt]
	if !ok {
		se, found := d.lookup(stmNum)
		if !found || se.kind != entryOffset {
			return nil, malformed("object stream %d is missing or itself compressed", stmNum)
		}
		obj, n, err := d.parseIndirectAt(se.off, 0)
		if err != nil {
			return nil, fmt.Errorf("object stream %d: %w", stmNum, err)
		}
		st, isStream := obj.(*Stream)
		if !isStream || n != stmNum {
			return nil, malformed("object stream %d is not a stream", stmNum)
		}
		data, err := d.decodeStream(st, s.lim.MaxDecoded)
		if err != nil {
			return nil, fmt.Errorf("object stream %d: %w", stmNum, err)
		}
		cnt, _ := st.Dict["N"].(Int)
		first, _ := st.Dict["First"].(Int)
		if cnt < 0 || int64(cnt) > int64(s.lim.MaxObjects) || first < 0 || int64(first) > int64(len(data)) {
			return nil, malformed("object stream %d has bad /N or /First", stmNum)
		}
		os = &objStm{data: data, first: int(first)}
		l := &lexer{r: newReader(bytes.NewReader(data), 0, int64(first)), maxTok: 64}
		for i := 0; i < int(cnt); i++ {
			a, b := l.next(), l.next()
			if a.kind != tInt || b.kind != tInt || a.i < 0 || b.i < 0 || a.i > 1<<32-1 || int64(first)+b.i > int64(len(data)) {
				return nil, malformed("object stream %d has a bad header", stmNum)
			}
			os.nums = append(os.nums, uint32(a.i))
			os.offs = append(os.offs, int(b.i))
		}
		s.stms[e.stmAt] = os
	}
	if e.index < 0 || e.index >= len(os.nums) || os.nums[e.index] != num {
		// Be lenient: find the object by number.
		found := false
		for i, n := range os.nums {
			if n == num {
				e.index, found = i, true
				break
			}
		}
		if !found {
			return nil, malformed("object %d not in object stream %d", num, stmNum)
		}
	}
	start := int64(os.first + os.offs[e.index])
	l := &lexer{r: newReader(bytes.NewReader(os.data), start, int64(len(os.data))), maxTok: s.lim.MaxTokenLen}
	o, err := l.parseObject(0, s.lim.MaxDepth, false)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// RawStream returns a reader of the stream's encoded bytes.
func (d *Document) RawStream(st *Stream) io.Reader {
	if st.data != nil || st.Offset < 0 {
		return bytes.NewReader(st.data)
	}
	return io.NewSectionReader(d.s.r, st.Offset, st.Length)
}

// StreamData returns the decoded data of st, up to the document's
// MaxDecoded limit.
func (d *Document) StreamData(st *Stream) ([]byte, error) {
	return d.decodeStream(st, d.s.lim.MaxDecoded)
}

func (d *Document) decodeStream(st *Stream, max int64) ([]byte, error) {
	rd, err := d.StreamReader(st)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rd); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// errUnsupportedFilter is returned for filters the reader does not decode.
var errUnsupportedFilter = errors.New("unsupported filter")
