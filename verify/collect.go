package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Validation data for PAdES B-LT: the revocation status of every
// certificate of a chain, fetched and checked with the same rules the
// verifier applies, so that what segel embeds is what segel (and any
// other verifier) will accept later without a network.

// ErrCertRevoked means a certificate of the chain is revoked: its
// signature must not be extended as if it were valid.
var ErrCertRevoked = errors.New("verify: a certificate of the chain is revoked")

// ValidationData is DER validation data for one or more chains.
type ValidationData struct {
	// Certs are the chains' certificates and the OCSP responders'.
	Certs [][]byte
	// OCSPs are OCSP responses, CRLs certificate revocation lists.
	OCSPs, CRLs [][]byte
	// Missing names certificates for which no status could be found
	// (no OCSP responder or CRL distribution point, or none answered),
	// with the reasons.
	Missing []string
}

// Add appends the data of o that v does not hold yet.
func (v *ValidationData) Add(o *ValidationData) {
	v.Certs = appendNew(v.Certs, o.Certs...)
	v.OCSPs = appendNew(v.OCSPs, o.OCSPs...)
	v.CRLs = appendNew(v.CRLs, o.CRLs...)
	v.Missing = append(v.Missing, o.Missing...)
}

func appendNew(list [][]byte, more ...[]byte) [][]byte {
next:
	for _, m := range more {
		for _, l := range list {
			if bytes.Equal(l, m) {
				continue next
			}
		}
		list = append(list, m)
	}
	return list
}

// CollectOptions configure CollectValidationData.
type CollectOptions struct {
	// Fetcher fetches OCSP responses and CRLs (through pkinet).
	Fetcher *Fetcher
	// At is when the data must be current (now when zero).
	At time.Time
	// After, when set, is the time the data must be produced after (an
	// OCSP response's producedAt, a CRL's thisUpdate, within the
	// verifier's clock skew): the signing time, so the data says the
	// certificate was good when it signed. A CRL issued earlier that is
	// still current is accepted only when no OCSP response is available.
	After time.Time
}

// CollectValidationData returns, for every certificate of chain (leaf
// first, each issued by the next) except a self-signed root, an OCSP
// response (preferred) or a CRL that the certificate's issuer (or its
// authorised responder) signed, that is about the certificate and current
// at o.At; and every certificate involved. A revoked certificate gives an
// error wrapping ErrCertRevoked; a certificate without a usable status is
// listed in Missing.
func CollectValidationData(ctx context.Context, chain []*x509.Certificate, o CollectOptions) (*ValidationData, error) {
	if o.Fetcher == nil {
		o.Fetcher = NewFetcher(nil)
	}
	at := o.At
	if at.IsZero() {
		at = time.Now()
	}
	vd := &ValidationData{}
	for _, c := range chain {
		vd.Certs = appendNew(vd.Certs, c.Raw)
	}
	for i, cert := range chain {
		if i+1 >= len(chain) {
			if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
				vd.Missing = append(vd.Missing, certName(cert)+": its issuer is not in the chain")
			}
			break
		}
		issuer := chain[i+1]
		der, crl, problems := collectOne(ctx, cert, issuer, o.Fetcher, at, o.After)
		switch {
		case der != nil:
			resp, err := ocsp.ParseResponse(der, issuer)
			if err == nil && resp.Status == ocsp.Revoked {
				return nil, fmt.Errorf("%w: %s, since %s", ErrCertRevoked, certName(cert), fmtUTC(resp.RevokedAt))
			}
			vd.OCSPs = appendNew(vd.OCSPs, der)
			if err == nil && resp.Certificate != nil {
				vd.Certs = appendNew(vd.Certs, resp.Certificate.Raw)
			}
		case crl != nil:
			st, _ := evalCRL(crl, cert, issuer)
			if st != nil && st.revoked {
				return nil, fmt.Errorf("%w: %s, since %s", ErrCertRevoked, certName(cert), fmtUTC(st.revokedAt))
			}
			vd.CRLs = appendNew(vd.CRLs, crl.Raw)
		default:
			if len(problems) == 0 {
				problems = []string{"no status"}
			}
			vd.Missing = append(vd.Missing, fmt.Sprintf("%s: %s", certName(cert), strings.Join(problems, "; ")))
		}
	}
	return vd, nil
}

// collectOne fetches the status of cert: an OCSP response (DER) or a CRL.
func collectOne(ctx context.Context, cert, issuer *x509.Certificate, f *Fetcher, at, after time.Time) ([]byte, *x509.RevocationList, []string) {
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		return nil, nil, []string{errNoRevocationEndpoints.Error()}
	}
	var problems []string
	fresh := func(this, next time.Time) error {
		if this.After(at.Add(revocationClockSkew)) {
			return fmt.Errorf("it is dated in the future (%s)", fmtUTC(this))
		}
		if !next.IsZero() && next.Before(at) {
			return fmt.Errorf("it expired at %s", fmtUTC(next))
		}
		return nil
	}
	if len(cert.OCSPServer) > 0 {
		req, err := ocsp.CreateRequest(cert, issuer, nil)
		if err != nil {
			problems = append(problems, fmt.Sprintf("building the OCSP request: %v", err))
		}
		for _, u := range cert.OCSPServer {
			if err != nil {
				break
			}
			der, ferr := f.OCSP(ctx, u, req)
			if ferr != nil {
				problems = append(problems, "OCSP: "+ferr.Error())
				continue
			}
			st, eerr := evalOCSP(der, cert, issuer, true)
			if eerr != nil {
				problems = append(problems, fmt.Sprintf("OCSP response from %s: %v", u, eerr))
				continue
			}
			if ferr := fresh(st.thisUpdate, st.nextUpdate); ferr != nil {
				problems = append(problems, fmt.Sprintf("OCSP response from %s: %v", u, ferr))
				continue
			}
			if resp, perr := ocsp.ParseResponse(der, issuer); perr == nil && !after.IsZero() && resp.ProducedAt.Before(after.Add(-revocationClockSkew)) {
				problems = append(problems, fmt.Sprintf("OCSP response from %s was produced at %s, before the signing time", u, fmtUTC(resp.ProducedAt)))
				continue
			}
			return der, nil, problems
		}
	}
	for _, u := range cert.CRLDistributionPoints {
		crl, err := f.CRL(ctx, u)
		if err != nil {
			problems = append(problems, "CRL: "+err.Error())
			continue
		}
		st, err := evalCRL(crl, cert, issuer)
		if err != nil {
			problems = append(problems, fmt.Sprintf("CRL from %s: %v", u, err))
			continue
		}
		if err := fresh(st.thisUpdate, st.nextUpdate); err != nil {
			problems = append(problems, fmt.Sprintf("CRL from %s: %v", u, err))
			continue
		}
		return nil, crl, problems
	}
	return nil, nil, problems
}
