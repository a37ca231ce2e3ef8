package attacks

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"segel/pdf"
)

// upd is an incremental update written byte by byte, so that a case can
// shape every byte of it: odd cross-reference forms, two bodies of one
// object, a wrong /Prev, no trailer at all. Offsets are absolute (from the
// start of the file).
type upd struct {
	b    []byte            // the whole file: base, then the appended bytes
	base int               // length of the base
	offs map[uint32]int64  // offset of the last "N G obj" written per number
	gens map[uint32]uint16 // generation written per number
	nums []uint32          // numbers written, first-write order
	next uint32            // next free object number
	prev int64             // startxref of the base
	tr   pdf.Dict          // trailer of the base's newest section
}

// newUpd starts an update of base (a complete PDF).
func newUpd(base []byte) *upd {
	doc := open(base)
	u := &upd{b: bytes.Clone(base), base: len(base), offs: map[uint32]int64{}, gens: map[uint32]uint16{},
		next: doc.MaxObjectNumber() + 1, prev: lastStartXref(base), tr: doc.Trailer()}
	if n := len(u.b); n > 0 && u.b[n-1] != '\n' && u.b[n-1] != '\r' {
		u.b = append(u.b, '\n')
	}
	return u
}

// lastStartXref returns the number after the last "startxref" of b.
func lastStartXref(b []byte) int64 {
	i := bytes.LastIndex(b, []byte("startxref"))
	if i < 0 {
		panic("attacks: no startxref")
	}
	f := strings.Fields(string(b[i+9 : min(len(b), i+40)]))
	if len(f) == 0 {
		panic("attacks: empty startxref")
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		panic("attacks: bad startxref: " + err.Error())
	}
	return n
}

// alloc reserves a new object number.
func (u *upd) alloc() uint32 {
	n := u.next
	u.next++
	return n
}

// at is the offset of the next byte written.
func (u *upd) at() int64 { return int64(len(u.b)) }

// raw appends bytes as they are.
func (u *upd) raw(s string) { u.b = append(u.b, s...) }

// put writes "num 0 obj body endobj" and records its offset.
func (u *upd) put(num uint32, body string) int64 { return u.putGen(num, 0, body) }

// putGen is put with a generation number.
func (u *upd) putGen(num uint32, gen uint16, body string) int64 {
	off := u.at()
	u.raw(fmt.Sprintf("%d %d obj\n%s\nendobj\n", num, gen, body))
	if _, ok := u.offs[num]; !ok {
		u.nums = append(u.nums, num)
	}
	u.offs[num], u.gens[num] = off, gen
	if num >= u.next {
		u.next = num + 1
	}
	return off
}

// record notes that object num (generation 0) was written at off by raw.
func (u *upd) record(num uint32, off int64) {
	if _, ok := u.offs[num]; !ok {
		u.nums = append(u.nums, num)
	}
	u.offs[num], u.gens[num] = off, 0
}

// add writes body as a new object and returns its number.
func (u *upd) add(body string) uint32 {
	n := u.alloc()
	u.put(n, body)
	return n
}

// xent is one cross-reference entry.
type xent struct {
	num  uint32
	off  int64
	gen  uint16
	free bool
}

// entries are the entries of the objects written, in number order.
func (u *upd) entries() []xent {
	var es []xent
	for _, n := range u.nums {
		es = append(es, xent{num: n, off: u.offs[n], gen: u.gens[n]})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].num < es[j].num })
	return es
}

// tableText formats a classic cross-reference table (without "xref")
// from entries in number order, one subsection per run of consecutive
// numbers; line formats one entry (it must include the end of line).
func tableText(es []xent, line func(e xent) string) string {
	var b strings.Builder
	for i := 0; i < len(es); {
		j := i
		for j+1 < len(es) && es[j+1].num == es[j].num+1 {
			j++
		}
		fmt.Fprintf(&b, "%d %d\n", es[i].num, j-i+1)
		for k := i; k <= j; k++ {
			b.WriteString(line(es[k]))
		}
		i = j + 1
	}
	return b.String()
}

// stdLine is the standard 20-byte entry.
func stdLine(e xent) string {
	if e.free {
		return fmt.Sprintf("%010d %05d f\r\n", e.off, e.gen)
	}
	return fmt.Sprintf("%010d %05d n\r\n", e.off, e.gen)
}

// trailerDict is the trailer of this update: /Size, /Prev, /Root, /Info and
// /ID from the base, then extra (PDF syntax) replacing keys it names.
func (u *upd) trailerDict(extra string) string {
	size := int64(u.next)
	if s, ok := u.tr["Size"].(pdf.Int); ok && int64(s) > size {
		size = int64(s)
	}
	keys := map[string]string{"Size": strconv.FormatInt(size, 10), "Prev": strconv.FormatInt(u.prev, 10)}
	for _, k := range []pdf.Name{"Root", "Info", "ID"} {
		if v, ok := u.tr[k]; ok {
			keys[string(k)] = pdf.Format(v)
		}
	}
	var b strings.Builder
	b.WriteString("<<")
	for _, k := range []string{"Size", "Root", "Info", "ID", "Prev"} {
		if v, ok := keys[k]; ok && !strings.Contains(extra, "/"+k+" ") {
			fmt.Fprintf(&b, " /%s %s", k, v)
		}
	}
	if extra != "" {
		b.WriteString(" " + extra)
	}
	b.WriteString(" >>")
	return b.String()
}

// finish writes the standard cross-reference table of the objects written,
// the trailer (with extra), startxref and %%EOF, and returns the file.
func (u *upd) finish(extra string) []byte {
	return u.finishTable(u.entries(), stdLine, extra)
}

// finishTable is finish with given entries and entry format.
func (u *upd) finishTable(es []xent, line func(xent) string, extra string) []byte {
	return u.finishText(tableText(es, line), extra, 0)
}

// finishText writes "xref", the given table text, the trailer with extra,
// and a startxref that names the table's offset plus shift.
func (u *upd) finishText(table, extra string, shift int64) []byte {
	x := u.at()
	u.raw("xref\n" + table + "trailer\n" + u.trailerDict(extra) + "\n")
	u.raw(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x+shift))
	return u.b
}

// ref formats an indirect reference to object n, generation 0.
func ref(n uint32) string { return fmt.Sprintf("%d 0 R", n) }

// stream formats a stream object body: dict is the dictionary's content
// without /Length.
func stream(dict, data string) string {
	return fmt.Sprintf("<<%s /Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
}

// open parses b, panicking (turned into the case's error) when it cannot.
func open(b []byte) *pdf.Document {
	doc, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		panic(fmt.Sprintf("attacks: open: %v", err))
	}
	return doc
}

// dictOf returns a copy of the dictionary of object num in the newest
// revision of b (the dictionary of a stream).
func dictOf(b []byte, num uint32) pdf.Dict {
	doc := open(b)
	d, err := doc.GetDict(pdf.Ref{Num: num})
	if err != nil || d == nil {
		panic(fmt.Sprintf("attacks: object %d is not a dictionary (%v)", num, err))
	}
	c := pdf.Dict{}
	for k, v := range d {
		c[k] = v
	}
	return c
}

// format writes d in PDF syntax, with keys in sorted order.
func format(d pdf.Dict) string { return pdf.Format(d) }

// inner returns the content of a formatted dictionary without "<<" ">>".
func inner(d pdf.Dict) string {
	s := format(d)
	return strings.TrimSuffix(strings.TrimPrefix(s, "<<"), ">>")
}

// with returns a copy of d with the given keys set (values are PDF objects)
// and the keys given a nil value removed.
func with(d pdf.Dict, kv ...any) pdf.Dict {
	c := pdf.Dict{}
	for k, v := range d {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := pdf.Name(kv[i].(string))
		if kv[i+1] == nil {
			delete(c, k)
			continue
		}
		c[k] = kv[i+1].(pdf.Object)
	}
	return c
}

// r returns a reference object to n.
func r(n uint32) pdf.Ref { return pdf.Ref{Num: n} }
