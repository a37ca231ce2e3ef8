package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/memkey"
)

// TestFields: segel fields lists the PKS's signature fields; fields add
// puts an empty visible field on a page of the unsigned template, which
// then lists, signs and verifies; bad requests are refused with nothing
// written.
func TestFields(t *testing.T) {
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "fields", memkey.Options{CA: ca})
	dir := t.TempDir()
	list := func(path string) []map[string]any {
		t.Helper()
		r := mustSegel(t, "fields", "--json", path)
		var out []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("fields --json: %v\n%s", err, r.stdout)
		}
		return out
	}
	if f := list(testPKS(t)); len(f) != 2 || f[0]["signed"] != false {
		t.Fatalf("the PKS's fields: %v", f)
	}
	r := mustSegel(t, "fields", testPKS(t))
	if !strings.Contains(r.stdout, "SigKabupaten") || !strings.Contains(r.stdout, "empty") {
		t.Fatalf("fields: %s", r.stdout)
	}
	tpl := filepath.Join(dir, "pks-saksi.pdf")
	mustSegel(t, "fields", "add", "--name", "SigSaksi", "--page", "3", "--rect", "60,300,220,80", "-o", tpl, testPKS(t))
	f := list(tpl)
	if len(f) != 3 || f[2]["name"] != "SigSaksi" || f[2]["page"] != float64(3) || f[2]["visible"] != true {
		t.Fatalf("after fields add: %v", f)
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		if out, err := exec.Command("qpdf", "--check", tpl).CombinedOutput(); err != nil {
			t.Fatalf("qpdf --check: %v\n%s", err, out)
		}
	}
	signed := filepath.Join(dir, "pks-saksi-signed.pdf")
	mustSegel(t, "sign", "--key", key.Ref(), "--field", "SigSaksi", "-o", signed, tpl)
	if f := list(signed); f[2]["signed"] != true {
		t.Fatalf("after signing: %v", f)
	}
	verifiedBy(t, key, signed)

	for name, args := range map[string][]string{
		"existing name":  {"--name", "SigKabupaten", "--rect", "10,10,100,50", "-o", filepath.Join(dir, "a.pdf"), testPKS(t)},
		"no such page":   {"--name", "X", "--page", "9", "--rect", "10,10,100,50", "-o", filepath.Join(dir, "b.pdf"), testPKS(t)},
		"tiny rectangle": {"--name", "X", "--rect", "10,10,2,2", "-o", filepath.Join(dir, "c.pdf"), testPKS(t)},
		"bad rectangle":  {"--name", "X", "--rect", "10,10", "-o", filepath.Join(dir, "d.pdf"), testPKS(t)},
		"signed already": {"--name", "X", "--rect", "10,10,100,50", "-o", filepath.Join(dir, "e.pdf"), signed},
	} {
		r := segel(t, append([]string{"fields", "add"}, args...)...)
		if r.code == 0 || strings.Count(r.stderr, "segel: error:") != 1 {
			t.Errorf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		if out := args[len(args)-2]; fileExists(out) {
			t.Errorf("%s: %s was written", name, out)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
