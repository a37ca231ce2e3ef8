package pdf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"segel/internal/judge"
)

// signLike appends one update shaped like a signature: a new signature
// dictionary written raw with a /Contents placeholder, a new field, a
// changed /Info and a new stream. It returns the new file, the written
// update and the references it wrote.
func signLike(t *testing.T, file []byte, k int) ([]byte, *Written, []Ref) {
	t.Helper()
	d := open(t, file, nil)
	u := d.NewUpdate()
	sig := u.Alloc()
	contents := bytes.Repeat([]byte("0"), 64)
	u.SetRaw(sig, []byte(fmt.Sprintf("<</Type /Sig /ByteRange [0 0 0 0] /Contents <%s> /M (D:2025010%d120000+07'00')>>", contents, k)))
	field := u.Add(Dict{"FT": Name("Sig"), "T": TextString(fmt.Sprintf("Tanda Tangan %d", k)), "V": sig})
	ap := u.Add(NewStream(Dict{"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": Array{Int(0), Int(0), Int(10), Int(10)}, "Filter": Name("FlateDecode")}, deflate([]byte("0 0 10 10 re f"), 9)))
	infoRef, ok := d.Trailer()["Info"].(Ref)
	if !ok {
		t.Fatalf("trailer /Info = %v", d.Trailer()["Info"])
	}
	info, err := d.GetDict(infoRef)
	if err != nil {
		t.Fatal(err)
	}
	ni := Dict{}
	for k, v := range info {
		ni[k] = v
	}
	ni["Title"] = TextString(fmt.Sprintf("Revisi %d — Kabupaten Tuban", k))
	u.Set(infoRef, ni)
	w, err := u.Write()
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(file), w.Bytes...)
	return out, w, []Ref{sig, field, ap, infoRef}
}

func TestIncrementalUpdates(t *testing.T) {
	for _, name := range []string{"pks.pdf", "pks-xrefstream.pdf", "form.pdf", "form-xrefstream.pdf", "hybrid.pdf", "minimal.pdf", "minimal-pdf20.pdf"} {
		t.Run(name, func(t *testing.T) {
			orig := readTestdata(t, name)
			od := open(t, orig, nil)
			origStream := od.XRefStream()
			origID := od.Trailer()["ID"].(Array)[0].(String).Value
			origTitle := Text(mustInfo(t, od)["Title"])

			files := [][]byte{orig}
			var prevStart []int64 = []int64{od.StartXRef()}
			var writtenRefs [][]Ref
			file := orig
			for k := 1; k <= 3; k++ {
				out, w, refs := signLike(t, file, k)
				writtenRefs = append(writtenRefs, refs)
				if !bytes.HasPrefix(out, file) || !bytes.HasPrefix(out, orig) {
					t.Fatalf("update %d changed earlier bytes", k)
				}
				// Offsets: the body of each object starts there, right
				// after its "N G obj" line.
				for _, r := range refs {
					off, ok := w.Offsets[r]
					if !ok {
						t.Errorf("update %d: no offset for %v", k, r)
						continue
					}
					head := fmt.Sprintf("%d %d obj\n", r.Num, r.Gen)
					if !bytes.HasSuffix(w.Bytes[:off], []byte(head)) {
						t.Errorf("update %d: %v offset %d is not after %q", k, r, off, head)
					}
				}
				if !bytes.HasSuffix(out, []byte("%%EOF\n")) {
					t.Errorf("update %d does not end with %%%%EOF", k)
				}
				file = out
				files = append(files, out)
				d := open(t, out, nil)
				prevStart = append(prevStart, d.StartXRef())
			}

			d := open(t, file, nil)
			revs := d.Revisions()
			if len(revs) != 4 {
				t.Fatalf("%d revisions, want 4", len(revs))
			}
			for i, r := range revs {
				if r.Index != i {
					t.Errorf("revision %d has Index %d", i, r.Index)
				}
				// Each revision ends where that update (or the original)
				// ended.
				if r.EOF != int64(len(files[i])) {
					t.Errorf("revision %d EOF = %d, want %d", i, r.EOF, len(files[i]))
				}
				if r.XRefOffset != prevStart[i] {
					t.Errorf("revision %d XRefOffset = %d, want %d", i, r.XRefOffset, prevStart[i])
				}
				if i == 0 {
					continue
				}
				// The written update uses the input's kind of section.
				if r.XRefStream != origStream {
					t.Errorf("revision %d XRefStream = %v, the input's is %v", i, r.XRefStream, origStream)
				}
				// /Prev points at the previous revision's section.
				if p, _ := r.Trailer["Prev"].(Int); int64(p) != revs[i-1].XRefOffset {
					t.Errorf("revision %d /Prev = %v, want %d", i, r.Trailer["Prev"], revs[i-1].XRefOffset)
				}
				// Objects: exactly what was written (plus the xref stream).
				want := append([]Ref(nil), writtenRefs[i-1]...)
				if origStream {
					want = append(want, Ref{Num: uint32(objectNumberAt(t, files[i], r.XRefOffset))})
				}
				sortRefs(want)
				if fmt.Sprint(r.Objects) != fmt.Sprint(want) {
					t.Errorf("revision %d Objects = %v, want %v", i, r.Objects, want)
				}
				if len(r.Freed) != 0 {
					t.Errorf("revision %d Freed = %v", i, r.Freed)
				}
				// /Size covers every object number used so far.
				size, _ := r.Trailer["Size"].(Int)
				for _, o := range r.Objects {
					if int64(o.Num) >= int64(size) {
						t.Errorf("revision %d: object %d not below /Size %d", i, o.Num, size)
					}
				}
				// /ID keeps the first element and changes the second.
				id, _ := r.Trailer["ID"].(Array)
				if len(id) != 2 {
					t.Fatalf("revision %d /ID = %v", i, r.Trailer["ID"])
				}
				if !bytes.Equal(id[0].(String).Value, origID) {
					t.Errorf("revision %d /ID[0] changed", i)
				}
				pid, _ := revs[i-1].Trailer["ID"].(Array)
				if len(id[1].(String).Value) != 16 || bytes.Equal(id[1].(String).Value, pid[1].(String).Value) {
					t.Errorf("revision %d /ID[1] = %x, previous %x", i, id[1].(String).Value, pid[1].(String).Value)
				}
			}

			// Each revision's view sees the values of its time.
			for i := range revs {
				v, err := d.Revision(i)
				if err != nil {
					t.Fatal(err)
				}
				if v.RevisionIndex() != i {
					t.Errorf("Revision(%d).RevisionIndex() = %d", i, v.RevisionIndex())
				}
				want := origTitle
				if i > 0 {
					want = fmt.Sprintf("Revisi %d — Kabupaten Tuban", i)
				}
				if got := Text(mustInfo(t, v)["Title"]); got != want {
					t.Errorf("revision %d /Title = %q, want %q", i, got, want)
				}
				// Objects added later are absent (null) in older views.
				for j := i + 1; j < len(revs); j++ {
					sig := writtenRefs[j-1][0]
					if v.Has(sig.Num) {
						t.Errorf("revision %d sees object %v of revision %d", i, sig, j)
					}
					if o, err := v.Get(sig); err != nil || o != (Null{}) {
						t.Errorf("revision %d: Get(%v) = %v %v, want null", i, sig, o, err)
					}
				}
				pages, err := v.Pages()
				if err != nil || len(pages) == 0 {
					t.Errorf("revision %d pages: %d %v", i, len(pages), err)
				}
				readAll(t, v)
			}
			if _, err := d.Revision(4); err == nil {
				t.Error("Revision(4) of a 4-revision file did not fail")
			}
			if _, err := d.Revision(-1); err == nil {
				t.Error("Revision(-1) did not fail")
			}
			// The final view sees the newest values, and the signature
			// dictionaries' /Contents strings sit exactly where Written
			// said (what a signer patches later).
			if got := Text(mustInfo(t, d)["Title"]); got != "Revisi 3 — Kabupaten Tuban" {
				t.Errorf("final /Title = %q", got)
			}
			for k := 1; k <= 3; k++ {
				sig := writtenRefs[k-1][0]
				sd, err := d.GetDict(sig)
				if err != nil || sd == nil {
					t.Fatalf("signature %d: %v", k, err)
				}
				cs := sd["Contents"].(String)
				if cs.Pos < 0 || !bytes.Equal(file[cs.Pos:cs.End], append(append([]byte("<"), bytes.Repeat([]byte("0"), 64)...), '>')) {
					t.Errorf("signature %d /Contents at %d..%d: %q", k, cs.Pos, cs.End, file[max(cs.Pos, 0):max(cs.End, 0)])
				}
				fd, _ := d.GetDict(writtenRefs[k-1][1])
				if got := Text(fd["T"]); got != fmt.Sprintf("Tanda Tangan %d", k) {
					t.Errorf("field %d /T = %q", k, got)
				}
				apo, _ := d.Resolve(writtenRefs[k-1][2])
				data, err := d.StreamData(apo.(*Stream))
				if err != nil || string(data) != "0 0 10 10 re f" {
					t.Errorf("appearance %d = %q %v", k, data, err)
				}
			}

			// Outside judge: qpdf accepts every output.
			judge.Require(t, "qpdf")
			dir := t.TempDir()
			for i, f := range files[1:] {
				p := filepath.Join(dir, fmt.Sprintf("rev%d.pdf", i+1))
				if err := os.WriteFile(p, f, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := judge.QPDFCheck(t, p); err != nil {
					t.Errorf("update %d: %v", i+1, err)
				}
			}
		})
	}
}

// objectNumberAt returns the number of the object that starts at off.
func objectNumberAt(t *testing.T, file []byte, off int64) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(string(file[off:]), "%d", &n); err != nil {
		t.Fatalf("no object at %d: %v", off, err)
	}
	return n
}

func mustInfo(t *testing.T, d *Document) Dict {
	t.Helper()
	info, err := d.GetDict(d.Trailer()["Info"])
	if err != nil || info == nil {
		t.Fatalf("/Info: %v %v", info, err)
	}
	return info
}

func TestUpdateAllocAndSize(t *testing.T) {
	d := open(t, readTestdata(t, "pks.pdf"), nil)
	size := d.Trailer()["Size"].(Int)
	u := d.NewUpdate()
	r1 := u.Alloc()
	r2 := u.Add(Int(5))
	if int64(r1.Num) != int64(size) || r2.Num != r1.Num+1 || r1.Gen != 0 {
		t.Errorf("Alloc = %v, Add = %v with /Size %d", r1, r2, size)
	}
	// Set of an object never allocated is written as it is; Set twice
	// keeps the last value and writes the object once.
	u.Set(r1, Name("first"))
	u.Set(r1, Name("second"))
	w, err := u.Write()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(w.Bytes, []byte(fmt.Sprintf("\n%d 0 obj", r1.Num))); n != 1 {
		t.Errorf("object %v written %d times", r1, n)
	}
	out := append(readTestdata(t, "pks.pdf"), w.Bytes...)
	d2 := open(t, out, nil)
	if o, _ := d2.Get(r1); o != Name("second") {
		t.Errorf("object %v = %v", r1, o)
	}
	if got := d2.Trailer()["Size"].(Int); int64(got) != int64(r2.Num)+1 {
		t.Errorf("/Size = %d, want %d", got, r2.Num+1)
	}
	if d2.MaxObjectNumber() != r2.Num {
		t.Errorf("MaxObjectNumber = %d, want %d", d2.MaxObjectNumber(), r2.Num)
	}
	// An update of an empty update is still a valid revision.
	w2, err := d2.NewUpdate().Write()
	if err != nil {
		t.Fatal(err)
	}
	d3 := open(t, append(out, w2.Bytes...), nil)
	if n := len(d3.Revisions()); n != 3 {
		t.Errorf("%d revisions after an empty update", n)
	}
}

func TestUpdateCopiesWhatItReads(t *testing.T) {
	// Objects read from a file and written back unchanged in an update (as
	// the signer does with the catalog, the AcroForm and fields) must read
	// again: numbers in forms PDF does not have (exponents, infinities)
	// must not become tokens the reader refuses.
	file := simplePDF([]string{
		"<< /Fields [] /X 1e300 /Y -1e-300 /Z +Inf /W 0x10 /N 12.5 /I -7 /S (s) /H <4142> /A [1 2.5 /N] >>",
	}, "")
	d := open(t, file, nil)
	ref := Ref{Num: 4}
	o, err := d.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	u := d.NewUpdate()
	u.Set(ref, o)
	w, err := u.Write()
	if err != nil {
		t.Fatal(err)
	}
	d2 := open(t, append(bytes.Clone(file), w.Bytes...), nil)
	o2, err := d2.Get(ref)
	if err != nil {
		t.Fatalf("the copied object does not read: %v\n%s", err, w.Bytes)
	}
	if !Equal(o, o2) {
		t.Errorf("copied %s, read back %s", Format(o), Format(o2))
	}
	if len(w.Bytes) > 1000 {
		t.Errorf("the update of one small object is %d bytes", len(w.Bytes))
	}
}

func TestUpdateAfterFileWithoutFinalNewline(t *testing.T) {
	orig := bytes.TrimRight(readTestdata(t, "minimal.pdf"), "\r\n")
	d := open(t, orig, nil)
	u := d.NewUpdate()
	r := u.Add(TextString("x"))
	w, err := u.Write()
	if err != nil {
		t.Fatal(err)
	}
	if w.Bytes[0] != '\n' {
		t.Errorf("update after %%%%EOF without newline starts with %q", w.Bytes[:1])
	}
	out := append(bytes.Clone(orig), w.Bytes...)
	d2 := open(t, out, nil)
	if o, err := d2.Get(r); err != nil || Text(o) != "x" {
		t.Errorf("new object = %v %v", o, err)
	}
	// Revision 0's end includes the end-of-line after its %%EOF, here the
	// one the update wrote.
	if revs := d2.Revisions(); len(revs) != 2 || revs[0].EOF != int64(len(orig))+1 {
		t.Errorf("revisions %+v", revs)
	}
}

func TestRevisionFreedObjects(t *testing.T) {
	// Revision 1 frees object 4 and redefines 3; revision 2 brings 4 back
	// with generation 1.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>")
	w.obj(4, "(old)")
	x0 := w.xref([]int{1, 2, 3, 4}, true, "/Size 5 /Root 1 0 R")
	end0 := w.pos()
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 20 20] >>")
	x1 := w.pos()
	fmt.Fprintf(&w.b, "xref\n3 2\n%010d 00000 n\r\n0000000000 00001 f\r\ntrailer\n<< /Size 5 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", w.offs[3], x0, x1)
	end1 := w.pos()
	off4 := w.pos()
	fmt.Fprintf(&w.b, "4 1 obj\n(new)\nendobj\n")
	x2 := w.pos()
	fmt.Fprintf(&w.b, "xref\n4 1\n%010d 00001 n\r\ntrailer\n<< /Size 5 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off4, x1, x2)
	d := open(t, w.bytes(), nil)
	revs := d.Revisions()
	if len(revs) != 3 {
		t.Fatalf("%d revisions", len(revs))
	}
	if revs[0].EOF != end0 || revs[1].EOF != end1 || revs[2].EOF != int64(w.b.Len()) {
		t.Errorf("EOFs %d %d %d, want %d %d %d", revs[0].EOF, revs[1].EOF, revs[2].EOF, end0, end1, w.b.Len())
	}
	if fmt.Sprint(revs[0].Objects) != "[1 0 R 2 0 R 3 0 R 4 0 R]" || len(revs[0].Freed) != 0 {
		t.Errorf("revision 0: %v freed %v", revs[0].Objects, revs[0].Freed)
	}
	if fmt.Sprint(revs[1].Objects) != "[3 0 R]" || fmt.Sprint(revs[1].Freed) != "[4 1 R]" {
		t.Errorf("revision 1: %v freed %v", revs[1].Objects, revs[1].Freed)
	}
	if fmt.Sprint(revs[2].Objects) != "[4 1 R]" || len(revs[2].Freed) != 0 {
		t.Errorf("revision 2: %v freed %v", revs[2].Objects, revs[2].Freed)
	}
	views := make([]*Document, 3)
	for i := range views {
		views[i], _ = d.Revision(i)
	}
	get := func(v *Document, r Ref) Object {
		o, err := v.Get(r)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if Text(get(views[0], Ref{4, 0})) != "old" || !views[0].Has(4) {
		t.Error("revision 0 does not see (old)")
	}
	if o := get(views[1], Ref{4, 0}); o != (Null{}) || views[1].Has(4) {
		t.Errorf("revision 1 (freed) sees %v", o)
	}
	if o := get(views[2], Ref{4, 0}); o != (Null{}) {
		t.Errorf("revision 2: 4 0 R (generation 0) = %v, want null", o)
	}
	if Text(get(views[2], Ref{4, 1})) != "new" {
		t.Error("revision 2 does not see 4 1 R (new)")
	}
	mb := func(v *Document) string {
		p, _ := v.GetDict(Ref{3, 0})
		return Format(p["MediaBox"])
	}
	if mb(views[0]) != "[0 0 10 10]" || mb(views[1]) != "[0 0 20 20]" || mb(views[2]) != "[0 0 20 20]" {
		t.Errorf("MediaBox by revision: %s %s %s", mb(views[0]), mb(views[1]), mb(views[2]))
	}
}

func TestLinearizedIsOneRevision(t *testing.T) {
	judge.Require(t, "qpdf")
	dir := t.TempDir()
	in := filepath.Join("..", "testdata", "pks.pdf")
	lin := filepath.Join(dir, "lin.pdf")
	if out, err := judge.Command(t, "qpdf", "--deterministic-id", "--linearize", in, lin); err != nil {
		t.Fatalf("qpdf --linearize: %v\n%s", err, out)
	}
	b, err := os.ReadFile(lin)
	if err != nil {
		t.Fatal(err)
	}
	d := open(t, b, nil)
	if n := len(d.Revisions()); n != 1 {
		t.Fatalf("a linearized file has %d revisions, want 1", n)
	}
	pages, err := d.Pages()
	if err != nil || len(pages) != 3 {
		t.Fatalf("pages %d %v", len(pages), err)
	}
	out, _, _ := signLike(t, b, 1)
	d2 := open(t, out, nil)
	revs := d2.Revisions()
	if len(revs) != 2 || revs[0].EOF != int64(len(b)) || revs[1].EOF != int64(len(out)) {
		t.Errorf("after one update: %d revisions, EOFs %v", len(revs), eofs(revs))
	}
	p := filepath.Join(dir, "lin-upd.pdf")
	os.WriteFile(p, out, 0o644)
	if err := judge.QPDFCheck(t, p); err != nil {
		t.Error(err)
	}
}

func eofs(revs []Revision) []int64 {
	var e []int64
	for _, r := range revs {
		e = append(e, r.EOF)
	}
	return e
}

func TestWrittenXRefIsExact(t *testing.T) {
	// Every offset the update's cross-reference section gives points at
	// "N G obj" of that very object.
	for _, name := range []string{"pks.pdf", "pks-xrefstream.pdf"} {
		orig := readTestdata(t, name)
		out, _, refs := signLike(t, orig, 1)
		d := open(t, out, nil)
		last := d.Revisions()[1]
		for _, r := range last.Objects {
			loc := d.Locate(r.Num)
			if !loc.Ok || loc.Offset < int64(len(orig)) {
				t.Errorf("%s: %v at %+v, want in the update", name, r, loc)
				continue
			}
			if !strings.HasPrefix(string(out[loc.Offset:]), fmt.Sprintf("%d %d obj", r.Num, r.Gen)) {
				t.Errorf("%s: offset %d of %v points at %.20q", name, loc.Offset, r, out[loc.Offset:])
			}
		}
		if len(last.Objects) < len(refs) {
			t.Errorf("%s: %d objects in the update, wrote %d", name, len(last.Objects), len(refs))
		}
		nums := make([]int, 0, len(last.Objects))
		for _, r := range last.Objects {
			nums = append(nums, int(r.Num))
		}
		if !sort.IntsAreSorted(nums) {
			t.Errorf("%s: Objects not sorted %v", name, nums)
		}
	}
}
