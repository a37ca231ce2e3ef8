package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/memkey"
)

// startTSA runs segel tsa serve on loopback with an in-memory key (named
// keyName) certified by ca, clears the SEGEL_TSA_* variables the test's
// environment might set, and returns a temporary folder, the TSA's URL
// and the path of ca's root certificate.
func startTSA(t *testing.T, ca *devca.CA, keyName string) (dir, url, root string) {
	t.Helper()
	tsaKey := memkey.MustNew(t, keyName, memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "TSA Diskominfo", TSA: true}})
	dir = t.TempDir()
	url, _ = serveTSA(t, "--listen", "127.0.0.1:0", "--key", tsaKey.Ref(), "--audit-log", filepath.Join(dir, "tsa.jsonl"))
	root = filepath.Join(dir, "root.pem")
	if err := os.WriteFile(root, ca.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"SEGEL_TSA_URL", "SEGEL_TSA_ROOTS", "SEGEL_TSA_USER", "SEGEL_TSA_PASSWORD", "SEGEL_TSA_TOKEN"} {
		t.Setenv(k, "")
	}
	return dir, url, root
}

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
	signKey := memkey.MustNew(t, "cli-bt", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	dir, url, root := startTSA(t, ca, "cli-tsa")

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

// TestSignAndExtendLTV: segel sign --level B-LTA makes a B-LTA file in one
// command; segel extend upgrades a B-T file to B-LT, skips it when run
// again, and extends a folder; OCSP and CRLs come from a responder on
// loopback, reached only because --online-allow loopback says so.
func TestSignAndExtendLTV(t *testing.T) {
	var resp http.Handler
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { resp.ServeHTTP(w, r) }))
	defer status.Close()
	ca, err := devca.New(devca.Options{RevocationURL: status.URL})
	if err != nil {
		t.Fatal(err)
	}
	resp = ca.Responder()
	signKey := memkey.MustNew(t, "cli-ltv", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	dir, url, root := startTSA(t, ca, "cli-ltv-tsa")
	net := []string{"--tsa", url, "--tsa-roots", root, "--tsa-allow", "loopback", "--online-allow", "loopback", "--trust", root}
	level := func(path string) string {
		r := mustSegel(t, "verify", "--trust", root, "--json", path)
		var rep struct {
			Indication string
			Signatures []struct{ Level string }
		}
		if err := json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &rep); err != nil || rep.Indication != "TOTAL_PASSED" {
			t.Fatalf("verify %s: %v\n%s", path, err, r.stdout)
		}
		return rep.Signatures[0].Level
	}

	lta := filepath.Join(dir, "pks-lta.pdf")
	r := mustSegel(t, append(append([]string{"sign", "--key", signKey.Ref(), "--field", "SigKabupaten", "--level", "B-LTA"}, net...), "-o", lta, testPKS(t))...)
	if !strings.Contains(r.stderr, "PAdES B-LTA") || level(lta) != "B-LTA" {
		t.Fatalf("sign --level B-LTA: %s", r.stderr)
	}

	// A certification that allows no changes: the revocation data goes
	// into the signature, and no update follows it.
	p1 := filepath.Join(dir, "pks-p1.pdf")
	r = mustSegel(t, append(append([]string{"sign", "--key", signKey.Ref(), "--certify", "1", "--level", "B-LT"}, net...), "-o", p1, testPKS(t))...)
	if !strings.Contains(r.stderr, "note: certified with no changes allowed (P=1)") {
		t.Fatalf("sign --certify 1 --level B-LT: %s", r.stderr)
	}
	level(p1)
	if b, _ := os.ReadFile(p1); bytes.Count(b, []byte("%%EOF")) != 2 {
		t.Errorf("the P=1 file has %d revisions, want 2 (the original and the signature)", bytes.Count(b, []byte("%%EOF")))
	}

	bt := filepath.Join(dir, "pks-bt.pdf")
	mustSegel(t, append(append([]string{"sign", "--key", signKey.Ref()}, net...), "-o", bt, testPKS(t))...)
	lt := filepath.Join(dir, "pks-lt.pdf")
	r = mustSegel(t, append(append([]string{"extend", "--level", "B-LT"}, net...), "-o", lt, bt)...)
	if !strings.Contains(r.stderr, "PAdES B-LT") || level(lt) != "B-LT" {
		t.Fatalf("extend: %s", r.stderr)
	}
	again := filepath.Join(dir, "lagi.pdf")
	r = mustSegel(t, append(append([]string{"extend", "--level", "B-LT"}, net...), "-o", again, lt)...)
	if !strings.Contains(r.stderr, "unchanged, already B-LT") {
		t.Fatalf("extend again: %s", r.stderr)
	}
	if _, err := os.Stat(again); err == nil {
		t.Error("an unchanged file was written")
	}
	// A folder: the B-T and the B-LT file to B-LTA.
	in, out := filepath.Join(dir, "arsip"), filepath.Join(dir, "arsip-lta")
	os.Mkdir(in, 0o755)
	os.Mkdir(out, 0o755)
	for _, f := range []string{bt, lt} {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(in, filepath.Base(f)), b, 0o644)
	}
	r = mustSegel(t, append(append([]string{"extend", "--level", "B-LTA", "--dir", in}, net...), "-o", out)...)
	for _, f := range []string{"pks-bt.pdf", "pks-lt.pdf"} {
		if l := level(filepath.Join(out, f)); l != "B-LTA" {
			t.Errorf("%s: level %s after extend --dir\n%s", f, l, r.stderr)
		}
	}
	// Without --online-allow the loopback responder is not reached.
	r = segel(t, "extend", "--level", "B-LT", "--trust", root, "-o", filepath.Join(dir, "x.pdf"), bt)
	if r.code == 0 || !strings.Contains(r.stderr, "loopback") {
		t.Fatalf("extend without --online-allow: exit %d\n%s", r.code, r.stderr)
	}
}
