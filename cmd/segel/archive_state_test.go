package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"segel/archive"
	"segel/verify"
)

// TestStateRecordsWhatWasVerified: --state records a file under the size
// and modification time it had when it was opened for verifying; a file
// changed since then, or one that could not be opened, is not recorded,
// so the next run verifies it again.
func TestStateRecordsWhatWasVerified(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := archive.Open(ctx, filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &stateRun{st: st, version: "v", trust: "T"}
	f := filepath.Join(dir, "a.pdf")
	if err := os.WriteFile(f, []byte("%PDF-1.7 first"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := verifyResult{rep: &verify.Report{Indication: verify.TotalPassed}, size: fi.Size(), mtime: fi.ModTime()}

	// Unchanged: recorded, and not due on the next run.
	if err := r.record(ctx, f, seen); err != nil {
		t.Fatal(err)
	}
	if due, err := st.Due(ctx, f, fi.Size(), fi.ModTime(), "v", "T"); err != nil || due {
		t.Fatalf("recorded file: due=%v err=%v", due, err)
	}

	// Changed while it was being verified: the old verdict is not paired
	// with the new content.
	g := filepath.Join(dir, "b.pdf")
	if err := os.WriteFile(g, []byte("%PDF-1.7 first"), 0o644); err != nil {
		t.Fatal(err)
	}
	gi, _ := os.Stat(g)
	seenG := verifyResult{rep: &verify.Report{Indication: verify.TotalPassed}, size: gi.Size(), mtime: gi.ModTime()}
	if err := os.WriteFile(g, []byte("%PDF-1.7 second, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := gi.ModTime().Add(time.Second)
	if err := os.Chtimes(g, later, later); err != nil {
		t.Fatal(err)
	}
	if err := r.record(ctx, g, seenG); err != nil {
		t.Fatal(err)
	}
	now, _ := os.Stat(g)
	if due, err := st.Due(ctx, g, now.Size(), now.ModTime(), "v", "T"); err != nil || !due {
		t.Fatalf("file changed during verification: due=%v err=%v, want due", due, err)
	}

	// Not opened for verifying (no size or time seen): not recorded.
	h := filepath.Join(dir, "c.pdf")
	if err := os.WriteFile(h, []byte("%PDF-1.7"), 0o644); err != nil {
		t.Fatal(err)
	}
	hi, _ := os.Stat(h)
	if err := r.record(ctx, h, verifyResult{err: os.ErrPermission}); err != nil {
		t.Fatal(err)
	}
	if due, err := st.Due(ctx, h, hi.Size(), hi.ModTime(), "v", "T"); err != nil || !due {
		t.Fatalf("file never opened: due=%v err=%v, want due", due, err)
	}
}
