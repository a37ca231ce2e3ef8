package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCommitAndNoClobber(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.pdf")
	f, err := Create(target, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("target exists before Commit")
	}
	f.WriteString("one")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "one" {
		t.Fatalf("got %q", b)
	}
	if _, err := Create(target, false); !errors.Is(err, ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	f2, err := Create(target, true)
	if err != nil {
		t.Fatal(err)
	}
	f2.WriteString("two")
	if err := f2.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "two" {
		t.Fatalf("got %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "x.pdf"), false)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("partial")
	f.Abort()
	f.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left: %v", ents)
	}
}

func TestRaceLoserDoesNotClobber(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.pdf")
	f, err := Create(target, false)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(target, []byte("other"), 0o644)
	f.WriteString("mine")
	if err := f.Commit(); !errors.Is(err, ErrExists) {
		t.Fatalf("want ErrExists, got %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "other" {
		t.Fatalf("clobbered: %q", b)
	}
}

func TestNothingVisibleWhileWriting(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "out.pdf"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	f.WriteString("partial")
	ents, _ := os.ReadDir(dir)
	if f.anonymous && len(ents) != 0 {
		t.Fatalf("an unnamed file is visible: %v", ents)
	}
	if !f.anonymous && len(ents) != 1 {
		t.Fatalf("want one hidden temporary file, got %v", ents)
	}
}
