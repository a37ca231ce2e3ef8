package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"segel/internal/devca"
	"segel/tsa"
)

// TestSignLevels: with a TSA configured, /v1/sign signs at B-T by default
// (the verifier agrees, the audit entry says so), level=B-B is honoured,
// a TSA that fails gives 503 and no document, and without a TSA level=B-T
// is refused.
func TestSignLevels(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "TSA Diskominfo", KeyType: devca.ECDSAP256, TSA: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsa.Config{Signer: id.Key, Chain: id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	up := true
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		a.ServeHTTP(w, r)
	}))
	defer hs.Close()
	root := filepath.Join(t.TempDir(), "tsa-root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)

	cfg := baseConfig(t)
	cfg.Trust["default"] = append(cfg.Trust["default"], root)
	cfg.TSAClient = &TSAClientConfig{URL: hs.URL, Roots: []string{root}, Allow: []string{"loopback"}}
	r := start(t, cfg)
	resp, signed := r.sign(t, tokenApp, "field=SigKabupaten", readTestdata(t, "pks.pdf"))
	if resp.Header.Get("X-Segel-Level") != "B-T" {
		t.Fatalf("default level: %q", resp.Header.Get("X-Segel-Level"))
	}
	rep := r.verifyPDF(t, signed)
	if rep.Indication != "TOTAL_PASSED" || rep.Signatures[0].Level != "B-T" || rep.Signatures[0].TimestampTime == nil {
		t.Fatalf("verify: %s, level %q", rep.Indication, rep.Signatures[0].Level)
	}
	if e := auditEntries(t, cfg.Audit.File); e[len(e)-1].Level != "B-T" {
		t.Errorf("audit level %q", e[len(e)-1].Level)
	}
	resp, _ = r.sign(t, tokenApp, "level=B-B", readTestdata(t, "pks.pdf"))
	if resp.Header.Get("X-Segel-Level") != "B-B" {
		t.Fatalf("level=B-B: %q", resp.Header.Get("X-Segel-Level"))
	}
	up = false
	resp, body := r.do(t, req{path: "/v1/sign?field=SigKabupaten", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "pks.pdf"))})
	wantError(t, resp, body, http.StatusServiceUnavailable, "tsa_unavailable")

	r2 := start(t, baseConfig(t))
	resp, body = r2.do(t, req{path: "/v1/sign?level=B-T", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "pks.pdf"))})
	wantError(t, resp, body, http.StatusUnprocessableEntity, "no_tsa")
	resp, body = r2.do(t, req{path: "/v1/sign?level=B-X", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "pks.pdf"))})
	wantError(t, resp, body, http.StatusBadRequest, "bad_option")
}

// TestSignLTA: level=B-LTA returns a file with validation data and a
// document time-stamp (OCSP and CRLs from a loopback responder that
// fetch.allow lets the server reach); without that permission the
// signing answers 503 ltv_unavailable and returns no document.
func TestSignLTA(t *testing.T) {
	var resp http.Handler
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { resp.ServeHTTP(w, r) }))
	defer status.Close()
	ca, err := devca.New(devca.Options{RevocationURL: status.URL})
	if err != nil {
		t.Fatal(err)
	}
	resp = ca.Responder()
	dir := t.TempDir()
	tsaID, _ := ca.Issue(devca.LeafRequest{CommonName: "TSA", KeyType: devca.ECDSAP256, TSA: true})
	a, err := tsa.New(tsa.Config{Signer: tsaID.Key, Chain: tsaID.Chain})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a)
	defer ts.Close()
	signerID, _ := ca.Issue(devca.LeafRequest{CommonName: "Kepala Dinas", KeyType: devca.ECDSAP256})
	p12, pass := filepath.Join(dir, "kepala.p12"), filepath.Join(dir, "kepala.pass")
	if err := signerID.WriteP12(p12, "sandi-kepala", false, false); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pass, []byte("sandi-kepala\n"), 0o600)
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)

	mk := func(allow []string) *running {
		cfg := baseConfig(t)
		cfg.Keys["lta"] = KeyConfig{Ref: "file:" + p12, PasswordFile: pass}
		cfg.Identities[0].Keys = append(cfg.Identities[0].Keys, "lta")
		cfg.Trust["default"] = []string{root}
		cfg.TSAClient = &TSAClientConfig{URL: ts.URL, Roots: []string{root}, Allow: []string{"loopback"}}
		cfg.Fetch.Allow = allow
		return start(t, cfg)
	}
	r := mk([]string{"loopback"})
	resp1, signed := r.sign(t, tokenApp, "key=lta&level=B-LTA", readTestdata(t, "pks.pdf"))
	if resp1.Header.Get("X-Segel-Level") != "B-LTA" {
		t.Fatalf("level header %q", resp1.Header.Get("X-Segel-Level"))
	}
	rep := r.verifyPDF(t, signed)
	if rep.Indication != "TOTAL_PASSED" || rep.Signatures[0].Level != "B-LTA" {
		t.Fatalf("verify: %s, level %q", rep.Indication, rep.Signatures[0].Level)
	}
	r2 := mk(nil)
	got, body := r2.do(t, req{path: "/v1/sign?key=lta&level=B-LT", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "pks.pdf"))})
	wantError(t, got, body, http.StatusServiceUnavailable, "ltv_unavailable")
}
