package pdf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Fuzzing:
//
//	go test -run=^$ -fuzz=FuzzOpen -fuzztime=120s -fuzzminimizetime=100x ./pdf
//	go test -run=^$ -fuzz=FuzzLexer -fuzztime=120s -fuzzminimizetime=100x ./pdf
//
// Seeds are testdata/*.pdf, testdata/hostile/*.pdf and, when it is present,
// the public corpus in ../shared/corpus/pdfs (or $SEGEL_CORPUS/pdfs), read
// when the test runs: its files are never copied into this repository.
// Crashers found are kept in testdata/fuzz/<Target>/ and run as regression
// tests by a plain go test.

// fuzzLimits keep one execution fast: a stream decodes to at most 4 MiB.
var fuzzLimits = Limits{MaxDecoded: 4 << 20, MaxTokenLen: 1 << 20, MaxObjects: 1 << 20, MaxRevisions: 1000}

func seedFiles(f testing.TB) []string {
	var files []string
	for _, pat := range []string{
		filepath.Join("..", "testdata", "*.pdf"),
		filepath.Join("..", "testdata", "hostile", "*.pdf"),
	} {
		m, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, m...)
	}
	corpus := os.Getenv("SEGEL_CORPUS")
	if corpus == "" {
		corpus = filepath.Join("..", "..", "shared", "corpus")
	}
	if st, err := os.Stat(filepath.Join(corpus, "pdfs")); err == nil && st.IsDir() {
		m, _ := filepath.Glob(filepath.Join(corpus, "pdfs", "*.pdf"))
		files = append(files, m...)
	}
	return files
}

func FuzzOpen(f *testing.F) {
	for _, p := range seedFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Small hand-made structures that reach the odd corners quickly.
	f.Add(simplePDF([]string{"[1 0 R (x) <41>]", "<< /A 4 0 R >>"}, "/Info 4 0 R"))
	f.Add([]byte("%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\nxref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer<</Size 2/Root 1 0 R/Prev 0>>\nstartxref\n52\n%%EOF"))
	f.Add([]byte("%PDF-1.5\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Open(bytes.NewReader(b), int64(len(b)), &Options{Limits: fuzzLimits, AllowEncrypted: true})
		if err != nil {
			return
		}
		fuzzDocument(t, d, b)
	})
}

// fuzzDocument reads everything of d (the file b) and checks the
// invariants that hold for any file that opens.
func fuzzDocument(t *testing.T, d *Document, b []byte) {
	size := int64(len(b))
	revs := d.Revisions()
	if len(revs) == 0 {
		t.Fatal("a document with no revision")
	}
	for i, r := range revs {
		if r.Index != i || r.XRefOffset < 0 || r.XRefOffset >= size || r.EOF > size || r.Trailer == nil {
			t.Fatalf("revision %d: %+v (file of %d bytes)", i, r, size)
		}
		for _, list := range [][]Ref{r.Objects, r.Freed} {
			for k := 1; k < len(list); k++ {
				if list[k-1].Num >= list[k].Num {
					t.Fatalf("revision %d: objects not sorted or repeated: %v", i, list)
				}
			}
		}
		v, err := d.Revision(i)
		if err != nil {
			t.Fatal(err)
		}
		if v.RevisionIndex() != i {
			t.Fatalf("Revision(%d).RevisionIndex() = %d", i, v.RevisionIndex())
		}
		v.Catalog()
		v.Pages()
		v.Fields()
		for _, ref := range r.Objects {
			o, err := v.Get(ref)
			if err != nil {
				continue
			}
			checkPositions(t, b, o, 0)
			v.Resolve(o)
			v.GetDict(o)
			v.GetArray(o)
			if st, ok := o.(*Stream); ok {
				if st.Offset < 0 || st.Length < 0 || st.Offset+st.Length > size {
					t.Fatalf("%v: stream at %d+%d in a file of %d bytes", ref, st.Offset, st.Length, size)
				}
				data, err := v.StreamData(st)
				if int64(len(data)) > fuzzLimits.MaxDecoded {
					t.Fatalf("%v: %d bytes decoded, more than MaxDecoded (err %v)", ref, len(data), err)
				}
			}
		}
	}
	d.Issues()

	// An update appended to any file that opens must open again, with one
	// more revision that holds what was written.
	u := d.NewUpdate()
	ref := u.Add(TextString("fuzz — update"))
	w, err := u.Write()
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	off, ok := w.Offsets[ref]
	if !ok || !bytes.HasSuffix(w.Bytes[:off], []byte(fmt.Sprintf("%d %d obj\n", ref.Num, ref.Gen))) {
		t.Fatalf("Written.Offsets[%v] = %d is not after its object header", ref, off)
	}
	out := append(bytes.Clone(b), w.Bytes...)
	d2, err := Open(bytes.NewReader(out), int64(len(out)), &Options{Limits: fuzzLimits, AllowEncrypted: true})
	if err != nil {
		t.Fatalf("the file with an update does not open: %v\nupdate:\n%s", err, w.Bytes)
	}
	if n := len(d2.Revisions()); n != len(revs)+1 {
		t.Fatalf("%d revisions after an update of a file with %d", n, len(revs))
	}
	if o, err := d2.Get(ref); err != nil || Text(o) != "fuzz — update" {
		t.Fatalf("the written object reads as %v, %v", o, err)
	}
}

// checkPositions checks that every string carrying a file position
// points at a string token of the file with the same value.
func checkPositions(t *testing.T, b []byte, o Object, depth int) {
	if depth > 100 {
		return
	}
	switch x := o.(type) {
	case String:
		if x.Pos < 0 && x.End < 0 {
			return
		}
		if x.Pos < 0 || x.End <= x.Pos || x.End > int64(len(b)) {
			t.Fatalf("string %q at %d..%d in %d bytes", x.Value, x.Pos, x.End, len(b))
		}
		tok := b[x.Pos:x.End]
		if !(tok[0] == '(' && tok[len(tok)-1] == ')') && !(tok[0] == '<' && tok[len(tok)-1] == '>') {
			t.Fatalf("string %q: file[%d:%d] = %q is not a string token", x.Value, x.Pos, x.End, tok)
		}
		again, err := lex(string(tok), false)
		if err != nil || !Equal(again, x) {
			t.Fatalf("string %q: file[%d:%d] = %q reads as %v, %v", x.Value, x.Pos, x.End, tok, again, err)
		}
	case Array:
		for _, e := range x {
			checkPositions(t, b, e, depth+1)
		}
	case Dict:
		for _, e := range x {
			checkPositions(t, b, e, depth+1)
		}
	case *Stream:
		checkPositions(t, b, x.Dict, depth+1)
	}
}

func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"/A#20B", "(a(b)c\\)\\101\\\n)", "<48 65 6>", "-.5", "+3", "1 0 R", "[1 2 3 R]",
		"<< /A [1 [2 << /B (x) >>]] /C null /D true /E false >>", "[1 %c\n2]",
		"<< /A 1 endobj", "[(x) <79> /N 1.5 -0 .5]", "(\\0053\\777)", "<>", "()",
	} {
		f.Add([]byte(s))
	}
	// Object bodies from the sample files.
	for _, p := range seedFiles(f) {
		if filepath.Base(filepath.Dir(p)) != "testdata" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte(" obj"))
			if j < 0 {
				break
			}
			start := i + j + 4
			end := bytes.Index(b[start:], []byte("endobj"))
			if end < 0 {
				break
			}
			if end < 4096 {
				f.Add(bytes.Clone(b[start : start+end]))
			}
			i = start
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l := &lexer{r: newReader(bytes.NewReader(b), 0, int64(len(b))), maxTok: 1 << 16}
		o, err := l.parseObject(0, DefaultLimits.MaxDepth, true)
		if err != nil {
			return
		}
		checkPositions(t, b, o, 0)
		// What Format writes reads back as the same object.
		s := Format(o)
		back, err := lex(s, false)
		if err != nil {
			t.Fatalf("%q parsed as %s, which does not parse: %v", b, s, err)
		}
		if !Equal(back, o) {
			t.Fatalf("%q parsed as %s, which reads back as %s", b, s, Format(back))
		}
	})
}
