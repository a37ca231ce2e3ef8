package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/memkey"
	"segel/keystore"
	"segel/verify"
)

// These tests sign with in-memory keys (package memkey, scheme mem:),
// a backend the segel binary does not contain: it is linked into this
// test binary only. They need no Vault.

// pksCopies writes n copies of the sample agreement.
func pksCopies(t *testing.T, n int) []string {
	t.Helper()
	pks, err := os.ReadFile(testPKS(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	for i := range n {
		f := filepath.Join(dir, fmt.Sprintf("surat-%d.pdf", i))
		if err := os.WriteFile(f, pks, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// verifiedBy checks that path holds one signature that verifies against
// the key's CA.
func verifiedBy(t *testing.T, mk *memkey.Key, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rep, err := verify.File(context.Background(), path, f, st.Size(), verify.Options{Roots: mk.CA().RootPool()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != 1 {
		t.Fatalf("%s: %s/%s with %d signatures", path, rep.Indication, rep.SubIndication, len(rep.Signatures))
	}
}

// TestSignMemKey: a new backend plugs in with one package; segel sign
// uses its capabilities: batches, versions, or one context-bound call per
// document.
func TestSignMemKey(t *testing.T) {
	t.Run("batches", func(t *testing.T) {
		mk := memkey.MustNew(t, "cli-batch", memkey.Options{Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
		files, out := pksCopies(t, 5), t.TempDir()
		r := mustSegel(t, append([]string{"sign", "--key", mk.Ref(), "--field", "SigKabupaten", "--batch", "2", "-o", out}, files...)...)
		if st := mk.Stats(); st.Batches != 3 || st.BatchDigests != 5 {
			t.Fatalf("stats %+v, want 3 batches", st)
		}
		if !strings.Contains(r.stderr, `as "Bupati Tuban" with cli-batch version 1 → `) ||
			!strings.Contains(r.stderr, "signed 5 documents with cli-batch version 1 in 3 signing request(s)") {
			t.Fatalf("output: %s", r.stderr)
		}
		for _, f := range files {
			verifiedBy(t, mk, filepath.Join(out, filepath.Base(f)))
		}
	})
	t.Run("one call per document", func(t *testing.T) {
		mk := memkey.MustNew(t, "cli-single", memkey.Options{NoBatch: true})
		files, out := pksCopies(t, 3), t.TempDir()
		r := mustSegel(t, append([]string{"sign", "--key", mk.Ref(), "-o", out}, files...)...)
		if st := mk.Stats(); st.ContextSigns != 3 || st.Signs != 0 || st.Batches != 0 {
			t.Fatalf("stats %+v, want 3 context-bound signatures", st)
		}
		if !strings.Contains(r.stderr, "in 3 signing request(s)") {
			t.Fatalf("output: %s", r.stderr)
		}
	})
	t.Run("plain signer", func(t *testing.T) {
		mk := memkey.MustNew(t, "cli-plain", memkey.Options{Plain: true})
		files, out := pksCopies(t, 2), t.TempDir()
		r := mustSegel(t, append([]string{"sign", "--key", mk.Ref(), "-o", out}, files...)...)
		if st := mk.Stats(); st.Signs != 2 || !strings.Contains(r.stderr, "signed 2 documents in 2 signing request(s)") {
			t.Fatalf("stats %+v, output %s", st, r.stderr)
		}
	})
	t.Run("uncertified newer version", func(t *testing.T) {
		mk := memkey.MustNew(t, "cli-rotated", memkey.Options{Version: 2, Latest: 3})
		r := mustSegel(t, "sign", "--key", mk.Ref(), "-o", filepath.Join(t.TempDir(), "x.pdf"), pksCopies(t, 1)[0])
		if !strings.Contains(r.stderr, "cli-rotated has version 3 without a certificate; signing with version 2") ||
			strings.Contains(r.stderr, "segel cert request") {
			t.Fatalf("output: %s", r.stderr)
		}
	})
}

// TestSignMemKeyFaults: every keystore sentinel gives one error and
// segel's own advice, and a run that fails midway keeps what it signed.
func TestSignMemKeyFaults(t *testing.T) {
	for _, tc := range []struct {
		kind error
		hint string
	}{
		{keystore.ErrUnreachable, "running and reachable"},
		{keystore.ErrTimeout, "did not answer in time"},
		{keystore.ErrSealed, "must be unsealed"},
		{keystore.ErrCredentialsExpired, "renew the credentials"},
	} {
		t.Run(tc.kind.Error(), func(t *testing.T) {
			mk := memkey.MustNew(t, "cli-fault-"+strings.ReplaceAll(tc.kind.Error(), " ", "-"), memkey.Options{NoBatch: true})
			files, out := pksCopies(t, 3), t.TempDir()
			mk.FailAfter(1, tc.kind)
			r := segel(t, append([]string{"sign", "--key", mk.Ref(), "-o", out}, files...)...)
			if r.code != exitFailure || strings.Count(r.stderr, "segel: error:") != 1 ||
				!strings.Contains(r.stderr, "segel: hint: ") || !strings.Contains(r.stderr, tc.hint) ||
				!strings.Contains(r.stderr, "stopped: 1 of 3 document(s) signed; nothing was written from "+files[1]+" on") {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "vault") || strings.Contains(r.stderr, "Vault") {
				t.Fatalf("Vault advice for a key elsewhere:\n%s", r.stderr)
			}
			verifiedBy(t, mk, filepath.Join(out, filepath.Base(files[0])))
			for _, f := range files[1:] {
				if _, err := os.Stat(filepath.Join(out, filepath.Base(f))); err == nil {
					t.Fatalf("%s was written after the failure", f)
				}
			}
		})
	}
	t.Run("open fails", func(t *testing.T) {
		mk := memkey.MustNew(t, "cli-fault-open", memkey.Options{})
		mk.Fail(keystore.ErrSealed, memkey.OpOpen)
		out := filepath.Join(t.TempDir(), "x.pdf")
		r := segel(t, "sign", "--key", mk.Ref(), "-o", out, pksCopies(t, 1)[0])
		if r.code != exitFailure || !strings.Contains(r.stderr, "must be unsealed") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("an output was written")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		r := segel(t, "sign", "--key", "mem:tidak-ada", "-o", filepath.Join(t.TempDir(), "x.pdf"), pksCopies(t, 1)[0])
		if r.code != exitFailure || !strings.Contains(r.stderr, "not found") || strings.Contains(r.stderr, "segel keys create") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
	})
}
