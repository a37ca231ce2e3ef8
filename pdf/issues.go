package pdf

import (
	"errors"
	"fmt"
	"io"
	"sort"
)

// IssueKind names one kind of deviation from the PDF syntax that the reader
// worked around or found ambiguous.
type IssueKind string

// Issue kinds. The comment says what the reader did.
const (
	// IssueSectionOffset: startxref or a /Prev does not point exactly at a
	// cross-reference section; the section was found nearby.
	IssueSectionOffset IssueKind = "section-offset"
	// IssueEntryForm: a cross-reference table entry is not in the fixed
	// 20-byte form (readers that read entries by position disagree with
	// readers that read tokens).
	IssueEntryForm IssueKind = "entry-form"
	// IssueEntryRange: an in-use entry points outside the file; it was read
	// as free.
	IssueEntryRange IssueKind = "entry-range"
	// IssueDuplicateEntry: one object number appears twice, with different
	// entries, in one cross-reference section (readers take the first or
	// the last).
	IssueDuplicateEntry IssueKind = "duplicate-entry"
	// IssueHybrid: a hybrid file's /XRefStm stream and its table give
	// different locations for one object.
	IssueHybrid IssueKind = "hybrid-conflict"
	// IssueObjectOffset: an object is not at the offset its entry gives; it
	// was found nearby.
	IssueObjectOffset IssueKind = "object-offset"
	// IssueGeneration: the object header's generation differs from its
	// cross-reference entry's (some readers accept the object, others do
	// not).
	IssueGeneration IssueKind = "generation"
	// IssueObjStmDuplicate: one object number appears twice, with different
	// contents, in one object stream.
	IssueObjStmDuplicate IssueKind = "objstm-duplicate"
	// IssueObjStmIndex: an entry's index in its object stream holds another
	// object number (readers that go by index and readers that go by number
	// disagree).
	IssueObjStmIndex IssueKind = "objstm-index"
	// IssueStreamLength: a stream's /Length is wrong; its end was found at
	// the next "endstream".
	IssueStreamLength IssueKind = "stream-length"
	// IssueDamaged: the cross-reference section that the end of the file
	// names cannot be read; the revisions were read from an earlier
	// startxref. Viewers rebuild such files from a scan.
	IssueDamaged IssueKind = "damaged"
	// IssueScanConflict: a reader that rebuilds the cross-reference table
	// from a scan of the file (as viewers do when the table is broken)
	// reads a different object, or a different trailer, than the
	// cross-reference sections give.
	IssueScanConflict IssueKind = "scan-conflict"
)

// Issue is one deviation the reader worked around (a repair: one reading
// remains) or found ambiguous (the bytes can be read in two ways that
// readers choose differently).
type Issue struct {
	Kind IssueKind
	// Ambiguous reports that two readings of the bytes exist.
	Ambiguous bool
	// Revision is the revision whose bytes hold the deviation; for
	// IssueDamaged it is the number of revisions (the damage lies after all
	// of them).
	Revision int
	// Object is the object number concerned, 0 for a whole section.
	Object uint32
	// Offset is where in the file the deviation is.
	Offset int64
	// Detail is one plain sentence.
	Detail string

	section int64 // offset of the cross-reference section, -1 if none
}

func (i Issue) String() string { return i.Detail }

// issue records one deviation, once.
func (s *shared) issue(is Issue) {
	for _, x := range s.issues {
		if x.Kind == is.Kind && x.section == is.section && x.Object == is.Object && x.Offset == is.Offset {
			return
		}
	}
	s.issues = append(s.issues, is)
}

// Issues returns every deviation recorded so far (objects are read on
// demand, so the list grows as the document is read), ordered by
// revision and offset.
func (d *Document) Issues() []Issue {
	out := make([]Issue, len(d.s.issues))
	copy(out, d.s.issues)
	for i := range out {
		switch {
		case out[i].Kind == IssueDamaged:
			out[i].Revision = len(d.s.groups())
		case out[i].section >= 0:
			out[i].Revision = d.s.revisionOfSection(out[i].section)
		default:
			out[i].Revision = len(d.s.groups()) - 1
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Revision != out[b].Revision {
			return out[a].Revision < out[b].Revision
		}
		return out[a].Offset < out[b].Offset
	})
	return out
}

// Ambiguities returns the ambiguous issues that decide how this view
// reads an object: object-level ambiguities whose cross-reference entry is
// the one this view uses for that object, section-level ones of sections
// in this view, and (for the final view) conflicts with a rebuilding
// reader and damage at the end of the file.
func (d *Document) Ambiguities() []Issue {
	var out []Issue
	for _, is := range d.Issues() {
		if !is.Ambiguous {
			continue
		}
		switch {
		case is.Kind == IssueDamaged || is.Kind == IssueScanConflict:
			if d.view != 0 {
				continue
			}
		case is.Object != 0:
			if _, sec, ok := d.lookupSection(is.Object); !ok || d.s.sections[sec].offset != is.section {
				continue
			}
		default:
			if idx := d.s.sectionIndex(is.section); idx < d.view {
				continue
			}
		}
		out = append(out, is)
	}
	return out
}

func (s *shared) sectionIndex(off int64) int {
	for i, sec := range s.sections {
		if sec.offset == off {
			return i
		}
	}
	return -1
}

func (s *shared) revisionOfSection(off int64) int {
	idx := s.sectionIndex(off)
	if idx < 0 {
		return len(s.groups()) - 1
	}
	for gi, g := range s.groups() {
		if idx >= g[0] && idx <= g[1] {
			return gi
		}
	}
	return len(s.groups()) - 1
}

// ErrIO means the file could not be read (a failing disk, a network file
// system): the document is neither valid nor invalid. Errors wrapping it
// are returned by [Open], [Document.Get] and the stream readers.
var ErrIO = errors.New("I/O error")

// IOError is an error of the underlying reader. It matches ErrIO.
type IOError struct{ Err error }

func (e *IOError) Error() string { return "pdf: reading the file: " + e.Err.Error() }

// Unwrap returns the reader's error.
func (e *IOError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrIO) true.
func (e *IOError) Is(target error) bool { return target == ErrIO }

// ioReader reads the file for a Document. It remembers the first error of
// the underlying reader other than io.EOF, so that a read error is never
// mistaken for malformed bytes, and it keeps the last blocks it read
// (blockSize each, at most maxBlocks: memory does not grow with the file),
// so that parsing many small objects costs neither a read nor a buffer
// each.
type ioReader struct {
	r      io.ReaderAt
	size   int64
	err    error
	blocks map[int64][]byte
	order  []int64 // block numbers, oldest first
}

const (
	blockSize = 4 << 10
	maxBlocks = 256
)

func (x *ioReader) note(err error) {
	if err != nil && !errors.Is(err, io.EOF) && x.err == nil {
		x.err = err
	}
}

// cached reports whether the kept blocks hold [off, off+n) (or up to the
// end of the file).
func (x *ioReader) cached(off, n int64) bool {
	end := min(off+n, x.size)
	for b := off / blockSize; b*blockSize < end; b++ {
		if _, ok := x.blocks[b]; !ok {
			return false
		}
	}
	return true
}

// block returns the block holding off.
func (x *ioReader) block(off int64) ([]byte, int64) {
	if off < 0 || off >= x.size {
		return nil, 0
	}
	n := off / blockSize
	start := n * blockSize
	if b, ok := x.blocks[n]; ok {
		return b, start
	}
	b := make([]byte, min(blockSize, x.size-start))
	m, err := x.r.ReadAt(b, start)
	x.note(err)
	if m <= 0 {
		return nil, 0
	}
	b = b[:m]
	if x.blocks == nil {
		x.blocks = map[int64][]byte{}
	}
	if len(x.order) >= maxBlocks {
		// Readers may still hold the evicted block: it is dropped, never
		// reused.
		delete(x.blocks, x.order[0])
		x.order = x.order[1:]
	}
	x.blocks[n] = b
	x.order = append(x.order, n)
	return b, start
}

// ReadAt copies from the blocks kept when they hold all of p; otherwise
// it reads directly (and keeps nothing: a lone small read, such as a
// check after a stream's data, should not load a block).
func (x *ioReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > blockSize || off < 0 || !x.cached(off, int64(len(p))) {
		n, err := x.r.ReadAt(p, off)
		x.note(err)
		return n, err
	}
	done := 0
	for done < len(p) {
		b, start := x.block(off + int64(done))
		if b == nil {
			if x.err != nil {
				return done, x.err
			}
			return done, io.EOF
		}
		done += copy(p[done:], b[off+int64(done)-start:])
	}
	return done, nil
}

// IOErr returns the first read error of the underlying reader, as an
// *IOError, or nil.
func (d *Document) IOErr() error {
	if d.s.rd.err != nil {
		return &IOError{Err: d.s.rd.err}
	}
	return nil
}

// ioFail replaces err by the read error when one happened: a parse that
// failed because the bytes could not be read is an I/O error, not a
// malformed file.
func (s *shared) ioFail(err error) error {
	if s.rd.err != nil {
		return &IOError{Err: s.rd.err}
	}
	return err
}

func issueDetail(format string, args ...any) string { return fmt.Sprintf(format, args...) }
