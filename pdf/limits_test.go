package pdf

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"segel/internal/judge"
)

// zlibZeros returns a valid zlib stream (compressed at the best level) of
// mib MiB of zeros. The deflate data of each MiB after a sync flush is the
// same bytes, so a bomb of any size is made by repeating one segment
// instead of compressing a gigabyte.
func zlibZeros(mib int) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(make([]byte, 1<<20))
	fw.Flush()
	seg := bytes.Clone(b.Bytes())
	b.Reset()
	fw.Close()
	tail := bytes.Clone(b.Bytes())
	out := []byte{0x78, 0xda}
	for i := 0; i < mib; i++ {
		out = append(out, seg...)
	}
	out = append(out, tail...)
	// Adler-32 of n zero bytes: a = 1, b = n mod 65521.
	bsum := uint32((int64(mib) << 20) % 65521)
	return append(out, byte(bsum>>8), byte(bsum), 0, 1)
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gigaBomb is about 1 MB of zlib data that inflates to 1100 MiB of zeros.
func gigaBomb() []byte {
	bombOnce.Do(func() { bomb = zlibZeros(1100) })
	return bomb
}

func TestZlibZerosIsValid(t *testing.T) {
	z := zlibZeros(3)
	// Its ratio is about 1000:1, so the ratio limit is raised here.
	d := open(t, readTestdata(t, "minimal.pdf"), &Options{Limits: Limits{MaxRatio: 10000}})
	got, err := d.StreamData(NewStream(Dict{"Filter": Name("FlateDecode")}, z))
	if err != nil || len(got) != 3<<20 || bytes.Count(got, []byte{0}) != len(got) {
		t.Fatalf("3 MiB of zeros: %d bytes %v", len(got), err)
	}
	if n := len(gigaBomb()); n > 1200_000 || n < 500_000 {
		t.Errorf("the bomb is %d bytes", n)
	}
}

func TestDeflateBomb(t *testing.T) {
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>")
	w.stream(4, "/Filter /FlateDecode", gigaBomb())
	w.xref([]int{1, 2, 3, 4}, true, "/Size 5 /Root 1 0 R")
	file := w.bytes()
	d := open(t, file, nil)
	o, err := d.Get(Ref{Num: 4})
	if err != nil {
		t.Fatal(err)
	}
	st := o.(*Stream)
	if st.Length != int64(len(gigaBomb())) {
		t.Fatalf("stream length %d", st.Length)
	}

	// Default limits: stops at MaxDecoded (256 MiB), long before 1 GiB.
	data, err := d.StreamData(st)
	var le *LimitError
	if !errors.Is(err, ErrLimit) || !errors.As(err, &le) || le.What != "decoded stream size" || le.Limit != DefaultLimits.MaxDecoded {
		t.Fatalf("StreamData of the bomb: %d bytes, err = %v; want the decoded-size ErrLimit", len(data), err)
	}
	if data != nil {
		t.Errorf("StreamData returned %d bytes with the error", len(data))
	}
	// Streaming: the reader fails the same way without holding the data.
	r, err := d.StreamReader(st)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if !errors.Is(err, ErrLimit) || n > DefaultLimits.MaxDecoded {
		t.Errorf("StreamReader: %d bytes, err = %v", n, err)
	}

	// The ratio limit stops it much earlier when it is the tighter one.
	d2 := open(t, file, &Options{Limits: Limits{MaxDecoded: 1 << 40, MaxRatio: 20}})
	o2, _ := d2.Get(Ref{Num: 4})
	r2, _ := d2.StreamReader(o2.(*Stream))
	n, err = io.Copy(io.Discard, r2)
	if !errors.As(err, &le) || le.What != "stream compression ratio" || !errors.Is(err, ErrLimit) {
		t.Errorf("ratio 20: err = %v after %d bytes", err, n)
	}
	if n > 21*int64(len(gigaBomb()))+1<<20 {
		t.Errorf("ratio 20 let %d bytes through", n)
	}
	// A small MaxDecoded.
	d3 := open(t, file, &Options{Limits: Limits{MaxDecoded: 1 << 20}})
	o3, _ := d3.Get(Ref{Num: 4})
	if _, err := d3.StreamData(o3.(*Stream)); !errors.Is(err, ErrLimit) {
		t.Errorf("MaxDecoded 1 MiB: err = %v", err)
	}
	// Pages and the rest of the document are unaffected.
	if p, err := d.Pages(); err != nil || len(p) != 1 {
		t.Errorf("pages %v %v", p, err)
	}
}

func TestDeflateBombInStructure(t *testing.T) {
	lim := &Options{Limits: Limits{MaxDecoded: 8 << 20}}
	// As an object stream: reading a compressed object fails with ErrLimit.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	w.stream(3, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", zlibZeros(64))
	w.xrefStream(5, map[int]xrefRow{1: {typ: 1, a: w.offs[1]}, 2: {typ: 1, a: w.offs[2]}, 3: {typ: 1, a: w.offs[3]}, 4: {typ: 2, a: 3, b: 0}}, "/Root 1 0 R")
	d := open(t, w.bytes(), lim)
	if _, err := d.Get(Ref{Num: 4}); !errors.Is(err, ErrLimit) {
		t.Errorf("object in a bomb object stream: err = %v, want ErrLimit", err)
	}
	// As the cross-reference stream: Open fails.
	w = newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	xoff := w.pos()
	w.stream(2, "/Type /XRef /Size 3 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode", zlibZeros(64))
	fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", xoff)
	if _, err := openErr(w.bytes(), lim); err == nil {
		t.Error("a cross-reference stream bomb opened without error")
	}
}

func TestNestingLimitInFile(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	file := simplePDF([]string{deep, "<< /A " + strings.Repeat("<< /A ", 10000) + strings.Repeat(">>", 10001)}, "")
	d := open(t, file, nil)
	for _, n := range []uint32{4, 5} {
		if _, err := d.Get(Ref{Num: n}); !errors.Is(err, ErrLimit) {
			t.Errorf("object %d (10,000 deep): err = %v, want ErrLimit", n, err)
		}
	}
	// A higher limit is honoured (and the parser does not overflow the
	// stack at 10,000).
	d2 := open(t, file, &Options{Limits: Limits{MaxDepth: 20000}})
	if o, err := d2.Get(Ref{Num: 4}); err != nil {
		t.Errorf("MaxDepth 20000: %v", err)
	} else if a, ok := o.(Array); !ok || len(a) != 1 {
		t.Errorf("MaxDepth 20000: %s", Format(o))
	}
	// In the trailer, Open fails.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	w.xref([]int{1, 2}, true, "/Size 3 /Root 1 0 R /X "+deep)
	if _, err := openErr(w.bytes(), nil); !errors.Is(err, ErrLimit) {
		t.Errorf("deep trailer: err = %v, want ErrLimit", err)
	}
	// Inside an object stream.
	w = newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	data, first := objStmData([]int{4}, []string{deep})
	w.stream(3, fmt.Sprintf("/Type /ObjStm /N 1 /First %d", first), data)
	w.xrefStream(5, map[int]xrefRow{1: {typ: 1, a: w.offs[1]}, 2: {typ: 1, a: w.offs[2]}, 3: {typ: 1, a: w.offs[3]}, 4: {typ: 2, a: 3}}, "/Root 1 0 R")
	d = open(t, w.bytes(), nil)
	if _, err := d.Get(Ref{Num: 4}); !errors.Is(err, ErrLimit) {
		t.Errorf("deep compressed object: err = %v, want ErrLimit", err)
	}
}

func TestTokenLengthLimit(t *testing.T) {
	long := strings.Repeat("x", 5000)
	file := simplePDF([]string{"(" + long + ")", "/" + long, "<" + strings.Repeat("41", 5000) + ">"}, "")
	d := open(t, file, &Options{Limits: Limits{MaxTokenLen: 1000}})
	for _, n := range []uint32{4, 5, 6} {
		if _, err := d.Get(Ref{Num: n}); !errors.Is(err, ErrLimit) {
			t.Errorf("object %d: err = %v, want ErrLimit", n, err)
		}
	}
	d = open(t, file, nil)
	for _, n := range []uint32{4, 5, 6} {
		if _, err := d.Get(Ref{Num: n}); err != nil {
			t.Errorf("object %d with default limits: %v", n, err)
		}
	}
}

func TestObjectNumberLimit(t *testing.T) {
	table := func(sub string, rows int) []byte {
		w := newPDF()
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		x := w.pos()
		fmt.Fprintf(&w.b, "xref\n0 3\n0000000000 65535 f\r\n%010d 00000 n\r\n%010d 00000 n\r\n%s\n", w.offs[1], w.offs[2], sub)
		for i := 0; i < rows; i++ {
			fmt.Fprintf(&w.b, "%010d 00000 n\r\n", w.offs[1])
		}
		fmt.Fprintf(&w.b, "trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", x)
		return w.bytes()
	}
	for _, c := range []struct {
		name string
		file []byte
		lim  Limits
	}{
		{"subsection beyond 10,000,000", table("9999999 2", 2), Limits{}},
		{"subsection count beyond the limit", table("3 20000000", 1), Limits{}},
		{"custom limit", table("3 200", 200), Limits{MaxObjects: 100}},
		// Overflowing int64 must not get round the limit.
		{"start near MaxInt64", table("9223372036854775807 1", 1), Limits{}},
		{"count near MaxInt64", table("5 9223372036854775807", 1), Limits{}},
		{"object 2^32", table("4294967296 1", 1), Limits{}},
	} {
		_, err := openErr(c.file, &Options{Limits: c.lim})
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%s: err = %v, want ErrLimit", c.name, err)
		}
	}
	if _, err := openErr(table("3 200", 200), nil); err != nil {
		t.Errorf("200 objects: %v", err)
	}

	// The same for a cross-reference stream's /Index.
	xs := func(index string) []byte {
		w := newPDF()
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		xoff := w.pos()
		row := func(typ int, a int64) []byte {
			return []byte{byte(typ), byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a), 0, 0}
		}
		data := append(row(1, w.offs[1]), row(1, xoff)...)
		w.stream(2, "/Type /XRef /Size 3 /W [1 4 2] /Root 1 0 R /Index ["+index+"]", data)
		fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", xoff)
		return w.bytes()
	}
	for _, index := range []string{"1 2 9999999 5", "1 2 3 20000000", "1 1 9223372036854775807 1", "1 1 2 9223372036854775807", "1 1 4294967297 1"} {
		_, err := openErr(xs(index), nil)
		if !errors.Is(err, ErrLimit) {
			// readSection falls back to a table search when the stream
			// fails; any error is acceptable, but not success.
			if err == nil {
				t.Errorf("/Index [%s] opened", index)
			}
		}
	}
	// Object numbers read are always below the limit.
	for _, index := range []string{"1 1 9223372036854775807 1", "1 1 4294967297 1"} {
		if d, err := openErr(xs(index), nil); err == nil {
			if m := d.MaxObjectNumber(); int64(m) > int64(DefaultLimits.MaxObjects) {
				t.Errorf("/Index [%s]: MaxObjectNumber %d beyond the limit", index, m)
			}
		}
	}
}

func TestPrevLoop(t *testing.T) {
	// Two sections whose /Prev point at each other, and one pointing at
	// itself.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	base := w.bytes()
	a := int64(len(base))
	sec := func(prev int64) string {
		return fmt.Sprintf("xref\n0 3\n0000000000 65535 f\r\n%010d 00000 n\r\n%010d 00000 n\r\ntrailer\n<< /Size 3 /Root 1 0 R /Prev %d >>\n", w.offs[1], w.offs[2], prev)
	}
	// Both sections have the same length, so b's offset is known first.
	b := a + int64(len(sec(a)))
	two := string(base) + sec(b) + sec(a) + fmt.Sprintf("startxref\n%d\n%%%%EOF\n", b)
	if int64(strings.Index(two[a:], "xref"))+a != a || !strings.HasPrefix(two[b:], "xref") {
		t.Fatal("bad construction")
	}
	if _, err := openErr([]byte(two), nil); !errors.Is(err, ErrCycle) {
		t.Errorf("A→B→A: err = %v, want ErrCycle", err)
	}
	self := string(base) + sec(a) + fmt.Sprintf("startxref\n%d\n%%%%EOF\n", a)
	if _, err := openErr([]byte(self), nil); !errors.Is(err, ErrCycle) {
		t.Errorf("A→A: err = %v, want ErrCycle", err)
	}
	// /Prev outside the file.
	out := string(base) + sec(1<<40) + fmt.Sprintf("startxref\n%d\n%%%%EOF\n", a)
	if _, err := openErr([]byte(out), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("/Prev outside: err = %v, want ErrMalformed", err)
	}
}

func TestRevisionLimit(t *testing.T) {
	file := readTestdata(t, "minimal.pdf")
	for i := 0; i < 12; i++ {
		d := open(t, file, nil)
		u := d.NewUpdate()
		u.Add(Int(i))
		w, err := u.Write()
		if err != nil {
			t.Fatal(err)
		}
		file = append(file, w.Bytes...)
	}
	if d := open(t, file, nil); len(d.Revisions()) != 13 {
		t.Errorf("%d revisions", len(d.Revisions()))
	}
	if _, err := openErr(file, &Options{Limits: Limits{MaxRevisions: 10}}); !errors.Is(err, ErrLimit) {
		t.Errorf("13 revisions with MaxRevisions 10: err = %v, want ErrLimit", err)
	}
}

func TestPageTreeCycles(t *testing.T) {
	for _, c := range []struct {
		name  string
		objs  []string
		want  error
		pages int
	}{
		{"Pages whose Kids contain itself", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
		}, ErrCycle, 0},
		{"kid pointing back to the root", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Pages /Kids [4 0 R 2 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 3 0 R >>",
		}, ErrCycle, 0},
		{"a page listed twice", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 2 >>",
			"<< /Type /Page /Parent 2 0 R >>",
		}, ErrCycle, 0},
		{"Kids as a reference to itself", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids 3 0 R /Count 1 >>",
			"3 0 R",
		}, ErrCycle, 0},
		{"a direct kid", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [<< /Type /Page >>] /Count 1 >>",
		}, ErrMalformed, 0},
		{"/Pages direct", []string{
			"<< /Type /Catalog /Pages << /Type /Pages /Kids [] >> >>",
		}, ErrMalformed, 0},
		{"kid that is not a dictionary", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"42",
		}, ErrMalformed, 0},
		{"no /Type on a leaf", []string{
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
			"<< /MediaBox [0 0 1 1] >>",
			"<< /Type /Page >>",
		}, nil, 2},
	} {
		w := newPDF()
		var nums []int
		for i, o := range c.objs {
			w.obj(i+1, o)
			nums = append(nums, i+1)
		}
		w.xref(nums, true, fmt.Sprintf("/Size %d /Root 1 0 R", len(nums)+1))
		d := open(t, w.bytes(), nil)
		pages, err := d.Pages()
		if c.want == nil {
			if err != nil || len(pages) != c.pages {
				t.Errorf("%s: %d pages, %v", c.name, len(pages), err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDeepPageTree(t *testing.T) {
	const depth = 10000
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	nums := []int{1}
	for i := 2; i < 2+depth; i++ {
		w.obj(i, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", i+1))
		nums = append(nums, i)
	}
	w.obj(2+depth, "<< /Type /Page >>")
	nums = append(nums, 2+depth)
	w.xref(nums, true, fmt.Sprintf("/Size %d /Root 1 0 R", 3+depth))
	file := w.bytes()
	d := open(t, file, nil)
	if _, err := d.Pages(); !errors.Is(err, ErrLimit) {
		t.Errorf("page tree %d deep: err = %v, want ErrLimit", depth, err)
	}
	// With the limit raised it is read.
	d = open(t, file, &Options{Limits: Limits{MaxDepth: depth + 10}})
	if p, err := d.Pages(); err != nil || len(p) != 1 {
		t.Errorf("with MaxDepth %d: %d pages %v", depth+10, len(p), err)
	}
}

func TestFieldCycles(t *testing.T) {
	for _, c := range []struct {
		name string
		objs []string
		want error
	}{
		// A node met again is visited once (some producers list a field
		// twice); a cycle therefore ends without an error.
		{"field whose Kids contain itself", []string{
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page >>",
			"<< /T (a) /FT /Tx /Kids [4 0 R] >>",
		}, nil},
		{"two fields that are each other's kid", []string{
			"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page >>",
			"<< /T (a) /Kids [5 0 R] >>",
			"<< /T (b) /Kids [4 0 R] >>",
		}, nil},
		{"AcroForm that refers to itself", []string{
			"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page >>",
			"4 0 R",
		}, ErrCycle},
	} {
		w := newPDF()
		var nums []int
		for i, o := range c.objs {
			w.obj(i+1, o)
			nums = append(nums, i+1)
		}
		w.xref(nums, true, fmt.Sprintf("/Size %d /Root 1 0 R", len(nums)+1))
		d := open(t, w.bytes(), nil)
		if _, err := d.Fields(); (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// A field tree deeper than MaxDepth.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page >>")
	nums := []int{1, 2, 3}
	for i := 4; i < 204; i++ {
		w.obj(i, fmt.Sprintf("<< /T (f%d) /Kids [%d 0 R] >>", i, i+1))
		nums = append(nums, i)
	}
	w.obj(204, "<< /T (leaf) /FT /Sig >>")
	nums = append(nums, 204)
	w.xref(nums, true, "/Size 205 /Root 1 0 R")
	d := open(t, w.bytes(), nil)
	if _, err := d.Fields(); !errors.Is(err, ErrLimit) {
		t.Errorf("200-deep field tree: err = %v, want ErrLimit", err)
	}
}

func TestReferenceCycles(t *testing.T) {
	file := simplePDF([]string{
		"4 0 R",          // 4 → itself
		"6 0 R",          // 5 → 6 → 5
		"5 0 R",          //
		"[7 0 R]",        // an array holding a reference to itself is fine
		"<< /A 8 0 R >>", // 8 → itself through a dictionary is fine too
	}, "")
	d := open(t, file, nil)
	for _, n := range []uint32{4, 5, 6} {
		if _, err := d.Resolve(Ref{Num: n}); !errors.Is(err, ErrCycle) {
			t.Errorf("Resolve(%d 0 R): err = %v, want ErrCycle", n, err)
		}
		if _, err := d.GetDict(Ref{Num: n}); !errors.Is(err, ErrCycle) {
			t.Errorf("GetDict(%d 0 R): err = %v, want ErrCycle", n, err)
		}
		// Get itself returns the stored reference.
		if o, err := d.Get(Ref{Num: n}); err != nil {
			t.Errorf("Get(%d 0 R): %v", n, err)
		} else if _, ok := o.(Ref); !ok {
			t.Errorf("Get(%d 0 R) = %s", n, Format(o))
		}
	}
	if a, err := d.GetArray(Ref{Num: 7}); err != nil || len(a) != 1 {
		t.Errorf("[7 0 R]: %v %v", a, err)
	}
	// A catalog that is a reference to itself.
	w := newPDF()
	w.obj(1, "1 0 R")
	w.xref([]int{1}, true, "/Size 2 /Root 1 0 R")
	d = open(t, w.bytes(), nil)
	if _, err := d.Catalog(); !errors.Is(err, ErrCycle) {
		t.Errorf("self-referencing catalog: err = %v, want ErrCycle", err)
	}
	if _, err := d.Pages(); !errors.Is(err, ErrCycle) {
		t.Errorf("Pages of a self-referencing catalog: err = %v, want ErrCycle", err)
	}
	// A long but acyclic chain is also cut off (at 32 hops).
	var chain []string
	for i := 0; i < 40; i++ {
		chain = append(chain, fmt.Sprintf("%d 0 R", 5+i))
	}
	chain = append(chain, "(end)")
	d = open(t, simplePDF(chain, ""), nil)
	if _, err := d.Resolve(Ref{Num: 4}); !errors.Is(err, ErrCycle) {
		t.Errorf("40-hop chain: err = %v, want ErrCycle", err)
	}
	if o, err := d.Resolve(Ref{Num: 20}); err != nil || Text(o) != "end" {
		t.Errorf("25-hop chain: %v %v", o, err)
	}
}

func TestObjectStreamCycles(t *testing.T) {
	catalog := func(w *pdfWriter) map[int]xrefRow {
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		return map[int]xrefRow{1: {typ: 1, a: w.offs[1]}, 2: {typ: 1, a: w.offs[2]}}
	}
	t.Run("object stream listed as compressed in itself", func(t *testing.T) {
		w := newPDF()
		rows := catalog(w)
		data, first := objStmData([]int{3, 4}, []string{"<< /Type /ObjStm >>", "(four)"})
		w.stream(3, fmt.Sprintf("/Type /ObjStm /N 2 /First %d", first), data)
		rows[3] = xrefRow{typ: 2, a: 3, b: 0}
		rows[4] = xrefRow{typ: 2, a: 3, b: 1}
		w.xrefStream(5, rows, "/Root 1 0 R")
		d := open(t, w.bytes(), nil)
		for _, n := range []uint32{3, 4} {
			if _, err := d.Get(Ref{Num: n}); !errors.Is(err, ErrMalformed) {
				t.Errorf("Get(%d): err = %v, want ErrMalformed", n, err)
			}
		}
	})
	t.Run("object in a compressed object stream", func(t *testing.T) {
		// 4 is in object stream 3, which is listed as compressed in
		// object stream 6.
		w := newPDF()
		rows := catalog(w)
		d3, f3 := objStmData([]int{4}, []string{"(four)"})
		w.stream(3, fmt.Sprintf("/Type /ObjStm /N 1 /First %d", f3), d3)
		d6, f6 := objStmData([]int{7}, []string{"(seven)"})
		w.stream(6, fmt.Sprintf("/Type /ObjStm /N 1 /First %d", f6), d6)
		rows[3] = xrefRow{typ: 2, a: 6, b: 0}
		rows[4] = xrefRow{typ: 2, a: 3, b: 0}
		rows[6] = xrefRow{typ: 1, a: w.offs[6]}
		rows[7] = xrefRow{typ: 2, a: 6, b: 0}
		w.xrefStream(5, rows, "/Root 1 0 R")
		d := open(t, w.bytes(), nil)
		if _, err := d.Get(Ref{Num: 4}); !errors.Is(err, ErrMalformed) {
			t.Errorf("Get(4): err = %v, want ErrMalformed", err)
		}
		if o, err := d.Get(Ref{Num: 7}); err != nil || Text(o) != "seven" {
			t.Errorf("Get(7) = %v %v", o, err)
		}
	})
	t.Run("object stream whose /Length is inside itself", func(t *testing.T) {
		w := newPDF()
		rows := catalog(w)
		data, first := objStmData([]int{4, 6}, []string{"(four)", "999"})
		off := w.pos()
		w.offs[3] = off
		fmt.Fprintf(&w.b, "3 0 obj\n<< /Type /ObjStm /N 2 /First %d /Length 6 0 R >>\nstream\n%s\nendstream\nendobj\n", first, data)
		rows[3] = xrefRow{typ: 1, a: off}
		rows[4] = xrefRow{typ: 2, a: 3, b: 0}
		rows[6] = xrefRow{typ: 2, a: 3, b: 1}
		w.xrefStream(5, rows, "/Root 1 0 R")
		d := open(t, w.bytes(), nil)
		// The length cannot come from the stream itself; endstream is
		// found instead and the objects are read.
		if o, err := d.Get(Ref{Num: 4}); err != nil || Text(o) != "four" {
			t.Errorf("Get(4) = %v %v", o, err)
		}
		if o, err := d.Get(Ref{Num: 6}); err != nil || o != Int(999) {
			t.Errorf("Get(6) = %v %v", o, err)
		}
	})
	t.Run("object stream whose /Filter is inside itself", func(t *testing.T) {
		w := newPDF()
		rows := catalog(w)
		data, first := objStmData([]int{4, 6}, []string{"(four)", "/FlateDecode"})
		w.stream(3, fmt.Sprintf("/Type /ObjStm /N 2 /First %d /Filter 6 0 R", first), deflate(data, 9))
		rows[3] = xrefRow{typ: 1, a: w.offs[3]}
		rows[4] = xrefRow{typ: 2, a: 3, b: 0}
		rows[6] = xrefRow{typ: 2, a: 3, b: 1}
		w.xrefStream(5, rows, "/Root 1 0 R")
		d := open(t, w.bytes(), nil)
		if _, err := d.Get(Ref{Num: 4}); !errors.Is(err, ErrCycle) {
			t.Errorf("Get(4): err = %v, want ErrCycle", err)
		}
	})
	t.Run("two object streams whose filters are in each other", func(t *testing.T) {
		w := newPDF()
		rows := catalog(w)
		da, fa := objStmData([]int{4, 7}, []string{"(four)", "/FlateDecode"})
		w.stream(3, fmt.Sprintf("/Type /ObjStm /N 2 /First %d /Filter 8 0 R", fa), deflate(da, 9))
		db, fb := objStmData([]int{8, 9}, []string{"/FlateDecode", "(nine)"})
		w.stream(6, fmt.Sprintf("/Type /ObjStm /N 2 /First %d /Filter 7 0 R", fb), deflate(db, 9))
		rows[3] = xrefRow{typ: 1, a: w.offs[3]}
		rows[6] = xrefRow{typ: 1, a: w.offs[6]}
		rows[4] = xrefRow{typ: 2, a: 3, b: 0}
		rows[7] = xrefRow{typ: 2, a: 3, b: 1}
		rows[8] = xrefRow{typ: 2, a: 6, b: 0}
		rows[9] = xrefRow{typ: 2, a: 6, b: 1}
		w.xrefStream(5, rows, "/Root 1 0 R")
		d := open(t, w.bytes(), nil)
		for _, n := range []uint32{4, 9} {
			if _, err := d.Get(Ref{Num: n}); !errors.Is(err, ErrCycle) {
				t.Errorf("Get(%d): err = %v, want ErrCycle", n, err)
			}
		}
	})
	t.Run("bad /N and /First", func(t *testing.T) {
		for _, dict := range []string{"/N -1 /First 4", "/N 1 /First 99999", "/N 1 /First -3", "/N 100000000 /First 4", "/N 5 /First 4"} {
			w := newPDF()
			rows := catalog(w)
			w.stream(3, "/Type /ObjStm "+dict, []byte("4 0 (four)"))
			rows[3] = xrefRow{typ: 1, a: w.offs[3]}
			rows[4] = xrefRow{typ: 2, a: 3, b: 0}
			w.xrefStream(5, rows, "/Root 1 0 R")
			d := open(t, w.bytes(), nil)
			if _, err := d.Get(Ref{Num: 4}); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: err = %v, want ErrMalformed", dict, err)
			}
		}
	})
}

func TestLengthReferenceChain(t *testing.T) {
	// Each stream's /Length is the next stream: reading the first one
	// must not recurse through the whole chain. Without a bound on nested
	// object reads this overflows the (here lowered) stack limit, which
	// is a fatal error, not a panic: the test binary dies.
	const n = 40000
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	nums := []int{1, 2}
	for i := 3; i < 3+n; i++ {
		w.offs[i] = w.pos()
		fmt.Fprintf(&w.b, "%d 0 obj\n<< /Length %d 0 R >>\nstream\nabc\nendstream\nendobj\n", i, i+1)
		nums = append(nums, i)
	}
	w.obj(3+n, "3")
	nums = append(nums, 3+n)
	w.xref(nums, true, fmt.Sprintf("/Size %d /Root 1 0 R", 4+n))
	d := open(t, w.bytes(), nil)
	old := debug.SetMaxStack(16 << 20)
	defer debug.SetMaxStack(old)
	o, err := d.Get(Ref{Num: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := o.(*Stream)
	if data, err := d.StreamData(st); err != nil || string(data) != "abc" {
		t.Errorf("first stream: %q %v", data, err)
	}
	// The last stream's length is a plain integer.
	o, err = d.Get(Ref{Num: 2 + n})
	if err != nil || o.(*Stream).Length != 3 {
		t.Errorf("last stream: %v %v", o, err)
	}
}

func TestObjectStreamFilterChain(t *testing.T) {
	// Object stream k's /Filter is an object in object stream k+1: reading
	// an object of the first one must not recurse through all of them.
	const n = 30000
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	rows := map[int]xrefRow{1: {typ: 1, a: w.offs[1]}, 2: {typ: 1, a: w.offs[2]}}
	// Stream k is object 10+2k and holds object 11+2k (a filter name);
	// its /Filter is 13+2k, held by the next stream.
	for k := 0; k < n; k++ {
		stm, held := 10+2*k, 11+2*k
		data, first := objStmData([]int{held}, []string{"/FlateDecode"})
		filter := fmt.Sprintf("/Filter %d 0 R", held+2)
		if k == n-1 {
			filter = ""
		}
		w.stream(stm, fmt.Sprintf("/Type /ObjStm /N 1 /First %d %s", first, filter), data)
		rows[stm] = xrefRow{typ: 1, a: w.offs[stm]}
		rows[held] = xrefRow{typ: 2, a: int64(stm)}
	}
	w.xrefStream(3, rows, "/Root 1 0 R")
	d := open(t, w.bytes(), nil)
	old := debug.SetMaxStack(16 << 20)
	defer debug.SetMaxStack(old)
	// The chain cannot be decoded (the data is not compressed); what
	// matters is an error rather than a crash.
	if _, err := d.Get(Ref{Num: 11}); err == nil {
		t.Error("reading through 30,000 nested object streams succeeded")
	}
}

func TestHugeLength(t *testing.T) {
	for _, length := range []string{"99999999999", "9223372036854775807", "-5", "0", "1", "99999999999999999999999", "/Name", "7 0 R", "99 0 R"} {
		w := newPDF()
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		w.offs[3] = w.pos()
		fmt.Fprintf(&w.b, "3 0 obj\n<< /Length %s >>\nstream\nhello stream\nendstream\nendobj\n", length)
		w.obj(7, "3.5")
		w.xref([]int{1, 2, 3, 7}, true, "/Size 8 /Root 1 0 R")
		d := open(t, w.bytes(), nil)
		o, err := d.Get(Ref{Num: 3})
		if err != nil {
			t.Errorf("/Length %s: %v", length, err)
			continue
		}
		st := o.(*Stream)
		if data, err := d.StreamData(st); err != nil || string(data) != "hello stream" {
			t.Errorf("/Length %s: data %q %v", length, data, err)
		}
	}
	// Without endstream, a length beyond the file is an error.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	w.offs[3] = w.pos()
	w.raw("3 0 obj\n<< /Length 99999999999 >>\nstream\nno end here\n")
	w.xref([]int{1, 2, 3}, true, "/Size 4 /Root 1 0 R")
	d := open(t, w.bytes(), nil)
	if _, err := d.Get(Ref{Num: 3}); !errors.Is(err, ErrMalformed) {
		t.Errorf("no endstream: err = %v, want ErrMalformed", err)
	}
}

func TestStartxref(t *testing.T) {
	mini := readTestdata(t, "minimal.pdf")
	i := bytes.LastIndex(mini, []byte("startxref"))
	body := mini[:i]
	for _, c := range []struct {
		name string
		file string
		want error
	}{
		{"outside the file", string(body) + "startxref\n999999\n%%EOF\n", ErrMalformed},
		{"negative", string(body) + "startxref\n-5\n%%EOF\n", ErrMalformed},
		{"not a number", string(body) + "startxref\nxref\n%%EOF\n", ErrMalformed},
		{"huge", string(body) + "startxref\n99999999999999999999999\n%%EOF\n", ErrMalformed},
		{"missing", string(body), ErrMalformed},
		{"pointing at the header", string(body) + "startxref\n0\n%%EOF\n", ErrMalformed},
		{"pointing into a string", string(body) + "startxref\n20\n%%EOF\n", ErrMalformed},
	} {
		_, err := openErr([]byte(c.file), nil)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// startxref slightly off (within 64 bytes before the table) is
	// repaired and reported.
	x := bytes.LastIndex(body, []byte("xref"))
	off := string(body) + fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x-3)
	d, err := openErr([]byte(off), nil)
	if err != nil {
		t.Fatalf("startxref 3 bytes early: %v", err)
	}
	if len(d.Issues()) == 0 {
		t.Error("no repair reported for a wrong startxref")
	}
}

func TestNotPDF(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":           nil,
		"one byte":        {'%'},
		"text":            []byte("hello, world\n"),
		"PNG":             []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"HTML":            []byte("<!DOCTYPE html><html><body>%PDF</body></html>"),
		"header too late": append(bytes.Repeat([]byte(" "), 2000), readTestdata(t, "minimal.pdf")...),
	} {
		if _, err := openErr(b, nil); !errors.Is(err, ErrNotPDF) {
			t.Errorf("%s: err = %v, want ErrNotPDF", name, err)
		}
	}
	// A header and nothing else: a PDF that is malformed.
	for _, s := range []string{"%PDF-", "%PDF-1.7\n", "%PDF-1.7\n%%EOF\n", "%PDF-1.7\nstartxref\n%%EOF"} {
		if _, err := openErr([]byte(s), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", s, err)
		}
	}
	// Junk before the header (allowed within the first KiB) shifts
	// nothing: offsets stay file offsets.
	junk := append([]byte("garbage\n"), readTestdata(t, "minimal.pdf")...)
	if _, err := openErr(junk, nil); err == nil {
		// Offsets are now all 8 bytes off; the reader repairs objects
		// nearby. Either outcome is fine; it must not panic.
		t.Log("minimal.pdf with 8 bytes of junk in front opened")
	}
}

func TestTruncated(t *testing.T) {
	for _, name := range []string{"pks.pdf", "pks-xrefstream.pdf", "hybrid.pdf"} {
		b := readTestdata(t, name)
		// Cut before the final startxref: no startxref, an error.
		i := bytes.LastIndex(b, []byte("startxref"))
		if _, err := openErr(b[:i], nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s cut before startxref: err = %v, want ErrMalformed", name, err)
		}
		// Every other cut: an error or a document, never a panic, and
		// whatever opens can be walked.
		for n := 0; n < len(b); n += 37 {
			d, err := openErr(b[:n], nil)
			if err != nil {
				continue
			}
			walk(d)
		}
	}
}

func TestEncrypted(t *testing.T) {
	judge.Require(t, "qpdf")
	dir := t.TempDir()
	for _, name := range []string{"pks.pdf", "pks-xrefstream.pdf"} {
		out := filepath.Join(dir, "enc-"+name)
		if o, err := judge.Command(t, "qpdf", "--encrypt", "user", "owner", "256", "--", filepath.Join("..", "testdata", name), out); err != nil {
			t.Fatalf("qpdf --encrypt: %v\n%s", err, o)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openErr(b, nil); !errors.Is(err, ErrEncrypted) {
			t.Errorf("%s encrypted: err = %v, want ErrEncrypted", name, err)
		}
		d, err := openErr(b, &Options{AllowEncrypted: true})
		if err != nil {
			t.Fatalf("%s with AllowEncrypted: %v", name, err)
		}
		if _, ok := d.Trailer()["Encrypt"]; !ok {
			t.Error("no /Encrypt in the trailer")
		}
		pages, err := d.Pages()
		if name == "pks.pdf" {
			if err != nil || len(pages) != 3 {
				t.Errorf("%s encrypted: %d pages %v", name, len(pages), err)
			}
		} else if err == nil {
			// Object streams stay encrypted, so objects inside them
			// cannot be read: an error, not garbage.
			t.Errorf("%s encrypted: the page tree in an encrypted object stream read as %d pages", name, len(pages))
		}
		walk(d)
		// Strings stay encrypted: the title is not readable.
		if info, _ := d.GetDict(d.Trailer()["Info"]); info != nil && strings.Contains(Text(info["Title"]), "Perjanjian") {
			t.Error("the encrypted title reads as plain text")
		}
	}
}

// walk does everything a caller may do with a document, ignoring errors.
func walk(d *Document) {
	d.Pages()
	d.Fields()
	d.Catalog()
	d.Issues()
	for _, r := range d.Revisions() {
		v, err := d.Revision(r.Index)
		if err != nil {
			continue
		}
		v.Pages()
		v.Fields()
		for _, ref := range r.Objects {
			o, err := v.Get(ref)
			if err != nil {
				continue
			}
			v.Resolve(o)
			if st, ok := o.(*Stream); ok {
				v.StreamData(st)
			}
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func TestManyStreamsWithWrongLength(t *testing.T) {
	// Thousands of streams whose /Length is wrong: each must not rescan
	// the rest of the file for "endstream" (quadratic time: a 10 MB file
	// of these took the verifier many minutes). Measured in bytes read,
	// not in time.
	const n = 5000
	for _, tail := range []string{"", "endstream\n"} {
		w := newPDF()
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		nums := []int{1, 2}
		for i := 3; i < 3+n; i++ {
			w.offs[i] = w.pos()
			fmt.Fprintf(&w.b, "%d 0 obj <</Length 999999999>> stream\nxx\n", i)
			nums = append(nums, i)
		}
		w.raw(tail)
		w.xref(nums, true, fmt.Sprintf("/Size %d /Root 1 0 R", 3+n))
		b := w.bytes()
		cr := &countingReader{r: bytes.NewReader(b)}
		d, err := Open(cr, int64(len(b)), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Every object twice, in reverse order: errors are not cached.
		gets := 0
		for round := 0; round < 2; round++ {
			for i := 2 + n; i >= 3; i-- {
				o, err := d.Get(Ref{Num: uint32(i)})
				gets++
				if tail == "" && err == nil {
					t.Fatalf("object %d without endstream read as %s", i, Format(o))
				}
				if tail != "" && err != nil {
					t.Fatalf("object %d: %v", i, err)
				}
			}
		}
		// Each read of an object may fill a buffer or two; the search for
		// endstream may read the file a few times in all, not once per
		// stream.
		budget := 4*int64(len(b)) + int64(gets)*3*4096
		if cr.n > budget {
			t.Errorf("tail %q: %d bytes read for %d reads of a %d-byte file (budget %d)", tail, cr.n, gets, len(b), budget)
		}
	}
}
