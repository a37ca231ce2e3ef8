package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
)

// ErrRejected means the authority answered with a status other than
// granted.
var ErrRejected = errors.New("tsa: the time-stamping authority refused the request")

// Poster sends one request body to url with the given content type and
// returns the response body. The PKI network layer provides it (timeouts,
// size cap, redirects, SSRF guard, credentials).
type Poster func(ctx context.Context, url, contentType string, body []byte) ([]byte, error)

// Client asks an RFC 3161 authority for tokens and checks every one
// before it is used.
type Client struct {
	// URL of the authority (http or https).
	URL string
	// Post sends the request; required.
	Post Poster
	// Hash of the message imprints (SHA-256 when 0).
	Hash crypto.Hash
	// Roots is the TSA trust set; Intermediates help complete chains.
	Roots         *x509.CertPool
	Intermediates []*x509.Certificate
	// Policy, when set, is asked for and required.
	Policy asn1.ObjectIdentifier
	// MaxSkew bounds how far the token's time may be from this machine's
	// clock (beyond the token's accuracy): 5 minutes when 0.
	MaxSkew time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Stamp returns a token over the data whose digest under c.Hash is
// digest, with what it says. It sends a random 64-bit nonce and asks for
// the TSA's certificates, and refuses a token that is not granted, does
// not cover digest, carries another nonce, does not verify, does not chain
// to c.Roots with the timeStamping usage, or gives an implausible time.
func (c *Client) Stamp(ctx context.Context, digest []byte) ([]byte, *Info, error) {
	h := c.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if len(digest) != h.Size() {
		return nil, nil, fmt.Errorf("tsa: digest of %d bytes for %v", len(digest), h)
	}
	nb := make([]byte, 8)
	if _, err := rand.Read(nb); err != nil {
		return nil, nil, err
	}
	nonce := new(big.Int).SetBytes(nb)
	req := timestamp.Request{HashAlgorithm: h, HashedMessage: digest, Certificates: true, Nonce: nonce, TSAPolicyOID: c.Policy}
	body, err := req.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("tsa: %w", err)
	}
	resp, err := c.Post(ctx, c.URL, "application/timestamp-query", body)
	if err != nil {
		return nil, nil, fmt.Errorf("tsa: asking %s: %w", c.URL, err)
	}
	token, err := parseResponse(resp)
	if err != nil {
		return nil, nil, err
	}
	info, err := VerifyToken(token, func(th crypto.Hash) ([]byte, error) {
		if th != h {
			return nil, fmt.Errorf("%w: the token's imprint uses %v, the request %v", ErrImprint, th, h)
		}
		return digest, nil
	}, VerifyOptions{Roots: c.Roots, Intermediates: c.Intermediates, Nonce: nonce, Policy: c.Policy})
	if err != nil {
		return nil, nil, err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	skew := c.MaxSkew
	if skew == 0 {
		skew = 5 * time.Minute
	}
	if d := info.GenTime.Sub(now()); d > skew+info.Accuracy || -d > skew+info.Accuracy {
		return nil, nil, fmt.Errorf("%w: it says %s, this machine %s", ErrTime, info.GenTime.UTC().Format(time.RFC3339), now().UTC().Format(time.RFC3339))
	}
	return token, info, nil
}

// parseResponse returns the token of a granted TimeStampResp.
func parseResponse(b []byte) ([]byte, error) {
	var r struct {
		Status struct {
			Status       int
			StatusString []asn1.RawValue `asn1:"optional"`
			FailInfo     asn1.BitString  `asn1:"optional"`
		}
		TimeStampToken asn1.RawValue `asn1:"optional"`
	}
	rest, err := asn1.Unmarshal(b, &r)
	if err != nil || len(bytes.TrimRight(rest, "\x00")) > 0 {
		return nil, fmt.Errorf("%w: the response is not a TimeStampResp", ErrToken)
	}
	if s := r.Status.Status; s != 0 && s != 1 {
		var text []string
		for _, v := range r.Status.StatusString {
			text = append(text, string(v.Bytes))
		}
		why := strings.Join(text, "; ")
		if why == "" {
			why = failName(r.Status.FailInfo)
		}
		return nil, fmt.Errorf("%w (status %d): %s", ErrRejected, s, why)
	}
	if len(r.TimeStampToken.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: the granted response holds no token", ErrToken)
	}
	return r.TimeStampToken.FullBytes, nil
}

func failName(b asn1.BitString) string {
	names := map[int]string{failBadAlg: "badAlg", failBadRequest: "badRequest", failBadDataFormat: "badDataFormat",
		failTimeNotAvailable: "timeNotAvailable", failUnacceptedPolicy: "unacceptedPolicy",
		failUnacceptedExtension: "unacceptedExtension", failSystemFailure: "systemFailure"}
	var out []string
	for i := 0; i < b.BitLength; i++ {
		if b.At(i) == 1 {
			if n, ok := names[i]; ok {
				out = append(out, n)
			} else {
				out = append(out, fmt.Sprintf("failure bit %d", i))
			}
		}
	}
	if len(out) == 0 {
		return "no reason given"
	}
	return strings.Join(out, ", ")
}

// Timestamp returns one checked token for each signature value, over the
// value hashed with h (the signature's digest algorithm), one request
// each: it makes a Client the signer.Timestamper of PAdES B-T signatures.
func (c *Client) Timestamp(ctx context.Context, values [][]byte, h crypto.Hash) ([][]byte, error) {
	cc := *c
	cc.Hash = h
	out := make([][]byte, len(values))
	for i, v := range values {
		d := h.New()
		d.Write(v)
		tok, _, err := cc.Stamp(ctx, d.Sum(nil))
		if err != nil {
			return nil, err
		}
		out[i] = tok
	}
	return out, nil
}
