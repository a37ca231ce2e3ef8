package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/memkey"
)

// TestForgivingCLI: flags after the file names, segel version and
// completion, "did you mean" for commands and flags, an unknown flag said
// once without the whole help, a missing output folder said plainly, and
// the words in Indonesian under LANG=id_ID.
func TestForgivingCLI(t *testing.T) {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		t.Setenv(k, "")
	}
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "cli-forgiving", memkey.Options{CA: ca})
	dir := t.TempDir()
	out := filepath.Join(dir, "ditandatangani.pdf")

	// The habit: file first, flags after.
	r := mustSegel(t, "sign", testPKS(t), "--key", key.Ref(), "-o", out)
	if _, err := os.Stat(out); err != nil || !strings.Contains(r.stderr, "signed field") {
		t.Fatalf("flags after the file: %v\n%s", err, r.stderr)
	}
	// "--" still ends the flags.
	if r := segel(t, "sign", "--key", key.Ref(), "-o", filepath.Join(dir, "x.pdf"), "--", "--bukan-flag.pdf"); r.code == 0 || !strings.Contains(r.stderr, "--bukan-flag.pdf") {
		t.Errorf("after --: exit %d\n%s", r.code, r.stderr)
	}

	r = mustSegel(t, "version")
	if !strings.HasPrefix(r.stdout, "segel ") {
		t.Errorf("version: %q", r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		r := mustSegel(t, "completion", sh)
		if !strings.Contains(r.stdout, "extend") || !strings.Contains(r.stdout, "verify") || !strings.Contains(r.stdout, "tsa-roots") {
			t.Errorf("completion %s lacks commands or flags:\n%.300s", sh, r.stdout)
		}
	}
	if r := segel(t, "completion", "powershell"); r.code != exitUsage {
		t.Errorf("completion powershell: exit %d", r.code)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verfy", "x.pdf"}, `did you mean "segel verify"`},
		{[]string{"keys", "craete"}, `did you mean "segel keys create"`},
		{[]string{"sign", "--kye", "x", "in.pdf"}, `did you mean "--key"`},
		{[]string{"verify", "--jsonn", "x.pdf"}, `did you mean "--json"`},
	} {
		r := segel(t, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "segel: error:") != 1 ||
			strings.Contains(r.stderr, "USAGE:") || strings.Contains(r.stdout, "USAGE:") {
			t.Errorf("segel %s: exit %d\n%s%s", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr)
		}
	}
	r = segel(t, "sign", testPKS(t), "--key", key.Ref(), "-o", filepath.Join(dir, "tidak-ada", "x.pdf"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "does not exist (create it first") || strings.Contains(r.stderr, "temporary") || strings.Contains(r.stderr, "segel help") {
		t.Errorf("missing output folder: exit %d\n%s", r.code, r.stderr)
	}

	// A missing path is one error line; the other files are verified.
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)
	r = segel(t, "verify", "--trust", root, filepath.Join(dir, "hilang.pdf"), out)
	if r.code != exitUsage || strings.Count(r.stderr, "segel: error:") != 1 || !strings.Contains(r.stderr, "hilang.pdf") ||
		!strings.Contains(r.stdout, "ditandatangani.pdf: TOTAL_PASSED") || !strings.Contains(r.stderr, "segel: 1 files") && !strings.Contains(r.stdout, "TOTAL_PASSED") {
		t.Errorf("verify with a missing path: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	t.Setenv("LANG", "id_ID.UTF-8")
	r = segel(t, "sign", testPKS(t), "--key", key.Ref(), "-o", filepath.Join(dir, "tidak-ada", "x.pdf"))
	if !strings.Contains(r.stderr, "segel: galat: folder") || !strings.Contains(r.stderr, "tidak ada") {
		t.Errorf("Indonesian: %s", r.stderr)
	}
}

// TestServeCheckOpensKeys: segel serve --check opens every key, so a key
// that cannot open fails the check with its name, and a good one passes.
func TestServeCheckOpensKeys(t *testing.T) {
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "serve-check", memkey.Options{CA: ca})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "segel-serve.yaml")
	write := func(ref string) {
		os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\nallow_plain_http: true\nkeys:\n  kepala:\n    ref: "+ref+"\naudit:\n  file: audit.jsonl\n"), 0o600)
	}
	write(key.Ref())
	r := segel(t, "serve", "--config", cfg, "--check")
	if r.code != 0 || !strings.Contains(r.stderr, "the configuration is valid") {
		t.Fatalf("good key: exit %d\n%s", r.code, r.stderr)
	}
	write("file:" + filepath.Join(dir, "tidak-ada.p12"))
	r = segel(t, "serve", "--config", cfg, "--check")
	if r.code == 0 || !strings.Contains(r.stderr, "keys.kepala") || !strings.Contains(r.stderr, "cannot be opened") {
		t.Fatalf("missing key file: exit %d\n%s", r.code, r.stderr)
	}
}

// TestDemoConfigChecks: deploy/segel-serve.demo.yaml passes serve --check
// as shipped, on the files segel demo writes.
func TestDemoConfigChecks(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "deploy"), 0o755)
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "segel-serve.demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "deploy", "segel-serve.demo.yaml")
	os.WriteFile(cfg, b, 0o644)
	if r := segel(t, "serve", "--config", cfg, "--check"); r.code == 0 {
		t.Fatal("the demo configuration passed --check without the demo's files")
	}
	mustSegel(t, "demo", "--dir", filepath.Join(root, "segel-demo"))
	r := mustSegel(t, "serve", "--config", cfg, "--check")
	if !strings.Contains(r.stderr, "the configuration is valid") {
		t.Fatalf("serve --check: %s", r.stderr)
	}
}
