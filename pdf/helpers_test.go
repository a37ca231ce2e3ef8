package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// pdfWriter assembles small PDF files by hand for tests, keeping track of
// object offsets so that correct (or deliberately wrong) cross-reference
// sections can be written.
type pdfWriter struct {
	b    bytes.Buffer
	offs map[int]int64
}

func newPDF() *pdfWriter {
	w := &pdfWriter{offs: map[int]int64{}}
	w.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

// obj writes "num 0 obj body endobj" and returns its offset.
func (w *pdfWriter) obj(num int, body string) int64 {
	off := int64(w.b.Len())
	w.offs[num] = off
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", num, body)
	return off
}

// stream writes a stream object; dict is the dictionary without << >> and
// without /Length, which is added as the real data length.
func (w *pdfWriter) stream(num int, dict string, data []byte) int64 {
	off := int64(w.b.Len())
	w.offs[num] = off
	fmt.Fprintf(&w.b, "%d 0 obj\n<<%s /Length %d>>\nstream\n", num, dict, len(data))
	w.b.Write(data)
	w.b.WriteString("\nendstream\nendobj\n")
	return off
}

// raw appends bytes as they are.
func (w *pdfWriter) raw(s string) { w.b.WriteString(s) }

func (w *pdfWriter) pos() int64 { return int64(w.b.Len()) }

// xref writes a classic cross-reference table for the given object numbers
// (with their recorded offsets; object 0 is always included as the head of
// the free list when with0), the trailer dictionary body, startxref and
// %%EOF. It returns the table's offset.
func (w *pdfWriter) xref(nums []int, with0 bool, trailer string) int64 {
	nums = append([]int(nil), nums...)
	if with0 {
		nums = append(nums, 0)
	}
	sort.Ints(nums)
	start := w.pos()
	w.b.WriteString("xref\n")
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&w.b, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			if nums[k] == 0 {
				w.b.WriteString("0000000000 65535 f\r\n")
				continue
			}
			fmt.Fprintf(&w.b, "%010d 00000 n\r\n", w.offs[nums[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(&w.b, "trailer\n<<%s>>\nstartxref\n%d\n%%%%EOF\n", trailer, start)
	return start
}

// xrefRow is one row of a cross-reference stream: type 1 (a offset) or 2
// (a is the object stream number, b the index).
type xrefRow struct {
	typ int
	a   int64
	b   int
}

// xrefStream writes a cross-reference stream object num with the rows
// given per object number (the stream itself is added as type 1), /W [1 4
// 2], no compression, and the extra dictionary entries; then startxref and
// %%EOF. It returns its offset.
func (w *pdfWriter) xrefStream(num int, rows map[int]xrefRow, extra string) int64 {
	start := w.pos()
	rows[num] = xrefRow{typ: 1, a: start}
	var nums []int
	for n := range rows {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var data []byte
	var index []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		index = append(index, fmt.Sprintf("%d %d", nums[i], j-i+1))
		for k := i; k <= j; k++ {
			r := rows[nums[k]]
			a := r.a
			data = append(data, byte(r.typ), byte(a>>24), byte(a>>16), byte(a>>8), byte(a), byte(r.b>>8), byte(r.b))
		}
		i = j + 1
	}
	size := nums[len(nums)-1] + 1
	w.stream(num, fmt.Sprintf("/Type /XRef /W [1 4 2] /Index [%s] /Size %d %s", strings.Join(index, " "), size, extra), data)
	fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", start)
	return start
}

// objStmData returns the decoded data of an object stream holding the
// given objects (number → body) in order, and /First.
func objStmData(nums []int, bodies []string) ([]byte, int) {
	var head, body bytes.Buffer
	for i, n := range nums {
		fmt.Fprintf(&head, "%d %d ", n, body.Len())
		body.WriteString(bodies[i])
		body.WriteString("\n")
	}
	head.WriteString("\n")
	first := head.Len()
	return append(head.Bytes(), body.Bytes()...), first
}

func (w *pdfWriter) bytes() []byte { return bytes.Clone(w.b.Bytes()) }

// simplePDF is a one-page document: 1 catalog, 2 pages, 3 page, then the
// extra objects from 4 on. trailerExtra is added to the trailer.
func simplePDF(extra []string, trailerExtra string) []byte {
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
	nums := []int{1, 2, 3}
	for i, e := range extra {
		w.obj(4+i, e)
		nums = append(nums, 4+i)
	}
	w.xref(nums, true, fmt.Sprintf(" /Size %d /Root 1 0 R %s", 4+len(extra), trailerExtra))
	return w.bytes()
}

func deflate(b []byte, level int) []byte {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		panic(err)
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// open opens b with the given options, failing the test on error.
func open(t testing.TB, b []byte, opts *Options) *Document {
	t.Helper()
	d, err := Open(bytes.NewReader(b), int64(len(b)), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return d
}

func openErr(b []byte, opts *Options) (*Document, error) {
	return Open(bytes.NewReader(b), int64(len(b)), opts)
}

// readTestdata reads a file of the module's testdata folder.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("testdata: %v (regenerate with: go run ./testdata/gen.go)", err)
	}
	return b
}

// lex parses one object from s with default limits.
func lex(s string, withPos bool) (Object, error) {
	l := &lexer{r: newReader(bytes.NewReader([]byte(s)), 0, int64(len(s))), maxTok: DefaultLimits.MaxTokenLen}
	return l.parseObject(0, DefaultLimits.MaxDepth, withPos)
}

func mustLex(t testing.TB, s string) Object {
	t.Helper()
	o, err := lex(s, false)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return o
}

// isErr reports whether err wraps target, for table tests.
func isErr(err, target error) bool { return err != nil && errors.Is(err, target) }

func itoa(i int) string { return strconv.Itoa(i) }
