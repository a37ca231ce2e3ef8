package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"segel/pkinet"
)

// loopbackNet allows the test servers on 127.0.0.1, which a Fetcher
// refuses by default.
var loopbackNet = pkinet.Config{Guard: pkinet.Guard{AllowLoopback: true}}

// testFetcher returns a Fetcher for fs, loopback allowed.
func testFetcher(fs *fetchServer) *Fetcher {
	return &Fetcher{Client: fs.Client(), Network: loopbackNet}
}

// fetchServer serves test paths and counts requests.
type fetchServer struct {
	*httptest.Server
	hits    atomic.Int32
	mu      sync.Mutex
	headers []http.Header
	release chan struct{}
}

func newFetchServer(t *testing.T) *fetchServer {
	t.Helper()
	fs := &fetchServer{release: make(chan struct{})}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	t.Cleanup(func() { close(fs.release) })
	return fs
}

func (fs *fetchServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.hits.Add(1)
	fs.mu.Lock()
	fs.headers = append(fs.headers, r.Header.Clone())
	fs.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	p := r.URL.Path
	w.Header().Set("Content-Type", "application/ocsp-response")
	switch {
	case p == "/echo":
		w.Write(append([]byte(r.Method+" "+r.Header.Get("Content-Type")+" "), body...))
	case strings.HasPrefix(p, "/echo/"): // an OCSP request sent with GET
		enc, _ := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/echo/"))
		req, _ := base64.StdEncoding.DecodeString(enc)
		w.Write(append([]byte(r.Method+" "), req...))
	case p == "/slow":
		time.Sleep(100 * time.Millisecond)
		w.Write([]byte("slow"))
	case p == "/block":
		select {
		case <-r.Context().Done():
		case <-fs.release:
		}
	case p == "/fail":
		http.Error(w, "no", http.StatusInternalServerError)
	case strings.HasPrefix(p, "/size/"): // /size/N with Content-Length
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/size/"))
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(bytes.Repeat([]byte{'x'}, n))
	case strings.HasPrefix(p, "/chunked/"): // /chunked/N without Content-Length
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/chunked/"))
		for i := 0; i < n; i += 1024 {
			w.Write(bytes.Repeat([]byte{'x'}, min(1024, n-i)))
			w.(http.Flusher).Flush()
		}
	case strings.HasPrefix(p, "/redirect/"): // /redirect/N: N more hops, then /echo
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/redirect/"))
		to := "/echo"
		if n > 1 {
			to = fmt.Sprintf("/redirect/%d", n-1)
		}
		http.Redirect(w, r, to, http.StatusFound)
	case p == "/to":
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// TestFetcherOCSPRequest: a short request is sent with GET (RFC 6960
// appendix A.1), a long one with POST.
func TestFetcherOCSPRequest(t *testing.T) {
	fs := newFetchServer(t)
	f := testFetcher(fs)
	b, err := f.OCSP(context.Background(), fs.URL+"/echo", []byte("REQ"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "GET REQ" {
		t.Errorf("server saw %q", b)
	}
	long := strings.Repeat("R", 300)
	if b, err := f.OCSP(context.Background(), fs.URL+"/echo", []byte(long)); err != nil || string(b) != "POST application/ocsp-request "+long {
		t.Errorf("server saw %q, %v", b, err)
	}
}

// TestFetcherRefusesLoopback: without an allowance, an OCSP responder or
// CRL on a loopback address is refused, the address named, nothing sent;
// a redirect to a loopback or link-local address is refused too.
func TestFetcherRefusesLoopback(t *testing.T) {
	fs := newFetchServer(t)
	for _, f := range []*Fetcher{NewFetcher(nil), NewFetcher(fs.Client()), {}} {
		_, err := f.OCSP(context.Background(), fs.URL+"/echo", []byte("REQ"))
		var re *pkinet.RefusedError
		if !errors.Is(err, pkinet.ErrRefused) || !errors.As(err, &re) || re.Class != pkinet.ClassLoopback || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("OCSP: %v", err)
		}
		if _, err := f.CRL(context.Background(), fs.URL+"/echo"); !errors.Is(err, pkinet.ErrRefused) {
			t.Errorf("CRL: %v", err)
		}
	}
	if n := fs.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	u, _ := url.Parse(fs.URL)
	f := &Fetcher{Network: pkinet.Config{Guard: pkinet.Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}}
	for _, to := range []string{"http://127.0.0.2:" + u.Port() + "/echo", "http://[::1]:" + u.Port() + "/echo", "http://169.254.169.254/latest/meta-data/"} {
		_, err := f.CRL(context.Background(), fs.URL+"/to?u="+url.QueryEscape(to))
		if !errors.Is(err, pkinet.ErrRefused) {
			t.Errorf("redirect to %s: %v", to, err)
		}
	}
}

func TestFetcherCache(t *testing.T) {
	fs := newFetchServer(t)
	f := testFetcher(fs)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := f.OCSP(ctx, fs.URL+"/echo", []byte("A")); err != nil {
			t.Fatal(err)
		}
	}
	if n := fs.hits.Load(); n != 1 {
		t.Errorf("same URL and request three times: %d requests", n)
	}
	if b, err := f.OCSP(ctx, fs.URL+"/echo", []byte("B")); err != nil || !bytes.HasSuffix(b, []byte(" B")) {
		t.Errorf("another request to the same URL: %q, %v", b, err)
	}
	if n := fs.hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	// Failures are remembered too.
	for i := 0; i < 3; i++ {
		if _, err := f.OCSP(ctx, fs.URL+"/fail", nil); err == nil || !strings.Contains(err.Error(), "500") {
			t.Fatalf("failing responder: %v", err)
		}
	}
	if n := fs.hits.Load(); n != 3 {
		t.Errorf("failing responder asked %d times", n-2)
	}
}

func TestFetcherConcurrent(t *testing.T) {
	fs := newFetchServer(t)
	f := testFetcher(fs)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := f.OCSP(context.Background(), fs.URL+"/slow", nil)
			if err == nil && string(b) != "slow" {
				err = fmt.Errorf("got %q", b)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := fs.hits.Load(); n != 1 {
		t.Errorf("20 concurrent callers: %d requests", n)
	}
}

// TestFetcherCallerCancel: a request abandoned by its caller is not
// remembered as a failure.
func TestFetcherCallerCancel(t *testing.T) {
	fs := newFetchServer(t)
	f := testFetcher(fs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.OCSP(ctx, fs.URL+"/echo", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := f.OCSP(context.Background(), fs.URL+"/echo", nil); err != nil {
		t.Fatalf("after a cancelled attempt: %v", err)
	}
}

func TestFetcherTimeout(t *testing.T) {
	fs := newFetchServer(t)
	f := &Fetcher{Client: fs.Client(), Timeout: 100 * time.Millisecond, Network: loopbackNet}
	start := time.Now()
	_, err := f.CRL(context.Background(), fs.URL+"/block")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("blocking server: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 100ms timeout", d)
	}
	// The caller's context bounds it too.
	f = testFetcher(fs)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := f.OCSP(ctx, fs.URL+"/block", nil); err == nil {
		t.Error("no error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 100ms context", d)
	}
}

func TestFetcherSizeLimit(t *testing.T) {
	fs := newFetchServer(t)
	f := &Fetcher{Client: fs.Client(), MaxOCSPSize: 4096, Network: loopbackNet}
	ctx := context.Background()
	if b, err := f.OCSP(ctx, fs.URL+"/size/4096", nil); err != nil || len(b) != 4096 {
		t.Errorf("exactly the limit: %d bytes, %v", len(b), err)
	}
	for _, p := range []string{"/size/4097", "/chunked/5000", "/chunked/100000"} {
		if _, err := f.OCSP(ctx, fs.URL+p, nil); !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("%s: %v", p, err)
		}
	}
	f = &Fetcher{Client: fs.Client(), MaxCRLSize: 2048, Network: loopbackNet}
	if _, err := f.CRL(ctx, fs.URL+"/chunked/3000"); !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("CRL: %v", err)
	}
}

func TestFetcherRedirects(t *testing.T) {
	fs := newFetchServer(t)
	f := testFetcher(fs)
	ctx := context.Background()
	if _, err := f.OCSP(ctx, fs.URL+"/redirect/3", nil); err != nil {
		t.Errorf("three redirects: %v", err)
	}
	if _, err := f.OCSP(ctx, fs.URL+"/redirect/4", nil); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("four redirects: %v", err)
	}
	u, _ := url.Parse(fs.URL)
	for _, to := range []string{"file:///etc/passwd", "ftp://" + u.Host + "/x", "http://user:secret@" + u.Host + "/echo"} {
		before := fs.hits.Load()
		_, err := f.OCSP(ctx, fs.URL+"/to?u="+url.QueryEscape(to), nil)
		if err == nil {
			t.Errorf("redirect to %s followed", to)
		}
		if n := fs.hits.Load() - before; n != 1 {
			t.Errorf("redirect to %s: %d requests", to, n)
		}
	}
}

func TestFetcherRefusesURLs(t *testing.T) {
	var calls atomic.Int32
	f := NewFetcher(&http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("no network in this test")
	})})
	for _, u := range []string{"ldap://ldap.example/cn=ca", "file:///etc/passwd", "ftp://ftp.example/ca.crl", "/relative", "http://user:pw@ocsp.example/", "https://:pw@ocsp.example/", "http:///nohost", "%zz"} {
		if _, err := f.OCSP(context.Background(), u, nil); err == nil {
			t.Errorf("%s: fetched", u)
		}
		if _, err := f.CRL(context.Background(), u); err == nil {
			t.Errorf("%s: fetched", u)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d requests reached the transport", n)
	}
}

// TestFetcherNoCredentials: no cookies (even from the caller's jar) and
// no Authorization header are sent.
func TestFetcherNoCredentials(t *testing.T) {
	fs := newFetchServer(t)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(fs.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "secret"}})
	c := fs.Client()
	c.Jar = jar
	f := &Fetcher{Client: c, Network: loopbackNet}
	if _, err := f.CRL(context.Background(), fs.URL+"/redirect/2"); err == nil {
		t.Log("echo is not a CRL; an error is expected")
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.headers) != 3 {
		t.Fatalf("%d requests, want 3", len(fs.headers))
	}
	for _, h := range fs.headers {
		if h.Get("Cookie") != "" || h.Get("Authorization") != "" {
			t.Errorf("credentials sent: %v", h)
		}
	}
	if c.Jar != jar {
		t.Error("the caller's client was changed")
	}
}
