package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/memkey"
	"segel/keystore"
)

// sentinelReasons are the safe reasons of the keystore sentinels.
var sentinelReasons = []struct {
	err    error
	reason string
}{
	{keystore.ErrUnreachable, "backend unreachable"},
	{keystore.ErrTimeout, "backend timed out"},
	{keystore.ErrSealed, "backend sealed"},
	{keystore.ErrPermissionDenied, "permission denied"},
	{keystore.ErrNotFound, "key not found"},
	{keystore.ErrCredentialsExpired, "backend credentials refused"},
	{keystore.ErrWrongPassword, "wrong key password"},
	{keystore.ErrPasswordRequired, "key password missing"},
	{keystore.ErrCertificateMismatch, "certificate does not match the key"},
}

// TestReasonOf: the reason comes from the sentinel, however it is
// wrapped, and never from the error's text.
func TestReasonOf(t *testing.T) {
	for _, tc := range sentinelReasons {
		err := fmt.Errorf("keystore: backend X: %w", &memkey.Error{Op: memkey.OpSign, Key: "k", Err: tc.err})
		if got := reasonOf(err); got != tc.reason {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.reason)
		}
	}
	for err, want := range map[error]string{
		&keystore.NotFoundError{Missing: keystore.MissingCertificate, Key: "transit/k"}: "key not found",
		fmt.Errorf("open: %w", fs.ErrNotExist):                                          "key not found",
		fmt.Errorf("open: %w", fs.ErrPermission):                                        "permission denied",
		context.DeadlineExceeded:                                                        "backend timed out",
		&keystore.UnknownSchemeError{Scheme: "hsm"}:                                     "key backend not available in this build",
		// Words in a message decide nothing.
		errors.New("the token is sealed, not found, permission denied, timed out"): "backend failed",
		nil: "backend failed",
	} {
		if got := reasonOf(err); got != want {
			t.Errorf("%v: %q, want %q", err, got, want)
		}
	}
}

// TestKeyReasons signs with in-memory keys that fail with each keystore
// sentinel, when opened and when signing: 503 key_unavailable with the
// sentinel's safe reason, and nothing of the backend's message.
func TestKeyReasons(t *testing.T) {
	cfg := baseConfig(t)
	var names []string
	for _, op := range []memkey.Op{memkey.OpOpen, memkey.OpSign} {
		for i, tc := range sentinelReasons[:6] {
			name := fmt.Sprintf("%s-%d", op, i)
			mk := remoteKey(t, "server-reasons-"+name, memkey.Options{})
			mk.Fail(fmt.Errorf("%w: rahasia-backend", tc.err), op)
			cfg.Keys[name] = KeyConfig{Ref: mk.Ref()}
			names = append(names, name)
		}
	}
	cfg.Identities[0].Keys = names
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	for _, name := range names {
		var i int
		fmt.Sscanf(name[strings.LastIndexByte(name, '-')+1:], "%d", &i)
		resp, b := s.do(t, req{path: "/v1/sign?key=" + name, token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
		m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
		if m["reason"] != sentinelReasons[i].reason || strings.Contains(string(b), "rahasia-backend") || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %s", name, b)
		}
	}
}

// TestReadyzHealth: a key with keystore.HealthChecker is probed with it,
// not by opening it again.
func TestReadyzHealth(t *testing.T) {
	mk := remoteKey(t, "server-health", memkey.Options{})
	cfg := baseConfig(t)
	cfg.Keys["remote"] = KeyConfig{Ref: mk.Ref()}
	cfg.Identities[0].Keys = []string{"remote"}
	s := start(t, cfg)
	for range 3 {
		if resp, b := s.do(t, req{method: "GET", path: "/readyz"}); resp.StatusCode != 200 {
			t.Fatalf("readyz: %s %s", resp.Status, b)
		}
	}
	if st := mk.Stats(); st.Opens != 1 || st.Health != 3 {
		t.Fatalf("stats %+v: want one open and three health checks", st)
	}
	mk.Fail(keystore.ErrSealed, memkey.OpHealth)
	resp, b := s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"remote":{"ready":false,"reason":"backend sealed"}`) {
		t.Fatalf("readyz while sealed: %s %s", resp.Status, b)
	}
}

// TestExpiredKeyCertificate: the workflow's certificate check answers
// 503 key_certificate_invalid and never asks the key to sign.
func TestExpiredKeyCertificate(t *testing.T) {
	mk := remoteKey(t, "server-expired", memkey.Options{Leaf: devca.LeafRequest{CommonName: "Pejabat Lama",
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}})
	cfg := baseConfig(t)
	cfg.Keys["lama"] = KeyConfig{Ref: mk.Ref()}
	cfg.Identities[0].Keys = []string{"lama"}
	s := start(t, cfg)
	resp, b := s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "minimal.pdf"))})
	m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_certificate_invalid")
	if !strings.Contains(m["error"].(string), "expired") {
		t.Errorf("answer: %s", b)
	}
	if st := mk.Stats(); st.Signs+st.ContextSigns+st.Batches != 0 {
		t.Errorf("the key was asked to sign: %+v", st)
	}
}
