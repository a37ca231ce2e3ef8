package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
)

// TestSignManyFileKey signs several inputs into a directory with a key
// file (one signature per document; batching applies to Vault keys only)
// and checks the usage errors of the multi-document form.
func TestSignManyFileKey(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Bupati Tuban", KeyType: devca.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p12, root := filepath.Join(dir, "k.p12"), filepath.Join(dir, "root.pem")
	if err := id.WriteP12(p12, "", false, true); err != nil {
		t.Fatal(err)
	}
	ca.WriteRootPEM(root)
	t.Setenv("SEGEL_KEY_PASSWORD", "")
	pks, _ := os.ReadFile(testPKS(t))
	in, out := t.TempDir(), t.TempDir()
	var files []string
	for _, n := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		f := filepath.Join(in, n)
		os.WriteFile(f, pks, 0o644)
		files = append(files, f)
	}
	r := mustSegel(t, append([]string{"sign", "--key", "file:" + p12, "--field", "SigKabupaten", "-o", out}, files...)...)
	if !strings.Contains(r.stderr, "signed 3 documents in 3 signing request(s)") {
		t.Fatalf("output: %s", r.stderr)
	}
	for _, f := range files {
		judgeSigned(t, filepath.Join(out, filepath.Base(f)), nil, root, 1)
	}
	// The outputs exist now: refused without --force, before anything is signed.
	r = segel(t, append([]string{"sign", "--key", "file:" + p12, "-o", out}, files...)...)
	if r.code != exitFailure || !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "0 of 3 document(s) signed") {
		t.Fatalf("existing outputs: exit %d\n%s", r.code, r.stderr)
	}
	// Two inputs with the same name.
	other := filepath.Join(t.TempDir(), "a.pdf")
	os.WriteFile(other, pks, 0o644)
	r = segel(t, "sign", "--key", "file:"+p12, "-o", t.TempDir(), files[0], other)
	if r.code != exitUsage || !strings.Contains(r.stderr, "would both be written to") {
		t.Fatalf("same base name: exit %d\n%s", r.code, r.stderr)
	}
	// One input and a directory: the input's name in that directory.
	d := t.TempDir()
	mustSegel(t, "sign", "--key", "file:"+p12, "-o", d, files[1])
	if _, err := os.Stat(filepath.Join(d, "b.pdf")); err != nil {
		t.Fatal(err)
	}
	if r := segel(t, "sign", "--key", "file:"+p12, "--batch", "0", "-o", d, files[0]); r.code != exitUsage {
		t.Fatalf("--batch 0: exit %d", r.code)
	}
}
