package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"segel/internal/judge"
	"segel/verify"
)

// TestSignAndVerify signs through HTTP with a file: key, has pdfsig judge
// the result, and verifies it through HTTP.
func TestSignAndVerify(t *testing.T) {
	p := testPKI(t)
	cfg := baseConfig(t)
	s := start(t, cfg)
	pks := readTestdata(t, "pks.pdf")

	// 1. The PKS template, certified by the Kabupaten into its field
	//    (multipart with an options JSON part).
	ct, body := multipartBody(t, map[string]string{
		"options": `{"key":"kepala-dinas","field":"SigKabupaten","certify":2,"reason":"Menyetujui Perjanjian Kerja Sama","location":"Tuban"}`,
	}, "pks.pdf", pks)
	resp, one := s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: ct, body: body})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign: %s: %s", resp.Status, one)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/pdf" {
		t.Errorf("Content-Type %q", got)
	}
	if d := resp.Header.Get("X-Segel-Digest"); !strings.HasPrefix(d, "sha256:") || len(d) != 7+64 {
		t.Errorf("X-Segel-Digest %q", d)
	}
	if k := resp.Header.Get("X-Segel-Key"); k != "kepala-dinas" {
		t.Errorf("X-Segel-Key %q", k)
	}
	if v := resp.Header.Get("X-Segel-Key-Version"); v != "" {
		t.Errorf("a file key reported version %q", v)
	}
	if f := resp.Header.Get("X-Segel-Field"); f != "SigKabupaten" {
		t.Errorf("X-Segel-Field %q", f)
	}
	if !bytes.HasPrefix(one, pks) {
		t.Error("the signed PDF does not start with the input's bytes (not an incremental update)")
	}
	if got := sha256hex(one); resp.Header.Get("X-Segel-Output-SHA256") != got {
		t.Errorf("X-Segel-Output-SHA256 %s, body has %s", resp.Header.Get("X-Segel-Output-SHA256"), got)
	}

	// 2. The Provinsi countersigns: raw body, options in the query.
	_, two := s.sign(t, tokenArsip, "key=sekretaris-daerah&field=SigProvinsi&reason=Menyetujui", one)

	// The outside judge: poppler's pdfsig with an NSS database that
	// trusts the development root.
	path := filepath.Join(t.TempDir(), "pks-signed.pdf")
	if err := os.WriteFile(path, two, 0o644); err != nil {
		t.Fatal(err)
	}
	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	db := judge.NewNSSDB(t, p.root)
	var signed []judge.PdfsigResult
	for _, r := range judge.Pdfsig(t, db, path) {
		if r.Signed {
			signed = append(signed, r)
		}
	}
	if len(signed) != 2 {
		t.Fatalf("pdfsig sees %d signatures, want 2", len(signed))
	}
	for _, r := range signed {
		if r.SignatureValidation != "Signature is Valid." || r.CertificateValidation != "Certificate is Trusted." {
			t.Errorf("pdfsig: %s\n%s", r, r.Raw)
		}
	}

	// Verify through HTTP.
	rep := s.verifyPDF(t, two)
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Fatalf("verify: %s with %d signatures: %+v", rep.Indication, len(rep.Signatures), rep)
	}
	if rep.Signatures[0].Kind != "certification" || rep.Signatures[0].DocMDP != 2 {
		t.Errorf("first signature: kind %s P=%d", rep.Signatures[0].Kind, rep.Signatures[0].DocMDP)
	}

	// A byte changed inside the signed range: TOTAL_FAILED.
	bad := bytes.Clone(two)
	bad[2000] ^= 1
	if rep := s.verifyPDF(t, bad); rep.Indication != verify.TotalFailed {
		t.Errorf("tampered: %s", rep.Indication)
	}
	// An unknown trust set is a clear 400.
	resp, b := s.do(t, req{path: "/v1/verify?trust=nope", contentType: "application/pdf", body: bytes.NewReader(two)})
	m := wantError(t, resp, b, http.StatusBadRequest, "unknown_trust")
	if !strings.Contains(m["error"].(string), "default") {
		t.Errorf("unknown trust set message does not list the known ones: %s", b)
	}

	// The audit log has both signatures, chained.
	entries := auditEntries(t, cfg.Audit.File)
	if len(entries) != 2 {
		t.Fatalf("%d audit entries, want 2", len(entries))
	}
	e := entries[1]
	if e.Identity != "sistem-arsip" || e.Key != "sekretaris-daerah" || e.Outcome != OutcomeSigned || e.Field != "SigProvinsi" ||
		e.InputSHA256 != sha256hex(one) || e.OutputSHA256 != sha256hex(two) || e.Auth != "token" || e.Seq != 2 {
		t.Errorf("audit entry: %+v", e)
	}
	if entries[0].Certify != 2 {
		t.Errorf("first audit entry: certify %d", entries[0].Certify)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestVerifyMatchesCLI checks that /v1/verify answers the report of
// verify.File, as `segel verify --json` prints it.
func TestVerifyMatchesCLI(t *testing.T) {
	cfg := baseConfig(t)
	s := start(t, cfg)
	_, signed := s.sign(t, tokenApp, "", readTestdata(t, "minimal.pdf"))
	ct, body := multipartBody(t, map[string]string{"trust": "default"}, "surat.pdf", signed)
	resp, b := s.do(t, req{path: "/v1/verify", contentType: ct, body: body})
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", resp.Status, b)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	if got["file"] != "surat.pdf" || got["indication"] != verify.TotalPassed {
		t.Errorf("report: %s", b)
	}
	for _, k := range []string{"signatures", "revisions", "validation_time"} {
		if _, ok := got[k]; !ok {
			t.Errorf("report lacks %q: %s", k, b)
		}
	}
}

func TestAuthentication(t *testing.T) {
	cfg := baseConfig(t)
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	post := func(token, query string, hdr map[string]string) (*http.Response, []byte) {
		return s.do(t, req{path: "/v1/sign?" + query, token: token, contentType: "application/pdf", body: bytes.NewReader(pdf), header: hdr})
	}
	// No credentials, a wrong token, a malformed header: 401.
	resp, b := post("", "", nil)
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	resp, b = post("sgl_wrong-token", "", nil)
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")
	if strings.Contains(string(b), "sgl_wrong-token") {
		t.Error("the answer echoes the token")
	}
	resp, b = post("", "", map[string]string{"Authorization": "Basic dXNlcjpwYXNz"})
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")

	// Allowed identity, forbidden key: 403; an unknown key too (403, so
	// that key names cannot be probed).
	resp, b = post(tokenApp, "key=sekretaris-daerah", nil)
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	resp, b = post(tokenApp, "key=no-such-key", nil)
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	// An identity with several keys must name one.
	resp, b = post(tokenArsip, "", nil)
	wantError(t, resp, b, http.StatusBadRequest, "no_key")
	// With one key it may leave it out.
	resp, b = post(tokenApp, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("sign with the identity's only key: %s: %s", resp.Status, b)
	}

	// Denials are audited; 401s are not (they have no identity).
	var outcomes []string
	for _, e := range auditEntries(t, cfg.Audit.File) {
		outcomes = append(outcomes, e.Identity+"/"+e.Key+"/"+e.Outcome)
	}
	want := "aplikasi-persuratan/sekretaris-daerah/denied aplikasi-persuratan/no-such-key/denied aplikasi-persuratan/kepala-dinas/signed"
	if got := strings.Join(outcomes, " "); got != want {
		t.Errorf("audit outcomes:\n got %s\nwant %s", got, want)
	}

	// The token never reaches the log.
	logs := s.Log.String()
	for _, secret := range []string{tokenApp, tokenArsip, "sgl_wrong-token", "Bearer", "dXNlcjpwYXNz", "rahasia"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	if !strings.Contains(logs, `"identity":"aplikasi-persuratan"`) {
		t.Errorf("the access log does not name the identity:\n%s", logs)
	}
}

func TestNoConfiguration(t *testing.T) {
	p := testPKI(t)
	cfg := &Config{}
	cfg.SetTrustFiles([]string{p.root})
	s := start(t, cfg)
	signer := start(t, baseConfig(t))
	_, signed := signer.sign(t, tokenApp, "", readTestdata(t, "minimal.pdf"))

	resp, b := s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "minimal.pdf"))})
	m := wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")
	if !strings.Contains(m["error"].(string), "not configured") {
		t.Errorf("message: %s", b)
	}
	if rep := s.verifyPDF(t, signed); rep.Indication != verify.TotalPassed {
		t.Errorf("verify-only server: %s", rep.Indication)
	}
	resp, b = s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != 200 {
		t.Errorf("readyz without keys: %s %s", resp.Status, b)
	}
}

func TestRequestErrors(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Limits.MaxBody = 64 << 10
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")

	// Not a PDF: 400 with a clear message, for signing and verifying.
	for _, path := range []string{"/v1/sign", "/v1/verify"} {
		resp, b := s.do(t, req{path: path, token: tokenApp, contentType: "application/pdf", body: strings.NewReader("<html>not a pdf</html>")})
		m := wantError(t, resp, b, http.StatusBadRequest, "not_pdf")
		if !strings.Contains(m["error"].(string), "not a PDF") {
			t.Errorf("%s: message %q", path, m["error"])
		}
	}
	// Empty body.
	resp, b := s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: strings.NewReader("")})
	wantError(t, resp, b, http.StatusBadRequest, "empty")
	// Multipart without a file.
	ct, body := multipartBody(t, map[string]string{"key": "kepala-dinas"}, "", nil)
	resp, b = s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: ct, body: body})
	wantError(t, resp, b, http.StatusBadRequest, "no_file")
	// Wrong content type.
	resp, b = s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/json", body: strings.NewReader("{}")})
	wantError(t, resp, b, http.StatusUnsupportedMediaType, "bad_content_type")
	// Bad options.
	resp, b = s.do(t, req{path: "/v1/sign?certify=7", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	wantError(t, resp, b, http.StatusBadRequest, "bad_option")
	resp, b = s.do(t, req{path: "/v1/sign?field=NoSuchField", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	wantError(t, resp, b, http.StatusUnprocessableEntity, "field_not_found")

	// Oversized: 413, whether the length is announced or not.
	big := append(bytes.Clone(pdf), bytes.Repeat([]byte("%"), 70<<10)...)
	resp, b = s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(big)})
	wantError(t, resp, b, http.StatusRequestEntityTooLarge, "too_large")
	resp, b = s.do(t, req{path: "/v1/verify", contentType: "application/pdf", body: io.MultiReader(bytes.NewReader(big))})
	wantError(t, resp, b, http.StatusRequestEntityTooLarge, "too_large")
	ct, body = multipartBody(t, nil, "big.pdf", big)
	resp, b = s.do(t, req{path: "/v1/verify", contentType: ct, body: io.MultiReader(body)})
	wantError(t, resp, b, http.StatusRequestEntityTooLarge, "too_large")

	// Wrong method and unknown paths.
	resp, _ = s.do(t, req{method: "GET", path: "/v1/sign"})
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/sign: %s", resp.Status)
	}
	resp, _ = s.do(t, req{method: "GET", path: "/nope"})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: %s", resp.Status)
	}
}

// TestConcurrencyLimit: a request whose body is still arriving holds no
// slot; a request being processed holds its pool's only slot, so the next
// verify gets 429, while signing, a pool of its own, goes on.
func TestConcurrencyLimit(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Limits.MaxConcurrent = 1
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	var bodies atomic.Int32
	release := make(chan struct{})
	var holding atomic.Bool
	s.testHook = func(stage string) {
		switch stage {
		case "body":
			bodies.Add(1)
		case "verify:input":
			if holding.CompareAndSwap(false, true) {
				<-release
			}
		}
	}

	// A slow upload: no slot taken while its body arrives.
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	var first *http.Response
	var firstBody []byte
	wg.Go(func() {
		first, firstBody = s.do(t, req{path: "/v1/verify", contentType: "application/pdf", body: pr})
	})
	pw.Write(pdf[:100])
	waitFor(t, func() bool { return bodies.Load() == 1 })
	if len(s.semVerify) != 0 || len(s.sem) != 0 {
		t.Fatal("a slot is taken while the body is still arriving")
	}
	// The slow upload now completes and holds the verify slot in the hook.
	pw.Write(pdf[100:])
	pw.Close()
	waitFor(t, func() bool { return len(s.semVerify) == 1 })

	resp, b := s.do(t, req{path: "/v1/verify", contentType: "application/pdf", body: bytes.NewReader(pdf)})
	wantError(t, resp, b, http.StatusTooManyRequests, "busy")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Signing has its own pool.
	if resp, b := s.sign(t, tokenApp, "", pdf); resp.StatusCode != 200 {
		t.Errorf("signing while verify is full: %s %.200s", resp.Status, b)
	}
	close(release)
	wg.Wait()
	if first.StatusCode != 200 {
		t.Errorf("the request holding the slot: %s %s", first.Status, firstBody)
	}
	// The slot is free again.
	if rep := s.verifyPDF(t, pdf); rep.Indication != verify.NoSignatureFound {
		t.Errorf("after the limit: %s", rep.Indication)
	}
}

// TestSlowUploadCut: a body that trickles in slower than
// limits.body_timeout is cut with 408, and four of them at once leave
// signing and verifying free.
func TestSlowUploadCut(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Limits.MaxConcurrent = 1
	cfg.Limits.BodyTimeout = 500 * time.Millisecond
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range 4 {
		pr, pw := io.Pipe()
		wg.Go(func() {
			resp, _ := s.do(t, req{path: "/v1/verify", contentType: "application/pdf", body: pr})
			if resp != nil {
				codes[i] = resp.StatusCode
			}
		})
		wg.Go(func() {
			for j := 0; j < 40; j++ {
				if _, err := pw.Write(pdf[j : j+1]); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			pw.Close()
		})
	}
	time.Sleep(100 * time.Millisecond)
	if resp, b := s.sign(t, tokenApp, "", pdf); resp.StatusCode != 200 {
		t.Errorf("signing during four slow uploads: %s %.200s", resp.Status, b)
	}
	if rep := s.verifyPDF(t, pdf); rep.Indication != verify.NoSignatureFound {
		t.Errorf("verifying during four slow uploads: %s", rep.Indication)
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusRequestTimeout && c != 0 {
			t.Errorf("slow upload %d: %d, want 408 (or the connection cut)", i, c)
		}
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMTLS(t *testing.T) {
	p := testPKI(t)
	cfg := baseConfig(t)
	cfg.TLS = TLSConfig{CertFile: p.tlsCert, KeyFile: p.tlsKey, ClientCAFile: p.clientCA}
	cfg.Identities = append(cfg.Identities, IdentityConfig{Name: "operator-setda", ClientCN: "operator-setda.example.go.id", Keys: []string{"sekretaris-daerah"}})
	s := start(t, cfg)
	pdf := readTestdata(t, "minimal.pdf")
	operator := s.withClientCert(t, "operator-setda.example.go.id")
	stranger := s.withClientCert(t, "stranger.example.org")

	resp, b := s.do(t, req{path: "/v1/sign", contentType: "application/pdf", body: bytes.NewReader(pdf), client: operator})
	if resp.StatusCode != 200 {
		t.Fatalf("mTLS sign: %s: %s", resp.Status, b)
	}
	if rep := s.verifyPDF(t, b); rep.Indication != verify.TotalPassed {
		t.Errorf("mTLS-signed document: %s", rep.Indication)
	}
	// The operator may not use the other key.
	resp, b = s.do(t, req{path: "/v1/sign?key=kepala-dinas", contentType: "application/pdf", body: bytes.NewReader(pdf), client: operator})
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
	// A certificate of the CA that belongs to no identity; no certificate.
	resp, b = s.do(t, req{path: "/v1/sign", contentType: "application/pdf", body: bytes.NewReader(pdf), client: stranger})
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")
	resp, b = s.do(t, req{path: "/v1/sign", contentType: "application/pdf", body: bytes.NewReader(pdf)})
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")
	// A token over TLS still works; a token of another identity together
	// with the operator's certificate is refused.
	resp, b = s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	if resp.StatusCode != 200 {
		t.Fatalf("token over TLS: %s: %s", resp.Status, b)
	}
	resp, b = s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf), client: operator})
	wantError(t, resp, b, http.StatusUnauthorized, "unauthenticated")

	e := auditEntries(t, cfg.Audit.File)[0]
	if e.Identity != "operator-setda" || e.Auth != "mtls" || e.Key != "sekretaris-daerah" {
		t.Errorf("audit entry of the mTLS signing: %+v", e)
	}
}

func TestMetricsHealthAndOpenAPI(t *testing.T) {
	s := start(t, baseConfig(t))
	_, signed := s.sign(t, tokenApp, "", readTestdata(t, "minimal.pdf"))
	s.verifyPDF(t, signed)
	s.do(t, req{path: "/v1/sign", contentType: "application/pdf", body: bytes.NewReader(signed)}) // 401

	resp, b := s.do(t, req{method: "GET", path: "/healthz"})
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %s", resp.Status)
	}
	resp, b = s.do(t, req{method: "GET", path: "/readyz"})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"kepala-dinas":{"ready":true}`) {
		t.Errorf("readyz: %s %s", resp.Status, b)
	}

	resp, b = s.do(t, req{method: "GET", path: "/metrics"})
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %s", resp.Status)
	}
	metrics := string(b)
	for _, want := range []string{
		`segel_signatures_total{key="kepala-dinas",outcome="signed"} 1`,
		`segel_verifications_total{indication="TOTAL_PASSED"} 1`,
		`segel_http_requests_total{code="200",handler="POST /v1/sign"} 1`,
		`segel_http_requests_total{code="401",handler="POST /v1/sign"} 1`,
		`segel_http_request_duration_seconds_bucket{handler="POST /v1/verify"`,
		`segel_key_backend_duration_seconds_count{key="kepala-dinas",op="sign"} 1`,
		`segel_key_backend_duration_seconds_count{key="kepala-dinas",op="open"} 1`,
		`segel_rejected_total`,
		`segel_audit_entries_total 1`,
		`segel_key_up{key="kepala-dinas"} 1`,
		`process_resident_memory_bytes`,
	} {
		if want == `segel_rejected_total` {
			want = `segel_http_rejected_total{reason="unauthenticated"} 1`
		}
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	resp, b = s.do(t, req{method: "GET", path: "/openapi.json"})
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	for path, methods := range map[string][]string{
		"/v1/sign": {"post"}, "/v1/verify": {"get", "post"}, "/v1/verify/page": {"post"},
		"/healthz": {"get"}, "/readyz": {"get"}, "/metrics": {"get"}, "/openapi.json": {"get"},
	} {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("openapi.json lacks %s %s", m, path)
			}
		}
	}
}

// TestPanicRecovery makes the sign handler panic after the body was read.
func TestPanicRecovery(t *testing.T) {
	s := start(t, baseConfig(t))
	s.testHook = func(stage string) {
		if stage == "sign:input" {
			panic("injected panic for the test")
		}
	}
	pdf := readTestdata(t, "minimal.pdf")
	resp, b := s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
	m := wantError(t, resp, b, http.StatusInternalServerError, "internal")
	if m["error"] != "internal error" || m["input_sha256"] != sha256hex(pdf) {
		t.Errorf("answer: %s", b)
	}
	if strings.Contains(string(b), "goroutine") || strings.Contains(string(b), "injected") || strings.Contains(string(b), ".go:") {
		t.Errorf("the answer leaks the panic: %s", b)
	}
	if !strings.Contains(s.Log.String(), "injected panic for the test") {
		t.Error("the panic is not in the server log")
	}
	// The server goes on.
	s.testHook = nil
	s.sign(t, tokenApp, "", pdf)
}

// TestGracefulShutdown cancels the server while a request is in flight:
// the request completes, then Serve returns.
func TestGracefulShutdown(t *testing.T) {
	s := start(t, baseConfig(t))
	pdf := readTestdata(t, "minimal.pdf")
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	var resp *http.Response
	var body []byte
	wg.Go(func() {
		resp, body = s.do(t, req{path: "/v1/sign", token: tokenApp, contentType: "application/pdf", body: pr})
	})
	var started atomic.Bool
	s.testHook = func(stage string) {
		if stage == "body" {
			started.Store(true)
		}
	}
	pw.Write(pdf[:50])
	waitFor(t, started.Load)
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	waitFor(t, func() bool { return s.draining.Load() })
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned while a request was in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	pw.Write(pdf[50:])
	pw.Close()
	wg.Wait()
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, pdf) {
		t.Fatalf("in-flight request during shutdown: %s %.200s", resp.Status, body)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the last request")
	}
}

// TestVerifyBudget: a verification that outlasts limits.verify_timeout
// stops and reports INDETERMINATE with the reason (a budget of 1ns is
// exceeded by any file); the default budget verifies the same file.
func TestVerifyBudget(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Limits.VerifyTimeout = time.Nanosecond
	s := start(t, cfg)
	pdf := readTestdata(t, "pks-xrefstream.pdf")
	rep := s.verifyPDF(t, pdf)
	if rep.Indication != verify.Indeterminate || !strings.Contains(strings.Join(rep.Errors, " "), "time budget") {
		t.Errorf("over budget: %s %v", rep.Indication, rep.Errors)
	}
	if rep := start(t, baseConfig(t)).verifyPDF(t, pdf); strings.Contains(strings.Join(rep.Errors, " "), "time budget") {
		t.Errorf("within the default budget: %v", rep.Errors)
	}
}
