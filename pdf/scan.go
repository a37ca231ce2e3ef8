package pdf

import (
	"bytes"
	"sort"
	"sync"
)

// A reader that meets a broken cross-reference table (MuPDF, poppler)
// rebuilds it by scanning the whole file for "N G obj" headers, the last
// definition of each number winning, and takes the catalog from the last
// trailer. When that reading differs from what the cross-reference
// sections give, the same bytes show two documents. CrossCheck finds such
// differences.

// scanDefs is the result of one scan: every object header of the file by
// number (offsets ascending), and the candidates for the last trailer.
type scanDefs struct {
	defs     map[uint32][]int64
	trailers []int64 // offsets of "trailer" keywords
	xrefName []int64 // offsets of the name /XRef
	// objStmName are offsets of the name /ObjStm: rebuilding readers load
	// the object streams they find.
	objStmName []int64
	// byteRange are offsets of the name /ByteRange.
	byteRange []int64
	// all is every header offset, sorted.
	all []int64
}

// The scan reads the file in chunks of scanChunk bytes, each followed by
// the next scanOverlap bytes so that a keyword across two chunks is seen.
const (
	scanChunk   = 1 << 20
	scanOverlap = 64
)

// scanBuffers hold the scan's chunk buffers: every file of an archive is
// scanned, and a fresh buffer per file was a third of the bytes verifying
// allocated.
var scanBuffers = sync.Pool{New: func() any { b := make([]byte, scanChunk+scanOverlap); return &b }}

// scanFile finds every "N G obj" header, "trailer" keyword and /XRef name
// in the file, in one pass over it. Headers inside stream data are found
// too: some rebuilding readers see them.
func (s *shared) scanFile() *scanDefs {
	if s.scanned != nil {
		return s.scanned
	}
	sd := &scanDefs{defs: map[uint32][]int64{}}
	s.scanned = sd
	defer func() {
		for _, offs := range sd.defs {
			sd.all = append(sd.all, offs...)
		}
		sort.Slice(sd.all, func(i, j int) bool { return sd.all[i] < sd.all[j] })
	}()
	bp := scanBuffers.Get().(*[]byte)
	defer scanBuffers.Put(bp)
	buf := (*bp)[:min(scanChunk+scanOverlap, s.size)]
	const chunk = scanChunk
	for p := int64(0); p < s.size; p += chunk {
		n, _ := s.r.ReadAt(buf, p)
		if n <= 0 {
			break
		}
		b := buf[:n]
		limit := min(n, chunk) // matches starting in the overlap belong to the next chunk
		for j := 0; ; {
			i := bytes.Index(b[j:], []byte("obj"))
			if i < 0 {
				break
			}
			i += j
			j = i + 1
			if i+3 < n && !isSpace(b[i+3]) && !isDelim(b[i+3]) {
				continue
			}
			if num, at, ok := headerBefore(b, i); ok && at < limit {
				sd.defs[num] = append(sd.defs[num], p+int64(at))
			}
		}
		for j := 0; ; {
			i := bytes.Index(b[j:limit], []byte("trailer"))
			if i < 0 {
				break
			}
			i += j
			j = i + 1
			if (i == 0 || isSpace(b[i-1]) || isDelim(b[i-1])) && (i+7 >= n || isSpace(b[i+7]) || isDelim(b[i+7])) {
				sd.trailers = append(sd.trailers, p+int64(i))
			}
		}
		for j := 0; ; {
			i := bytes.Index(b[j:limit], []byte("/ByteRange"))
			if i < 0 {
				break
			}
			i += j
			j = i + 1
			sd.byteRange = append(sd.byteRange, p+int64(i))
		}
		for j := 0; ; {
			i := bytes.Index(b[j:limit], []byte("/ObjStm"))
			if i < 0 {
				break
			}
			i += j
			j = i + 1
			if i+7 >= n || isSpace(b[i+7]) || isDelim(b[i+7]) {
				sd.objStmName = append(sd.objStmName, p+int64(i))
			}
		}
		for j := 0; ; {
			i := bytes.Index(b[j:limit], []byte("/XRef"))
			if i < 0 {
				break
			}
			i += j
			j = i + 1
			if i+5 >= n || isSpace(b[i+5]) || isDelim(b[i+5]) {
				sd.xrefName = append(sd.xrefName, p+int64(i))
			}
		}
	}
	return sd
}

// skipBack moves k (an index into b) back over white space and comments,
// as a lexer reading forward would skip them. A comment runs from a '%'
// to the end of its line; a line that holds a '%' before k's end of line
// is treated as a comment from there.
func skipBack(b []byte, k int) int {
	for k >= 0 {
		if isSpace(b[k]) {
			if b[k] == '\n' || b[k] == '\r' {
				// The line before this end of line: a comment on it?
				j := k - 1
				for j >= 0 && b[j] != '\n' && b[j] != '\r' && b[j] != '%' {
					j--
				}
				if j >= 0 && b[j] == '%' {
					k = j - 1
					continue
				}
			}
			k--
			continue
		}
		return k
	}
	return k
}

// headerBefore checks that "obj" at b[i:] ends a header "N G obj" (white
// space and comments allowed between the tokens, as a lexer reads them)
// and returns N and the offset of its first digit.
func headerBefore(b []byte, i int) (uint32, int, bool) {
	k := skipBack(b, i-1)
	if k == i-1 || k < 0 || !isDigit(b[k]) {
		return 0, 0, false
	}
	for k >= 0 && isDigit(b[k]) {
		k--
	}
	sp := k
	k = skipBack(b, k)
	if k == sp || k < 0 || !isDigit(b[k]) {
		return 0, 0, false
	}
	end := k + 1
	for k >= 0 && isDigit(b[k]) {
		k--
	}
	start := k + 1
	if k >= 0 && b[k] == '+' {
		k-- // "+17 0 obj": a lexer reads a signed integer
	}
	if k >= 0 && !isSpace(b[k]) && !isDelim(b[k]) {
		return 0, 0, false
	}
	if end-start > 10 {
		return 0, 0, false
	}
	var n uint64
	for _, c := range b[start:end] {
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<32-1 {
		return 0, 0, false
	}
	return uint32(n), start, true
}

// CrossCheck compares the final revision as its cross-reference sections
// give it with what a reader that rebuilds the table from a scan of the
// file reads: for every object in use, the last definition in the file
// must be the one the sections give (or hold the same object); the last
// trailer must name the same catalog; and none of the object numbers in
// free (numbers the document refers to although they are free) may have a
// definition written after the section that last mentions it (free is
// called only when the file defines a number the final revision does not
// use). Each difference is recorded as an ambiguous IssueScanConflict and
// returned. It reads the whole file once.
func (d *Document) CrossCheck(free func() []uint32) ([]Issue, error) {
	s := d.s
	final := &Document{s: s}
	sd := s.scanFile()
	if err := s.rd.err; err != nil {
		return nil, &IOError{Err: err}
	}
	var out []Issue
	add := func(is Issue) {
		is.Kind, is.Ambiguous, is.section = IssueScanConflict, true, -1
		s.issue(is)
		out = append(out, is)
	}
	// The last trailer: a "trailer" dictionary or a cross-reference stream.
	last, lastAt := Dict(nil), int64(-1)
	for _, at := range sd.trailers {
		l := &lexer{r: newReader(s.r, at+7, s.size), maxTok: s.lim.MaxTokenLen}
		// A rebuilding reader takes the catalog from the last trailer that
		// names one.
		if o, err := l.parseObject(0, s.lim.MaxDepth, false); err == nil {
			if t, ok := o.(Dict); ok && at > lastAt && t["Root"] != nil {
				last, lastAt = t, at
			}
		}
	}
	all := sd.all
	for _, at := range sd.xrefName {
		obj := int64(-1)
		if i := sort.Search(len(all), func(i int) bool { return all[i] > at }); i > 0 {
			obj = all[i-1]
		}
		if obj < 0 || obj <= lastAt {
			continue
		}
		if o, _, _, err := d.parseIndirectAt(obj, 0, -1); err == nil {
			if st, ok := o.(*Stream); ok && st.Dict["Type"] == Name("XRef") && st.Dict["Root"] != nil {
				last, lastAt = st.Dict, obj
			}
		}
	}
	// Objects in object streams found in the file count where their stream
	// is.
	for _, at := range sd.objStmName {
		obj := int64(-1)
		if i := sort.Search(len(all), func(i int) bool { return all[i] > at }); i > 0 {
			obj = all[i-1]
		}
		if obj < 0 {
			continue
		}
		o, num, _, err := d.parseIndirectAt(obj, 0, -1)
		if err != nil {
			continue
		}
		if st, ok := o.(*Stream); !ok || st.Dict["Type"] != Name("ObjStm") {
			continue
		}
		os, err := d.loadObjStm(num, obj, -1)
		if err != nil {
			continue
		}
		for _, n := range os.nums {
			if !containsOffset(sd.defs[n], obj) {
				sd.defs[n] = append(sd.defs[n], obj)
				sort.Slice(sd.defs[n], func(a, b int) bool { return sd.defs[n][a] < sd.defs[n][b] })
			}
		}
	}
	tr := final.Trailer()
	if last != nil && (!Equal(last["Root"], tr["Root"]) || !Equal(last["Encrypt"], tr["Encrypt"])) {
		add(Issue{Offset: lastAt, Detail: issueDetail("the last trailer in the file, at %d, names catalog %s, but the cross-reference sections give %s", lastAt, Format(last["Root"]), Format(tr["Root"]))})
	}
	// Objects in use.
	nums := make([]uint32, 0, len(sd.defs))
	for n := range sd.defs {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for _, num := range nums {
		offs := sd.defs[num]
		winner := offs[len(offs)-1]
		e, sec, ok := final.lookupSection(num)
		if !ok || e.kind == entryFree {
			continue
		}
		ours := e.off
		if e.kind == entryCompressed {
			se, found := final.lookup(uint32(e.off))
			if !found || se.kind != entryOffset {
				continue
			}
			ours = se.off
		} else if !containsOffset(offs, ours) {
			// Our object was found near its offset (a repair): count it
			// where it was found.
			if alt := final.findObjectNear(Ref{Num: num, Gen: e.gen}, e.off); alt >= 0 {
				ours = alt
			}
		}
		if winner <= ours {
			continue
		}
		theirs, err := d.objectAt(num, winner)
		if err != nil {
			continue // a header that does not parse: a rebuilding reader drops it too
		}
		mine, err := final.Get(Ref{Num: num, Gen: e.gen})
		if e.kind == entryCompressed {
			mine, err = final.Get(Ref{Num: num})
		}
		if err != nil {
			continue
		}
		if same, _ := d.Same(mine, theirs); same || isXRefStream(mine) || isXRefStream(theirs) {
			continue
		}
		add(Issue{Object: num, Offset: winner, Detail: issueDetail("object %d is defined again at %d, after the definition the cross-reference section at %d gives; a reader that rebuilds the table from a scan reads that one", num, winner, s.sections[sec].offset)})
	}
	// References to free numbers.
	unused := false
	for num := range sd.defs {
		if !final.Has(num) {
			unused = true
			break
		}
	}
	if !unused || free == nil {
		return out, nil
	}
	for _, num := range free() {
		offs := sd.defs[num]
		if len(offs) == 0 {
			continue
		}
		mention := int64(-1)
		for _, sec := range s.sections { // newest first
			if _, ok := sec.entries[num]; ok {
				mention = sec.offset
				break
			}
		}
		if w := offs[len(offs)-1]; w > mention {
			add(Issue{Object: num, Offset: w, Detail: issueDetail("the document refers to object %d, which no cross-reference section gives, but the file defines it at %d; a reader that rebuilds the table from a scan finds it", num, w)})
		}
	}
	return out, nil
}

func containsOffset(offs []int64, x int64) bool {
	i := sort.Search(len(offs), func(i int) bool { return offs[i] >= x })
	return i < len(offs) && offs[i] == x
}

func isXRefStream(o Object) bool {
	st, ok := o.(*Stream)
	return ok && st.Dict["Type"] == Name("XRef")
}

// objectAt reads object num defined at off: by its header there, or, when
// an object stream starts there, from that stream.
func (d *Document) objectAt(num uint32, off int64) (Object, error) {
	o, n, _, err := d.parseIndirectAt(off, 0, -1)
	if err != nil {
		return nil, err
	}
	if n == num {
		return o, nil
	}
	if st, ok := o.(*Stream); ok && st.Dict["Type"] == Name("ObjStm") {
		os, err := d.loadObjStm(n, off, -1)
		if err != nil {
			return nil, err
		}
		for i, m := range os.nums {
			if m == num {
				return d.parseInStm(os, i)
			}
		}
	}
	return nil, malformed("object %d is not at %d", num, off)
}

// SignatureCandidates returns the numbers of the objects that may be
// signature dictionaries, in any revision: the objects whose definition in
// the file, or in an object stream, holds the name /ByteRange. It reads the
// whole file once (the scan CrossCheck uses too).
func (d *Document) SignatureCandidates() (map[uint32]bool, error) {
	s := d.s
	sd := s.scanFile()
	if err := s.rd.err; err != nil {
		return nil, &IOError{Err: err}
	}
	out := map[uint32]bool{}
	for _, at := range sd.byteRange {
		i := sort.Search(len(sd.all), func(i int) bool { return sd.all[i] > at })
		if i == 0 {
			continue
		}
		l := &lexer{r: newReader(s.r, sd.all[i-1], s.size), maxTok: 64}
		if t := l.next(); t.kind == tInt && t.i >= 0 && t.i <= 1<<32-1 {
			out[uint32(t.i)] = true
		}
	}
	for _, at := range sd.objStmName {
		i := sort.Search(len(sd.all), func(i int) bool { return sd.all[i] > at })
		if i == 0 {
			continue
		}
		obj := sd.all[i-1]
		o, num, _, err := d.parseIndirectAt(obj, 0, -1)
		if err != nil {
			continue
		}
		if st, ok := o.(*Stream); !ok || st.Dict["Type"] != Name("ObjStm") {
			continue
		}
		os, err := d.loadObjStm(num, obj, -1)
		if err != nil || !bytes.Contains(os.data, []byte("/ByteRange")) {
			continue
		}
		for k, n := range os.nums {
			from := os.first + os.offs[k]
			to := len(os.data)
			if k+1 < len(os.offs) && os.first+os.offs[k+1] > from {
				to = os.first + os.offs[k+1]
			}
			if from <= to && bytes.Contains(os.data[from:to], []byte("/ByteRange")) {
				out[n] = true
			}
		}
	}
	if err := s.rd.err; err != nil {
		return nil, &IOError{Err: err}
	}
	return out, nil
}
