package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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

// TestCatalogKeysUsed: every text in the catalog is written somewhere in
// the command's sources (an entry whose English was reworded or removed
// would otherwise sit there unused while the new text stays English).
func TestCatalogKeysUsed(t *testing.T) {
	srcs, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range srcs {
		if f == "i18n.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	for key := range catalogID {
		if !bytes.Contains(all, []byte(strconv.Quote(key))) {
			t.Errorf("catalog text %q is used nowhere", key)
		}
	}
}
