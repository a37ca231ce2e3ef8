package tsa

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"segel/pkinet"
)

// ClientConfig configures a Client made by NewClient.
type ClientConfig struct {
	// Net sends the requests (timeouts, 1 MiB cap, redirects, SSRF
	// guard). Nil means a pkinet client of its own that reaches public
	// addresses only; give one whose guard allows loopback or private
	// addresses for a TSA on this machine or the local network.
	Net *pkinet.Client
	// Credentials, when not zero, are sent as the Authorization header,
	// only over https or to a loopback address.
	Credentials Credentials
	// Hash of the message imprints (SHA-256 when 0): the signature's
	// digest algorithm.
	Hash crypto.Hash
	// Roots is the TSA trust set (required); Intermediates help complete
	// the TSA's chain.
	Roots         *x509.CertPool
	Intermediates []*x509.Certificate
	// Policy, when set, is asked for and required.
	Policy asn1.ObjectIdentifier
	// MaxSkew bounds the token's time against this machine's clock (5
	// minutes when 0).
	MaxSkew time.Duration
}

// NewClient returns a Client for the authority at rawURL whose requests go
// through the PKI network layer with cfg's credentials. It refuses a URL
// that is not http or https, credentials that are incomplete or would
// travel in clear text (http to anything but a loopback address), and a
// configuration without TSA trust anchors.
func NewClient(rawURL string, cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("tsa: the TSA URL cannot be read: %w", err)
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" {
		return nil, fmt.Errorf("tsa: the TSA URL %q is not an http or https URL", pkinet.Redact(u))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: the TSA URL carries credentials; they come from the environment or a file", ErrCredentials)
	}
	if err := cfg.Credentials.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Credentials.IsZero() && !pkinet.PrivateChannel(u) {
		return nil, fmt.Errorf("%w: credentials are sent only over https, or over http to a loopback address, not to %s", ErrCredentials, pkinet.Redact(u))
	}
	if cfg.Roots == nil {
		return nil, fmt.Errorf("%w: no TSA trust anchors are configured", ErrUntrusted)
	}
	nc := cfg.Net
	if nc == nil {
		nc = pkinet.New(pkinet.Config{})
	}
	auth := cfg.Credentials.authorization()
	post := func(ctx context.Context, u, ct string, body []byte) ([]byte, error) {
		return nc.Do(ctx, pkinet.Request{Kind: pkinet.KindTSA, Method: http.MethodPost, URL: u, ContentType: ct, Body: body,
			Accept: []string{pkinet.TypeTimestampReply}, Authorization: auth})
	}
	return &Client{URL: rawURL, Post: post, Hash: cfg.Hash, Roots: cfg.Roots, Intermediates: cfg.Intermediates,
		Policy: cfg.Policy, MaxSkew: cfg.MaxSkew}, nil
}
