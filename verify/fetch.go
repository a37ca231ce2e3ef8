package verify

import (
	"context"
	"crypto/x509"
	"net/http"
	"sync"
	"time"

	"segel/pkinet"
)

// Defaults of a [Fetcher]: those of package pkinet.
const (
	// DefaultFetchTimeout bounds one request, redirects and body included.
	DefaultFetchTimeout = pkinet.DefaultTimeout
	// DefaultMaxCRLSize is the largest CRL that is downloaded.
	DefaultMaxCRLSize = pkinet.DefaultMaxCRLSize
	// DefaultMaxOCSPSize is the largest OCSP response that is downloaded.
	DefaultMaxOCSPSize = pkinet.DefaultMaxOCSPSize
)

// ErrResponseTooLarge is returned (wrapped) by a [Fetcher] when a response
// is larger than its limit. It is [pkinet.ErrTooLarge].
var ErrResponseTooLarge = pkinet.ErrTooLarge

// Fetcher downloads OCSP responses and CRLs for the verifier when
// [Options.Online] is set, through a [pkinet.Client]: http and https
// only, every request bounded in time and size, at most three redirects,
// no credentials, no proxy, and connections only to public addresses
// unless Network allows more (see package pkinet). It remembers every
// result, success or failure, for its lifetime: one Fetcher shared by the
// verification of many files signed under the same CA asks each
// responder and distribution point once.
//
// A Fetcher is safe for concurrent use; concurrent requests for the same
// resource are made once. The zero value is usable (public addresses
// only); its fields must not be changed after first use.
type Fetcher struct {
	// Client, when set, supplies the transport: see
	// [pkinet.Config.Transport] (an *http.Transport keeps its TLS
	// settings but gets the guarded dialer and no proxy). Its Jar,
	// CheckRedirect and Timeout are not used.
	Client *http.Client
	// Timeout bounds each request; zero means Network.Timeout, or
	// DefaultFetchTimeout.
	Timeout time.Duration
	// MaxCRLSize and MaxOCSPSize bound response bodies in bytes; zero
	// means Network's limits, or DefaultMaxCRLSize and DefaultMaxOCSPSize.
	MaxCRLSize, MaxOCSPSize int64
	// Network is the rest of the configuration: which addresses besides
	// public ones may be reached (pkinet.Guard: loopback, private
	// networks, listed networks), roots for https, a logger.
	Network pkinet.Config

	once sync.Once
	net  *pkinet.Client
}

// NewFetcher returns a Fetcher that makes its requests with client's
// transport (nil for its own) and the default limits.
func NewFetcher(client *http.Client) *Fetcher { return &Fetcher{Client: client} }

func (f *Fetcher) client() *pkinet.Client {
	f.once.Do(func() {
		cfg := f.Network
		if f.Timeout > 0 {
			cfg.Timeout = f.Timeout
		}
		if f.MaxCRLSize > 0 {
			cfg.MaxCRLSize = f.MaxCRLSize
		}
		if f.MaxOCSPSize > 0 {
			cfg.MaxOCSPSize = f.MaxOCSPSize
		}
		if f.Client != nil && f.Client.Transport != nil {
			cfg.Transport = f.Client.Transport
		}
		f.net = pkinet.New(cfg)
	})
	return f.net
}

// OCSP sends the DER OCSP request req to the responder at rawURL (GET
// when short enough, else POST) and returns the DER response body.
// Results are cached per URL and request.
func (f *Fetcher) OCSP(ctx context.Context, rawURL string, req []byte) ([]byte, error) {
	return f.client().OCSP(ctx, rawURL, req)
}

// CRL downloads and parses the CRL at rawURL (DER, or PEM as some
// distribution points serve). Results are cached per URL; the list's
// signature is not checked here.
func (f *Fetcher) CRL(ctx context.Context, rawURL string) (*x509.RevocationList, error) {
	return f.client().CRL(ctx, rawURL)
}
