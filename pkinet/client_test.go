package pkinet

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// server serves test paths and records what it was asked.
type server struct {
	*httptest.Server
	hits    atomic.Int32
	mu      sync.Mutex
	seen    []seenRequest
	release chan struct{}
}

type seenRequest struct {
	method, path, contentType string
	header                    http.Header
	body                      []byte
}

func newServer(t *testing.T, tlsServer bool) *server {
	t.Helper()
	s := &server{release: make(chan struct{})}
	if tlsServer {
		s.Server = httptest.NewTLSServer(s)
	} else {
		s.Server = httptest.NewServer(s)
	}
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) })
	return s
}

func (s *server) last() seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[len(s.seen)-1]
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.seen = append(s.seen, seenRequest{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), r.Header.Clone(), body})
	s.mu.Unlock()
	q := r.URL.Query()
	ct := q.Get("ct")
	if ct == "" {
		ct = "application/octet-stream"
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/ocsp"): // OCSP: answers "GET <request>" or "POST <request>"
		if q.Get("noget") != "" && r.Method == http.MethodGet {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		req := body
		if r.Method == http.MethodGet {
			enc, _ := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/ocsp/"))
			req, _ = base64.StdEncoding.DecodeString(enc)
		}
		w.Header().Set("Content-Type", TypeOCSPResponse)
		w.Write(append([]byte(r.Method+" "), req...))
	case p == "/ct": // any content type
		w.Header().Set("Content-Type", ct)
		w.Write([]byte("body"))
	case p == "/block":
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
	case strings.HasPrefix(p, "/status/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/status/"))
		http.Error(w, "status", n)
	case strings.HasPrefix(p, "/size/"): // N bytes with Content-Length
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/size/"))
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(bytes.Repeat([]byte{'x'}, n))
	case strings.HasPrefix(p, "/chunked/"): // N bytes without Content-Length
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/chunked/"))
		w.Header().Set("Content-Type", ct)
		for i := 0; i < n; i += 1024 {
			w.Write(bytes.Repeat([]byte{'x'}, min(1024, n-i)))
			w.(http.Flusher).Flush()
		}
	case strings.HasPrefix(p, "/redirect/"): // N more hops, then /ct
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/redirect/"))
		to := "/ct"
		if n > 1 {
			to = fmt.Sprintf("/redirect/%d", n-1)
		}
		http.Redirect(w, r, to, http.StatusFound)
	case p == "/to":
		http.Redirect(w, r, q.Get("u"), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// loopback is the configuration the tests' servers on 127.0.0.1 need.
var loopback = Config{Guard: Guard{AllowLoopback: true}}

func get(c *Client, rawURL string) ([]byte, error) {
	return c.Do(context.Background(), Request{Kind: KindCRL, URL: rawURL})
}

// TestRefusedByDefault: without an allowance, a loopback URL is refused
// before anything is sent, with the address named; so is a name that
// resolves to loopback, when it is dialled.
func TestRefusedByDefault(t *testing.T) {
	s := newServer(t, false)
	c := New(Config{})
	_, port, _ := strings.Cut(strings.TrimPrefix(s.URL, "http://"), ":")
	for _, u := range []string{s.URL + "/ocsp", "http://localhost:" + port + "/ocsp"} {
		_, err := c.OCSP(context.Background(), u, []byte("REQ"))
		var re *RefusedError
		var fe *Error
		if !errors.Is(err, ErrRefused) || !errors.As(err, &re) || !errors.As(err, &fe) {
			t.Fatalf("%s: %v", u, err)
		}
		if Classify(re.Addr) != ClassLoopback || re.Class != ClassLoopback || !strings.Contains(err.Error(), re.Addr.String()) || fe.Kind != KindOCSP {
			t.Errorf("%s: %v (%s %s)", u, err, re.Addr, re.Class)
		}
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	// Allowed explicitly: by the switch, or by naming the network.
	for _, cfg := range []Config{loopback, {Guard: Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}} {
		if b, err := New(cfg).OCSP(context.Background(), s.URL+"/ocsp", []byte("REQ")); err != nil || string(b) != "GET REQ" {
			t.Errorf("%+v: %q %v", cfg.Guard, b, err)
		}
	}
}

// TestRedirectsRefused: a redirect is followed only to a URL and an
// address the guard accepts, at most three times, never from https to
// http.
func TestRedirectsRefused(t *testing.T) {
	s := newServer(t, false)
	// Only 127.0.0.1 is allowed; other loopback addresses are not.
	c := New(Config{Guard: Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	_, port, _ := strings.Cut(strings.TrimPrefix(s.URL, "http://"), ":")
	for _, tc := range []struct {
		to   string
		want error
		addr string
	}{
		{"http://127.0.0.2:" + port + "/ct", ErrRefused, "127.0.0.2"},
		{"http://[::1]:" + port + "/ct", ErrRefused, "::1"},
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", ErrRefused, "169.254.169.254"},
		{"http://[fe80::a9fe:a9fe]/", ErrRefused, "fe80::a9fe:a9fe"},
		{"http://10.0.0.1/", ErrRefused, "10.0.0.1"},
		{"file:///etc/passwd", ErrURL, ""},
		{"ftp://127.0.0.1/x", ErrURL, ""},
		{"http://user:secret@127.0.0.1:" + port + "/ct", ErrURL, ""},
	} {
		before := s.hits.Load()
		_, err := get(c, s.URL+"/to?u="+url.QueryEscape(tc.to))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.addr) {
			t.Errorf("redirect to %s: %v", tc.to, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows credentials: %v", err)
		}
		if n := s.hits.Load() - before; n != 1 {
			t.Errorf("redirect to %s: %d requests", tc.to, n)
		}
	}
	if _, err := get(c, s.URL+"/redirect/3"); err != nil {
		t.Errorf("three redirects: %v", err)
	}
	if _, err := get(c, s.URL+"/redirect/4"); !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("four redirects: %v", err)
	}

	// https → https is followed, https → http is not.
	ts := newServer(t, true)
	tc := New(Config{Guard: Guard{AllowLoopback: true}, RootCAs: poolOf(ts)})
	if b, err := get(tc, ts.URL+"/to?u="+url.QueryEscape(ts.URL+"/ct")); err != nil || string(b) != "body" {
		t.Errorf("https to https: %q %v", b, err)
	}
	before := s.hits.Load()
	if _, err := get(tc, ts.URL+"/to?u="+url.QueryEscape(s.URL+"/ct")); !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "from https to http") {
		t.Errorf("https to http: %v", err)
	}
	if s.hits.Load() != before {
		t.Error("the http server was asked")
	}
}

func poolOf(s *server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

// TestOCSPMethods: GET with the request in the path when the URL stays
// within 255 bytes, POST otherwise, and POST again when the responder
// does not take GET.
func TestOCSPMethods(t *testing.T) {
	s := newServer(t, false)
	c := New(loopback)
	ctx := context.Background()
	short := []byte{0x30, 0x3e, 0xfb, 0xff, 0xfe, '+', '/', '='} // base64 with + and /
	b, err := c.OCSP(ctx, s.URL+"/ocsp", short)
	if err != nil || !bytes.Equal(b, append([]byte("GET "), short...)) {
		t.Fatalf("short request: %q %v", b, err)
	}
	if p := s.last().path; !strings.HasPrefix(p, "/ocsp/") || strings.ContainsAny(strings.TrimPrefix(p, "/ocsp/"), "+/=") {
		t.Errorf("GET path %q is not URL-encoded base64", p)
	}
	// A trailing slash is not doubled.
	if _, err := c.OCSP(ctx, s.URL+"/ocsp/", []byte("slash")); err != nil || strings.Contains(s.last().path, "//") {
		t.Errorf("trailing slash: %s %v", s.last().path, err)
	}
	long := bytes.Repeat([]byte("L"), 200)
	if b, err := c.OCSP(ctx, s.URL+"/ocsp", long); err != nil || !bytes.Equal(b, append([]byte("POST "), long...)) {
		t.Errorf("long request: %q %v", b, err)
	}
	if r := s.last(); r.method != http.MethodPost || r.contentType != TypeOCSPRequest {
		t.Errorf("long request sent as %s %s", r.method, r.contentType)
	}
	// Exactly at the limit.
	u := s.URL + "/ocsp"
	n := (maxGETURL - len(u) - 1) / 4 * 3
	if g, ok := ocspGETURL(u, bytes.Repeat([]byte{0}, n)); !ok || len(g) > maxGETURL {
		t.Errorf("%d-byte request: %d-byte URL, GET %v", n, len(g), ok)
	}
	if g, ok := ocspGETURL(u, bytes.Repeat([]byte{0}, n+3)); ok {
		t.Errorf("%d-byte URL sent with GET", len(g))
	}
	if _, ok := ocspGETURL(u+"?a=b", short); ok {
		t.Error("a URL with a query gets GET")
	}
	// A URL with a query gets POST.
	before := s.hits.Load()
	if b, err := c.OCSP(ctx, s.URL+"/ocsp?noget=1", short); err != nil || !bytes.HasPrefix(b, []byte("POST ")) {
		t.Errorf("URL with a query: %q %v", b, err)
	}
	if n := s.hits.Load() - before; n != 1 {
		t.Errorf("URL with a query: %d requests, want 1 (POST)", n)
	}
	// Remembered: the same request again asks nobody.
	before = s.hits.Load()
	c.OCSP(ctx, s.URL+"/ocsp", short)
	if s.hits.Load() != before {
		t.Error("an OCSP answer was not remembered")
	}
}

func TestOCSPGetFallback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Method != http.MethodPost {
			http.Error(w, "no", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", TypeOCSPResponse)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	b, err := New(loopback).OCSP(context.Background(), srv.URL+"/ocsp", []byte("REQ"))
	if err != nil || string(b) != "ok" || hits.Load() != 2 {
		t.Errorf("%q %v, %d requests", b, err, hits.Load())
	}
}

func TestContentTypes(t *testing.T) {
	s := newServer(t, false)
	c := New(loopback)
	ctx := context.Background()
	// OCSP answers must say application/ocsp-response.
	for _, ct := range []string{"text/html; charset=utf-8", "application/octet-stream", "application/json"} {
		_, err := c.Do(ctx, Request{Kind: KindOCSP, URL: s.URL + "/ct?ct=" + url.QueryEscape(ct), Accept: []string{TypeOCSPResponse}})
		var cte *ContentTypeError
		if !errors.Is(err, ErrContentType) || !errors.As(err, &cte) || cte.Got != mediaType(ct) {
			t.Errorf("OCSP answered as %s: %v", ct, err)
		}
	}
	if _, err := c.Do(ctx, Request{URL: s.URL + "/ct?ct=" + url.QueryEscape("Application/OCSP-Response; x=y"), Accept: []string{TypeOCSPResponse}}); err != nil {
		t.Errorf("parameters and case: %v", err)
	}
	// CRLs: anything but HTML.
	for _, ct := range []string{"application/pkix-crl", "application/x-pkcs7-crl", "application/octet-stream", "binary/octet-stream", "text/plain"} {
		if _, err := c.CRL(ctx, s.URL+"/ct?ct="+url.QueryEscape(ct)); errors.Is(err, ErrContentType) || err == nil {
			t.Errorf("CRL as %s: %v (want a parse error)", ct, err)
		}
	}
	if _, err := c.CRL(ctx, s.URL+"/ct?ct=text/html"); !errors.Is(err, ErrContentType) {
		t.Errorf("CRL as HTML: %v", err)
	}
	// Post knows the PKI request types only.
	if _, err := c.Post(ctx, s.URL+"/ct", "text/plain", []byte("x")); !errors.Is(err, ErrContentType) {
		t.Errorf("Post text/plain: %v", err)
	}
	if _, err := c.Post(ctx, s.URL+"/ct?ct=application/timestamp-reply", TypeTimestampQuery, []byte("x")); err != nil {
		t.Errorf("Post time-stamp query: %v", err)
	}
	if r := s.last(); r.method != http.MethodPost || r.contentType != TypeTimestampQuery || string(r.body) != "x" || r.header.Get("Accept") != TypeTimestampReply {
		t.Errorf("Post sent %+v", r)
	}
	if _, err := c.Post(ctx, s.URL+"/ct?ct=application/ocsp-response", TypeTimestampQuery, []byte("x")); !errors.Is(err, ErrContentType) {
		t.Errorf("time-stamp answered as OCSP: %v", err)
	}
}

func TestSizeLimits(t *testing.T) {
	s := newServer(t, false)
	ctx := context.Background()
	cfg := loopback
	cfg.MaxOCSPSize, cfg.MaxCRLSize, cfg.MaxTSASize = 4096, 8192, 2048
	c := New(cfg)
	for _, tc := range []struct {
		kind  Kind
		limit int
	}{{KindOCSP, 4096}, {KindCRL, 8192}, {KindTSA, 2048}} {
		if b, err := c.Do(ctx, Request{Kind: tc.kind, URL: fmt.Sprintf("%s/size/%d", s.URL, tc.limit)}); err != nil || len(b) != tc.limit {
			t.Errorf("%s at the limit: %d bytes, %v", tc.kind, len(b), err)
		}
		for _, p := range []string{"/size/%d", "/chunked/%d"} {
			_, err := c.Do(ctx, Request{Kind: tc.kind, URL: s.URL + fmt.Sprintf(p, tc.limit+1)})
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("%s %s: %v", tc.kind, p, err)
			}
		}
	}
	if _, err := c.Do(ctx, Request{Kind: KindCRL, URL: s.URL + "/chunked/100000", MaxSize: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxSize: %v", err)
	}
	d := New(loopback).Config()
	if d.MaxOCSPSize != 1<<20 || d.MaxCRLSize != 10<<20 || d.MaxTSASize != 1<<20 || d.Timeout != 10*time.Second {
		t.Errorf("defaults: %+v", d)
	}
}

func TestTimeouts(t *testing.T) {
	s := newServer(t, false)
	cfg := loopback
	cfg.Timeout = 100 * time.Millisecond
	c := New(cfg)
	start := time.Now()
	_, err := get(c, s.URL+"/block")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("blocking server: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 100ms timeout", d)
	}
	// The caller's context is the caller's: not a timeout of ours.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = New(loopback).Do(ctx, Request{URL: s.URL + "/block"})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestStatus(t *testing.T) {
	s := newServer(t, false)
	c := New(loopback)
	for _, code := range []int{404, 500, 204} {
		_, err := get(c, fmt.Sprintf("%s/status/%d", s.URL, code))
		var se *StatusError
		if !errors.Is(err, ErrStatus) || !errors.As(err, &se) || se.Code != code || !strings.Contains(err.Error(), strconv.Itoa(code)) {
			t.Errorf("%d: %v", code, err)
		}
	}
}

// TestCache: OCSP and CRL results, failures included, are remembered;
// concurrent callers share one request; a caller that gave up is not
// remembered; time-stamp requests are never remembered.
func TestCache(t *testing.T) {
	s := newServer(t, false)
	c := New(loopback)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		c.CRL(ctx, s.URL+"/status/500")
		c.Post(ctx, s.URL+"/ct?ct=application/timestamp-reply", TypeTimestampQuery, []byte("q"))
	}
	if n := s.hits.Load(); n != 4 {
		t.Errorf("%d requests, want 1 CRL and 3 time-stamps", n)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.OCSP(ctx, s.URL+"/ocsp", []byte("same")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := s.hits.Load(); n != 5 {
		t.Errorf("20 concurrent callers: %d requests", n-4)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.OCSP(cctx, s.URL+"/ocsp", []byte("new")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := c.OCSP(ctx, s.URL+"/ocsp", []byte("new")); err != nil {
		t.Errorf("after a cancelled attempt: %v", err)
	}
}

// TestNoCredentialsNoProxy: no cookies, no Authorization, the caller's
// transport loses its proxy, and a foreign RoundTripper still gets no
// request to a literal refused address.
func TestNoCredentialsNoProxy(t *testing.T) {
	s := newServer(t, false)
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { proxied.Add(1) }))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	cfg := loopback
	cfg.Transport = &http.Transport{Proxy: http.ProxyURL(pu)}
	c := New(cfg)
	if tr := c.hc.Transport.(*http.Transport); tr.Proxy != nil || tr.DialContext == nil {
		t.Error("the given transport kept its proxy or lost the guarded dialer")
	}
	if tr := New(Config{}).hc.Transport.(*http.Transport); tr.Proxy != nil {
		t.Error("the default transport has a proxy")
	}
	if _, err := get(c, s.URL+"/redirect/2"); err != nil {
		t.Fatal(err)
	}
	if proxied.Load() != 0 {
		t.Error("the proxy was used")
	}
	s.mu.Lock()
	for _, r := range s.seen {
		if r.header.Get("Cookie") != "" || r.header.Get("Authorization") != "" {
			t.Errorf("credentials sent: %v", r.header)
		}
	}
	s.mu.Unlock()

	var calls atomic.Int32
	foreign := New(Config{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("no network here")
	})})
	for _, u := range []string{"http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "ldap://x/", "http://u:p@x/"} {
		if _, err := get(foreign, u); err == nil {
			t.Errorf("%s fetched", u)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("%d requests reached the transport", calls.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestLogging: one record per request with the host, never the path or
// query; errors do not show the query either.
func TestLogging(t *testing.T) {
	s := newServer(t, false)
	var buf bytes.Buffer
	cfg := loopback
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(cfg)
	ctx := context.Background()
	c.OCSP(ctx, s.URL+"/ocsp", []byte("SECRETREQUEST"))
	_, err := c.Do(ctx, Request{Kind: KindTSA, URL: s.URL + "/status/403?token=SECRET", Body: []byte("x")})
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "?…") {
		t.Errorf("error: %v", err)
	}
	log := buf.String()
	host := strings.TrimPrefix(s.URL, "http://")
	for _, want := range []string{"level=INFO msg=\"PKI fetch\" kind=OCSP method=GET host=" + host + " status=\"200 OK\" bytes=", "level=WARN msg=\"PKI fetch failed\" kind=TSA method=POST", "duration=", "status=\"403 Forbidden\""} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	enc := base64.StdEncoding.EncodeToString([]byte("SECRETREQUEST"))
	if strings.Contains(log, "SECRET") || strings.Contains(log, enc[:10]) || strings.Contains(log, "/status") {
		t.Errorf("the log shows a path or query:\n%s", log)
	}
}
