package attacks

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// xrow is one row of a cross-reference stream: typ 1 is an object at
// offset off with generation gen; typ 2 an object in object stream off at
// index gen.
type xrow struct {
	num uint32
	typ int
	off int64
	gen uint16
}

// indexOf is the /Index array for rows in number order (runs of
// consecutive numbers).
func indexOf(rows []xrow) string {
	var parts []string
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1].num == rows[j].num+1 {
			j++
		}
		parts = append(parts, fmt.Sprintf("%d %d", rows[i].num, j-i+1))
		i = j + 1
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// finishXRefStream writes a cross-reference stream (/W [1 4 2], no
// filter) with the rows in the order given and the given /Index (computed
// from the rows when empty), the trailer entries (with extra), startxref
// and %%EOF.
func (u *upd) finishXRefStream(rows []xrow, index, extra string) []byte {
	if index == "" {
		index = indexOf(rows)
	}
	num := u.alloc()
	data := xrefRows(rows)
	x := u.at()
	tr := strings.TrimSuffix(strings.TrimPrefix(u.trailerDict(extra), "<<"), ">>")
	u.raw(fmt.Sprintf("%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index %s %s /Length %d >>\nstream\n", num, index, tr, len(data)))
	u.raw(string(data))
	u.raw(fmt.Sprintf("\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x))
	return u.b
}

// member is one object of an object stream.
type member struct {
	num  uint32
	body string
}

// objStm is the body of an object stream holding the members in order.
func objStm(ms []member) string {
	var head, data strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&head, "%d %d ", m.num, data.Len())
		data.WriteString(m.body + "\n")
	}
	h := head.String()
	return stream(fmt.Sprintf(" /Type /ObjStm /N %d /First %d", len(ms), len(h)), h+data.String())
}

// deflate compresses data with zlib (/FlateDecode).
func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// runLength encodes data for /RunLengthDecode (literal runs only).
func runLength(data []byte) []byte {
	var out []byte
	for len(data) > 0 {
		n := min(len(data), 128)
		out = append(out, byte(n-1))
		out = append(out, data[:n]...)
		data = data[n:]
	}
	return append(out, 128)
}

// objStmFlate is objStm compressed with /FlateDecode, so that no object
// header of its members appears in the file's bytes.
func objStmFlate(ms []member) string { return objStmFlateTyped(ms, " /Type /ObjStm") }

// objStmFlateTyped is objStmFlate with typ as the /Type entry ("" for
// none: readers that rebuild a damaged file do not recognise it as an
// object stream, readers that follow a cross-reference entry to it read
// it all the same).
func objStmFlateTyped(ms []member, typ string) string {
	var head, data strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&head, "%d %d ", m.num, data.Len())
		data.WriteString(m.body + "\n")
	}
	h := head.String()
	return stream(fmt.Sprintf("%s /N %d /First %d /Filter /FlateDecode", typ, len(ms), len(h)), string(deflate([]byte(h+data.String()))))
}

// xrefRows encodes rows for a cross-reference stream with /W [1 4 2].
func xrefRows(rows []xrow) []byte {
	var data []byte
	for _, r := range rows {
		data = append(data, byte(r.typ), byte(r.off>>24), byte(r.off>>16), byte(r.off>>8), byte(r.off), byte(r.gen>>8), byte(r.gen))
	}
	return data
}
