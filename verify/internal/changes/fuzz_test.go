package changes

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"segel/pdf"
)

// FuzzAnalyze runs the analysis after every revision of arbitrary bytes,
// under every DocMDP level: it must neither panic nor hang, and its
// verdict must agree with its changes.
//
//	go test -run=^$ -fuzz=FuzzAnalyze -fuzztime=10m ./verify/internal/changes
func FuzzAnalyze(f *testing.F) {
	// Seeds: the tiny documents signed, and each of them changed in every
	// way the scenarios know.
	for _, b := range []*diffBase{
		diffSignBase(f, "tiny", diffTinyPDF(false), nil),
		diffSignBase(f, "tiny-objstm", diffTinyPDF(true), nil),
	} {
		f.Add(b.data)
		for _, s := range diffScenarios() {
			if s.needs == nil || s.needs(b) {
				f.Add(s.change(f, b))
			}
		}
	}
	for _, name := range []string{"minimal.pdf", "hybrid.pdf"} {
		if b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, err := pdf.Open(bytes.NewReader(in), int64(len(in)), &pdf.Options{AllowEncrypted: true, Limits: pdf.Limits{MaxDecoded: 1 << 20}})
		if err != nil {
			return
		}
		a := New(doc)
		revs := doc.Revisions()
		for i := range revs {
			if i >= 4 {
				break
			}
			res, err := a.After(i, Policy{DocMDP: i % 4, Locks: []Lock{{Action: "Include", Fields: []string{"Name"}}}})
			if err != nil {
				t.Fatalf("revision %d: %v", i, err)
			}
			disallowed := false
			for _, c := range res.Changes {
				if c.Object == "" || c.Kind == "" || c.Description == "" {
					t.Fatalf("incomplete change %+v", c)
				}
				disallowed = disallowed || !c.Allowed
			}
			if disallowed != (res.Level == LevelDisallowed) {
				t.Fatalf("level %s with changes %+v", res.Level, res.Changes)
			}
		}
		if _, err := doc.CrossCheck(a.Dangling); err != nil {
			t.Fatal(err)
		}
	})
}
