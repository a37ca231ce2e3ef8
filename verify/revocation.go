package verify

// Revocation checking.
//
// For every certificate of the chain that x509.Verify built, except the
// trust anchor, the verifier looks for a usable revocation status:
//
//   - embedded: OCSP responses and CRLs of the catalog's /DSS (the /OCSPs
//     and /CRLs arrays and the /VRI entry of the signature), of the CMS
//     signed attribute adbe-revocationInfoArchival and of the CMS crls
//     field;
//   - online, only with Options.Online and only for a certificate without a
//     usable embedded status: its OCSP responders (GET or POST), then its
//     CRL distribution points, through a [Fetcher] (package pkinet: public
//     addresses only unless the Fetcher allows more).
//
// A status is used only if its signature verifies: an OCSP response signed
// by the issuer, or by a responder certificate that the issuer signed and
// that has the OCSPSigning extended key usage and was valid when the
// response was produced, whose CertID names this certificate's issuer (name
// and key hash) and serial; a CRL signed by the issuer, complete for the
// certificate (not a delta CRL, not indirect, no reason partitions, a
// distribution-point partition only if the certificate names it) and with
// no critical extension segel does not know.
//
// Freshness. Let the reference time be the signing time proven by a
// verified signature timestamp, else the claimed signing time (/M), else
// the validation time. A "good" status (and a certificateHold) is usable
// when its thisUpdate is not after the validation time (5 minutes of clock
// skew allowed) and its nextUpdate is absent or not before the reference
// time. A status that is only fresh relative to the claimed, unproven time
// is used with a warning and, with Options.Online, does not prevent an
// online check. A revocation (other than certificateHold) is final, so it
// is used whatever its thisUpdate and nextUpdate.
//
// Outcome. A certificate revoked at or before the proven signing time (or,
// without a timestamp, at or before the claimed signing time, or without
// either, before the validation time) fails the signature with
// TOTAL_FAILED/REVOKED. Revoked after the proven time, or after the
// validation time: a warning. Revoked before the validation time but after
// the claimed time, with no timestamp to prove when the signature was made:
// INDETERMINATE/REVOKED_NO_POE. A document timestamp's own time proves
// nothing about its TSA's certificate, so it counts as claimed.
//
// Policy: a certificate whose status cannot be established (no data, or
// data that cannot be used, or an online check that failed) does not change
// the indication. ETSI EN 319 102-1 would make such a signature
// INDETERMINATE; segel reports it as Revocation "not-checked" or "unknown"
// with a warning instead, so that signatures without revocation data
// (PAdES B-B, the level segel itself produces) can pass. Without
// Options.Online the signature also gets [FactRevocationOffline], which
// callers may turn into advice (a flag, a note on a page).

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"segel/internal/cms"
	"segel/pdf"
)

// RevokedNoPOE is the sub-indication of a signature whose certificate was
// revoked when no proof of existence shows the signature was made before.
const RevokedNoPOE = "REVOKED_NO_POE"

// Values of [Signature.Revocation].
const (
	// RevocationGood: the signer's certificate was not revoked.
	RevocationGood = "good"
	// RevocationRevoked: a certificate of the chain was revoked (see the
	// indication and warnings for whether that matters to the signature).
	RevocationRevoked = "revoked"
	// RevocationUnknown: revocation data was sought or found but could not
	// be used (a failed download, a responder that answered "unknown", an
	// embedded response whose signature does not verify, stale data).
	RevocationUnknown = "unknown"
	// RevocationNotChecked: there was nothing to check against.
	RevocationNotChecked = "not-checked"
)

// Values of [Signature.RevocationSource].
const (
	SourceEmbeddedOCSP = "embedded-ocsp"
	SourceEmbeddedCRL  = "embedded-crl"
	SourceOnlineOCSP   = "online-ocsp"
	SourceOnlineCRL    = "online-crl"
)

// offlineWords end the warning about a certificate whose revocation status
// was not established when Options.Online is not set ([FactRevocationOffline]).
const offlineWords = "online checking is off"

const (
	// maxRevocationItems bounds each array of embedded revocation data.
	maxRevocationItems = 1000
	// revocationClockSkew is how far in the future a thisUpdate may be.
	revocationClockSkew = 5 * time.Minute
	// reasonCertificateHold is the CRLReason certificateHold: a suspension
	// that may be lifted, so not final.
	reasonCertificateHold = 6
	// reasonRemoveFromCRL lifts a hold (delta CRLs only).
	reasonRemoveFromCRL = 8
)

var (
	oidRIOCSPResponse        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}
	oidExtIssuingDistPoint   = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidExtDeltaCRLIndicator  = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidOCSPHashSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidOCSPHashSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidOCSPHashSHA384        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidOCSPHashSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	errNotAboutCertificate   = errors.New("not about this certificate")
	errNoRevocationEndpoints = errors.New("the certificate names no OCSP responder or CRL distribution point")
)

// revocationData is the revocation data embedded for one signature.
type revocationData struct {
	ocsps []revOCSP
	crls  []revCRL
}

type revOCSP struct {
	der []byte
	dss bool // found in /DSS
}

type revCRL struct {
	crl *x509.RevocationList
	dss bool
}

// revStatus is one verified statement about a certificate.
type revStatus struct {
	revoked                bool
	revokedAt              time.Time
	reason                 int
	thisUpdate, nextUpdate time.Time
	source                 string
	dss                    bool
	// claimedOnly: fresh only relative to the claimed signing time.
	claimedOnly bool
}

// revTimes are the times revocation is judged against.
type revTimes struct {
	validation time.Time // the validation time
	proven     time.Time // proven by a signature timestamp, or zero
	claimed    time.Time // /M or the CMS signing time, or zero
}

// ref is the time a status must still be valid at.
func (t revTimes) ref() time.Time {
	switch {
	case !t.proven.IsZero():
		return t.proven
	case !t.claimed.IsZero():
		return t.claimed
	}
	return t.validation
}

// usable reports whether st may be used, and marks a status that is
// fresh only relative to the claimed time.
func (t revTimes) usable(st *revStatus) bool {
	if st.revoked && st.reason != reasonCertificateHold {
		return true
	}
	if st.thisUpdate.After(t.validation.Add(revocationClockSkew)) {
		return false
	}
	if st.nextUpdate.IsZero() {
		return true
	}
	if st.nextUpdate.Before(t.ref()) {
		return false
	}
	if t.proven.IsZero() && !t.claimed.IsZero() && st.nextUpdate.Before(t.validation) {
		st.claimedOnly = true
	}
	return true
}

func (t revTimes) describe(st *revStatus) string {
	nu := "no nextUpdate"
	if !st.nextUpdate.IsZero() {
		nu = "nextUpdate " + fmtUTC(st.nextUpdate)
	}
	return fmt.Sprintf("thisUpdate %s, %s", fmtUTC(st.thisUpdate), nu)
}

// certRevocation is what was learned about one certificate of a chain.
type certRevocation struct {
	state  string
	status *revStatus // the status used when state is good or revoked
	inDSS  bool       // a usable status was found in /DSS
	// problems: data about the certificate that could not be used because
	// it does not verify or cannot be read, and failed downloads; stale:
	// verified data that is not current.
	problems, stale []string
}

// checkRevocation checks the revocation status of every certificate of
// chain except its last one (the trust anchor), records the signer's in
// s.Revocation and s.RevocationSource, fails s when a revocation matters,
// and reports whether a usable status of the signer's certificate is in
// the /DSS.
func (v *verifier) checkRevocation(s *Signature, chain []*x509.Certificate, sd *cms.SignedData, si *cms.SignerInfo, contents []byte) (leafInDSS bool) {
	if len(chain) < 2 {
		return false // the signer's certificate is itself a trust anchor
	}
	t := revTimes{validation: v.now}
	if s.ExistenceTime != nil {
		t.proven = *s.ExistenceTime
	}
	if s.ClaimedTime != nil {
		t.claimed = *s.ClaimedTime
	}
	data := v.embeddedRevocation(sd, si, contents)
	for i := 0; i < len(chain)-1; i++ {
		cert, issuer := chain[i], chain[i+1]
		cr := v.certRevocation(cert, issuer, data, t)
		name := certName(cert)
		if i == 0 {
			s.Revocation = cr.state
			if cr.status != nil {
				s.RevocationSource = cr.status.source
			}
			leafInDSS = cr.inDSS
		}
		switch cr.state {
		case RevocationRevoked:
			s.Revocation, s.RevocationSource = RevocationRevoked, cr.status.source
			applyRevoked(s, name, cr.status, t)
		case RevocationGood:
			if cr.status.claimedOnly {
				s.warn(fmt.Sprintf("the revocation status of %s (%s, %s) is current only at the claimed signing time, which no timestamp proves", name, cr.status.source, t.describe(cr.status)))
			}
			for _, p := range cr.problems {
				s.warn(fmt.Sprintf("revocation check of %s: %s", name, p))
			}
		case RevocationNotChecked:
			why := "no embedded OCSP/CRL for " + name
			if v.opts.Online {
				s.warn(fmt.Sprintf("revocation status not checked: %s and %s", why, strings.Join(cr.problems, "; ")))
			} else {
				s.warn(fmt.Sprintf("revocation status not checked: %s; %s", why, offlineWords))
				s.fact(FactRevocationOffline)
			}
		case RevocationUnknown:
			tail := ""
			if !v.opts.Online {
				tail = "; " + offlineWords
				s.fact(FactRevocationOffline)
			}
			s.warn(fmt.Sprintf("revocation status unknown for %s: %s%s", name, strings.Join(append(cr.problems, cr.stale...), "; "), tail))
		}
	}
	return leafInDSS
}

// applyRevoked judges a revocation against the signature's times.
func applyRevoked(s *Signature, name string, st *revStatus, t revTimes) {
	msg := fmt.Sprintf("certificate %s was revoked on %s (reason %s, %s)", name, fmtUTC(st.revokedAt), reasonName(st.reason), st.source)
	switch {
	case !t.proven.IsZero():
		if !st.revokedAt.After(t.proven) {
			s.fail(TotalFailed, Revoked, msg)
		} else {
			s.warn(msg + ", after the signing time proven by a timestamp (" + fmtUTC(t.proven) + ")")
		}
	case st.revokedAt.After(t.validation):
		s.warn(msg + ", after the validation time (" + fmtUTC(t.validation) + ")")
	case !t.claimed.IsZero() && st.revokedAt.After(t.claimed):
		s.fail(Indeterminate, RevokedNoPOE, msg+", after the claimed signing time ("+fmtUTC(t.claimed)+"), but no timestamp proves the signature was made before the revocation")
	default:
		s.fail(TotalFailed, Revoked, msg)
	}
}

// certRevocation finds the status of cert (issued by issuer).
func (v *verifier) certRevocation(cert, issuer *x509.Certificate, data *revocationData, t revTimes) certRevocation {
	var out certRevocation
	var found []*revStatus
	consider := func(st *revStatus, err error) {
		switch {
		case errors.Is(err, errNotAboutCertificate):
		case err != nil:
			out.problems = append(out.problems, err.Error())
		case st != nil && t.usable(st):
			found = append(found, st)
		case st != nil:
			out.stale = append(out.stale, fmt.Sprintf("%s with %s is not current (%s)", st.source, statusWord(st), t.describe(st)))
		}
	}
	for _, o := range data.ocsps {
		st, err := v.evalOCSP(o.der, cert, issuer, false)
		if st != nil {
			st.source, st.dss = SourceEmbeddedOCSP, o.dss
		}
		consider(st, err)
	}
	for _, c := range data.crls {
		st, err := v.evalCRL(c.crl, cert, issuer)
		if st != nil {
			st.source, st.dss = SourceEmbeddedCRL, c.dss
		}
		consider(st, err)
	}
	for _, st := range found {
		out.inDSS = out.inDSS || st.dss
	}
	embeddedProblems := len(out.problems)+len(out.stale) > 0
	if v.opts.Online && !hasCurrent(found) {
		st, problems := v.fetchStatus(cert, issuer, t)
		out.problems = append(out.problems, problems...)
		if st != nil {
			found = append(found, st)
		}
	}
	out.status = pickStatus(found)
	switch {
	case out.status != nil && out.status.revoked:
		out.state = RevocationRevoked
	case out.status != nil:
		out.state = RevocationGood
	case embeddedProblems || (v.opts.Online && !onlyNoEndpoints(out.problems)):
		out.state = RevocationUnknown
	default:
		out.state = RevocationNotChecked
	}
	return out
}

func onlyNoEndpoints(problems []string) bool {
	return len(problems) == 1 && problems[0] == errNoRevocationEndpoints.Error()
}

// hasCurrent reports a status that settles the question without an
// online check.
func hasCurrent(sts []*revStatus) bool {
	for _, st := range sts {
		if st.revoked && st.reason != reasonCertificateHold || !st.claimedOnly {
			return true
		}
	}
	return false
}

// pickStatus prefers a revocation (the earliest), then a current good
// status, OCSP before CRL, embedded before online.
func pickStatus(sts []*revStatus) *revStatus {
	var best *revStatus
	score := func(st *revStatus) int {
		n := 0
		if !st.claimedOnly {
			n += 4
		}
		switch st.source {
		case SourceEmbeddedOCSP:
			n += 3
		case SourceEmbeddedCRL:
			n += 2
		case SourceOnlineOCSP:
			n++
		}
		return n
	}
	for _, st := range sts {
		switch {
		case best == nil:
			best = st
		case st.revoked != best.revoked:
			if st.revoked {
				best = st
			}
		case st.revoked:
			if st.revokedAt.Before(best.revokedAt) {
				best = st
			}
		case score(st) > score(best):
			best = st
		}
	}
	return best
}

// fetchStatus asks cert's OCSP responders, then its CRL distribution
// points, and returns the first usable status.
func (v *verifier) fetchStatus(cert, issuer *x509.Certificate, t revTimes) (*revStatus, []string) {
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		return nil, []string{errNoRevocationEndpoints.Error()}
	}
	f := v.fetcher()
	var problems []string
	if len(cert.OCSPServer) > 0 {
		req, err := ocsp.CreateRequest(cert, issuer, nil)
		if err != nil {
			problems = append(problems, fmt.Sprintf("building the OCSP request: %v", err))
		} else {
			for _, u := range cert.OCSPServer {
				der, err := f.OCSP(v.ctx, u, req)
				if err != nil {
					problems = append(problems, "OCSP: "+err.Error())
					continue
				}
				st, err := v.evalOCSP(der, cert, issuer, true)
				if err != nil {
					problems = append(problems, fmt.Sprintf("OCSP response from %s: %v", u, err))
					continue
				}
				st.source = SourceOnlineOCSP
				if !t.usable(st) {
					problems = append(problems, fmt.Sprintf("OCSP response from %s is not current (%s)", u, t.describe(st)))
					continue
				}
				return st, problems
			}
		}
	}
	for _, u := range cert.CRLDistributionPoints {
		crl, err := f.CRL(v.ctx, u)
		if err != nil {
			problems = append(problems, "CRL: "+err.Error())
			continue
		}
		st, err := v.evalCRL(crl, cert, issuer)
		if err != nil {
			if errors.Is(err, errNotAboutCertificate) {
				err = errors.New("it is not issued by the certificate's issuer")
			}
			problems = append(problems, fmt.Sprintf("CRL from %s: %v", u, err))
			continue
		}
		st.source = SourceOnlineCRL
		if !t.usable(st) {
			problems = append(problems, fmt.Sprintf("CRL from %s is not current (%s)", u, t.describe(st)))
			continue
		}
		return st, problems
	}
	return nil, problems
}

// fetcher returns the Fetcher of this run, making one (cached for this
// file only) when Options.Fetcher is nil.
func (v *verifier) fetcher() *Fetcher {
	if v.opts.Fetcher == nil {
		v.opts.Fetcher = NewFetcher(v.opts.HTTPClient)
	}
	return v.opts.Fetcher
}

// --- OCSP ---

// ASN.1 of an OCSP response (RFC 6960), enough to read the CertIDs.
type ocspResponseASN1 struct {
	Status asn1.Enumerated
	Bytes  struct {
		Type     asn1.ObjectIdentifier
		Response []byte
	} `asn1:"explicit,tag:0,optional"`
}

type ocspBasicASN1 struct {
	TBS struct {
		Raw         asn1.RawContent
		Version     int `asn1:"optional,explicit,default:0,tag:0"`
		ResponderID asn1.RawValue
		ProducedAt  time.Time `asn1:"generalized"`
		Responses   []ocspSingleASN1
		Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
	}
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspSingleASN1 struct {
	CertID struct {
		HashAlgorithm  pkix.AlgorithmIdentifier
		IssuerNameHash []byte
		IssuerKeyHash  []byte
		SerialNumber   *big.Int
	}
	Status     asn1.RawValue
	ThisUpdate time.Time        `asn1:"generalized"`
	NextUpdate time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	Extensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

// ocspAbout reports whether the OCSP response der speaks about cert as
// issued by issuer: the first single response with cert's serial (the one
// ocsp.ParseResponseForCert uses) must carry the issuer's name and key
// hashes.
func ocspAbout(der []byte, cert, issuer *x509.Certificate) bool {
	var r ocspResponseASN1
	if _, err := asn1.Unmarshal(der, &r); err != nil || r.Status != 0 {
		return false
	}
	var b ocspBasicASN1
	if _, err := asn1.Unmarshal(r.Bytes.Response, &b); err != nil {
		return false
	}
	for _, sr := range b.TBS.Responses {
		id := sr.CertID
		if id.SerialNumber == nil || id.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		var h crypto.Hash
		switch alg := id.HashAlgorithm.Algorithm; {
		case alg.Equal(oidOCSPHashSHA1):
			h = crypto.SHA1
		case alg.Equal(oidOCSPHashSHA256):
			h = crypto.SHA256
		case alg.Equal(oidOCSPHashSHA384):
			h = crypto.SHA384
		case alg.Equal(oidOCSPHashSHA512):
			h = crypto.SHA512
		default:
			return false
		}
		var spki struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(issuer.RawSubjectPublicKeyInfo, &spki); err != nil {
			return false
		}
		return bytes.Equal(id.IssuerNameHash, hashOf(h, issuer.RawSubject)) &&
			bytes.Equal(id.IssuerKeyHash, hashOf(h, spki.PublicKey.RightAlign()))
	}
	return false
}

// evalOCSP verifies the OCSP response der about cert. It returns
// errNotAboutCertificate when the response concerns another certificate
// (unless asked: the response to our own request), and an error when it
// concerns cert but cannot be used.
func evalOCSP(der []byte, cert, issuer *x509.Certificate, asked bool) (*revStatus, error) {
	if !asked && !ocspAbout(der, cert, issuer) {
		return nil, errNotAboutCertificate
	}
	// Signatures are checked below, with the delegation rules that
	// ParseResponseForCert does not apply (the responder's EKU).
	resp, err := ocsp.ParseResponseForCert(der, cert, nil)
	if err != nil {
		return nil, fmt.Errorf("OCSP response cannot be used: %w", err)
	}
	if asked && !ocspAbout(der, cert, issuer) {
		return nil, errors.New("OCSP response does not name the certificate's issuer")
	}
	if err := checkOCSPSigner(resp, issuer); err != nil {
		return nil, fmt.Errorf("OCSP response ignored: %w", err)
	}
	st := &revStatus{thisUpdate: resp.ThisUpdate, nextUpdate: resp.NextUpdate}
	switch resp.Status {
	case ocsp.Good:
	case ocsp.Revoked:
		st.revoked, st.revokedAt, st.reason = true, resp.RevokedAt, resp.RevocationReason
	default:
		return nil, errors.New("the OCSP responder does not know the certificate (status unknown)")
	}
	return st, nil
}

// checkOCSPSigner checks that resp was signed by issuer or by a
// responder the issuer delegated (RFC 6960 section 4.2.2.2).
func checkOCSPSigner(resp *ocsp.Response, issuer *x509.Certificate) error {
	rc := resp.Certificate
	if rc == nil || bytes.Equal(rc.Raw, issuer.Raw) {
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("its signature does not verify with the issuer's key: %w", err)
		}
		return nil
	}
	// ParseResponseForCert verified the response with rc.
	if err := rc.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("its responder certificate %s is not issued by the certificate's issuer: %w", certName(rc), err)
	}
	ok := false
	for _, u := range rc.ExtKeyUsage {
		ok = ok || u == x509.ExtKeyUsageOCSPSigning
	}
	if !ok {
		return fmt.Errorf("its responder certificate %s lacks the OCSPSigning extended key usage", certName(rc))
	}
	if resp.ProducedAt.Before(rc.NotBefore) || resp.ProducedAt.After(rc.NotAfter) {
		return fmt.Errorf("its responder certificate %s was not valid when the response was produced (%s)", certName(rc), fmtUTC(resp.ProducedAt))
	}
	return nil
}

// --- CRL ---

// evalCRL returns cert's status in crl, errNotAboutCertificate when crl
// is not issued by issuer, or an error when it is but cannot be used.
func evalCRL(crl *x509.RevocationList, cert, issuer *x509.Certificate) (*revStatus, error) {
	return evalCRLWith(crl, cert, issuer, crl.CheckSignatureFrom)
}

// evalCRLWith is evalCRL checking the CRL's signature with checkSig.
func evalCRLWith(crl *x509.RevocationList, cert, issuer *x509.Certificate, checkSig func(*x509.Certificate) error) (*revStatus, error) {
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return nil, errNotAboutCertificate
	}
	if err := checkSig(issuer); err != nil {
		return nil, fmt.Errorf("CRL of %s ignored: its signature does not verify with the issuer's key: %w", certName(issuer), err)
	}
	if err := crlCovers(crl, cert); err != nil {
		return nil, fmt.Errorf("CRL of %s ignored: %w", certName(issuer), err)
	}
	st := &revStatus{thisUpdate: crl.ThisUpdate, nextUpdate: crl.NextUpdate}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber == nil || e.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		for _, x := range e.Extensions {
			if x.Critical && !x.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 21}) {
				return nil, fmt.Errorf("CRL of %s ignored: its entry for the certificate has an unknown critical extension %v", certName(issuer), x.Id)
			}
		}
		if e.ReasonCode == reasonRemoveFromCRL {
			continue
		}
		st.revoked, st.revokedAt, st.reason = true, e.RevocationTime, e.ReasonCode
		break
	}
	return st, nil
}

// crlCovers checks that crl is a complete CRL for cert.
func crlCovers(crl *x509.RevocationList, cert *x509.Certificate) error {
	for _, x := range crl.Extensions {
		switch {
		case x.Id.Equal(oidExtDeltaCRLIndicator):
			return errors.New("it is a delta CRL")
		case x.Id.Equal(oidExtIssuingDistPoint):
			if err := idpCovers(x.Value, cert); err != nil {
				return err
			}
		case x.Critical:
			return fmt.Errorf("it has an unknown critical extension %v", x.Id)
		}
	}
	return nil
}

// idpCovers checks an issuingDistributionPoint extension (RFC 5280
// section 5.2.5) against cert.
func idpCovers(der []byte, cert *x509.Certificate) error {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, casn1.SEQUENCE) || !in.Empty() {
		return errors.New("its issuing distribution point extension is malformed")
	}
	for !seq.Empty() {
		var el cryptobyte.String
		var tag casn1.Tag
		if !seq.ReadAnyASN1(&el, &tag) {
			return errors.New("its issuing distribution point extension is malformed")
		}
		isTrue := len(el) == 1 && el[0] != 0
		switch tag {
		case casn1.Tag(0).ContextSpecific().Constructed(): // distributionPoint
			uris, ok := dpURIs(el)
			if !ok {
				return errors.New("it covers a distribution point segel cannot match")
			}
			match := false
			for _, u := range uris {
				for _, c := range cert.CRLDistributionPoints {
					match = match || u == c
				}
			}
			if !match {
				return errors.New("it covers a distribution point the certificate does not name")
			}
		case casn1.Tag(1).ContextSpecific(): // onlyContainsUserCerts
			if isTrue && cert.IsCA {
				return errors.New("it covers only end-entity certificates")
			}
		case casn1.Tag(2).ContextSpecific(): // onlyContainsCACerts
			if isTrue && !cert.IsCA {
				return errors.New("it covers only CA certificates")
			}
		case casn1.Tag(3).ContextSpecific(): // onlySomeReasons
			return errors.New("it covers only some revocation reasons")
		case casn1.Tag(4).ContextSpecific(): // indirectCRL
			if isTrue {
				return errors.New("it is an indirect CRL")
			}
		case casn1.Tag(5).ContextSpecific(): // onlyContainsAttributeCerts
			if isTrue {
				return errors.New("it covers only attribute certificates")
			}
		}
	}
	return nil
}

// dpURIs returns the URIs of a DistributionPointName's fullName.
func dpURIs(dpn cryptobyte.String) ([]string, bool) {
	var names cryptobyte.String
	if !dpn.ReadASN1(&names, casn1.Tag(0).ContextSpecific().Constructed()) {
		return nil, false // nameRelativeToCRLIssuer
	}
	var out []string
	for !names.Empty() {
		var n cryptobyte.String
		var tag casn1.Tag
		if !names.ReadAnyASN1(&n, &tag) {
			return nil, false
		}
		if tag == casn1.Tag(6).ContextSpecific() {
			out = append(out, string(n))
		}
	}
	return out, len(out) > 0
}

// --- embedded data ---

// embeddedRevocation collects the revocation data embedded in the file's
// /DSS (arrays and this signature's /VRI entry) and in the CMS.
func (v *verifier) embeddedRevocation(sd *cms.SignedData, si *cms.SignerInfo, contents []byte) *revocationData {
	d := &revocationData{}
	seen := map[[32]byte]int{} // index+1 into ocsps (>0) or crls (<0)
	addOCSP := func(b []byte, dss bool) {
		if len(b) == 0 || len(d.ocsps) >= maxRevocationItems {
			return
		}
		k := sha256.Sum256(b)
		if i, ok := seen[k]; ok {
			if i > 0 && dss {
				d.ocsps[i-1].dss = true
			}
			return
		}
		d.ocsps = append(d.ocsps, revOCSP{der: b, dss: dss})
		seen[k] = len(d.ocsps)
	}
	addCRL := func(b []byte, dss bool) {
		if len(b) == 0 || len(d.crls) >= maxRevocationItems {
			return
		}
		k := sha256.Sum256(b)
		if i, ok := seen[k]; ok {
			if i < 0 && dss {
				d.crls[-i-1].dss = true
			}
			return
		}
		crl, err := x509.ParseRevocationList(b)
		if err != nil {
			seen[k] = 0
			return
		}
		d.crls = append(d.crls, revCRL{crl: crl, dss: dss})
		seen[k] = -len(d.crls)
	}
	ocsps, crls := v.dssRevocation(contents)
	for _, b := range ocsps {
		addOCSP(b, true)
	}
	for _, b := range crls {
		addCRL(b, true)
	}
	if si != nil && len(si.RevocationInfoArchival) > 0 {
		crls, ocsps := parseRevocationInfoArchival(si.RevocationInfoArchival)
		for _, b := range ocsps {
			addOCSP(b, false)
		}
		for _, b := range crls {
			addCRL(b, false)
		}
	}
	if sd != nil {
		for _, c := range sd.CRLs {
			crl, resp := parseRevocationInfoChoice(c)
			addCRL(crl, false)
			addOCSP(resp, false)
		}
	}
	return d
}

// dssRevocation returns the DER OCSP responses and CRLs of the document
// security store (of every revision): its /OCSPs and /CRLs and those of
// the /VRI entry of the signature whose /Contents is contents.
func (v *verifier) dssRevocation(contents []byte) (ocsps, crls [][]byte) {
	dss := v.dssData()
	ocsps = append(ocsps, dss.ocsps...)
	crls = append(crls, dss.crls...)
	for _, key := range vriKeys(contents) {
		if e := dss.vri[key]; e != nil {
			ocsps = append(ocsps, e.ocsps...)
			crls = append(crls, e.crls...)
		}
	}
	return ocsps, crls
}

// vriKeys returns the /VRI keys a signature may be filed under: the
// upper-case hex SHA-1 of its /Contents bytes, as written (with the
// padding) and, where producers differ, without the padding after the
// CMS.
func vriKeys(contents []byte) []string {
	keys := []string{VRIKey(contents)}
	if n := cms.DERLength(contents); n > 0 && n < len(contents) {
		keys = append(keys, VRIKey(contents[:n]))
	}
	return keys
}

// VRIKey is the /VRI key of a signature whose /Contents string is
// contents: the upper-case hex SHA-1 of the bytes as written.
func VRIKey(contents []byte) string {
	sum := sha1.Sum(contents)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// dssStreamIn reads the decoded bytes of the stream o of view, at most
// limit.
func dssStreamIn(view *pdf.Document, o pdf.Object, limit int64) ([]byte, error) {
	r, err := view.Resolve(o)
	if err != nil {
		return nil, err
	}
	st, ok := r.(*pdf.Stream)
	if !ok {
		return nil, errors.New("not a stream")
	}
	rd, err := view.StreamReader(st)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrResponseTooLarge
	}
	return b, nil
}

// parseRevocationInfoArchival reads Adobe's attribute:
//
//	RevocationInfoArchival ::= SEQUENCE {
//	  crl [0] EXPLICIT SEQUENCE of CRLs OPTIONAL,
//	  ocsp [1] EXPLICIT SEQUENCE of OCSPResponse OPTIONAL,
//	  otherRevInfo [2] EXPLICIT SEQUENCE of OtherRevInfo OPTIONAL }
func parseRevocationInfoArchival(der []byte) (crls, ocsps [][]byte) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, casn1.SEQUENCE) {
		return nil, nil
	}
	for !seq.Empty() {
		var el cryptobyte.String
		var tag casn1.Tag
		if !seq.ReadAnyASN1(&el, &tag) {
			break
		}
		var list cryptobyte.String
		if !el.ReadASN1(&list, casn1.SEQUENCE) {
			continue
		}
		var dst *[][]byte
		switch tag {
		case casn1.Tag(0).ContextSpecific().Constructed():
			dst = &crls
		case casn1.Tag(1).ContextSpecific().Constructed():
			dst = &ocsps
		default:
			continue
		}
		for !list.Empty() && len(*dst) < maxRevocationItems {
			var item cryptobyte.String
			var itag casn1.Tag
			if !list.ReadAnyASN1Element(&item, &itag) {
				break
			}
			*dst = append(*dst, item)
		}
	}
	return crls, ocsps
}

// parseRevocationInfoChoice reads an entry of the CMS crls field
// (RFC 5652): a CertificateList, or an OtherRevocationInfoFormat that
// holds an OCSP response (id-ri-ocsp-response, RFC 5940).
func parseRevocationInfoChoice(der []byte) (crl, resp []byte) {
	in := cryptobyte.String(der)
	var el cryptobyte.String
	var tag casn1.Tag
	if !in.ReadAnyASN1(&el, &tag) {
		return nil, nil
	}
	switch tag {
	case casn1.SEQUENCE:
		return der, nil
	case casn1.Tag(1).ContextSpecific().Constructed():
		var oid asn1.ObjectIdentifier
		if !el.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(oidRIOCSPResponse) {
			return nil, nil
		}
		var r cryptobyte.String
		var rtag casn1.Tag
		if el.ReadAnyASN1Element(&r, &rtag) && rtag == casn1.SEQUENCE {
			return nil, r
		}
	}
	return nil, nil
}

// --- words ---

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return c.Subject.String()
}

func fmtUTC(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func statusWord(st *revStatus) string {
	if st.revoked {
		return "status revoked"
	}
	return "status good"
}

// reasonName names an RFC 5280 CRLReason.
func reasonName(r int) string {
	names := map[int]string{0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged",
		4: "superseded", 5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL",
		9: "privilegeWithdrawn", 10: "aACompromise"}
	if n, ok := names[r]; ok {
		return n
	}
	return fmt.Sprintf("%d", r)
}
