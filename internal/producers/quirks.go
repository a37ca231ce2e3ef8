package producers

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"segel/pdf"
)

// DupMode says how [DuplicateField] makes a field reachable twice.
type DupMode int

const (
	// ListedTwice lists the same field object twice in the AcroForm's
	// /Fields (reported for files from form designers and merging tools;
	// no tool installed here writes it).
	ListedTwice DupMode = iota
	// RootAndKid lists the field in /Fields and also as a kid of a new
	// grouping node (no /T, no /FT) that /Fields lists too; the field's
	// /Parent names the group: a /Fields array that names a field which
	// has a /Parent, a shape reported in real files (not reproduced with
	// a tool installed here).
	RootAndKid
	// TwoParents moves the field under two grouping nodes (no /T) that
	// both list it in their /Kids; /Fields lists the two nodes and no
	// longer the field itself. Its fully qualified name is unchanged.
	TwoParents
)

// String names the mode.
func (m DupMode) String() string {
	switch m {
	case ListedTwice:
		return "listed-twice"
	case RootAndKid:
		return "root-and-kid"
	case TwoParents:
		return "two-parents"
	}
	return "dup-" + strconv.Itoa(int(m))
}

// DuplicateField appends an update to the (unsigned) document in that
// makes the top-level field named field reachable twice in the field tree,
// in the way mode says. The field keeps its fully qualified name.
func DuplicateField(in []byte, field string, mode DupMode) ([]byte, error) {
	doc, err := open(in)
	if err != nil {
		return nil, err
	}
	u := doc.NewUpdate()
	af, store, err := acroForm(doc, u)
	if err != nil {
		return nil, err
	}
	if _, isRef := af["Fields"].(pdf.Ref); isRef {
		return nil, errors.New("producers: an indirect /Fields array is not supported")
	}
	fields, _ := af["Fields"].(pdf.Array)
	ref, fd, err := fieldRef(doc, field)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, f := range fields {
		if f == pdf.Object(ref) {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("producers: %q is not a top-level field", field)
	}
	out := append(pdf.Array{}, fields...)
	switch mode {
	case ListedTwice:
		out = append(out, ref)
	case RootAndKid:
		group := u.Add(pdf.Dict{"Kids": pdf.Array{ref}})
		fd["Parent"] = group
		u.Set(ref, fd)
		out = append(out, group)
	case TwoParents:
		g1, g2 := u.Alloc(), u.Alloc()
		u.Set(g1, pdf.Dict{"Kids": pdf.Array{ref}})
		u.Set(g2, pdf.Dict{"Kids": pdf.Array{ref}})
		fd["Parent"] = g1
		u.Set(ref, fd)
		out = append(out[:idx:idx], out[idx+1:]...)
		out = append(out, g1, g2)
	default:
		return nil, fmt.Errorf("producers: unknown mode %d", mode)
	}
	af["Fields"] = out
	store(af)
	b, _, err := appendUpdate(in, u)
	return b, err
}

var startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s*%%EOF\s*$`)

// ShiftStartXref moves the offset after the last "startxref" of b by
// delta bytes (the file is otherwise unchanged, and keeps its length while
// the number keeps its width): the sloppy producer whose startxref points
// a few bytes before or after "xref" (or, in a file with a cross-reference
// stream, before or after "N 0 obj" of the stream), as left by writers
// that count offsets wrongly. With a classic table qpdf repairs it with a
// warning and MuPDF reads it; with a cross-reference stream only MuPDF
// reads it (repairing: it will not save such a file incrementally), while
// qpdf 11.3, poppler 22.12 and PoDoFo 0.9.8 fail.
func ShiftStartXref(b []byte, delta int) ([]byte, error) {
	m := startxrefRE.FindSubmatchIndex(b)
	if m == nil {
		return nil, errors.New("producers: no startxref at the end of the file")
	}
	off, err := strconv.Atoi(string(b[m[2]:m[3]]))
	if err != nil {
		return nil, err
	}
	if off+delta < 0 || off+delta >= len(b) {
		return nil, fmt.Errorf("producers: startxref %d%+d is outside the file", off, delta)
	}
	var out bytes.Buffer
	out.Write(b[:m[2]])
	out.WriteString(strconv.Itoa(off + delta))
	out.Write(b[m[3]:])
	return out.Bytes(), nil
}

// ShiftPrev moves the /Prev offset of the newest trailer (or cross-
// reference stream dictionary) of b by delta bytes, keeping its width by
// padding with spaces: an incremental update whose /Prev is a few bytes
// off, so the previous section (a table or a cross-reference stream) is
// not exactly where it says.
func ShiftPrev(b []byte, delta int) ([]byte, error) {
	re := regexp.MustCompile(`/Prev\s+(\d+)`)
	locs := re.FindAllSubmatchIndex(b, -1)
	if len(locs) == 0 {
		return nil, errors.New("producers: no /Prev")
	}
	m := locs[len(locs)-1]
	off, err := strconv.Atoi(string(b[m[2]:m[3]]))
	if err != nil {
		return nil, err
	}
	s := strconv.Itoa(off + delta)
	width := m[3] - m[2]
	if len(s) > width || off+delta < 0 {
		return nil, errors.New("producers: the shifted /Prev does not fit")
	}
	for len(s) < width {
		s += " "
	}
	out := append([]byte(nil), b...)
	copy(out[m[2]:], s)
	return out, nil
}
