package pdf

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"segel/internal/judge"
)

// sample describes what each file of testdata/ must read as.
type sample struct {
	name      string
	pages     int
	xrefStm   bool
	title     string
	fields    map[string]Name // fully qualified name → /FT
	producer  string
	maxObject uint32
}

var samples = []sample{
	{name: "pks.pdf", pages: 3, title: "Perjanjian Kerja Sama tentang Penyelenggaraan Sertifikat Elektronik",
		fields: map[string]Name{"SigProvinsi": "Sig", "SigKabupaten": "Sig"}},
	{name: "pks-xrefstream.pdf", pages: 3, xrefStm: true, title: "Perjanjian Kerja Sama tentang Penyelenggaraan Sertifikat Elektronik",
		fields: map[string]Name{"SigProvinsi": "Sig", "SigKabupaten": "Sig"}},
	{name: "form.pdf", pages: 1, title: "Formulir Permohonan Sertifikat Elektronik",
		fields: map[string]Name{"Nama": "Tx", "NIP": "Tx", "Jabatan": "Tx", "Instansi": "Tx", "Pernyataan": "Btn", "SigPemohon": "Sig"}},
	{name: "form-xrefstream.pdf", pages: 1, xrefStm: true, title: "Formulir Permohonan Sertifikat Elektronik",
		fields: map[string]Name{"Nama": "Tx", "NIP": "Tx", "Jabatan": "Tx", "Instansi": "Tx", "Pernyataan": "Btn", "SigPemohon": "Sig"}},
	{name: "minimal.pdf", pages: 1, title: "Dokumen minimal", fields: map[string]Name{}},
	{name: "minimal-pdf20.pdf", pages: 1, title: "Dokumen minimal", fields: map[string]Name{}},
	{name: "hybrid.pdf", pages: 1, title: "Dokumen hybrid-reference", fields: map[string]Name{}},
}

func TestReadSamples(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			b := readTestdata(t, s.name)
			d := open(t, b, nil)
			if d.Size() != int64(len(b)) {
				t.Errorf("Size = %d", d.Size())
			}
			if len(d.Issues()) != 0 {
				t.Errorf("a well-formed sample needed repairs: %v", d.Issues())
			}
			if d.XRefStream() != s.xrefStm {
				t.Errorf("XRefStream = %v, want %v", d.XRefStream(), s.xrefStm)
			}
			revs := d.Revisions()
			if len(revs) != 1 {
				t.Fatalf("%d revisions, want 1", len(revs))
			}
			if revs[0].EOF != int64(len(b)) {
				t.Errorf("revision EOF = %d, want the file size %d", revs[0].EOF, len(b))
			}
			if !bytes.HasPrefix(bytes.TrimSpace(b[revs[0].XRefOffset:]), []byte("xref")) && !s.xrefStm {
				t.Errorf("XRefOffset %d does not point at a table", revs[0].XRefOffset)
			}

			pages, err := d.Pages()
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != s.pages {
				t.Errorf("%d pages, want %d", len(pages), s.pages)
			}
			for i, p := range pages {
				if typ, _ := p.Dict["Type"].(Name); typ != "Page" {
					t.Errorf("page %d /Type = %v", i, p.Dict["Type"])
				}
				if !d.Has(p.Ref.Num) {
					t.Errorf("page %d: Has(%d) is false", i, p.Ref.Num)
				}
			}

			cat, err := d.Catalog()
			if err != nil {
				t.Fatal(err)
			}
			if typ, _ := cat["Type"].(Name); typ != "Catalog" {
				t.Errorf("catalog /Type = %v", cat["Type"])
			}
			info, err := d.GetDict(d.Trailer()["Info"])
			if err != nil || info == nil {
				t.Fatalf("/Info: %v %v", info, err)
			}
			if title := Text(info["Title"]); !strings.HasPrefix(title, s.title) {
				t.Errorf("/Title = %q, want prefix %q", title, s.title)
			}
			if p := Text(info["Producer"]); p != "segel fixture generator" {
				t.Errorf("/Producer = %q", p)
			}
			if id, _ := d.Trailer()["ID"].(Array); len(id) != 2 {
				t.Errorf("/ID = %v", d.Trailer()["ID"])
			}

			fields, err := d.Fields()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Name{}
			for _, f := range fields {
				got[f.Name] = f.Type
				if len(f.Widgets) == 0 {
					t.Errorf("field %s has no widget", f.Name)
				}
			}
			if len(got) != len(s.fields) {
				t.Errorf("fields %v, want %v", got, s.fields)
			}
			for n, ft := range s.fields {
				if got[n] != ft {
					t.Errorf("field %s: type %q, want %q", n, got[n], ft)
				}
				if _, ok := FieldByName(fields, n); !ok {
					t.Errorf("FieldByName(%s) failed", n)
				}
			}
			if _, ok := FieldByName(fields, "NoSuchField"); ok {
				t.Error("FieldByName found a missing field")
			}

			// Every object of the file resolves, and every stream decodes.
			streams := readAll(t, d)
			if streams == 0 {
				t.Error("no streams found")
			}
		})
	}
}

// readAll resolves every object that any revision defines and decodes every
// stream, failing on any error; it returns the number of streams.
func readAll(t *testing.T, d *Document) int {
	t.Helper()
	streams := 0
	for _, r := range d.Revisions() {
		v, err := d.Revision(r.Index)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range r.Objects {
			o, err := v.Get(ref)
			if err != nil {
				t.Errorf("revision %d: %v: %v", r.Index, ref, err)
				continue
			}
			if _, isNull := o.(Null); isNull {
				t.Errorf("revision %d: %v is listed but reads as null", r.Index, ref)
			}
			if st, ok := o.(*Stream); ok {
				streams++
				if _, err := v.StreamData(st); err != nil {
					t.Errorf("revision %d: stream %v: %v", r.Index, ref, err)
				}
			}
		}
	}
	return streams
}

var pagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)

func pdfinfoPages(t *testing.T, name string) int {
	t.Helper()
	out, err := judge.Command(t, "pdfinfo", filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := pagesRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo printed no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestPdfinfoAgrees(t *testing.T) {
	judge.Require(t, "pdfinfo")
	for _, s := range samples {
		if n := pdfinfoPages(t, s.name); n != s.pages {
			t.Errorf("%s: pdfinfo says %d pages, the table says %d", s.name, n, s.pages)
		}
	}
}

func TestObjectStreams(t *testing.T) {
	b := readTestdata(t, "pks-xrefstream.pdf")
	d := open(t, b, nil)
	if !d.XRefStream() {
		t.Fatal("not read as a cross-reference stream file")
	}
	compressed := 0
	for _, ref := range d.Revisions()[0].Objects {
		loc := d.Locate(ref.Num)
		if !loc.Ok {
			t.Errorf("Locate(%d) not ok", ref.Num)
			continue
		}
		if loc.Offset >= 0 {
			continue
		}
		compressed++
		o, err := d.Get(ref)
		if err != nil {
			t.Errorf("compressed %v: %v", ref, err)
			continue
		}
		if _, isNull := o.(Null); isNull {
			t.Errorf("compressed %v is null", ref)
		}
		// The object stream itself is an uncompressed stream of /Type
		// /ObjStm.
		so, err := d.Get(Ref{Num: loc.InStream})
		if err != nil {
			t.Fatal(err)
		}
		st, ok := so.(*Stream)
		if !ok || st.Dict["Type"] != Name("ObjStm") {
			t.Errorf("object stream %d of %v is %s", loc.InStream, ref, Format(so))
		}
		// Strings read from object streams have no file position.
		if dict, ok := o.(Dict); ok {
			for _, v := range dict {
				if s, ok := v.(String); ok && (s.Pos != -1 || s.End != -1) {
					t.Errorf("%v: string in an object stream has Pos/End %d/%d", ref, s.Pos, s.End)
				}
			}
		}
	}
	if compressed < 10 {
		t.Errorf("only %d compressed objects; qpdf's object streams were not read", compressed)
	}
	// The signature fields are compressed objects: reading them proves the
	// object stream path end to end.
	fields, err := d.Fields()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if loc := d.Locate(f.Ref.Num); loc.Offset != -1 {
			t.Errorf("field %s is not compressed (%+v)", f.Name, loc)
		}
	}
	// The same values as the table-based file.
	plain := open(t, readTestdata(t, "pks.pdf"), nil)
	pi, _ := plain.GetDict(plain.Trailer()["Info"])
	xi, _ := d.GetDict(d.Trailer()["Info"])
	if !Equal(pi, xi) {
		t.Errorf("/Info differs between pks.pdf and pks-xrefstream.pdf:\n%s\n%s", Format(pi), Format(xi))
	}
}

func TestHybrid(t *testing.T) {
	b := readTestdata(t, "hybrid.pdf")
	d := open(t, b, nil)
	if d.XRefStream() {
		t.Error("the newest section of a hybrid file is its table")
	}
	if _, ok := d.Trailer()["XRefStm"].(Int); !ok {
		t.Fatal("no /XRefStm in the trailer")
	}
	// Objects 8 (/Info) and 9 (the annotation) are only in the /XRefStm
	// stream, inside object stream 6.
	for _, num := range []uint32{8, 9} {
		if !d.Has(num) {
			t.Errorf("object %d is not found", num)
		}
		loc := d.Locate(num)
		if !loc.Ok || loc.Offset != -1 || loc.InStream != 6 {
			t.Errorf("object %d at %+v, want in object stream 6", num, loc)
		}
	}
	info, err := d.GetDict(d.Trailer()["Info"])
	if err != nil || info == nil {
		t.Fatalf("/Info: %v", err)
	}
	if got := Text(info["Title"]); got != "Dokumen hybrid-reference" {
		t.Errorf("/Title = %q", got)
	}
	pages, err := d.Pages()
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages: %v %v", pages, err)
	}
	annots, err := d.GetArray(pages[0].Dict["Annots"])
	if err != nil || len(annots) != 1 {
		t.Fatalf("annots %v %v", annots, err)
	}
	annot, err := d.GetDict(annots[0])
	if err != nil || annot == nil {
		t.Fatalf("annotation: %v", err)
	}
	if st, _ := annot["Subtype"].(Name); st != "Text" {
		t.Errorf("annotation /Subtype = %v", annot["Subtype"])
	}
	// The revision lists them too.
	objs := d.Revisions()[0].Objects
	nums := map[uint32]bool{}
	for _, r := range objs {
		nums[r.Num] = true
	}
	if !nums[8] || !nums[9] {
		t.Errorf("revision objects %v lack 8 and 9", objs)
	}
	if !sort.SliceIsSorted(objs, func(i, j int) bool { return objs[i].Num < objs[j].Num }) {
		t.Errorf("Objects not sorted: %v", objs)
	}
}

func TestMissingAndFreeObjectsAreNull(t *testing.T) {
	d := open(t, readTestdata(t, "minimal.pdf"), nil)
	for _, ref := range []Ref{{Num: 0}, {Num: 999}, {Num: 1, Gen: 7}} {
		o, err := d.Get(ref)
		if err != nil {
			t.Errorf("Get(%v): %v", ref, err)
		}
		if _, ok := o.(Null); !ok {
			t.Errorf("Get(%v) = %s, want null", ref, Format(o))
		}
	}
	if d.Has(999) || d.Has(0) {
		t.Error("Has is true for a missing/free object")
	}
	if loc := d.Locate(999); loc.Ok {
		t.Errorf("Locate(999) = %+v", loc)
	}
	// Resolve of a direct object is the object; of a reference, the target.
	if o, err := d.Resolve(Int(5)); err != nil || o != Int(5) {
		t.Errorf("Resolve(5) = %v %v", o, err)
	}
	// GetDict / GetArray of the wrong type: nil without error.
	if x, err := d.GetDict(Int(1)); x != nil || err != nil {
		t.Errorf("GetDict(1) = %v %v", x, err)
	}
	if x, err := d.GetArray(Dict{}); x != nil || err != nil {
		t.Errorf("GetArray(<<>>) = %v %v", x, err)
	}
}

func TestStreamsInMemoryAndRaw(t *testing.T) {
	b := readTestdata(t, "minimal.pdf")
	d := open(t, b, nil)
	pages, err := d.Pages()
	if err != nil {
		t.Fatal(err)
	}
	co, err := d.Resolve(pages[0].Dict["Contents"])
	if err != nil {
		t.Fatal(err)
	}
	st, ok := co.(*Stream)
	if !ok {
		t.Fatalf("contents = %s", Format(co))
	}
	if st.Offset <= 0 || st.Offset+st.Length > int64(len(b)) {
		t.Fatalf("stream at %d+%d", st.Offset, st.Length)
	}
	data, err := d.StreamData(st)
	if err != nil {
		t.Fatal(err)
	}
	// minimal.pdf's content stream is not compressed: the raw bytes are
	// the data and sit right after "stream\n" (or \r\n) in the file.
	if !bytes.Equal(data, b[st.Offset:st.Offset+st.Length]) {
		t.Errorf("data %q differs from the file bytes", data)
	}
	if !bytes.HasSuffix(b[:st.Offset], []byte("stream\n")) && !bytes.HasSuffix(b[:st.Offset], []byte("stream\r\n")) {
		t.Errorf("stream data does not start after the stream keyword")
	}
	if !bytes.Contains(data, []byte("BT")) {
		t.Errorf("content stream %q has no text", data)
	}
}

func TestCompressedObjectsAreNotConfused(t *testing.T) {
	// Objects 5 and 65541 (5 + 65536) are both in object stream 3; the
	// cross-reference stream gives both index 0 (5 is at 0, 65541 at 1).
	// Each must read as itself whatever the order of the reads.
	build := func() *Document {
		w := newPDF()
		w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
		w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
		data, first := objStmData([]int{5, 65541}, []string{"(five)", "(other)"})
		w.stream(3, "/Type /ObjStm /N 2 /First "+itoa(first), data)
		rows := map[int]xrefRow{1: {typ: 1, a: w.offs[1]}, 2: {typ: 1, a: w.offs[2]}, 3: {typ: 1, a: w.offs[3]},
			5: {typ: 2, a: 3, b: 0}, 65541: {typ: 2, a: 3, b: 0}, 131077: {typ: 2, a: 3, b: 0}}
		w.xrefStream(4, rows, "/Root 1 0 R")
		return open(t, w.bytes(), nil)
	}
	for _, order := range [][]uint32{{5, 65541, 131077}, {65541, 5, 131077}, {131077, 65541, 5}} {
		d := build()
		for _, n := range order {
			o, err := d.Get(Ref{Num: n})
			switch n {
			case 5:
				if err != nil || Text(o) != "five" {
					t.Errorf("order %v: object 5 = %v %v", order, o, err)
				}
			case 65541:
				if err != nil || Text(o) != "other" {
					t.Errorf("order %v: object 65541 = %v %v", order, o, err)
				}
			case 131077:
				// Not in the stream at all.
				if err == nil {
					t.Errorf("order %v: object 131077 = %v, want an error", order, o)
				}
			}
		}
	}
}

func TestCompressedObjectStreamNumberHighBits(t *testing.T) {
	// With /W [1 8 2] a type-2 row's stream number has 64 bits; only the
	// low 32 name the stream. Object 4's row says stream (1<<32)|3: it is
	// looked for in stream 3, where it is not, and must not be confused
	// with object 5, which is there.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	data, first := objStmData([]int{5}, []string{"(five)"})
	w.stream(3, "/Type /ObjStm /N 1 /First "+itoa(first), data)
	xoff := w.pos()
	row := func(typ byte, f2 uint64, f3 uint16) []byte {
		r := []byte{typ}
		for i := 7; i >= 0; i-- {
			r = append(r, byte(f2>>(8*i)))
		}
		return append(r, byte(f3>>8), byte(f3))
	}
	var rows []byte
	rows = append(rows, row(0, 0, 65535)...)
	rows = append(rows, row(1, uint64(w.offs[1]), 0)...)
	rows = append(rows, row(1, uint64(w.offs[2]), 0)...)
	rows = append(rows, row(1, uint64(w.offs[3]), 0)...)
	rows = append(rows, row(2, 1<<32|3, 0)...)
	rows = append(rows, row(2, 3, 0)...)
	rows = append(rows, row(1, uint64(xoff), 0)...)
	w.stream(6, "/Type /XRef /Size 7 /W [1 8 2] /Root 1 0 R", rows)
	fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", xoff)
	d := open(t, w.bytes(), nil)
	if o, err := d.Get(Ref{Num: 5}); err != nil || Text(o) != "five" {
		t.Fatalf("object 5 = %v %v", o, err)
	}
	if o, err := d.Get(Ref{Num: 4}); err == nil {
		t.Errorf("object 4 (not in its object stream) = %s", Format(o))
	}
}
