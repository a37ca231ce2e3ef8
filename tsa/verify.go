package tsa

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"segel/internal/cms"
)

// Errors of token verification, told apart with errors.Is.
var (
	// ErrToken means the token is not a well-formed, signed RFC 3161 token.
	ErrToken = errors.New("tsa: not a valid time-stamp token")
	// ErrImprint means the token does not cover the data it was asked for.
	ErrImprint = errors.New("tsa: the token covers other data")
	// ErrNonce means the token does not carry the request's nonce.
	ErrNonce = errors.New("tsa: the token's nonce is not the request's")
	// ErrSignature means the token's signature does not verify.
	ErrSignature = errors.New("tsa: the token's signature does not verify")
	// ErrUntrusted means the TSA's certificate does not chain to the trust
	// set, or may not sign time-stamps.
	ErrUntrusted = errors.New("tsa: the time-stamping authority is not trusted")
	// ErrTime means the token's time is not plausible.
	ErrTime = errors.New("tsa: the token's time is not plausible")
)

// VerifyOptions configure VerifyToken.
type VerifyOptions struct {
	// Roots is the TSA trust set. Nil: nothing is trusted.
	Roots *x509.CertPool
	// Intermediates are certificates besides the token's own that may
	// complete the chain (from the document's /DSS, for example).
	Intermediates []*x509.Certificate
	// At is when the TSA's chain is judged; zero means at the token's own
	// time (past validation: a TSA certificate that expired since still
	// proves the time it gave while it was valid).
	At time.Time
	// Nonce, when set, must be the token's.
	Nonce *big.Int
	// Policy, when set, must be the token's.
	Policy asn1.ObjectIdentifier
}

// Info is what a verified token says.
type Info struct {
	GenTime  time.Time
	Accuracy time.Duration
	Serial   *big.Int
	Policy   asn1.ObjectIdentifier
	Hash     crypto.Hash
	// Chain is the TSA's certificate chain, TSA first, up to the trusted
	// root.
	Chain []*x509.Certificate
}

// VerifyToken checks a time-stamp token (a DER ContentInfo): its TSTInfo
// covers the data whose digest under the imprint's hash digest(h) returns,
// its signature verifies with the TSA's certificate (named by the signer
// identifier and the ESS signing-certificate attribute), and that
// certificate chains to opts.Roots at opts.At (or the token's time), with
// the extended key usage timeStamping alone and critical.
func VerifyToken(token []byte, digest func(crypto.Hash) ([]byte, error), opts VerifyOptions) (*Info, error) {
	sd, err := cms.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if !sd.EContentType.Equal(cms.OIDTSTInfo) {
		return nil, fmt.Errorf("%w: it does not hold a TSTInfo", ErrToken)
	}
	if len(sd.Signers) != 1 {
		return nil, fmt.Errorf("%w: it has %d signers (an unsigned token has none)", ErrToken, len(sd.Signers))
	}
	tst, err := cms.ParseTSTInfo(sd.EContent)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	h := tst.MessageImprint.HashAlgorithm
	if h == 0 || !h.Available() {
		return nil, fmt.Errorf("%w: unsupported imprint hash %v", ErrToken, tst.MessageImprint.HashAlgorithmOID)
	}
	want, err := digest(h)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(want, tst.MessageImprint.HashedMessage) {
		return nil, ErrImprint
	}
	if opts.Nonce != nil && (tst.Nonce == nil || tst.Nonce.Cmp(opts.Nonce) != 0) {
		return nil, ErrNonce
	}
	if opts.Policy != nil && !opts.Policy.Equal(tst.Policy) {
		return nil, fmt.Errorf("%w: policy %v, not %v", ErrToken, tst.Policy, opts.Policy)
	}
	si := sd.Signers[0]
	if si.DigestSource == cms.DigestFromSignatureValue {
		if c, err := sd.SignerCertificate(si); err == nil {
			_ = si.ResolveDigestAlgorithm(c)
		}
	}
	if si.DigestAlgorithm == 0 || !si.DigestAlgorithm.Available() {
		return nil, fmt.Errorf("%w: unsupported digest algorithm", ErrToken)
	}
	dh := si.DigestAlgorithm.New()
	dh.Write(sd.EContent)
	d := dh.Sum(nil)
	if err := si.CheckDigest(d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	cert, err := sd.SignerCertificate(si)
	if err != nil {
		// No certificate in the token (a request without certReq): look
		// among the intermediates given.
		for _, c := range opts.Intermediates {
			if e := si.CheckSigningCertificate(c); e == nil && si.Identifies(c) {
				cert, err = c, nil
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the TSA's certificate is not in the token: %v", ErrUntrusted, err)
		}
	}
	if err := si.VerifySignature(cert, d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	if err := si.CheckSigningCertificate(cert); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	at := opts.At
	if at.IsZero() {
		at = tst.GenTime
	}
	if err := CheckCertificate(cert, at); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	if opts.Roots == nil {
		return nil, fmt.Errorf("%w: no TSA trust anchors are configured", ErrUntrusted)
	}
	pool := x509.NewCertPool()
	for _, c := range sd.Certificates {
		pool.AddCert(c)
	}
	for _, c := range opts.Intermediates {
		pool.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: pool, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return &Info{GenTime: tst.GenTime, Accuracy: tst.Accuracy, Serial: tst.SerialNumber, Policy: tst.Policy, Hash: h, Chain: chains[0]}, nil
}
