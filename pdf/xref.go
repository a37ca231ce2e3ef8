package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Reading the chain of cross-reference sections. Every repair and every
// ambiguity met on the way is recorded as an [Issue].

// findStartXref returns the offset named by the last "startxref" of the
// file (looked for in the last 4 KiB first, then further back) and where
// that keyword is.
func findStartXref(r io.ReaderAt, size int64) (off, at int64, err error) {
	from := max(size-4096, 0)
	i := lastIndex(r, from, size, []byte("startxref"))
	if i < 0 {
		i = lastIndex(r, 0, from+8, []byte("startxref"))
	}
	if i < 0 {
		return 0, -1, malformed("no startxref in the file (truncated?)")
	}
	l := &lexer{r: newReader(r, i+9, size), maxTok: 64}
	t := l.next()
	if t.kind != tInt || t.i < 0 || t.i >= size {
		return 0, i, malformed("startxref does not give a valid offset")
	}
	return t.i, i, nil
}

// openChain reads the revisions from the end of the file. When the section
// the file's last startxref names cannot be read (a damaged final update),
// it reads the chain from the newest earlier startxref that works and
// records the damage as an ambiguous issue: viewers rebuild such a file
// from a scan and may show objects no cross-reference section lists.
func (d *Document) openChain() error {
	s := d.s
	start, at, err := findStartXref(s.r, s.size)
	if err == nil {
		if err = d.readChain(start, -1); err == nil {
			return nil
		}
	}
	if errors.Is(err, ErrLimit) || s.rd.err != nil {
		return s.ioFail(err)
	}
	// Recover: try earlier startxref values, newest first.
	end := s.size
	if at >= 0 {
		end = at
	}
	for tries := 0; tries < 16; tries++ {
		i := lastIndex(s.r, 0, end, []byte("startxref"))
		if i < 0 {
			break
		}
		end = i
		l := &lexer{r: newReader(s.r, i+9, s.size), maxTok: 64}
		t := l.next()
		if t.kind != tInt || t.i <= s.header || t.i >= i {
			continue
		}
		s.sections, s.revGroups = nil, nil
		if d.readChain(t.i, -1) != nil {
			continue
		}
		eof := s.sections[0].eof
		s.issue(Issue{Kind: IssueDamaged, Ambiguous: true, section: -1, Offset: eof,
			Detail: issueDetail("the end of the file is damaged (%v); the bytes after offset %d do not form a readable revision", errSummary(err), eof)})
		return nil
	}
	s.sections, s.revGroups = nil, nil
	return err
}

func errSummary(err error) string {
	msg := err.Error()
	if len(msg) > 160 {
		msg = msg[:160] + "…"
	}
	return msg
}

// readChain reads the section at off and its /Prev chain. from is the
// offset of the section whose /Prev named off (-1 for startxref).
func (d *Document) readChain(off, from int64) error {
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
		sec, err := d.readSection(off, from)
		if err != nil {
			if len(s.sections) == 0 || fallbacks >= 16 || errors.Is(err, ErrLimit) {
				return fmt.Errorf("pdf: cross-reference section at offset %d: %w", off, err)
			}
			// A /Prev that points nowhere: use the section named by the
			// previous startxref in the file instead.
			newer := s.sections[len(s.sections)-1].offset
			fallbacks++
			alt := d.previousStartXref(newer)
			s.issue(Issue{Kind: IssueSectionOffset, section: newer, Offset: newer,
				Detail: issueDetail("/Prev %d of the cross-reference section at %d is not a cross-reference section; the one named by the previous startxref (%d) was used", off, newer, alt)})
			if alt < 0 || seen[alt] {
				return nil
			}
			off, from, guessed = alt, newer, true
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
					s.issue(Issue{Kind: IssueSectionOffset, section: sec.offset, Offset: sec.offset,
						Detail: issueDetail("/Prev %d of the cross-reference section at %d was replaced by %d, named by the previous startxref", p, sec.offset, alt)})
					off, from, guessed = alt, sec.offset, true
				}
			case int64(p) >= s.size:
				return malformed("/Prev %d points outside the file", p)
			default:
				off, from = int64(p), sec.offset
			}
		}
	}
	return nil
}

// previousStartXref returns the offset of the cross-reference section
// that most likely precedes the one at off: the nearest section before off
// named by a startxref, or starting with an "xref" keyword, that can be
// read; -1 if none. (Writers that get /Prev wrong often get the previous
// update's startxref wrong too.)
func (d *Document) previousStartXref(off int64) int64 {
	var cands []int64
	end := off
	for tries := 0; tries < 16; tries++ {
		i := lastIndex(d.s.r, 0, end, []byte("startxref"))
		if i < 0 {
			break
		}
		end = i
		l := &lexer{r: newReader(d.s.r, i+9, d.s.size), maxTok: 64}
		if t := l.next(); t.kind == tInt && t.i > d.s.header && t.i < off {
			cands = append(cands, t.i)
		}
	}
	end = off
	for tries := 0; tries < 16; tries++ {
		i := lastIndex(d.s.r, 0, end, []byte("xref"))
		if i < 0 {
			break
		}
		end = i
		var b [1]byte
		if i > 0 {
			if n, _ := d.s.r.ReadAt(b[:], i-1); n == 1 && !isSpace(b[0]) && !isDelim(b[0]) {
				continue // the end of "startxref"
			}
		}
		cands = append(cands, i)
	}
	sort.Slice(cands, func(a, b int) bool { return cands[a] > cands[b] })
	for _, c := range cands {
		if sec, err := d.parseSectionAt(c); err == nil && d.plausible(sec) {
			return c
		}
	}
	return -1
}

// plausible reports whether the first few in-use entries of a section
// found by a repair point at the objects they name: a section whose
// offsets are all wrong (written for another file layout) is no better
// than none.
func (d *Document) plausible(sec *section) bool {
	nums := make([]uint32, 0, len(sec.entries))
	for n, e := range sec.entries {
		if e.kind == entryOffset {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(a, b int) bool { return nums[a] < nums[b] })
	for i, n := range nums {
		if i == 8 {
			break
		}
		e := sec.entries[n]
		l := &lexer{r: newReader(d.s.r, e.off, d.s.size), maxTok: 64}
		a, _, kw := l.next(), l.next(), l.next()
		if a.kind != tInt || a.i != int64(n) || kw.kind != tKeyword || kw.s != "obj" {
			return false
		}
	}
	return true
}

// readSection reads the section at off; when there is none exactly there,
// the nearest one within 64 bytes, recorded as a repair of the pointer
// (startxref when from < 0, else the /Prev of the section at from).
func (d *Document) readSection(off, from int64) (*section, error) {
	sec, err := d.parseSectionAt(off)
	if err == nil || errors.Is(err, ErrLimit) || d.s.rd.err != nil {
		return sec, d.s.ioFail(err)
	}
	if d.sectionStartsAt(off) {
		// Something that begins like a section is exactly where the
		// pointer says, and cannot be read (an unsupported filter, a
		// broken stream): another section nearby is not what the pointer
		// means, and readers that can read this one would disagree.
		return nil, err
	}
	for _, c := range d.sectionCandidates(off) {
		sec2, err2 := d.parseSectionAt(c)
		if err2 != nil {
			continue
		}
		what := "startxref"
		at := sec2.offset
		if from >= 0 {
			what = fmt.Sprintf("/Prev of the cross-reference section at %d", from)
			at = from
		}
		d.s.issue(Issue{Kind: IssueSectionOffset, section: at, Offset: off,
			Detail: issueDetail("%s gives %d, but the cross-reference section is at %d", what, off, c)})
		return sec2, nil
	}
	return nil, err
}

// sectionStartsAt reports whether a cross-reference table keyword or an
// object header ("N G obj") starts at off, after white space.
func (d *Document) sectionStartsAt(off int64) bool {
	l := &lexer{r: newReader(d.s.r, off, d.s.size), maxTok: 64}
	t := l.next()
	if t.pos != off && !d.onlySpace(off, t.pos) {
		return false
	}
	if t.kind == tKeyword && t.s == "xref" {
		return true
	}
	g, kw := l.next(), l.next()
	return t.kind == tInt && g.kind == tInt && kw.kind == tKeyword && kw.s == "obj"
}

// sectionCandidates lists the offsets within 64 bytes of off where a
// cross-reference table ("xref" as a token) or an object header starts,
// nearest first.
func (d *Document) sectionCandidates(off int64) []int64 {
	from := max(off-64, 0)
	to := min(off+64, d.s.size)
	buf := make([]byte, to-from)
	n, _ := d.s.r.ReadAt(buf, from)
	buf = buf[:n]
	var out []int64
	tokenStart := func(i int) bool { return i == 0 || isSpace(buf[i-1]) || isDelim(buf[i-1]) }
	for i := 0; i < len(buf); i++ {
		if !tokenStart(i) || from+int64(i) == off {
			continue
		}
		if bytes.HasPrefix(buf[i:], []byte("xref")) && (i+4 == len(buf) || isSpace(buf[i+4])) {
			out = append(out, from+int64(i))
			continue
		}
		if isDigit(buf[i]) {
			// "N G obj"
			j := i
			for j < len(buf) && isDigit(buf[j]) {
				j++
			}
			k := j
			for k < len(buf) && isSpace(buf[k]) {
				k++
			}
			if k == j || k >= len(buf) || !isDigit(buf[k]) {
				continue
			}
			for k < len(buf) && isDigit(buf[k]) {
				k++
			}
			m := k
			for m < len(buf) && isSpace(buf[m]) {
				m++
			}
			if m > k && bytes.HasPrefix(buf[m:], []byte("obj")) {
				out = append(out, from+int64(i))
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return abs64(out[a]-off) < abs64(out[b]-off) })
	return out
}

// parseSectionAt reads a table or a cross-reference stream exactly at off.
func (d *Document) parseSectionAt(off int64) (*section, error) {
	l := &lexer{r: newReader(d.s.r, off, d.s.size), maxTok: 256}
	t := l.next()
	if t.pos != off && !d.onlySpace(off, t.pos) {
		return nil, malformed("no cross-reference table or stream at offset %d", off)
	}
	switch {
	case t.kind == tKeyword && t.s == "xref":
		return d.readTable(l, off)
	case t.kind == tInt:
		return d.readXrefStream(t.pos)
	}
	return nil, malformed("no cross-reference table or stream at offset %d", off)
}

// onlySpace reports whether the bytes in [from, to) are white space (not
// comments): every reader skips them alike.
func (d *Document) onlySpace(from, to int64) bool {
	if to < from || to-from > 64 {
		return false
	}
	b := make([]byte, to-from)
	if n, _ := d.s.r.ReadAt(b, from); int64(n) < to-from {
		return false
	}
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// entryForm reports whether a table entry whose tokens are a, b and kw is
// in the fixed form "nnnnnnnnnn ggggg n" followed by a two-byte end of
// line (checked by the caller through the next entry's position).
func entryForm(a, b, kw token) bool {
	return a.end-a.pos == 10 && b.pos == a.pos+11 && b.end-b.pos == 5 && kw.pos == a.pos+17 && kw.end == kw.pos+1
}

func (d *Document) readTable(l *lexer, off int64) (*section, error) {
	s := d.s
	sec := &section{offset: off, entries: map[uint32]xrefEntry{}}
	badForm := int64(-1) // offset of the first entry not in the fixed form
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
		prevKw := int64(-1)
		for k := int64(0); k < c.i; k++ {
			a, b, kw := l.next(), l.next(), l.next()
			if a.kind != tInt || b.kind != tInt || kw.kind != tKeyword || (kw.s != "n" && kw.s != "f") {
				return nil, malformed("bad cross-reference entry at %d", a.pos)
			}
			if badForm < 0 && (!entryForm(a, b, kw) || (prevKw >= 0 && a.pos != prevKw+3)) {
				badForm = a.pos
			}
			prevKw = kw.pos
			num := uint32(t.i + k)
			var e xrefEntry
			switch {
			case kw.s == "f":
				e = xrefEntry{kind: entryFree, gen: uint16(b.i)}
			case a.i <= 0 || a.i >= s.size:
				// Points nowhere: read as free, like other readers.
				s.issue(Issue{Kind: IssueEntryRange, section: off, Object: num, Offset: a.pos,
					Detail: issueDetail("the cross-reference entry of object %d points outside the file (%d); it was read as free", num, a.i)})
				e = xrefEntry{kind: entryFree}
			default:
				e = xrefEntry{kind: entryOffset, off: a.i, gen: uint16(b.i)}
			}
			sec.add(s, num, e, a.pos)
		}
		if prevKw >= 0 && badForm < 0 && !d.entryEOL(prevKw+1) {
			badForm = prevKw - 17
		}
	}
	if badForm >= 0 {
		s.issue(Issue{Kind: IssueEntryForm, section: off, Offset: badForm,
			Detail: issueDetail("the cross-reference table at %d has an entry at %d that is not in the fixed 20-byte form", off, badForm)})
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
	sec.startxref = startXrefBetween(s.r, l.r.pos(), sec.eof)
	// Hybrid file: entries of the /XRefStm stream fill in objects that the
	// table lists as free or not at all.
	if xs, ok := trailer["XRefStm"].(Int); ok && xs > 0 && int64(xs) < s.size {
		hs, err := d.readXrefStream(int64(xs))
		if err != nil {
			return nil, fmt.Errorf("/XRefStm: %w", err)
		}
		for n, e := range hs.entries {
			old, ok := sec.entries[n]
			switch {
			case !ok:
				sec.entries[n] = e
			case old.kind == entryFree && e.kind != entryFree:
				// The table says free, the stream gives the object: readers
				// that let the table's free entry stand (MuPDF) and readers
				// that let the stream fill it (poppler, this one) disagree.
				sec.entries[n] = e
				s.issue(Issue{Kind: IssueHybrid, Ambiguous: true, section: off, Object: n, Offset: int64(xs),
					Detail: issueDetail("object %d is free in the cross-reference table at %d but in use in its /XRefStm stream", n, off)})
			}
			// Otherwise the table's entry wins, in every reader.
		}
	}
	return sec, nil
}

// entryEOL reports whether the two bytes at off are an end-of-line pair of
// a cross-reference entry (SP CR, SP LF or CR LF).
func (d *Document) entryEOL(off int64) bool {
	var b [2]byte
	if n, _ := d.s.r.ReadAt(b[:], off); n < 2 {
		return false
	}
	switch string(b[:]) {
	case " \r", " \n", "\r\n":
		return true
	}
	return false
}

// add sets entry num of the section; a second, different entry for the
// same number is ambiguous (the first is kept).
func (sec *section) add(s *shared, num uint32, e xrefEntry, at int64) {
	old, dup := sec.entries[num]
	if !dup {
		sec.entries[num] = e
		return
	}
	if old != e {
		s.issue(Issue{Kind: IssueDuplicateEntry, Ambiguous: true, section: sec.offset, Object: num, Offset: at,
			Detail: issueDetail("object %d appears twice, with different entries, in the cross-reference section at %d", num, sec.offset)})
	}
}

// startXrefBetween returns the value of the last "startxref" in
// [from, to), or -1.
func startXrefBetween(r io.ReaderAt, from, to int64) int64 {
	if to <= from {
		return -1
	}
	i := lastIndex(r, from, to, []byte("startxref"))
	if i < 0 {
		return -1
	}
	l := &lexer{r: newReader(r, i+9, to), maxTok: 64}
	if t := l.next(); t.kind == tInt && t.i >= 0 {
		return t.i
	}
	return -1
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
	obj, _, _, err := d.parseIndirectAt(off, 0, off)
	if err != nil {
		return nil, err
	}
	st, ok := obj.(*Stream)
	if !ok {
		return nil, malformed("object at %d is not a cross-reference stream", off)
	}
	if t, _ := st.Dict["Type"].(Name); t != "XRef" {
		// MuPDF reads a stream with /W at a section's offset as a
		// cross-reference stream whatever its /Type; so must we, or the
		// two would read different documents.
		if _, hasW := st.Dict["W"]; !hasW || t != "" {
			return nil, malformed("stream at %d is not /Type /XRef", off)
		}
		s.issue(Issue{Kind: IssueSectionOffset, section: off, Offset: off,
			Detail: issueDetail("the cross-reference stream at %d has no /Type /XRef", off)})
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
			var e xrefEntry
			switch typ {
			case 0:
				e = xrefEntry{kind: entryFree, gen: uint16(f3)}
			case 1:
				if f2 <= 0 || f2 >= s.size {
					s.issue(Issue{Kind: IssueEntryRange, section: off, Object: num, Offset: off,
						Detail: issueDetail("the cross-reference stream entry of object %d points outside the file (%d); it was read as free", num, f2)})
					e = xrefEntry{kind: entryFree}
				} else {
					e = xrefEntry{kind: entryOffset, off: f2, gen: uint16(f3)}
				}
			case 2:
				e = xrefEntry{kind: entryCompressed, off: f2, index: int(f3)}
			default:
				continue // reserved types are read as null objects
			}
			sec.add(s, num, e, off)
		}
	}
	sec.eof = findEOF(s.r, st.Offset+st.Length, s.size)
	sec.startxref = startXrefBetween(s.r, st.Offset+st.Length, sec.eof)
	return sec, nil
}
