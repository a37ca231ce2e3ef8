package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"segel/certfile"
	"segel/internal/judge"
	"segel/keystore/vault/vaulttest"
	"segel/tsa"
)

// TestVaultTSA: the key officer makes a Transit key and has Vault PKI
// issue it a time-stamping certificate (segel cert request --profile tsa);
// segel tsa serve, holding a token with the segel-tsa policy only, answers
// openssl ts queries that openssl ts -verify accepts, and 1,000 concurrent
// queries with 1,000 tokens of unique serials, each verifying, in far fewer
// Transit calls than queries. The rates are logged (docs/benchmarks.md).
func TestVaultTSA(t *testing.T) {
	judge.Require(t, "openssl")
	s := vaulttest.Start(t)
	vaultEnv(t, s.Addr, s.AdminToken())
	mustSegel(t, "keys", "create", "--type", "ecdsa-p256", "transit/tsa")
	r := mustSegel(t, "cert", "request", "--profile", "tsa", "--key", "vault:transit/tsa", "--pki", vaulttest.PKI,
		"--role", vaulttest.TSARole, "--cn", "TSA Pemerintah Provinsi Jawa Timur", "--org", "Pemerintah Provinsi Jawa Timur")
	if !strings.Contains(r.stdout, "time-stamping certificate (extended key usage timeStamping, critical)") {
		t.Fatalf("cert request --profile tsa: %s%s", r.stdout, r.stderr)
	}
	// The document-signing role cannot make a TSA certificate: its
	// certificates lack the critical timeStamping usage, and segel refuses
	// to store one.
	mustSegel(t, "keys", "create", "--type", "ecdsa-p256", "transit/tsa-salah")
	r = segel(t, "cert", "request", "--key", "vault:transit/tsa-salah", "--pki", vaulttest.PKI, "--role", vaulttest.Role,
		"--cn", "bukan TSA")
	if r.code != 0 {
		t.Fatalf("document certificate: exit %d %s", r.code, r.stderr)
	}

	s.Write("sys/policies/acl/segel-tsa", map[string]any{"policy": string(vaulttest.RepoFile(t, "deploy/vault/segel-tsa.hcl"))})
	p := s.Proxy(t)

	// A key whose certificate is for documents is refused as a TSA, with
	// the advice to request a TSA certificate (with the admin token: the
	// segel-tsa token may not even read that key).
	vaultEnv(t, p.Addr, s.AdminToken())
	r = segel(t, "tsa", "serve", "--listen", "127.0.0.1:0", "--key", "vault:transit/tsa-salah", "--audit-log", filepath.Join(t.TempDir(), "a.jsonl"))
	if r.code == 0 || !strings.Contains(r.stderr, "unfit for time-stamping") || !strings.Contains(r.stderr, "--profile tsa") {
		t.Fatalf("tsa serve with a document certificate: exit %d\n%s", r.code, r.stderr)
	}
	vaultEnv(t, p.Addr, s.Token(0, 0, "segel-tsa"))

	dir := t.TempDir()
	auditLog := filepath.Join(dir, "tsa-audit.jsonl")
	url, stop := serveTSA(t, "--listen", "127.0.0.1:0", "--key", "vault:transit/tsa", "--audit-log", auditLog)

	// openssl ts makes the query and verifies the reply.
	data, tsq, tsr := filepath.Join(dir, "pks.txt"), filepath.Join(dir, "q.tsq"), filepath.Join(dir, "r.tsr")
	os.WriteFile(data, []byte("Perjanjian Kerja Sama Kabupaten Tuban dan Provinsi Jawa Timur"), 0o644)
	if out, err := exec.Command("openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", tsq).CombinedOutput(); err != nil {
		t.Fatalf("openssl ts -query: %v %s", err, out)
	}
	q, _ := os.ReadFile(tsq)
	resp, err := http.Post(url, "application/timestamp-query", bytes.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
		t.Fatalf("%d %s: %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	os.WriteFile(tsr, body, 0o644)
	out, err := exec.Command("openssl", "ts", "-verify", "-data", data, "-in", tsr, "-CAfile", s.RootFile, "-untrusted", s.IntermediateFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification: OK") {
		t.Fatalf("openssl ts -verify: %v %s", err, out)
	}

	roots, err := certfile.ReadPool(s.RootFile)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := certfile.Read(s.IntermediateFile)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens asked for without certReq carry no certificate: the TSA's
	// own is then given to the verifier (as the TSA's clients keep it).
	tsaChain, err := certfile.Parse("cert show", []byte(mustSegel(t, "cert", "show", "--key", "vault:transit/tsa").stdout))
	if err != nil {
		t.Fatal(err)
	}
	known := append(append([]*x509.Certificate{}, inter...), tsaChain[0])
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000}, Timeout: 60 * time.Second}
	stamp := func(i int) (string, error) {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8), 0x5e})
		nonce, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
		req := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Nonce: nonce, Certificates: i%2 == 0}
		q, err := req.Marshal()
		if err != nil {
			return "", err
		}
		resp, err := client.Post(url, "application/timestamp-query", bytes.NewReader(q))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return "", errors.New(resp.Status + ": " + string(b))
		}
		ts, err := timestamp.ParseResponse(b)
		if err != nil {
			return "", err
		}
		info, err := tsa.VerifyToken(ts.RawToken, func(h crypto.Hash) ([]byte, error) {
			if h != crypto.SHA256 {
				return nil, errors.New("not SHA-256")
			}
			return sum[:], nil
		}, tsa.VerifyOptions{Roots: roots, Intermediates: known, Nonce: nonce})
		if err != nil {
			return "", err
		}
		return info.Serial.Text(16), nil
	}

	const n = 1000
	p.Reset()
	start := time.Now()
	serials := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); serials[i], errs[i] = stamp(i) }()
	}
	wg.Wait()
	batched := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sn := range serials {
		if seen[sn] || len(sn) < 30 {
			t.Fatalf("serial %q repeated or short", sn)
		}
		seen[sn] = true
	}
	calls := p.Count("transit/sign/tsa")
	if calls == 0 || calls > n/4 {
		t.Fatalf("%d Transit sign calls for %d concurrent queries", calls, n)
	}
	t.Logf("%d concurrent queries: %.0f tokens/s, %d Transit calls", n, n/batched.Seconds(), calls)

	const m = 100
	p.Reset()
	start = time.Now()
	for i := range m {
		if _, err := stamp(n + i); err != nil {
			t.Fatal(err)
		}
	}
	one := time.Since(start)
	if c := p.Count("transit/sign/tsa"); c != m {
		t.Fatalf("%d Transit calls for %d queries one by one", c, m)
	}
	t.Logf("%d queries one by one: %.0f tokens/s", m, m/one.Seconds())

	// The two-party PKS on Vault keys, PAdES B-LTA: signature time-stamps
	// from this TSA, OCSP from Vault PKI's responder, a document
	// time-stamp; pdfsig and segel verify accept it.
	vaultEnv(t, s.Addr, s.AdminToken())
	for _, k := range []struct{ name, typ, cn string }{{"pks-tuban", "ecdsa-p256", "Bupati Tuban"}, {"pks-jatim", "rsa-3072", "Gubernur Jawa Timur"}} {
		mustSegel(t, "keys", "create", "--type", k.typ, "transit/"+k.name)
		mustSegel(t, "cert", "request", "--key", "vault:transit/"+k.name, "--pki", vaulttest.PKI, "--role", vaulttest.Role, "--cn", k.cn)
	}
	ltvArgs := []string{"--tsa", url, "--tsa-roots", s.RootFile, "--tsa-allow", "loopback", "--online-allow", "loopback", "--trust", s.RootFile}
	kab, both := filepath.Join(dir, "pks-kab.pdf"), filepath.Join(dir, "pks-lta.pdf")
	r = mustSegel(t, append(append([]string{"sign", "--key", "vault:transit/pks-tuban", "--field", "SigKabupaten", "--certify", "2", "--level", "B-T"}, ltvArgs...), "-o", kab, testPKS(t))...)
	r = mustSegel(t, append(append([]string{"sign", "--key", "vault:transit/pks-jatim", "--field", "SigProvinsi", "--level", "B-LTA"}, ltvArgs...), "-o", both, kab)...)
	if !strings.Contains(r.stderr, "PAdES B-LTA") {
		t.Fatalf("sign B-LTA on Vault: %s", r.stderr)
	}
	r = mustSegel(t, "verify", "--trust", s.RootFile, both)
	if !strings.Contains(r.stdout, "TOTAL_PASSED (3 signature(s)") || strings.Count(r.stdout, "PAdES B-LTA") != 2 {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	stop()

	// Every token is in the audit log, and the log's chain holds.
	r = mustSegel(t, "audit", "verify", auditLog)
	// 1 + 1,000 + 100 queries, and 5 tokens for the PKS: a probe and a
	// token for each signature, and the document time-stamp.
	if !strings.Contains(r.stdout, "intact, 1106 entries") {
		t.Fatalf("audit verify: %s%s", r.stdout, r.stderr)
	}
}

// serveTSA runs segel tsa serve in this process until the test ends (or
// stop is called) and returns its URL.
func serveTSA(t *testing.T, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	var mu sync.Mutex
	done := make(chan error, 1)
	app := newApp(pw, &lockedWriter{w: &stderr, mu: &mu})
	go func() {
		done <- app.RunContext(ctx, append([]string{"segel", "tsa", "serve"}, args...))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "segel: time-stamping authority on "); ok {
			url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		cancel()
		err := <-done
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("segel tsa serve did not start: %v\n%s", err, stderr.String())
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("segel tsa serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return url, stop
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
