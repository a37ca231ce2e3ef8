package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults of a [Fetcher].
const (
	// DefaultFetchTimeout bounds one request, redirects and body included.
	DefaultFetchTimeout = 10 * time.Second
	// DefaultMaxCRLSize is the largest CRL that is downloaded.
	DefaultMaxCRLSize = 10 << 20
	// DefaultMaxOCSPSize is the largest OCSP response that is downloaded.
	DefaultMaxOCSPSize = 1 << 20
	// maxRedirects is how many redirects a request may follow.
	maxRedirects = 3
)

// ErrResponseTooLarge is returned (wrapped) by a [Fetcher] when a response
// is larger than its limit.
var ErrResponseTooLarge = errors.New("response too large")

// Fetcher downloads OCSP responses and CRLs for the verifier when
// [Options.Online] is set. It only speaks http and https, bounds every
// request in time and size, follows at most three redirects, never sends
// credentials (no cookies, no user:password in URLs) and remembers every
// result, success or failure, for its lifetime: one Fetcher shared by the
// verification of many files signed under the same CA asks each responder
// and distribution point once.
//
// A Fetcher is safe for concurrent use; concurrent requests for the same
// resource are made once. The zero value is usable; its fields must not
// be changed after first use.
type Fetcher struct {
	// Client makes the requests; nil means a client with its own
	// transport (proxy from the environment). Its CheckRedirect and Jar
	// are replaced: redirects are limited as described above, and no
	// cookies are kept or sent.
	Client *http.Client
	// Timeout bounds each request; zero means DefaultFetchTimeout.
	Timeout time.Duration
	// MaxCRLSize and MaxOCSPSize bound response bodies in bytes; zero
	// means DefaultMaxCRLSize and DefaultMaxOCSPSize.
	MaxCRLSize, MaxOCSPSize int64

	once   sync.Once
	client *http.Client
	mu     sync.Mutex
	cache  map[string]*fetchEntry
}

// NewFetcher returns a Fetcher that makes its requests with client (nil
// for a default client) and the default limits.
func NewFetcher(client *http.Client) *Fetcher { return &Fetcher{Client: client} }

type fetchEntry struct {
	done chan struct{}
	val  any
	err  error
}

func (f *Fetcher) init() {
	f.once.Do(func() {
		var c http.Client
		if f.Client != nil {
			c = *f.Client
		} else if t, ok := http.DefaultTransport.(*http.Transport); ok {
			c.Transport = t.Clone()
		}
		c.Jar = nil
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			return checkFetchURL(req.URL)
		}
		f.client = &c
		f.cache = map[string]*fetchEntry{}
	})
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return DefaultFetchTimeout
}

func (f *Fetcher) maxCRL() int64 {
	if f.MaxCRLSize > 0 {
		return f.MaxCRLSize
	}
	return DefaultMaxCRLSize
}

func (f *Fetcher) maxOCSP() int64 {
	if f.MaxOCSPSize > 0 {
		return f.MaxOCSPSize
	}
	return DefaultMaxOCSPSize
}

// checkFetchURL accepts absolute http and https URLs without credentials.
func checkFetchURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return fmt.Errorf("scheme %q is not fetched (only http and https)", u.Scheme)
	}
	if u.User != nil {
		return errors.New("URLs with credentials are not fetched")
	}
	if u.Host == "" {
		return errors.New("URL without a host")
	}
	return nil
}

func parseFetchURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	if err := checkFetchURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// OCSP posts the DER OCSP request req to the responder at rawURL and
// returns the DER response body. Results are cached per URL and request.
func (f *Fetcher) OCSP(ctx context.Context, rawURL string, req []byte) ([]byte, error) {
	sum := sha256.Sum256(req)
	v, err := f.cached(ctx, "ocsp "+rawURL+" "+hex.EncodeToString(sum[:]), func(ctx context.Context) (any, error) {
		return f.do(ctx, http.MethodPost, rawURL, req, "application/ocsp-request", "application/ocsp-response", f.maxOCSP())
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// CRL downloads and parses the CRL at rawURL (DER, or PEM as some
// distribution points serve). Results are cached per URL; the list's
// signature is not checked here.
func (f *Fetcher) CRL(ctx context.Context, rawURL string) (*x509.RevocationList, error) {
	v, err := f.cached(ctx, "crl "+rawURL, func(ctx context.Context) (any, error) {
		b, err := f.do(ctx, http.MethodGet, rawURL, nil, "", "application/pkix-crl", f.maxCRL())
		if err != nil {
			return nil, err
		}
		b = pemOrDER(b, "X509 CRL")
		crl, err := x509.ParseRevocationList(b)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
		}
		return crl, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*x509.RevocationList), nil
}

// cached runs fetch once per key. A failure caused by the caller's
// context ending is not remembered; every other failure is.
func (f *Fetcher) cached(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	f.init()
	for {
		f.mu.Lock()
		e, ok := f.cache[key]
		if !ok {
			e = &fetchEntry{done: make(chan struct{})}
			f.cache[key] = e
			f.mu.Unlock()
			e.val, e.err = fetch(ctx)
			if e.err != nil && ctx.Err() != nil {
				// Not the resource's fault: let the next caller try.
				f.mu.Lock()
				delete(f.cache, key)
				f.mu.Unlock()
			}
			close(e.done)
			return e.val, e.err
		}
		f.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		f.mu.Lock()
		forgotten := f.cache[key] != e
		f.mu.Unlock()
		if forgotten {
			continue // the caller that fetched gave up; try again
		}
		return e.val, e.err
	}
}

// do makes one request and reads at most limit bytes of a 200 response.
func (f *Fetcher) do(ctx context.Context, method, rawURL string, body []byte, contentType, accept string, limit int64) ([]byte, error) {
	u, err := parseFetchURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP status %s", rawURL, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("fetch %s: %w: %d bytes announced, limit %d", rawURL, ErrResponseTooLarge, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: reading the response: %w", rawURL, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("fetch %s: %w: more than %d bytes", rawURL, ErrResponseTooLarge, limit)
	}
	return b, nil
}

// pemOrDER returns the DER inside a PEM block of type typ, or b itself.
func pemOrDER(b []byte, typ string) []byte {
	if blk, _ := pem.Decode(b); blk != nil && blk.Type == typ {
		return blk.Bytes
	}
	return b
}
