// Package vaulttest runs a real HashiCorp Vault server on the loopback
// interface for tests, set up like scripts/vault-dev.sh sets up a dev
// server: Transit at transit/, KV v2 at secret/, a root CA at pki/, an
// issuing CA at pki_int/ with the role document-signing, and the policies
// of deploy/vault loaded as segel-signer and segel-admin.
//
// Unlike a -dev server, the server keeps its data in a file store in a
// temporary folder, so a test can stop it and start it again, seal it and
// unseal it, or pause it, and see that the same client signs again once
// Vault is back.
//
// The server binary is found through SEGEL_VAULT_BIN, or else in the cache
// that scripts/vault-dev.sh builds into
// (${SEGEL_VAULT_CACHE:-$HOME/.cache/segel/vault}/bin/vault-v1.14.2-segel1). When it
// is absent the test is skipped with a message saying how to build it, or
// fails when CI=true. It is meant to be imported only from _test.go files.
package vaulttest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// Build names the Vault build scripts/vault-dev.sh makes: v1.14.2 with
// the patches described there.
const Build = "v1.14.2-segel1"

// Mounts and names set up on every server.
const (
	Transit   = "transit"
	KV        = "secret"
	RootPKI   = "pki"
	PKI       = "pki_int"
	Role      = "document-signing"
	TSARole   = "tsa" // for sign-verbatim: time-stamping certificates
	SignerPol = "segel-signer"
	AdminPol  = "segel-admin"
)

// Binary returns the path of the Vault server binary, or skips the test
// (fails it under CI=true) when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("SEGEL_VAULT_BIN"); b != "" {
		if st, err := os.Stat(b); err == nil && !st.IsDir() {
			return b
		}
		t.Fatalf("SEGEL_VAULT_BIN=%s is not a file", b)
	}
	cache := os.Getenv("SEGEL_VAULT_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			missing(t, "no home folder to look for the cache in")
		}
		cache = filepath.Join(home, ".cache", "segel", "vault")
	}
	b := filepath.Join(cache, "bin", "vault-"+Build)
	if _, err := os.Stat(b); err != nil {
		missing(t, "no Vault server binary at "+b)
	}
	return b
}

func missing(t testing.TB, why string) {
	t.Helper()
	msg := why + "; build it with scripts/vault-dev.sh build (a few minutes, once) or set SEGEL_VAULT_BIN"
	if strings.EqualFold(os.Getenv("CI"), "true") {
		t.Fatal(msg + " — required when CI=true (.ci/run builds it)")
	}
	t.Skip("Vault tests skipped: " + msg)
}

// Server is a running Vault server.
type Server struct {
	// Addr is the server's URL, http://127.0.0.1:PORT.
	Addr string
	// RootToken is the initial root token.
	RootToken string
	// RootCA is the root of the PKI, RootFile a PEM file holding it.
	RootCA   *x509.Certificate
	RootFile string
	// IntermediateFile is a PEM file with the issuing CA (pki_int), which
	// also signs its OCSP answers.
	IntermediateFile string

	t         testing.TB
	bin, dir  string
	listen    string
	unsealKey string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a server on a free loopback port, initialises, unseals and
// configures it, and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, dir: dir, listen: fmt.Sprintf("127.0.0.1:%d", port)}
	s.Addr = "http://" + s.listen
	cfg := fmt.Sprintf(`storage "file" {
  path = %q
}
listener "tcp" {
  address     = %q
  tls_disable = true
}
disable_mlock = true
api_addr      = %q
ui            = false
log_level     = "warn"
`, filepath.Join(dir, "data"), s.listen, s.Addr)
	if err := os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.kill)
	s.StartProcess()
	ctx := context.Background()
	var init struct {
		Keys  []string `json:"keys_base64"`
		Token string   `json:"root_token"`
	}
	if err := s.rawJSON(ctx, "PUT", "sys/init", "", map[string]any{"secret_shares": 1, "secret_threshold": 1}, &init); err != nil {
		t.Fatalf("vault init: %v", err)
	}
	if len(init.Keys) != 1 || init.Token == "" {
		t.Fatalf("vault init gave no key or token")
	}
	s.unsealKey, s.RootToken = init.Keys[0], init.Token
	s.Unseal()
	s.configure()
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartProcess starts the server process (again) and waits until it
// answers; after a restart it is sealed.
func (s *Server) StartProcess() {
	s.t.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		s.t.Fatal("vaulttest: the server is already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.mu.Unlock()
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "server", "-config", filepath.Join(s.dir, "config.hcl"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = serverEnv()
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		logf.Close()
		s.t.Fatalf("starting vault: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Addr + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-done:
			s.t.Fatalf("vault exited at start:\n%s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("vault did not answer within 30 s:\n%s", s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverEnv is the environment without Vault client settings.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VAULT_") {
			env = append(env, kv)
		}
	}
	return env
}

// Stop stops the server process (SIGTERM, then SIGKILL after 10 s). Its
// data stay; StartProcess brings it back sealed.
func (s *Server) Stop() {
	s.t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGCONT)
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func (s *Server) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		<-done
	}
}

// Pause stops the process with SIGSTOP: connections are accepted by the
// kernel but never answered. Resume continues it.
func (s *Server) Pause() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
	s.mu.Lock()
	pid := s.cmd.Process.Pid
	s.mu.Unlock()
	if !waitStopped(pid) {
		s.t.Fatalf("vaulttest: vault (pid %d) did not stop within 2 s of SIGSTOP", pid)
	}
}

// Resume continues a paused server.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatal("vaulttest: the server is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// Seal seals the server.
func (s *Server) Seal() {
	s.t.Helper()
	if err := s.rawJSON(context.Background(), "PUT", "sys/seal", s.RootToken, nil, nil); err != nil {
		s.t.Fatalf("seal: %v", err)
	}
}

// Unseal unseals the server and waits until it is active.
func (s *Server) Unseal() {
	s.t.Helper()
	ctx := context.Background()
	if err := s.rawJSON(ctx, "PUT", "sys/unseal", "", map[string]any{"key": s.unsealKey}, nil); err != nil {
		s.t.Fatalf("unseal: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Addr + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("vault not active 30 s after unsealing:\n%s", s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Log returns the server's log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(b)
}

// Client returns an API client for token (no environment is read).
func (s *Server) Client(token string) *api.Client {
	s.t.Helper()
	cfg := &api.Config{Address: s.Addr, HttpClient: &http.Client{Timeout: 30 * time.Second}, MaxRetries: 0}
	c, err := api.NewClient(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	c.ClearNamespace()
	if token == "" {
		c.ClearToken()
	} else {
		c.SetToken(token)
	}
	return c
}

// Write writes data to path as the root token and returns the answer's
// data, failing the test on error.
func (s *Server) Write(path string, data map[string]any) map[string]any {
	s.t.Helper()
	sec, err := s.Client(s.RootToken).Logical().Write(path, data)
	if err != nil {
		s.t.Fatalf("vault write %s: %v", path, err)
	}
	if sec == nil {
		return nil
	}
	return sec.Data
}

// Read reads path as the root token.
func (s *Server) Read(path string) map[string]any {
	s.t.Helper()
	sec, err := s.Client(s.RootToken).Logical().Read(path)
	if err != nil {
		s.t.Fatalf("vault read %s: %v", path, err)
	}
	if sec == nil {
		return nil
	}
	return sec.Data
}

// Token creates a token with only the given policies (no default policy).
// ttl 0 means Vault's default; maxTTL, when set, caps renewals.
func (s *Server) Token(ttl, maxTTL time.Duration, policies ...string) string {
	s.t.Helper()
	req := &api.TokenCreateRequest{Policies: policies, NoDefaultPolicy: true, NoParent: true}
	if ttl > 0 {
		req.TTL = ttl.String()
	}
	if maxTTL > 0 {
		req.ExplicitMaxTTL = maxTTL.String()
	}
	renew := true
	req.Renewable = &renew
	sec, err := s.Client(s.RootToken).Auth().Token().Create(req)
	if err != nil {
		s.t.Fatalf("token create: %v", err)
	}
	return sec.Auth.ClientToken
}

// SignerToken returns a token holding only the segel-signer policy.
func (s *Server) SignerToken() string { return s.Token(0, 0, SignerPol) }

// AdminToken returns a token holding only the segel-admin policy.
func (s *Server) AdminToken() string { return s.Token(0, 0, AdminPol) }

// AppRole enables AppRole auth (once) and makes a role whose tokens hold
// only policy, with the given token TTLs (0: Vault's defaults). It returns
// the role ID and a new secret ID.
func (s *Server) AppRole(name, policy string, tokenTTL, tokenMaxTTL time.Duration) (roleID, secretID string) {
	s.t.Helper()
	if s.Read("sys/auth")["approle/"] == nil {
		s.Write("sys/auth/approle", map[string]any{"type": "approle"})
	}
	role := map[string]any{"token_policies": []string{policy}, "token_no_default_policy": true}
	if tokenTTL > 0 {
		role["token_ttl"] = tokenTTL.String()
	}
	if tokenMaxTTL > 0 {
		role["token_max_ttl"] = tokenMaxTTL.String()
	}
	s.Write("auth/approle/role/"+name, role)
	roleID = s.Read("auth/approle/role/" + name + "/role-id")["role_id"].(string)
	secretID = s.Write("auth/approle/role/"+name+"/secret-id", map[string]any{})["secret_id"].(string)
	return roleID, secretID
}

// configure sets up the engines, the PKI and the policies.
func (s *Server) configure() {
	s.t.Helper()
	urls := func(m string) map[string]any {
		return map[string]any{
			"issuing_certificates":    s.Addr + "/v1/" + m + "/ca",
			"crl_distribution_points": s.Addr + "/v1/" + m + "/crl",
			"ocsp_servers":            s.Addr + "/v1/" + m + "/ocsp",
		}
	}
	s.Write("sys/mounts/"+Transit, map[string]any{"type": "transit"})
	s.Write("sys/mounts/"+KV, map[string]any{"type": "kv", "options": map[string]any{"version": "2"}})
	s.Write("sys/mounts/"+RootPKI, map[string]any{"type": "pki", "config": map[string]any{"max_lease_ttl": "87600h"}})
	s.Write(RootPKI+"/config/urls", urls(RootPKI))
	root := s.Write(RootPKI+"/root/generate/internal", map[string]any{
		"common_name": "segel test root CA", "organization": "segel development",
		"key_type": "ec", "key_bits": 384, "ttl": "87600h", "not_before_duration": "1h",
	})
	rootPEM := root["certificate"].(string)
	b, _ := pem.Decode([]byte(rootPEM))
	if b == nil {
		s.t.Fatal("vaulttest: the root CA is not PEM")
	}
	rc, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		s.t.Fatal(err)
	}
	s.RootCA = rc
	s.RootFile = filepath.Join(s.dir, "root.pem")
	if err := os.WriteFile(s.RootFile, []byte(rootPEM+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.Write("sys/mounts/"+PKI, map[string]any{"type": "pki", "config": map[string]any{"max_lease_ttl": "43800h"}})
	csr := s.Write(PKI+"/intermediate/generate/internal", map[string]any{
		"common_name": "segel test document-signing CA", "organization": "segel development",
		"key_type": "ec", "key_bits": 384,
	})["csr"].(string)
	inter := s.Write(RootPKI+"/root/sign-intermediate", map[string]any{"csr": csr, "format": "pem", "ttl": "43800h", "not_before_duration": "1h"})["certificate"].(string)
	s.Write(PKI+"/intermediate/set-signed", map[string]any{"certificate": inter})
	s.IntermediateFile = filepath.Join(s.dir, "intermediate.pem")
	if err := os.WriteFile(s.IntermediateFile, []byte(inter+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.Write(PKI+"/config/urls", urls(PKI))
	s.Write(PKI+"/roles/"+Role, RoleConfig())
	s.Write(PKI+"/roles/"+TSARole, TSARoleConfig())
	for name, file := range map[string]string{SignerPol: "segel-signer.hcl", AdminPol: "segel-admin.hcl"} {
		s.Write("sys/policies/acl/"+name, map[string]any{"policy": string(RepoFile(s.t, "deploy/vault/"+file))})
	}
	// A new KV v2 mount answers "upgrading" for a moment.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := s.Client(s.RootToken).Logical().Write(KV+"/data/vaulttest-probe", map[string]any{"data": map[string]any{"ok": "1"}})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("KV v2 not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RoleConfig is the PKI role that yields certificates pdfsig and segel
// accept for document signing (the same as scripts/vault-dev.sh's).
func RoleConfig() map[string]any {
	return map[string]any{
		"key_usage":             []string{"DigitalSignature", "ContentCommitment"},
		"ext_key_usage":         []string{},
		"ext_key_usage_oids":    []string{"1.3.6.1.5.5.7.3.36"},
		"email_protection_flag": true,
		"server_flag":           false,
		"client_flag":           false,
		"code_signing_flag":     false,
		"key_type":              "any",
		"allow_any_name":        true,
		"enforce_hostnames":     false,
		"use_csr_common_name":   true,
		"use_csr_sans":          true,
		"ttl":                   "8760h",
		"max_ttl":               "8760h",
		// Backdated so that a certificate is valid at the producedAt of an
		// OCSP answer made in the minute it was issued (Vault rounds it
		// down to the minute; NSS checks the signer's validity then).
		"not_before_duration": "1h",
	}
}

// TSARoleConfig is the PKI role for time-stamping certificates (the same
// as scripts/vault-dev.sh's). They are issued at sign-verbatim, which
// keeps the request's critical extended key usage timeStamping; the role
// gives the lifetime and the backdating.
func TSARoleConfig() map[string]any {
	return map[string]any{
		"key_type":            "any",
		"allow_any_name":      true,
		"enforce_hostnames":   false,
		"server_flag":         false,
		"client_flag":         false,
		"ttl":                 "8760h",
		"max_ttl":             "8760h",
		"not_before_duration": "1h",
	}
}

// RepoFile reads a file of the repository, found by walking up from the
// working directory to go.mod.
func RepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("vaulttest: no go.mod above the working directory to find %s", rel)
		}
		dir = parent
	}
}

// rawJSON makes a request with net/http (for init, unseal and seal, which
// need no api client state).
func (s *Server) rawJSON(ctx context.Context, method, path, token string, body any, out any) error {
	c := s.Client(token)
	r := c.NewRequest(method, "/v1/"+path)
	if body != nil {
		if err := r.SetJSONBody(body); err != nil {
			return err
		}
	}
	resp, err := c.RawRequestWithContext(ctx, r) //nolint:staticcheck // the raw form is what init needs
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if buf.Len() == 0 {
		return errors.New("empty answer")
	}
	return json.Unmarshal(buf.Bytes(), out)
}
