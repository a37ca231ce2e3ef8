package signer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/pdf"
	"segel/signer"
)

// FuzzSign signs arbitrary bytes. Whatever the input, Sign must return an
// error or a file that starts with the input and re-opens with one more
// revision; it must never panic or hang.
//
//	go test -run=^$ -fuzz=FuzzSign -fuzztime=60s ./signer
func FuzzSign(f *testing.F) {
	for _, p := range fuzzSeeds(f) {
		b, err := os.ReadFile(p)
		if err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		f.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Fuzz", KeyType: devca.ECDSAP256})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := &memOut{}
		_, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out,
			signer.Options{Signer: id.Key, Chain: id.Chain, Time: time.Unix(1_800_000_000, 0)})
		if err != nil {
			return
		}
		if !bytes.HasPrefix(out.b, in) {
			t.Fatal("the output does not start with the input")
		}
		before, err1 := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
		after, err2 := pdf.Open(bytes.NewReader(out.b), int64(len(out.b)), nil)
		if err1 != nil || err2 != nil {
			t.Fatalf("signed a file that does not re-open: %v / %v", err1, err2)
		}
		if len(after.Revisions()) != len(before.Revisions())+1 {
			t.Fatalf("revisions %d → %d", len(before.Revisions()), len(after.Revisions()))
		}
	})
}

// fuzzSeeds lists the repository's sample PDFs and, when present, the
// public corpus beside the repository (read, never copied).
func fuzzSeeds(f *testing.F) []string {
	var out []string
	for _, pat := range []string{
		filepath.Join("..", "testdata", "*.pdf"),
		filepath.Join("..", "testdata", "hostile", "*.pdf"),
		filepath.Join("..", "..", "shared", "corpus", "pdfs", "*.pdf"),
	} {
		m, _ := filepath.Glob(pat)
		out = append(out, m...)
	}
	return out
}
