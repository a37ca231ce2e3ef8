package archive

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestStateDue: a file is due when it is new, when its size or
// modification time changed, or when it was checked by another segel
// version or against another trust set; records survive reopening.
func TestStateDue(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2026, 12, 4, 1, 0, 0, 123, time.UTC)
	if due, err := s.Due(ctx, "a.pdf", 10, mt, "v1", "T"); err != nil || !due {
		t.Fatalf("new file: due=%v err=%v", due, err)
	}
	for _, r := range []Record{
		{Path: "a.pdf", Size: 10, ModTime: mt, SHA256: "aa", Verdict: "TOTAL_PASSED", CheckedAt: mt, Version: "v1", Trust: "T"},
		{Path: "b.pdf", Size: 20, ModTime: mt, SHA256: "bb", Verdict: "TOTAL_FAILED", CheckedAt: mt.Add(time.Second), Version: "v1", Trust: "T"},
	} {
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		name    string
		size    int64
		mtime   time.Time
		version string
		trust   string
		want    bool
	}{
		{"unchanged", 10, mt, "v1", "T", false},
		{"size", 11, mt, "v1", "T", true},
		{"mtime (ns)", 10, mt.Add(time.Nanosecond), "v1", "T", true},
		{"version", 10, mt, "v2", "T", true},
		{"trust", 10, mt, "v1", "U", true},
	} {
		due, err := s.Due(ctx, "a.pdf", c.size, c.mtime, c.version, c.trust)
		if err != nil || due != c.want {
			t.Errorf("%s: due=%v err=%v, want %v", c.name, due, err, c.want)
		}
	}
	// Put replaces a file's record.
	if err := s.Put(ctx, Record{Path: "b.pdf", Size: 20, ModTime: mt, SHA256: "bb", Verdict: "TOTAL_PASSED", CheckedAt: mt.Add(2 * time.Second), Version: "v1", Trust: "T"}); err != nil {
		t.Fatal(err)
	}
	counts, last, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 1 || counts["TOTAL_PASSED"] != 2 {
		t.Errorf("counts %v, want TOTAL_PASSED 2", counts)
	}
	if !last.Equal(mt.Add(2 * time.Second)) {
		t.Errorf("last check %v", last)
	}
	if _, err := Open(ctx, ""); err == nil {
		t.Error("Open without a path succeeded")
	}
}
