package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Reading objects: at a file offset or from an object stream.

// getAt reads object ref whose entry e (of the section at secOff) gives a
// file offset. An object found near, not at, its offset is a repair; an
// object header with another generation than the entry's is ambiguous.
func (d *Document) getAt(ref Ref, e xrefEntry, secOff int64) (Object, error) {
	o, num, gen, err := d.parseIndirectAt(e.off, 0, secOff)
	if err == nil && num != ref.Num {
		err = malformed("object at offset %d is %d, expected %d", e.off, num, ref.Num)
	}
	if err != nil && !errors.Is(err, ErrLimit) && d.s.rd.err == nil {
		// Offsets that are a little off are common; look nearby.
		if alt := d.findObjectNear(ref, e.off); alt >= 0 {
			if o2, n2, g2, err2 := d.parseIndirectAt(alt, 0, secOff); err2 == nil && n2 == ref.Num {
				d.s.issue(Issue{Kind: IssueObjectOffset, section: secOff, Object: ref.Num, Offset: e.off,
					Detail: issueDetail("object %d is not at offset %d, where its cross-reference entry puts it, but at %d", ref.Num, e.off, alt)})
				o, gen, err = o2, g2, nil
			}
		}
	}
	if err == nil && gen != e.gen {
		d.s.issue(Issue{Kind: IssueGeneration, Ambiguous: true, section: secOff, Object: ref.Num, Offset: e.off,
			Detail: issueDetail("the object at offset %d is \"%d %d obj\", but its cross-reference entry has generation %d", e.off, ref.Num, gen, e.gen)})
	}
	return o, err
}

// findObjectNear looks for "N G obj" within 1 KiB of off.
func (d *Document) findObjectNear(ref Ref, off int64) int64 {
	from := max(off-1024, 0)
	to := min(off+1024, d.s.size)
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

// parseIndirectAt parses "N G obj ... endobj" at off. secOff names the
// cross-reference section the object was reached through, for issues.
func (d *Document) parseIndirectAt(off int64, depth int, secOff int64) (Object, uint32, uint16, error) {
	s := d.s
	if off < 0 || off >= s.size {
		return nil, 0, 0, malformed("object offset %d outside the file", off)
	}
	l := &lexer{r: newReader(s.r, off, s.size), maxTok: s.lim.MaxTokenLen}
	n, g, kw := l.next(), l.next(), l.next()
	if n.kind != tInt || g.kind != tInt || kw.kind != tKeyword || kw.s != "obj" || n.i < 0 || n.i > 1<<32-1 || g.i < 0 || g.i > 65535 {
		if l.err != nil {
			return nil, 0, 0, l.err
		}
		return nil, 0, 0, malformed("no object header at offset %d", off)
	}
	o, err := l.parseObject(0, s.lim.MaxDepth, true)
	if err != nil {
		return nil, 0, 0, err
	}
	t := l.next()
	if t.kind == tKeyword && t.s == "stream" {
		dict, ok := o.(Dict)
		if !ok {
			return nil, 0, 0, malformed("stream without dictionary at %d", off)
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
				return nil, 0, 0, malformed("stream at %d has no endstream", off)
			}
			// Drop the end-of-line before endstream.
			given := length
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
			s.issue(Issue{Kind: IssueStreamLength, section: secOff, Object: uint32(n.i), Offset: start,
				Detail: issueDetail("the stream of object %d has /Length %d, but its data ends after %d bytes, at the next endstream", n.i, given, length)})
		}
		return &Stream{Dict: dict, Offset: start, Length: length}, uint32(n.i), uint16(g.i), nil
	}
	return o, uint32(n.i), uint16(g.i), nil
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

// loadObjStm reads and indexes object stream stmNum (at file offset at).
func (d *Document) loadObjStm(stmNum uint32, at, secOff int64) (*objStm, error) {
	s := d.s
	if os, ok := s.stms[at]; ok {
		return os, nil
	}
	obj, n, _, err := d.parseIndirectAt(at, 0, secOff)
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
	os := &objStm{data: data, first: int(first)}
	l := &lexer{r: newReader(bytes.NewReader(data), 0, int64(first)), maxTok: 64}
	for i := 0; i < int(cnt); i++ {
		a, b := l.next(), l.next()
		if a.kind != tInt || b.kind != tInt || a.i < 0 || b.i < 0 || a.i > 1<<32-1 || int64(first)+b.i > int64(len(data)) {
			return nil, malformed("object stream %d has a bad header", stmNum)
		}
		os.nums = append(os.nums, uint32(a.i))
		os.offs = append(os.offs, int(b.i))
	}
	s.stms[at] = os
	return os, nil
}

// parseAt parses the object at index i of the object stream.
func (d *Document) parseInStm(os *objStm, i int) (Object, error) {
	start := int64(os.first + os.offs[i])
	l := &lexer{r: newReader(bytes.NewReader(os.data), start, int64(len(os.data))), maxTok: d.s.lim.MaxTokenLen}
	return l.parseObject(0, d.s.lim.MaxDepth, false)
}

func (d *Document) getCompressed(num uint32, e xrefEntry, secOff int64) (Object, error) {
	stmNum := uint32(e.off)
	os, err := d.loadObjStm(stmNum, e.stmAt, secOff)
	if err != nil {
		return nil, err
	}
	// Every index that holds num: more than one with different contents,
	// or an entry index that holds another number, is ambiguous.
	var at []int
	for i, n := range os.nums {
		if n == num {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil, malformed("object %d not in object stream %d", num, stmNum)
	}
	idx := at[0]
	if e.index >= 0 && e.index < len(os.nums) && os.nums[e.index] == num {
		idx = e.index
	} else {
		d.s.issue(Issue{Kind: IssueObjStmIndex, Ambiguous: true, section: secOff, Object: num, Offset: e.stmAt,
			Detail: issueDetail("the cross-reference entry of object %d names index %d of object stream %d, which holds another object; the object was found by its number", num, e.index, stmNum)})
	}
	o, err := d.parseInStm(os, idx)
	if err != nil {
		return nil, err
	}
	for _, j := range at {
		if j == idx {
			continue
		}
		if o2, err2 := d.parseInStm(os, j); err2 != nil || !Equal(o, o2) {
			d.s.issue(Issue{Kind: IssueObjStmDuplicate, Ambiguous: true, section: secOff, Object: num, Offset: e.stmAt,
				Detail: issueDetail("object %d appears twice, with different contents, in object stream %d", num, stmNum)})
			break
		}
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
		return nil, d.s.ioFail(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rd); err != nil {
		return nil, d.s.ioFail(err)
	}
	return buf.Bytes(), nil
}

// errUnsupportedFilter is returned for filters the reader does not decode.
var errUnsupportedFilter = errors.New("unsupported filter")
