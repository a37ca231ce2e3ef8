//go:build ignore

// Command gen writes the sample PDFs of testdata/ (see testdata/README.md).
// Run it from the module root:
//
//	go run ./testdata/gen.go
//
// It needs qpdf (Debian package qpdf) for the cross-reference-stream and
// PDF 2.0 variants. The output is deterministic: running it again with the
// same Go and qpdf versions gives the same bytes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"segel/internal/sample"
)

func main() {
	dir := flag.String("dir", "testdata", "output directory")
	flag.Parse()
	log.SetFlags(0)

	gen := func(name string, f func(io.Writer) error) string {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		p := filepath.Join(*dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		return p
	}
	pks := gen("pks.pdf", func(w io.Writer) error { return sample.PKS(w, sample.PKSOptions{}) })
	form := gen("form.pdf", sample.Form)
	minimal := gen("minimal.pdf", sample.Minimal)
	gen("hybrid.pdf", sample.Hybrid)

	// --deterministic-id keeps qpdf's output reproducible (it otherwise
	// derives the second /ID element from the time).
	qpdf(pks, filepath.Join(*dir, "pks-xrefstream.pdf"), "--object-streams=generate")
	qpdf(form, filepath.Join(*dir, "form-xrefstream.pdf"), "--object-streams=generate")
	qpdf(minimal, filepath.Join(*dir, "minimal-pdf20.pdf"), "--force-version=2.0")

	for _, n := range []string{"pks.pdf", "pks-xrefstream.pdf", "form.pdf", "form-xrefstream.pdf",
		"minimal.pdf", "minimal-pdf20.pdf", "hybrid.pdf"} {
		p := filepath.Join(*dir, n)
		st, err := os.Stat(p)
		if err != nil {
			log.Fatal(err)
		}
		out, err := exec.Command("qpdf", "--check", p).CombinedOutput()
		if err != nil && !bytes.Contains(out, []byte("No syntax or stream encoding errors found")) {
			log.Fatalf("qpdf --check %s: %v\n%s", p, err, out)
		}
		fmt.Printf("%-22s %7d bytes\n", n, st.Size())
	}
}

func qpdf(in, out string, opts ...string) {
	args := append([]string{"--deterministic-id"}, opts...)
	args = append(args, in, out)
	cmd := exec.Command("qpdf", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		// Exit code 3 means warnings only; anything else is fatal.
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			log.Fatalf("qpdf %v: %v\n%s (install the Debian package qpdf)", args, err, b)
		}
	}
}
