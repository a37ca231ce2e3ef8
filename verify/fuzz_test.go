package verify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify runs the whole verifier on arbitrary bytes: it must return a
// report (never an error for bad content, never a panic or a hang), and a
// file it calls TOTAL_PASSED must have at least one signature.
//
//	go test -run=^$ -fuzz=FuzzVerify -fuzztime=60s ./verify
func FuzzVerify(f *testing.F) {
	for _, pat := range []string{
		filepath.Join("..", "testdata", "*.pdf"),
		filepath.Join("..", "testdata", "hostile", "*.pdf"),
		filepath.Join("..", "..", "shared", "corpus", "pdfs", "*.pdf"),
	} {
		m, _ := filepath.Glob(pat)
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil && len(b) < 1<<20 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rep, err := File(context.Background(), "fuzz.pdf", bytes.NewReader(in), int64(len(in)), Options{})
		if err != nil {
			t.Fatalf("error instead of a report: %v", err)
		}
		if rep.Indication == TotalPassed && len(rep.Signatures) == 0 {
			t.Fatal("TOTAL_PASSED without signatures")
		}
		if rep.Indication == TotalPassed {
			t.Fatal("TOTAL_PASSED without trust roots")
		}
	})
}
