package server

import (
	"bytes"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/verify"
)

const examplePath = "../deploy/segel-serve.example.yaml"

// TestExampleConfig starts a server from deploy/segel-serve.example.yaml,
// copied into a folder with the files it names (made by the development
// CA), and signs and verifies through it.
func TestExampleConfig(t *testing.T) {
	p := testPKI(t)
	dir := t.TempDir()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"tls", "keys", "trust"} {
		os.Mkdir(filepath.Join(dir, d), 0o700)
	}
	cp := func(src, dst string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cp(p.tlsCert, "tls/server.pem")
	cp(p.tlsKey, "tls/server.key")
	cp(p.clientCA, "tls/clients-ca.pem")
	cp(p.kepala, "keys/kepala-dinas.p12")
	cp(filepath.Join(p.dir, "kepala.pass"), "keys/kepala-dinas.pass")
	cp(p.root, "trust/root-ca.pem")
	other, err := devca.New(devca.Options{Organization: "another CA"})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "trust/bsre-root.pem"), other.RootPEM(), 0o644)
	sekda, _ := testPKI(t).ca.Issue(devca.LeafRequest{CommonName: "Sekda"})
	os.WriteFile(filepath.Join(dir, "keys/sekretaris-daerah.chain.pem"), sekda.ChainPEM(), 0o644)
	cfgPath := filepath.Join(dir, "segel-serve.yaml")
	os.WriteFile(cfgPath, data, 0o600)

	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
	if cfg.Listen != ":8443" || len(cfg.Keys) != 2 || len(cfg.Identities) != 3 || cfg.Limits.MaxBody != 100<<20 || cfg.Limits.ShutdownTimeout != time.Minute {
		t.Errorf("example parsed as %+v", cfg)
	}
	env := map[string]string{"SEGEL_LISTEN": "127.0.0.1:0", "SEGEL_AUDIT_LOG": filepath.Join(dir, "audit.jsonl")}
	if err := cfg.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	// The example's token hashes are of thrown-away tokens: use ours.
	for i := range cfg.Identities {
		switch cfg.Identities[i].Name {
		case "aplikasi-persuratan":
			cfg.Identities[i].TokenSHA256 = TokenHash(tokenApp)
		case "sistem-arsip":
			cfg.Identities[i].TokenSHA256 = TokenHash(tokenArsip)
		}
	}
	s := start(t, cfg)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("server at %s", s.URL)
	}
	pdf := readTestdata(t, "pks.pdf")
	resp, one := s.do(t, req{path: "/v1/sign?field=SigKabupaten&certify=2", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	if resp.StatusCode != 200 {
		t.Fatalf("token identity: %s %s", resp.Status, one)
	}
	resp, two := s.do(t, req{path: "/v1/sign?key=kepala-dinas&field=SigProvinsi", contentType: "application/pdf", body: bytes.NewReader(one),
		client: s.withClientCert(t, "operator-setda.example.go.id")})
	if resp.StatusCode != 200 {
		t.Fatalf("mTLS identity: %s %s", resp.Status, two)
	}
	rep := s.verifyPDF(t, two)
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Errorf("verify (default trust): %s, %d signatures", rep.Indication, len(rep.Signatures))
	}
	if rep.Signatures[0].Signer == "" {
		t.Error("no signer name")
	}
	resp, b := s.do(t, req{path: "/v1/verify?trust=bsre", contentType: "application/pdf", body: bytes.NewReader(two)})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"indication":"INDETERMINATE"`) {
		t.Errorf("verify against another trust set: %s %s", resp.Status, b)
	}
	// The Vault key cannot be opened here (no Vault backend in this test
	// binary): /readyz says so, for that key only.
	resp, b = s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"kepala-dinas":{"ready":true}`) ||
		!strings.Contains(string(b), `"sekretaris-daerah":{"ready":false`) {
		t.Errorf("readyz: %s %s", resp.Status, b)
	}
}

func TestConfigValidation(t *testing.T) {
	hash := TokenHash("x")
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "listen: :1\nlimits:\n  max_bodyy: 1\n", "max_bodyy"},
		{"raw token", "identities:\n  - name: a\n    token_sha256: my-secret-token\n", "64 hex digits"},
		{"no credential", "identities:\n  - name: a\n    keys: []\n", "no credential"},
		{"unknown key", "identities:\n  - name: a\n    token_sha256: " + hash + "\n    keys: [nope]\n", `no key named "nope"`},
		{"keys need audit", "keys:\n  k:\n    ref: file:k.p12\n", "audit.file is required"},
		{"bad key name", "keys:\n  'a b':\n    ref: file:k.p12\naudit:\n  file: a.jsonl\n", `name "a b"`},
		{"bad hash", "keys:\n  k:\n    ref: file:k.p12\n    hash: md5\naudit:\n  file: a.jsonl\n", "md5"},
		{"tls half", "tls:\n  cert_file: a.pem\n", "go together"},
		{"client cn without CA", "identities:\n  - name: a\n    client_cn: x\n", "client_ca_file"},
		{"tokens in plain HTTP", "listen: 0.0.0.0:8080\nidentities:\n  - name: a\n    token_sha256: " + hash + "\n", "plain HTTP"},
		{"same token twice", "identities:\n  - name: a\n    token_sha256: " + hash + "\n  - name: b\n    token_sha256: " + hash + "\n", "same token"},
		{"unknown default trust", "verify:\n  default_trust: x\n", `no trust set "x"`},
		{"bad size", "limits:\n  max_body: 10 parsecs\n", "unknown unit"},
		{"bad fetch allowance", "fetch:\n  allow: [loopback, intranet]\n", `fetch.allow: "intranet" is not`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(c.yaml))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
		})
	}
	// Fine: loopback plain HTTP with tokens; plain HTTP behind a proxy.
	for _, ok := range []string{
		"listen: 127.0.0.1:8080\nidentities:\n  - name: a\n    token_sha256: " + hash + "\n",
		"listen: :8080\nallow_plain_http: true\nidentities:\n  - name: a\n    token_sha256: " + hash + "\n",
		"",
	} {
		cfg, err := ParseConfig([]byte(ok))
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestFetchConfig: the service's PKI requests reach public addresses
// only, unless fetch.allow says more.
func TestFetchConfig(t *testing.T) {
	for _, tc := range []struct {
		yaml            string
		loopback, local bool // 127.0.0.1, 10.20.1.1 allowed
	}{
		{"", false, false},
		{"fetch:\n  allow: []\n", false, false},
		{"fetch:\n  allow: [loopback]\n", true, false},
		{"fetch:\n  allow: [private]\n", false, true},
		{"fetch:\n  allow: [10.20.0.0/16, loopback]\n", true, true},
	} {
		cfg, err := ParseConfig([]byte(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		nc, err := cfg.PKINet()
		if err != nil {
			t.Fatal(err)
		}
		for ip, want := range map[string]bool{"127.0.0.1": tc.loopback, "10.20.1.1": tc.local, "8.8.8.8": true, "169.254.169.254": false} {
			if err := nc.Check(netip.MustParseAddr(ip)); (err == nil) != want {
				t.Errorf("%q: %s: %v, want allowed=%v", tc.yaml, ip, err, want)
			}
		}
	}
}

func TestConfigEnvAndSizes(t *testing.T) {
	cfg := &Config{}
	env := map[string]string{"SEGEL_LISTEN": "127.0.0.1:9", "SEGEL_MAX_BODY": "5MiB", "SEGEL_MAX_CONCURRENT": "3", "SEGEL_VERIFY_PUBLIC": "false"}
	if err := cfg.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9" || cfg.Limits.MaxBody != 5<<20 || cfg.Limits.MaxConcurrent != 3 || cfg.VerifyPublic() {
		t.Errorf("after env: %+v", cfg)
	}
	env["SEGEL_MAX_CONCURRENT"] = "-1"
	if err := cfg.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil {
		t.Error("SEGEL_MAX_CONCURRENT=-1 accepted")
	}
	for in, want := range map[string]ByteSize{"1024": 1024, "100MiB": 100 << 20, "100MB": 100e6, "4 KiB": 4096, "1g": 1 << 30} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v", in, got, err)
		}
	}
}

// TestVerifyNotPublic: with verify.public false, verifying needs an
// identity.
func TestVerifyNotPublic(t *testing.T) {
	cfg := baseConfig(t)
	f := false
	cfg.Verify.Public = &f
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	resp, b := s.do(t, req{path: "/v1/verify", contentType: "application/pdf", body: bytes.NewReader(pdf)})
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")
	resp, b = s.do(t, req{path: "/v1/verify", token: tokenArsip, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	if resp.StatusCode != 200 {
		t.Errorf("verify with a token: %s %s", resp.Status, b)
	}
}
