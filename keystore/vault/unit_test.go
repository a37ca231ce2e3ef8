package vault

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKWPVectors checks AES-KWP against the examples of RFC 5649, section 6.
func TestKWPVectors(t *testing.T) {
	kek := unhex(t, "5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8")
	for _, tc := range []struct{ key, wrapped string }{
		{"c37b7e6492584340 bed1220780894115 5068f738", "138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf541 9200f2ccb50bb24f"},
	} {
		got, err := wrapKWP(kek, unhex(t, tc.key))
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, tc.wrapped); !bytes.Equal(got, want) {
			t.Errorf("wrap(%s) = %x, want %x", tc.key, got, want)
		}
		back, err := unwrapKWP(kek, got)
		if err != nil || !bytes.Equal(back, unhex(t, tc.key)) {
			t.Errorf("unwrap: %x, %v", back, err)
		}
	}
}

func TestKWPRoundTripAndTamper(t *testing.T) {
	kek := make([]byte, 32)
	rand.Read(kek)
	for _, n := range []int{1, 7, 8, 9, 16, 121, 1217} {
		p := make([]byte, n)
		rand.Read(p)
		w, err := wrapKWP(kek, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) != (n+7)/8*8+8 {
			t.Errorf("n=%d: wrapped length %d", n, len(w))
		}
		got, err := unwrapKWP(kek, w)
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("n=%d: round trip failed: %v", n, err)
		}
		w[len(w)-1] ^= 1
		if _, err := unwrapKWP(kek, w); err == nil {
			t.Errorf("n=%d: a tampered wrapping was accepted", n)
		}
	}
	if _, err := wrapKWP(kek, nil); err == nil {
		t.Error("empty plaintext accepted")
	}
}

// TestKWPOpenSSL cross-checks with OpenSSL's id-aes256-wrap-pad.
func TestKWPOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	in := filepath.Join(t.TempDir(), "p8")
	os.WriteFile(in, p8, 0o600)
	out, err := exec.Command("openssl", "enc", "-id-aes256-wrap-pad", "-K", hex.EncodeToString(kek), "-iv", "A65959A6", "-in", in).Output()
	if err != nil {
		t.Skipf("openssl enc -id-aes256-wrap-pad: %v", err)
	}
	got, _ := wrapKWP(kek, p8)
	if !bytes.Equal(got, out) {
		t.Fatalf("differs from OpenSSL:\n%x\n%x", got, out)
	}
}

func TestWrapForImport(t *testing.T) {
	wk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ct, err := wrapForImport(&wk.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(ct)
	aesKey, err := rsa.DecryptOAEP(sha256.New(), nil, wk, raw[:256], nil)
	if err != nil || len(aesKey) != 32 {
		t.Fatalf("OAEP part: %v (%d bytes)", err, len(aesKey))
	}
	p8, err := unwrapKWP(aesKey, raw[256:])
	if err != nil {
		t.Fatal(err)
	}
	back, err := x509.ParsePKCS8PrivateKey(p8)
	if err != nil || !k.Equal(back) {
		t.Fatalf("the wrapped key is not the key: %v", err)
	}
}

func TestParseKeyName(t *testing.T) {
	for in, want := range map[string]KeyName{
		"transit/pks-tuban":      {"transit", "pks-tuban"},
		"/transit/pks-tuban/":    {"transit", "pks-tuban"},
		"bsre/transit/kadis_1.2": {"bsre/transit", "kadis_1.2"},
	} {
		got, err := ParseKeyName(in)
		if err != nil || got != want {
			t.Errorf("ParseKeyName(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "pks-tuban", "transit/", "transit/../x", "transit/a b", "transit/a?b", "transit/.."} {
		if _, err := ParseKeyName(bad); err == nil {
			t.Errorf("ParseKeyName(%q) accepted", bad)
		}
	}
}

func TestParseSignature(t *testing.T) {
	v, sig, err := parseSignature("vault:v12:" + base64.StdEncoding.EncodeToString([]byte{1, 2, 3}))
	if err != nil || v != 12 || !bytes.Equal(sig, []byte{1, 2, 3}) {
		t.Fatalf("got %d %x %v", v, sig, err)
	}
	for _, bad := range []string{"", "vault:v1", "vault:1:AQID", "vault:v0:AQID", "hsm:v1:AQID", "vault:v1:!!", "vault:v1:"} {
		if _, _, err := parseSignature(bad); err == nil {
			t.Errorf("parseSignature(%q) accepted", bad)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	home := func() (string, error) { return dir, nil }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if _, err := configFrom(env(nil), home); !errors.Is(err, ErrNoAddress) || !strings.Contains(err.Error(), "VAULT_ADDR is not set") {
		t.Fatalf("no address: %v", err)
	}
	cfg, err := configFrom(env(map[string]string{"VAULT_ADDR": "http://127.0.0.1:8200", "VAULT_TOKEN": " s.abc\n", "VAULT_CLIENT_TIMEOUT": "5"}), home)
	if err != nil || cfg.Token != "s.abc" || cfg.AppRole != nil || cfg.Timeout != 5*time.Second {
		t.Fatalf("token: %+v %v", cfg, err)
	}
	write(".vault-token", "s.fromfile\n")
	cfg, _ = configFrom(env(map[string]string{"VAULT_ADDR": "http://x"}), home)
	if cfg.Token != "s.fromfile" {
		t.Fatalf("~/.vault-token not used: %q", cfg.Token)
	}
	rid, sid := write("rid", "role-1\n"), write("sid", "secret-1\n")
	cfg, err = configFrom(env(map[string]string{"VAULT_ADDR": "http://x", "VAULT_TOKEN": "s.t", "VAULT_ROLE_ID_FILE": rid, "VAULT_SECRET_ID_FILE": sid}), home)
	if err != nil || cfg.AppRole == nil || cfg.AppRole.RoleID != "role-1" || cfg.AppRole.SecretID != "secret-1" || cfg.Token != "" {
		t.Fatalf("approle: %+v %v", cfg, err)
	}
	_, err = configFrom(env(map[string]string{"VAULT_ADDR": "http://x", "VAULT_SECRET_ID": "very-secret"}), home)
	if err == nil || strings.Contains(err.Error(), "very-secret") {
		t.Fatalf("secret ID without role ID: %v", err)
	}
	_, err = configFrom(env(map[string]string{"VAULT_ADDR": "http://x", "VAULT_ROLE_ID": "a", "VAULT_ROLE_ID_FILE": rid}), home)
	if err == nil {
		t.Fatal("both VAULT_ROLE_ID and VAULT_ROLE_ID_FILE accepted")
	}
	c := Config{Certs: "kv/pemda/certs"}
	cl := &Client{cfg: c}
	if got := cl.CertPath(KeyName{"transit", "pks-tuban"}); got != "kv/data/pemda/certs/transit/pks-tuban" {
		t.Fatalf("CertPath = %s", got)
	}
	cl.cfg.Certs = ""
	if got := cl.CertPath(KeyName{"transit", "pks-tuban"}); got != "secret/data/segel/certs/transit/pks-tuban" {
		t.Fatalf("default CertPath = %s", got)
	}
}
