package server

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digitorus/timestamp"

	"segel/internal/devca"
	"segel/tsa"
)

// TestTSAEndpoint: with tsa_authority configured, POST /v1/tsa answers
// RFC 3161 queries for authenticated callers only (unless public), every
// token verifies against the TSA's root and is in the audit log under the
// caller's identity; a configuration without an audit log, or whose key
// cannot time-stamp, is refused at start.
func TestTSAEndpoint(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	id, err := ca.Issue(devca.LeafRequest{CommonName: "TSA Diskominfo", KeyType: devca.ECDSAP256, TSA: true})
	if err != nil {
		t.Fatal(err)
	}
	keyFile, chainFile := filepath.Join(dir, "tsa.key"), filepath.Join(dir, "tsa.pem")
	if err := id.WritePEM(keyFile, chainFile, false); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t)
	cfg.TSA = &TSAConfig{Key: KeyConfig{Ref: "file:" + keyFile, CertFile: chainFile}, Policy: "1.3.6.1.4.1.99999.1"}
	r := start(t, cfg)

	sum := sha256.Sum256([]byte("PKS Kabupaten Tuban"))
	nonce := big.NewInt(0x5e9e1)
	q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Nonce: nonce, Certificates: true}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	post := func(token string) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", r.URL+"/v1/tsa", bytes.NewReader(q))
		req.Header.Set("Content-Type", "application/timestamp-query")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := r.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, b := post(""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: %d %s", resp.StatusCode, b)
	}
	if resp, b := post("sgl_salah"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("with a wrong token: %d %s", resp.StatusCode, b)
	}
	resp, b := post(tokenApp)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
		t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	ts, err := timestamp.ParseResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	info, err := tsa.VerifyToken(ts.RawToken, func(crypto.Hash) ([]byte, error) { return sum[:], nil },
		tsa.VerifyOptions{Roots: ca.RootPool(), Nonce: nonce, Policy: []int{1, 3, 6, 1, 4, 1, 99999, 1}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range auditEntries(t, cfg.Audit.File) {
		if e.Timestamp != nil && e.Timestamp.Serial == info.Serial.Text(16) {
			found = e.Identity == "aplikasi-persuratan" && e.Outcome == OutcomeTimestamped
		}
	}
	if !found {
		t.Fatalf("token %x not audited under the caller's identity:\n%s", info.Serial, strings.Join(auditLines(t, cfg.Audit.File), "\n"))
	}
	r.stop()

	cfg2 := baseConfig(t)
	cfg2.TSA = &TSAConfig{Key: KeyConfig{Ref: "file:" + keyFile, CertFile: chainFile}, Public: true}
	r2 := start(t, cfg2)
	r = r2
	if resp, b := post(""); resp.StatusCode != 200 {
		t.Fatalf("public authority without a token: %d %s", resp.StatusCode, b)
	}

	// Refused at start: no audit log; a document-signing key.
	bad := baseConfig(t)
	bad.Audit.File = ""
	bad.TSA = &TSAConfig{Key: KeyConfig{Ref: "file:" + keyFile, CertFile: chainFile}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "tsa_authority needs audit.file") {
		t.Fatalf("no audit log: %v", err)
	}
	doc, err := ca.Issue(devca.LeafRequest{CommonName: "Kepala Dinas", KeyType: devca.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	docKey, docChain := filepath.Join(dir, "doc.key"), filepath.Join(dir, "doc.pem")
	if err := doc.WritePEM(docKey, docChain, false); err != nil {
		t.Fatal(err)
	}
	bad = baseConfig(t)
	bad.TSA = &TSAConfig{Key: KeyConfig{Ref: "file:" + docKey, CertFile: docChain}}
	if _, err := New(t.Context(), bad, Options{LookupEnv: testEnv}); err == nil || !strings.Contains(err.Error(), "time-stamping") {
		t.Fatalf("a document-signing key as TSA: %v", err)
	}
}
