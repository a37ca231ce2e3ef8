package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/memkey"
)

// TestSignLevelBT: segel sign --tsa asks segel tsa serve (here on an
// in-memory key) for a signature time-stamp; segel verify reports B-T with
// the time proven. Without --tsa-roots, with an unreachable TSA or one
// whose roots are not trusted, signing refuses with one error and writes
// nothing.
func TestSignLevelBT(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tsaKey := memkey.MustNew(t, "cli-tsa", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "TSA Diskominfo", TSA: true}})
	signKey := memkey.MustNew(t, "cli-bt", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	dir := t.TempDir()
	url, _ := serveTSA(t, "--listen", "127.0.0.1:0", "--key", tsaKey.Ref(), "--audit-log", filepath.Join(dir, "tsa.jsonl"))
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)
	for _, k := range []string{"SEGEL_TSA_URL", "SEGEL_TSA_ROOTS", "SEGEL_TSA_USER", "SEGEL_TSA_PASSWORD", "SEGEL_TSA_TOKEN"} {
		t.Setenv(k, "")
	}

	out := filepath.Join(dir, "pks-bt.pdf")
	r := mustSegel(t, "sign", "--key", signKey.Ref(), "--field", "SigKabupaten", "--tsa", url, "--tsa-roots", root, "--tsa-allow", "loopback", "-o", out, testPKS(t))
	if !strings.Contains(r.stderr, "PAdES B-T") {
		t.Fatalf("sign: %s", r.stderr)
	}
	r = mustSegel(t, "verify", "--trust", root, out)
	if !strings.Contains(r.stdout, "B-T") || !strings.Contains(r.stdout, "TOTAL_PASSED") {
		t.Fatalf("verify:\n%s", r.stdout)
	}

	other, _ := devca.New(devca.Options{})
	otherRoot := filepath.Join(dir, "other.pem")
	os.WriteFile(otherRoot, other.RootPEM(), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no roots", []string{"--tsa", url, "--tsa-allow", "loopback"}, "--tsa needs --tsa-roots FILE"},
		{"B-T without a TSA", []string{"--level", "B-T"}, "--tsa URL"},
		{"loopback not allowed", []string{"--tsa", url, "--tsa-roots", root}, "--tsa-allow loopback"},
		{"untrusted TSA", []string{"--tsa", url, "--tsa-roots", otherRoot, "--tsa-allow", "loopback"}, "not trusted"},
		{"nobody listening", []string{"--tsa", "http://127.0.0.1:9/", "--tsa-roots", root, "--tsa-allow", "loopback"}, "127.0.0.1:9"},
	} {
		bad := filepath.Join(dir, "tidak.pdf")
		r := segel(t, append(append([]string{"sign", "--key", signKey.Ref()}, tc.args...), "-o", bad, testPKS(t))...)
		t.Logf("%s: %s", tc.name, strings.TrimSpace(r.stderr))
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "segel: error:") != 1 {
			t.Errorf("%s: exit %d\n%s", tc.name, r.code, r.stderr)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("%s: the output was written", tc.name)
		}
	}
}
