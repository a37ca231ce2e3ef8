package server

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"segel/internal/judge"
	"segel/keystore/vault"
	"segel/keystore/vault/vaulttest"
	"segel/verify"
)

// TestVaultKey signs through the service with a Vault Transit key
// (keystore reference vault:transit/NAME), then seals Vault: signing
// answers 503 "backend sealed" and /readyz fails; after unsealing,
// signing recovers by itself. Skipped without a Vault server binary
// (scripts/vault-dev.sh build), except under CI=true.
func TestVaultKey(t *testing.T) {
	vs := vaulttest.Start(t)
	ctx := context.Background()
	admin, err := vault.New(ctx, vault.Config{Address: vs.Addr, Token: vs.AdminToken()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	// pks-jatim is a key the signer policy (deploy/vault/segel-signer.hcl)
	// allows; sekretaris-daerah is one it does not.
	for _, n := range []string{"pks-jatim", "sekretaris-daerah"} {
		name := vault.KeyName{Mount: vaulttest.Transit, Name: n}
		if _, err := admin.CreateKey(ctx, name, vault.ECDSAP256); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RequestCertificate(ctx, vault.CertRequest{Key: name, PKI: vaulttest.PKI, Role: vaulttest.Role,
			CommonName: "Sekretaris Daerah Provinsi", Organization: "Pemerintah Provinsi Jawa Timur"}); err != nil {
			t.Fatal(err)
		}
	}

	// The keystore's vault backend reads Vault's settings from the
	// environment; give it the signer's token and nothing else.
	for _, k := range []string{"VAULT_ROLE_ID", "VAULT_ROLE_ID_FILE", "VAULT_SECRET_ID", "VAULT_SECRET_ID_FILE",
		"VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_CLIENT_TIMEOUT", "SEGEL_VAULT_CERTS", "VAULT_APPROLE_MOUNT"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("VAULT_ADDR", vs.Addr)
	t.Setenv("VAULT_TOKEN", vs.SignerToken())
	t.Setenv("VAULT_CLIENT_TIMEOUT", "5s")

	cfg := baseConfig(t)
	cfg.Keys["provinsi"] = KeyConfig{Ref: "vault:transit/pks-jatim"}
	cfg.Keys["tanpa-izin"] = KeyConfig{Ref: "vault:transit/sekretaris-daerah"}
	cfg.Identities[0].Keys = []string{"provinsi", "tanpa-izin"}
	cfg.Trust["vault"] = []string{vs.RootFile}
	s := start(t, cfg)
	pdf := readTestdata(t, "pks.pdf")
	sign := func() (*http.Response, []byte) {
		return s.do(t, req{path: "/v1/sign?key=provinsi&field=SigProvinsi&reason=Menyetujui", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	}

	resp, signed := sign()
	if resp.StatusCode != 200 {
		t.Fatalf("sign with Vault: %s %s\n%s", resp.Status, signed, s.Log.String())
	}
	if v := resp.Header.Get("X-Segel-Key-Version"); v != "1" {
		t.Errorf("X-Segel-Key-Version %q, want 1", v)
	}
	path := filepath.Join(t.TempDir(), "vault-signed.pdf")
	os.WriteFile(path, signed, 0o644)
	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	db := judge.NewNSSDB(t, vs.RootFile)
	n := 0
	for _, r := range judge.Pdfsig(t, db, path) {
		if r.Signed {
			n++
			if !r.SignatureValid || !r.CertTrusted {
				t.Errorf("pdfsig: %s", r.Raw)
			}
		}
	}
	if n != 1 {
		t.Errorf("pdfsig sees %d signatures", n)
	}
	resp, b := s.do(t, req{path: "/v1/verify?trust=vault", contentType: "application/pdf", body: bytes.NewReader(signed)})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"indication":"`+verify.TotalPassed+`"`) {
		t.Errorf("verify: %s %s", resp.Status, b)
	}
	// A key the token's policy does not cover: 503 "permission denied".
	resp, b = s.do(t, req{path: "/v1/sign?key=tanpa-izin", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	if m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable"); m["reason"] != "permission denied" {
		t.Errorf("key outside the policy: %s", b)
	}
	resp, b = s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"provinsi":{"ready":true}`) ||
		!strings.Contains(string(b), `"tanpa-izin":{"ready":false,"reason":"permission denied"}`) {
		t.Errorf("readyz with Vault up: %s %s", resp.Status, b)
	}

	// Sealed: 503 with the reason, and not ready.
	vs.Seal()
	resp, b = sign()
	m := wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
	if m["reason"] != "backend sealed" {
		t.Errorf("sealed Vault: %s", b)
	}
	resp, b = s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"provinsi":{"ready":false`) {
		t.Errorf("readyz with Vault sealed: %s %s", resp.Status, b)
	}
	if strings.Contains(string(b), vs.Addr) {
		t.Errorf("readyz shows Vault's address: %s", b)
	}

	// Unsealed: signing recovers without a restart.
	vs.Unseal()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, b = sign()
		if resp.StatusCode == 200 {
			break
		}
		wantError(t, resp, b, http.StatusServiceUnavailable, "key_unavailable")
		if time.Now().After(deadline) {
			t.Fatalf("signing did not recover after unsealing: %s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitFor(t, func() bool {
		_, b := s.do(t, req{method: "GET", path: "/readyz"})
		return strings.Contains(string(b), `"provinsi":{"ready":true}`)
	})
	var outcomes []string
	for _, e := range auditEntries(t, cfg.Audit.File) {
		outcomes = append(outcomes, e.Outcome)
	}
	if outcomes[0] != OutcomeSigned || outcomes[1] != OutcomeFailed || outcomes[len(outcomes)-1] != OutcomeSigned {
		t.Errorf("audit outcomes: %v", outcomes)
	}
}
