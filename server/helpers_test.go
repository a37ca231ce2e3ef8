package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/verify"
)

// pki is a development PKI written to a folder: signer keystores, the
// document root, and TLS material for the service and its clients.
type pki struct {
	dir      string
	ca       *devca.CA
	root     string // document-signing root (PEM)
	kepala   string // kepala.p12, password in kepala.pass
	sekda    string // sekda.p12
	serverCA *x509.Certificate
	tlsCert  string // server certificate for 127.0.0.1 (PEM), tlsKey its key
	tlsKey   string
	clientCA string // CA of client certificates (PEM)
	// clients maps a common name to a client certificate.
	clients map[string]tls.Certificate
	caKey   *ecdsa.PrivateKey
	caCert  *x509.Certificate
}

var (
	pkiOnce sync.Once
	pkiVal  *pki
	pkiErr  error
)

// testPKI makes the PKI once per test binary (RSA keys are slow to make).
func testPKI(t testing.TB) *pki {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = makePKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

func makePKI() (*pki, error) {
	dir, err := os.MkdirTemp("", "segel-server-test-")
	if err != nil {
		return nil, err
	}
	p := &pki{dir: dir, clients: map[string]tls.Certificate{}}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		return nil, err
	}
	p.ca = ca
	p.root = filepath.Join(dir, "root.pem")
	if err := ca.WriteRootPEM(p.root); err != nil {
		return nil, err
	}
	for _, id := range []struct {
		name, cn string
		kt       devca.KeyType
		dst      *string
	}{
		{"kepala", "Kepala Dinas Kominfo Tuban", devca.RSA2048, &p.kepala},
		{"sekda", "Sekretaris Daerah Tuban", devca.ECDSAP256, &p.sekda},
	} {
		ident, err := ca.Issue(devca.LeafRequest{CommonName: id.cn, Organization: "Pemerintah Kabupaten Tuban", KeyType: id.kt})
		if err != nil {
			return nil, err
		}
		*id.dst = filepath.Join(dir, id.name+".p12")
		if err := ident.WriteP12(*id.dst, "rahasia-"+id.name, false, true); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, id.name+".pass"), []byte("rahasia-"+id.name+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	// TLS: one CA issues the server certificate and client certificates.
	p.caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "segel test TLS CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, p.caKey.Public(), p.caKey)
	if err != nil {
		return nil, err
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.serverCA = p.caCert
	p.clientCA = filepath.Join(dir, "clients-ca.pem")
	if err := os.WriteFile(p.clientCA, pemCert(der), 0o644); err != nil {
		return nil, err
	}
	srv, srvKey, err := p.issueTLS("127.0.0.1", true)
	if err != nil {
		return nil, err
	}
	p.tlsCert, p.tlsKey = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(p.tlsCert, srv, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.tlsKey, srvKey, 0o600); err != nil {
		return nil, err
	}
	for _, cn := range []string{"operator-setda.example.go.id", "stranger.example.org"} {
		c, k, err := p.issueTLS(cn, false)
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(c, k)
		if err != nil {
			return nil, err
		}
		p.clients[cn] = pair
	}
	return p, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// issueTLS makes a server (IP SAN) or client certificate and its key (PEM).
func (p *pki) issueTLS(name string, server bool) ([]byte, []byte, error) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP(name)}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, key.Public(), p.caKey)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemCert(der), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// Test tokens.
const (
	tokenApp   = "sgl_test-token-aplikasi-persuratan"
	tokenArsip = "sgl_test-token-sistem-arsip"
)

// baseConfig is a configuration with both keys, both token identities
// and a fresh audit log.
func baseConfig(t testing.TB) *Config {
	t.Helper()
	p := testPKI(t)
	return &Config{
		Keys: map[string]KeyConfig{
			"kepala-dinas":      {Ref: "file:" + p.kepala, PasswordFile: filepath.Join(p.dir, "kepala.pass")},
			"sekretaris-daerah": {Ref: "file:" + p.sekda, PasswordEnv: "TEST_SEKDA_PASSWORD"},
		},
		Trust: map[string][]string{"default": {p.root}},
		Identities: []IdentityConfig{
			{Name: "aplikasi-persuratan", TokenSHA256: TokenHash(tokenApp), Keys: []string{"kepala-dinas"}},
			{Name: "sistem-arsip", TokenSHA256: TokenHash(tokenArsip), Keys: []string{"kepala-dinas", "sekretaris-daerah"}},
		},
		Audit: AuditConfig{File: filepath.Join(t.TempDir(), "audit.jsonl")},
	}
}

// testEnv is the environment the server reads key passwords from.
func testEnv(name string) (string, bool) {
	if name == "TEST_SEKDA_PASSWORD" {
		return "rahasia-sekda", true
	}
	return "", false
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a server listening on 127.0.0.1.
type running struct {
	*Server
	URL    string
	Log    *syncBuffer
	client *http.Client
	stop   func() error
}

// start makes a server from cfg and serves it on 127.0.0.1 (HTTPS when
// cfg has TLS) until the test ends.
func start(t testing.TB, cfg *Config) *running {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	s, err := New(context.Background(), cfg, Options{Logger: logger, LookupEnv: testEnv})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	r := &running{Server: s, Log: logs, client: &http.Client{Timeout: 2 * time.Minute}}
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
		pool := x509.NewCertPool()
		pool.AddCert(testPKI(t).serverCA)
		r.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	r.URL = scheme + "://" + ln.Addr().String()
	var once sync.Once
	var serveErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			serveErr = <-done
			s.Close()
		})
		return serveErr
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// withClientCert returns a client presenting the named client certificate.
func (r *running) withClientCert(t testing.TB, cn string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(testPKI(t).serverCA)
	cert := testPKI(t).clients[cn]
	return &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
	}}
}

// req describes a test request.
type req struct {
	method, path, token, contentType string
	body                             io.Reader
	client                           *http.Client
	header                           map[string]string
}

// do sends a request and returns the response with its body read.
func (r *running) do(t testing.TB, q req) (*http.Response, []byte) {
	t.Helper()
	if q.method == "" {
		q.method = http.MethodPost
	}
	hr, err := http.NewRequest(q.method, r.URL+q.path, q.body)
	if err != nil {
		t.Fatal(err)
	}
	if q.token != "" {
		hr.Header.Set("Authorization", "Bearer "+q.token)
	}
	if q.contentType != "" {
		hr.Header.Set("Content-Type", q.contentType)
	}
	for k, v := range q.header {
		hr.Header.Set(k, v)
	}
	c := q.client
	if c == nil {
		c = r.client
	}
	resp, err := c.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", q.method, q.path, err)
	}
	return resp, b
}

// sign posts pdf to /v1/sign?query with a token and wants 200.
func (r *running) sign(t testing.TB, token, query string, pdf []byte) (*http.Response, []byte) {
	t.Helper()
	resp, body := r.do(t, req{path: "/v1/sign?" + query, token: token, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign: %s: %s", resp.Status, body)
	}
	return resp, body
}

// verifyPDF posts pdf to /v1/verify and returns the report.
func (r *running) verifyPDF(t testing.TB, pdf []byte) *verify.Report {
	t.Helper()
	resp, body := r.do(t, req{path: "/v1/verify", contentType: "application/pdf", body: bytes.NewReader(pdf)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: %s: %s", resp.Status, body)
	}
	var rep verify.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("verify: %v\n%s", err, body)
	}
	return &rep
}

// apiErr decodes a JSON error answer.
func apiErr(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("error answer is not JSON: %v\n%s", err, body)
	}
	if m["error"] == nil || m["code"] == nil || m["request_id"] == nil {
		t.Fatalf("error answer lacks error/code/request_id: %s", body)
	}
	return m
}

// wantError checks the status and code of an error answer.
func wantError(t testing.TB, resp *http.Response, body []byte, status int, code string) map[string]any {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %s, want %d: %s", resp.Status, status, body)
	}
	m := apiErr(t, body)
	if m["code"] != code {
		t.Fatalf("code %v, want %s: %s", m["code"], code, body)
	}
	return m
}

// multipartBody builds a multipart/form-data body.
func multipartBody(t testing.TB, fields map[string]string, filename string, file []byte) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// auditLines reads the audit log's lines.
func auditLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func auditEntries(t testing.TB, path string) []AuditEntry {
	t.Helper()
	var out []AuditEntry
	for _, l := range auditLines(t, path) {
		var e AuditEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// TestMain removes the shared test PKI after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if pkiVal != nil {
		os.RemoveAll(pkiVal.dir)
	}
	os.Exit(code)
}
