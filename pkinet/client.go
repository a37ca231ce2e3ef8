package pkinet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of a [Config].
const (
	// DefaultTimeout bounds one request: connecting, redirects and the
	// whole body.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxOCSPSize is the largest OCSP response read.
	DefaultMaxOCSPSize = 1 << 20
	// DefaultMaxCRLSize is the largest CRL read.
	DefaultMaxCRLSize = 10 << 20
	// DefaultMaxTSASize is the largest time-stamp response read.
	DefaultMaxTSASize = 1 << 20
	// MaxRedirects is how many redirects one request may follow.
	MaxRedirects = 3
	// maxGETURL is the longest URL an OCSP request is sent in with GET
	// (RFC 5019 section 5, RFC 6960 appendix A.1); longer ones are POSTed.
	maxGETURL = 255
)

// Media types of the PKI protocols.
const (
	TypeOCSPRequest    = "application/ocsp-request"
	TypeOCSPResponse   = "application/ocsp-response"
	TypeTimestampQuery = "application/timestamp-query"
	TypeTimestampReply = "application/timestamp-reply"
	TypeCRL            = "application/pkix-crl"
)

// Kind is what a request fetches: it selects the size limit and labels
// logs and errors.
type Kind string

// Kinds of request.
const (
	KindOCSP Kind = "OCSP"
	KindCRL  Kind = "CRL"
	KindTSA  Kind = "TSA"
)

// Config configures a [Client]. The zero value is usable: public
// addresses only, the default timeout and limits, the system's roots for
// https, no proxy, no logging.
type Config struct {
	// Guard says which addresses may be connected to, besides public ones.
	Guard
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxOCSPSize, MaxCRLSize and MaxTSASize bound answers in bytes; zero
	// means the defaults.
	MaxOCSPSize, MaxCRLSize, MaxTSASize int64
	// RootCAs verify https servers; nil means the system's roots.
	RootCAs *x509.CertPool
	// Transport, when nil, is a transport of the Client's own. An
	// *http.Transport given here is cloned and keeps its TLS settings,
	// but its proxy is removed and its dialer replaced by the guarded
	// one. Any other RoundTripper is used as it is: it dials on its own,
	// so the guard checks only addresses written in URLs (test doubles).
	Transport http.RoundTripper
	// Logger, when set, receives one record per request: kind, method,
	// host (never the path or query), status, bytes, duration, and the
	// error. Successes are logged at Info, failures at Warn.
	Logger *slog.Logger
}

// Client makes the PKI requests of one run: OCSP, CRLs, time-stamps. It
// remembers every OCSP and CRL result, success or failure, for its
// lifetime, so make one per run (a command, a batch of files, a
// signature): one Client shared by many verifications under the same CA
// asks each responder and distribution point once. Time-stamp requests
// are never remembered. A Client is safe for concurrent use; concurrent
// requests for the same OCSP status or CRL are made once.
type Client struct {
	cfg Config
	hc  *http.Client

	mu    sync.Mutex
	cache map[string]*entry
}

type entry struct {
	done chan struct{}
	val  any
	err  error
}

// New returns a Client with the configuration cfg.
func New(cfg Config) *Client {
	cfg.AllowNets = slices.Clone(cfg.AllowNets)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxOCSPSize <= 0 {
		cfg.MaxOCSPSize = DefaultMaxOCSPSize
	}
	if cfg.MaxCRLSize <= 0 {
		cfg.MaxCRLSize = DefaultMaxCRLSize
	}
	if cfg.MaxTSASize <= 0 {
		cfg.MaxTSASize = DefaultMaxTSASize
	}
	c := &Client{cfg: cfg, cache: map[string]*entry{}}
	c.hc = &http.Client{Transport: c.transport(), CheckRedirect: c.checkRedirect}
	return c
}

// Config returns the configuration of c, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// transport returns the guarded transport: no proxy, every connection
// dialled through the guard.
func (c *Client) transport() http.RoundTripper {
	// No timeouts of its own: each request's context bounds it whole, so
	// that every timeout is reported alike (ErrTimeout).
	dialer := &net.Dialer{KeepAlive: 30 * time.Second, Control: c.cfg.Guard.control}
	var t *http.Transport
	switch given := c.cfg.Transport.(type) {
	case nil:
		t = &http.Transport{
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	case *http.Transport:
		t = given.Clone()
		t.DialTLSContext, t.DialTLS, t.Dial = nil, nil, nil //nolint:staticcheck // Dial and DialTLS would bypass the guard
		t.GetProxyConnectHeader, t.OnProxyConnectResponse = nil, nil
	default:
		return given
	}
	t.Proxy = nil
	t.DialContext = dialer.DialContext
	t.MaxResponseHeaderBytes = 64 << 10
	if c.cfg.RootCAs != nil {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			t.TLSClientConfig = t.TLSClientConfig.Clone()
		}
		t.TLSClientConfig.RootCAs = c.cfg.RootCAs
	}
	return t
}

// checkRedirect follows at most MaxRedirects redirects, never from https
// to http, each to a URL the guard accepts (its connection is guarded
// too).
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return &RedirectError{Reason: fmt.Sprintf("more than %d redirects", MaxRedirects)}
	}
	if prev := via[len(via)-1].URL; strings.EqualFold(prev.Scheme, "https") && !strings.EqualFold(req.URL.Scheme, "https") {
		return &RedirectError{Reason: fmt.Sprintf("redirect from https to %s (%s) refused", req.URL.Scheme, Redact(req.URL))}
	}
	if err := c.cfg.Guard.checkURL(req.URL); err != nil {
		return fmt.Errorf("redirect to %s: %w", Redact(req.URL), err)
	}
	// net/http has copied the headers it keeps by now: it drops
	// Authorization on a redirect to another domain, and this refuses one
	// that would carry it in clear text.
	if req.Header.Get("Authorization") != "" && !PrivateChannel(req.URL) {
		return &RedirectError{Reason: fmt.Sprintf("redirect with credentials to %s refused (credentials go only over https or to loopback)", Redact(req.URL))}
	}
	return nil
}

// PrivateChannel reports whether credentials may be sent to u: over
// https, or over http to a loopback address written in the URL.
func PrivateChannel(u *url.URL) bool {
	if strings.EqualFold(u.Scheme, "https") {
		return true
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

// Request is one generic fetch for [Client.Do].
type Request struct {
	// Kind selects the size limit (unless MaxSize is set) and labels the
	// log record and errors.
	Kind Kind
	// Method is GET or POST; empty means GET without a Body, POST with.
	Method string
	URL    string
	// ContentType is the media type of Body.
	ContentType string
	Body        []byte
	// Accept lists the media types the answer may have; nil accepts any.
	Accept []string
	// MaxSize bounds the answer; zero means the Kind's limit, or
	// DefaultMaxOCSPSize for a request of no known kind.
	MaxSize int64
	// Authorization, when set, is sent as the Authorization header: the
	// credentials a time-stamping authority may ask for. It is sent only
	// over https, or over http to a loopback address written in the URL
	// (127.0.0.1, ::1, localhost); Do refuses any other URL, and a
	// redirect that would carry it elsewhere. It is never logged.
	Authorization string

	shown string                // the URL errors and logs name, when not URL
	check func(mt string) error // replaces the Accept check
}

// OCSP asks the responder at rawURL about the DER OCSP request req and
// returns the DER answer. A request whose URL (responder URL, "/", and
// the request in URL-encoded base64) is at most 255 bytes long is sent
// with GET, as RFC 6960 appendix A.1 and RFC 5019 allow, so that caches
// can serve it; a longer one, an empty one, or one to a URL with a query
// is POSTed, and so is a request whose GET the responder answered with a
// 4xx status. The answer must be application/ocsp-response. Results are
// remembered per URL and request.
func (c *Client) OCSP(ctx context.Context, rawURL string, req []byte) ([]byte, error) {
	sum := sha256.Sum256(req)
	v, err := c.cached(ctx, "ocsp "+rawURL+" "+hex.EncodeToString(sum[:]), func(ctx context.Context) (any, error) {
		return c.ocsp(ctx, rawURL, req)
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

func (c *Client) ocsp(ctx context.Context, rawURL string, req []byte) ([]byte, error) {
	if get, ok := ocspGETURL(rawURL, req); ok {
		b, err := c.Do(ctx, Request{Kind: KindOCSP, Method: http.MethodGet, URL: get, Accept: []string{TypeOCSPResponse}, shown: rawURL})
		var se *StatusError
		if err == nil || !errors.As(err, &se) || se.Code < 400 || se.Code > 499 {
			return b, err
		}
		// A responder that does not take GET: ask again with POST.
	}
	return c.Do(ctx, Request{Kind: KindOCSP, Method: http.MethodPost, URL: rawURL, ContentType: TypeOCSPRequest, Body: req, Accept: []string{TypeOCSPResponse}})
}

// ocspGETURL returns the GET URL of an OCSP request (RFC 6960 appendix
// A.1: the URL, "/", and the URL-encoded base64 of the request), if GET
// should be used.
func ocspGETURL(rawURL string, req []byte) (string, bool) {
	u, err := url.Parse(rawURL)
	if len(req) == 0 || err != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", false
	}
	enc := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(base64.StdEncoding.EncodeToString(req))
	s := rawURL
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	s += enc
	return s, len(s) <= maxGETURL
}

// CRL downloads the CRL at rawURL and parses it (DER, or PEM as some
// distribution points serve); its Raw field is the DER. Any content type
// but HTML is accepted: distribution points label CRLs in many ways, and
// an HTML answer is an error or login page. Results are remembered per
// URL; the list's signature is not checked here.
func (c *Client) CRL(ctx context.Context, rawURL string) (*x509.RevocationList, error) {
	v, err := c.cached(ctx, "crl "+rawURL, func(ctx context.Context) (any, error) {
		b, err := c.Do(ctx, Request{Kind: KindCRL, Method: http.MethodGet, URL: rawURL, Accept: []string{TypeCRL}, check: notHTML})
		if err != nil {
			return nil, err
		}
		if blk, _ := pem.Decode(b); blk != nil && blk.Type == "X509 CRL" {
			b = blk.Bytes
		}
		crl, err := x509.ParseRevocationList(b)
		if err != nil {
			return nil, &Error{Kind: KindCRL, URL: redactRaw(rawURL), Err: err}
		}
		return crl, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*x509.RevocationList), nil
}

func notHTML(mt string) error {
	if mt == "text/html" || mt == "application/xhtml+xml" {
		return &ContentTypeError{Got: mt, Want: []string{TypeCRL}}
	}
	return nil
}

// postKinds maps the content type of a request to its kind and the
// content type of its answer.
var postKinds = map[string]struct {
	kind   Kind
	answer string
}{
	TypeTimestampQuery: {KindTSA, TypeTimestampReply},
	TypeOCSPRequest:    {KindOCSP, TypeOCSPResponse},
}

// Post sends body with POST to rawURL and returns the answer, which must
// be of the type that answers contentType: application/timestamp-query
// is answered by application/timestamp-reply (RFC 3161, at most
// MaxTSASize bytes), application/ocsp-request by
// application/ocsp-response (at most MaxOCSPSize). Other request types
// are refused with a [ContentTypeError]. Answers are not remembered (a
// time-stamp request carries a nonce). Post has the signature of
// tsa.Poster, so it can be a time-stamp client's transport.
func (c *Client) Post(ctx context.Context, rawURL, contentType string, body []byte) ([]byte, error) {
	mt := mediaType(contentType)
	k, ok := postKinds[mt]
	if !ok {
		return nil, &Error{URL: redactRaw(rawURL), Err: &ContentTypeError{Got: contentType, Want: []string{TypeTimestampQuery, TypeOCSPRequest}, Request: true}}
	}
	return c.Do(ctx, Request{Kind: k.kind, Method: http.MethodPost, URL: rawURL, ContentType: contentType, Body: body, Accept: []string{k.answer}})
}

// Do makes one request and returns the body of its 200 answer. Nothing
// is remembered.
func (c *Client) Do(ctx context.Context, r Request) (_ []byte, err error) {
	shown := r.shown
	if shown == "" {
		shown = redactRaw(r.URL)
	}
	if r.Method == "" {
		r.Method = http.MethodGet
		if r.Body != nil {
			r.Method = http.MethodPost
		}
	}
	start := time.Now()
	var (
		status, host, final string
		n                   int
	)
	defer func() {
		c.log(ctx, r, host, final, status, n, time.Since(start), err)
		if err != nil {
			err = &Error{Kind: r.Kind, URL: shown, Err: err}
		}
	}()
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, &URLError{Reason: "bad URL: " + err.Error()}
	}
	host = u.Host
	if err := c.cfg.Guard.checkURL(u); err != nil {
		return nil, err
	}
	if r.Authorization != "" && !PrivateChannel(u) {
		return nil, &URLError{Reason: "credentials are sent only over https, or over http to a loopback address"}
	}
	limit := r.MaxSize
	if limit <= 0 {
		limit = c.limit(r.Kind)
	}
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(rctx, r.Method, u.String(), body)
	if err != nil {
		return nil, &URLError{Reason: "bad request: " + err.Error()}
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if len(r.Accept) > 0 {
		req.Header.Set("Accept", strings.Join(r.Accept, ", "))
	}
	req.Header.Set("User-Agent", "segel")
	if r.Authorization != "" {
		req.Header.Set("Authorization", r.Authorization)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.cause(ctx, rctx, err)
	}
	defer resp.Body.Close()
	status = resp.Status
	if resp.Request != nil && resp.Request.URL.Host != host {
		final = resp.Request.URL.Host
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	mt := mediaType(resp.Header.Get("Content-Type"))
	switch {
	case r.check != nil:
		err = r.check(mt)
	case len(r.Accept) > 0 && !slices.Contains(r.Accept, mt):
		err = &ContentTypeError{Got: mt, Want: r.Accept}
	}
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", ErrTooLarge, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	n = len(b)
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", c.cause(ctx, rctx, err))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// cause says why a request failed: the caller's context, this request's
// timeout, or what the transport said.
func (c *Client) cause(ctx, rctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w after %v: %w", ErrTimeout, c.cfg.Timeout, context.DeadlineExceeded)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL, with the query
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, ErrTimeout) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

func (c *Client) limit(k Kind) int64 {
	switch k {
	case KindCRL:
		return c.cfg.MaxCRLSize
	case KindTSA:
		return c.cfg.MaxTSASize
	}
	return c.cfg.MaxOCSPSize
}

func (c *Client) log(ctx context.Context, r Request, host, final, status string, n int, d time.Duration, err error) {
	l := c.cfg.Logger
	if l == nil {
		return
	}
	attrs := []slog.Attr{slog.String("kind", string(r.Kind)), slog.String("method", r.Method), slog.String("host", host)}
	if final != "" {
		attrs = append(attrs, slog.String("redirected_to", final))
	}
	if status != "" {
		attrs = append(attrs, slog.String("status", status))
	}
	attrs = append(attrs, slog.Int("bytes", n), slog.Duration("duration", d))
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		l.LogAttrs(ctx, slog.LevelWarn, "PKI fetch failed", attrs...)
		return
	}
	l.LogAttrs(ctx, slog.LevelInfo, "PKI fetch", attrs...)
}

// cached runs fetch once per key. A failure caused by the caller's
// context ending is not remembered; every other failure is.
func (c *Client) cached(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	for {
		c.mu.Lock()
		e, ok := c.cache[key]
		if !ok {
			e = &entry{done: make(chan struct{})}
			c.cache[key] = e
			c.mu.Unlock()
			e.val, e.err = fetch(ctx)
			if e.err != nil && ctx.Err() != nil {
				// Not the resource's fault: let the next caller try.
				c.mu.Lock()
				delete(c.cache, key)
				c.mu.Unlock()
			}
			close(e.done)
			return e.val, e.err
		}
		c.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.mu.Lock()
		forgotten := c.cache[key] != e
		c.mu.Unlock()
		if forgotten {
			continue // the caller that fetched gave up; try again
		}
		return e.val, e.err
	}
}

// mediaType returns the lower-case media type of a Content-Type value,
// without parameters.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// redact returns u without credentials and with its query replaced by
// "?…": errors and logs must not carry secrets a URL may hold.
// Redact is u as it may be shown in messages and logs: without user
// information, and with "?…" for a query.
func Redact(u *url.URL) string {
	v := *u
	v.User = nil
	if v.RawQuery != "" || v.ForceQuery {
		v.RawQuery, v.ForceQuery = "", false
		return v.String() + "?…"
	}
	return v.String()
}

func redactRaw(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return Redact(u)
}
