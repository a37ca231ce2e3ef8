package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/keystore"
	"segel/verify"
)

// flaky is a key backend under the test's control, registered as the
// keystore scheme "flaky": it can be down (Open fails as if unreachable)
// or sealed (Sign fails), and it reports a key version, as Vault does.
var flaky struct {
	mu       sync.Mutex
	id       *devca.Identity
	down     bool
	sealed   bool
	opens    atomic.Int32
	closes   atomic.Int32
	signs    atomic.Int32
	ctxSigns atomic.Int32
}

func init() {
	keystore.Register("flaky", func(ctx context.Context, rest string, opts keystore.Options) (keystore.Key, error) {
		flaky.mu.Lock()
		defer flaky.mu.Unlock()
		if flaky.down {
			return nil, errors.New("keystore: flaky: cannot reach the backend: connection refused")
		}
		flaky.opens.Add(1)
		return &flakyKey{id: flaky.id}, nil
	})
}

type flakyKey struct{ id *devca.Identity }

func (k *flakyKey) Signer() crypto.Signer      { return &flakySigner{k.id.Key} }
func (k *flakyKey) Chain() []*x509.Certificate { return k.id.Chain }
func (k *flakyKey) Close() error               { flaky.closes.Add(1); return nil }

type flakySigner struct{ crypto.Signer }

func (s *flakySigner) KeyVersion() int { return 3 }

func (s *flakySigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	flaky.signs.Add(1)
	return s.SignContext(context.Background(), d, o)
}

func (s *flakySigner) SignContext(ctx context.Context, d []byte, o crypto.SignerOpts) ([]byte, error) {
	flaky.ctxSigns.Add(1)
	flaky.mu.Lock()
	sealed := flaky.sealed
	flaky.mu.Unlock()
	if sealed {
		return nil, errors.New("flaky: the backend is sealed; it must be unsealed before it can be used")
	}
	return s.Signer.Sign(nil, d, o)
}

func setFlaky(down, sealed bool) {
	flaky.mu.Lock()
	flaky.down, flaky.sealed = down, sealed
	flaky.mu.Unlock()
}

// TestKeyBackendFaults: a sealed or unreachable backend gives 503 with a
// clear JSON error, /readyz says so, and signing recovers by itself.
func TestKeyBackendFaults(t *testing.T) {
	id, err := testPKI(t).ca.Issue(devca.LeafRequest{CommonName: "Kunci Vault", KeyType: devca.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	flaky.id = id
	setFlaky(false, false)
	t.Cleanup(func() { setFlaky(false, false) })
	cfg := baseConfig(t)
	cfg.Keys["remote"] = KeyConfig{Ref: "flaky:transit/remote"}
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
	if flaky.ctxSigns.Load() != 1 || flaky.signs.Load() != 0 {
		t.Errorf("the context-taking SignContext was not used (Sign %d, SignContext %d)", flaky.signs.Load(), flaky.ctxSigns.Load())
	}
	if rep := s.verifyPDF(t, b); rep.Indication != verify.TotalPassed {
		t.Errorf("verify: %s", rep.Indication)
	}

	// Sealed: 503 and the key is retired.
	setFlaky(false, true)
	resp, b = sign()
	m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
	if m["reason"] != "backend sealed" || resp.Header.Get("Retry-After") == "" || !strings.Contains(m["error"].(string), `"remote"`) {
		t.Errorf("sealed: %s (Retry-After %q)", b, resp.Header.Get("Retry-After"))
	}
	waitFor(t, func() bool { return flaky.closes.Load() == 1 })

	// Down: reopening fails; /readyz says why without details.
	setFlaky(true, false)
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
	setFlaky(false, false)
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
