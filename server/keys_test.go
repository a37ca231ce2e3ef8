package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"segel/internal/memkey"
	"segel/keystore"
	"segel/verify"
)

// remoteKey makes an in-memory key (package memkey) that stands for a
// remote one: it reports key version 3, as Vault does, and can be made
// to fail. Its certificate comes from the test PKI.
func remoteKey(t *testing.T, name string, o memkey.Options) *memkey.Key {
	t.Helper()
	o.CA = testPKI(t).ca
	o.Version = 3
	if o.Leaf.CommonName == "" {
		o.Leaf.CommonName = "Kunci Vault"
	}
	return memkey.MustNew(t, name, o)
}

// TestKeyBackendFaults: a sealed or unreachable backend gives 503 with a
// clear JSON error, /readyz says so, and signing recovers by itself.
func TestKeyBackendFaults(t *testing.T) {
	mk := remoteKey(t, "server-remote", memkey.Options{})
	cfg := baseConfig(t)
	cfg.Keys["remote"] = KeyConfig{Ref: mk.Ref()}
	cfg.Identities[0].Keys = []string{"remote"}
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	sign := func() (*http.Response, []byte) {
		return s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	}

	resp, b := sign()
	if resp.StatusCode != 200 {
		t.Fatalf("sign: %s %s", resp.Status, b)
	}
	if v := resp.Header.Get("X-Segel-Key-Version"); v != "3" {
		t.Errorf("X-Segel-Key-Version %q, want 3", v)
	}
	if st := mk.Stats(); st.ContextSigns != 1 || st.Signs != 0 {
		t.Errorf("the context-taking SignContext was not used (Sign %d, SignContext %d)", st.Signs, st.ContextSigns)
	}
	if rep := s.verifyPDF(t, b); rep.Indication != verify.TotalPassed {
		t.Errorf("verify: %s", rep.Indication)
	}

	// Sealed: 503 and the key is retired.
	mk.Fail(keystore.ErrSealed, memkey.OpSign)
	resp, b = sign()
	m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
	if m["reason"] != "backend sealed" || resp.Header.Get("Retry-After") == "" || !strings.Contains(m["error"].(string), `"remote"`) {
		t.Errorf("sealed: %s (Retry-After %q)", b, resp.Header.Get("Retry-After"))
	}
	waitFor(t, func() bool { return mk.Stats().Closes == 1 })

	// Down: reopening fails; /readyz says why without details.
	mk.Fail(fmt.Errorf("%w: connection refused", keystore.ErrUnreachable), memkey.OpOpen)
	resp, b = sign()
	m = wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
	if m["reason"] != "backend unreachable" {
		t.Errorf("down: %s", b)
	}
	resp, b = s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"remote":{"ready":false,"reason":"backend `) {
		t.Errorf("readyz while down: %s %s", resp.Status, b)
	}
	if strings.Contains(string(b), "connection refused") {
		t.Errorf("readyz shows backend details: %s", b)
	}

	// Back: within the backoff it recovers by itself.
	mk.Fail(nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, b = sign()
		if resp.StatusCode == 200 {
			break
		}
		wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
		if time.Now().After(deadline) {
			t.Fatalf("signing did not recover: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, func() bool {
		resp, _ := s.do(t, req{method: "GET", path: "/readyz"})
		return resp.StatusCode == 200
	})

	// Every attempt is in the audit log, with its outcome.
	var outcomes []string
	for _, e := range auditEntries(t, cfg.Audit.File) {
		outcomes = append(outcomes, e.Outcome)
		if e.Outcome == OutcomeSigned && e.KeyVersion != 3 {
			t.Errorf("audit entry without key version: %+v", e)
		}
	}
	if outcomes[0] != "signed" || outcomes[1] != "failed" || outcomes[2] != "failed" || outcomes[len(outcomes)-1] != "signed" {
		t.Errorf("audit outcomes: %v", outcomes)
	}
	metrics := func() string { _, b := s.do(t, req{method: "GET", path: "/metrics"}); return string(b) }()
	for _, want := range []string{
		`segel_key_backend_errors_total{key="remote",op="sign"} 1`,
		`segel_key_backend_errors_total{key="remote",op="open"}`,
		`segel_signatures_total{key="remote",outcome="failed"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 0, 1: 0, 2: 250 * time.Millisecond, 3: 500 * time.Millisecond, 8: 16 * time.Second, 10: 30 * time.Second, 100: 30 * time.Second} {
		if got := backoff(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestWrongKeyPassword: a key that cannot be opened is a 503 with a safe
// reason, never the password or path.
func TestWrongKeyPassword(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Keys["sekretaris-daerah"] = KeyConfig{Ref: cfg.Keys["sekretaris-daerah"].Ref, PasswordEnv: "TEST_NO_SUCH_VARIABLE"}
	s := start(t, cfg)
	resp, b := s.do(t, req{path: "/v1/sign?key=sekretaris-daerah", token: tokenArsip, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "minimal.pdf"))})
	m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
	if m["reason"] != "key password missing" || strings.Contains(string(b), testPKI(t).dir) {
		t.Errorf("answer: %s", b)
	}
}
