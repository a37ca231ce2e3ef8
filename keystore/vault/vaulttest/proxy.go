package vaulttest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy is a loopback HTTP proxy in front of a Server that counts the
// requests it forwards by path, so tests can check how many times
// Transit was asked to sign.
type Proxy struct {
	// Addr is the proxy's URL, to use as VAULT_ADDR.
	Addr string

	mu     sync.Mutex
	counts map[string]int
}

// Proxy starts a counting proxy to s, closed when the test ends.
func (s *Server) Proxy(t testing.TB) *Proxy {
	t.Helper()
	target, err := url.Parse(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[strings.TrimPrefix(r.URL.Path, "/v1/")]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.Addr = srv.URL
	return p
}

// Count returns how many requests were made to path (without /v1/).
func (p *Proxy) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[path]
}

// CountPrefix returns how many requests were made to paths starting with
// prefix.
func (p *Proxy) CountPrefix(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.counts {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// Reset forgets the counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
}
