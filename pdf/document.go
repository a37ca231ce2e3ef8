package pdf

import (
	"bytes"
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
	// startxref is the value of the startxref keyword between the
	// section and its %%EOF, -1 if none.
	startxref int64
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
	// StartXRef is the offset the "startxref" before that marker gives
	// (what a reader of the file as it was at this revision starts from),
	// or -1 when there is none.
	StartXRef int64
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
	r         io.ReaderAt // rd, as a ReaderAt
	rd        *ioReader
	size      int64
	lim       Limits
	sections  []*section // newest first
	cache     map[xrefEntry]Object
	stms      map[int64]*objStm
	busy      map[xrefEntry]bool
	header    int64
	issues    []Issue
	revGroups [][2]int
	// scanned is the scan of the whole file, made once when needed.
	scanned *scanDefs
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
// Errors wrap ErrNotPDF, ErrMalformed, ErrLimit, ErrCycle, ErrEncrypted or,
// when r fails, ErrIO.
func Open(r io.ReaderAt, size int64, opts *Options) (*Document, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	rd := &ioReader{r: r, size: size}
	s := &shared{r: rd, rd: rd, size: size, lim: o.Limits.withDefaults(),
		cache: map[xrefEntry]Object{}, stms: map[int64]*objStm{}, busy: map[xrefEntry]bool{}}
	// Header: %PDF- within the first 1024 bytes.
	head := make([]byte, 1024)
	n, _ := s.r.ReadAt(head, 0)
	if rd.err != nil {
		return nil, &IOError{Err: rd.err}
	}
	i := bytes.Index(head[:n], []byte("%PDF-"))
	if i < 0 {
		return nil, fmt.Errorf("pdf: %w (no %%PDF- header)", ErrNotPDF)
	}
	s.header = int64(i)
	d := &Document{s: s}
	if err := d.openChain(); err != nil {
		return nil, s.ioFail(err)
	}
	if _, ok := s.sections[0].trailer["Encrypt"]; ok && !o.AllowEncrypted {
		return nil, fmt.Errorf("pdf: %w", ErrEncrypted)
	}
	return d, nil
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
		r := Revision{Index: gi, XRefOffset: newest.offset, XRefStream: newest.isStream, EOF: -1, StartXRef: -1, Trailer: newest.trailer}
		seen := map[uint32]bool{}
		for i := g[0]; i <= g[1]; i++ {
			sec := d.s.sections[i]
			if sec.eof > r.EOF {
				r.EOF, r.StartXRef = sec.eof, sec.startxref
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
	e, _, ok := d.lookupSection(num)
	return e, ok
}

// lookupSection also returns the index (in s.sections) of the section that
// holds the entry.
func (d *Document) lookupSection(num uint32) (xrefEntry, int, bool) {
	for i := d.view; i < len(d.s.sections); i++ {
		if e, ok := d.s.sections[i].entries[num]; ok {
			return e, i, true
		}
	}
	return xrefEntry{}, -1, false
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
// missing object is Null (as the PDF specification says), and so is an
// object whose cross-reference entry has another generation (see
// [Document.Entry] for reading by number, as lenient readers do).
func (d *Document) Get(ref Ref) (Object, error) {
	e, sec, ok := d.lookupSection(ref.Num)
	if !ok || e.kind == entryFree {
		return Null{}, nil
	}
	if e.kind == entryOffset && e.gen != ref.Gen {
		return Null{}, nil
	}
	secOff := d.s.sections[sec].offset
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
		o, err = d.getAt(ref, e, secOff)
	case entryCompressed:
		o, err = d.getCompressed(ref.Num, e, secOff)
	}
	if err != nil {
		return nil, d.s.ioFail(fmt.Errorf("pdf: object %v: %w", ref, err))
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
	// Gen is the generation of the object's cross-reference entry (0 for
	// objects in object streams).
	Gen uint16
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
	return Location{Ok: true, Offset: e.off, Gen: e.gen}
}

// Entry returns the in-use reference of object num in this view: its
// number with the generation of its cross-reference entry. Lenient
// readers (MuPDF among them) resolve a reference by number whatever its
// generation; Entry lets a caller do the same.
func (d *Document) Entry(num uint32) (Ref, bool) {
	e, ok := d.lookup(num)
	if !ok || e.kind == entryFree {
		return Ref{}, false
	}
	if e.kind == entryCompressed {
		return Ref{Num: num}, true
	}
	return Ref{Num: num, Gen: e.gen}, true
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
