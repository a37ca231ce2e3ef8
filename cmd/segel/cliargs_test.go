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

	t.Setenv("LANG", "id_ID.UTF-8")
	r = segel(t, "sign", testPKS(t), "--key", key.Ref(), "-o", filepath.Join(dir, "tidak-ada", "x.pdf"))
	if !strings.Contains(r.stderr, "segel: galat: folder") || !strings.Contains(r.stderr, "tidak ada") {
		t.Errorf("Indonesian: %s", r.stderr)
	}
}
