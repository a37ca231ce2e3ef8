package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCatalogCoversTr: every literal text passed to tr() in the command's
// sources has an Indonesian translation (a key spelt differently would
// silently stay English).
func TestCatalogCoversTr(t *testing.T) {
	srcs, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\btr\("((?:[^"\\]|\\.)*)"\)`)
	n := 0
	for _, f := range srcs {
		if filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllSubmatch(b, -1) {
			key := regexp.MustCompile(`\\(.)`).ReplaceAllString(string(m[1]), "$1")
			n++
			if _, ok := catalogID[key]; !ok {
				t.Errorf("%s: tr(%q) has no Indonesian text", f, key)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d tr() calls; the pattern no longer matches the sources", n)
	}
}
