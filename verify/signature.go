package verify

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"segel/internal/cms"
)

var (
	oidTSTInfo          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidEKUDocSigning    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	oidEKUAdobeAuthDocs = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}
)

// checkCMS verifies the signature in contents over the byte ranges: a CMS
// SignedData, or for adbe.x509.rsa_sha1 a bare PKCS#1 signature (see
// checkX509RSASHA1).
func (v *verifier) checkCMS(s *Signature, ranges [2][2]int64, contents []byte) {
	if len(bytes.Trim(contents, "\x00")) == 0 {
		s.fail(TotalFailed, FormatFailure, "/Contents is empty: the signature placeholder was never filled")
		return
	}
	if s.SubFilter == subFilterX509RSASHA1 {
		v.checkX509RSASHA1(s, ranges, contents)
		return
	}
	sd, err := v.parseCMS(contents)
	if err != nil {
		// Bytes after the CMS inside /Contents are not signed and not part
		// of the signature; some producers leave them. Retry without them.
		if n := cms.DERLength(contents); n > 0 && n < len(contents) {
			if sd2, err2 := v.parseCMS(contents[:n]); err2 == nil {
				sd, err = sd2, nil
				s.warn(fmt.Sprintf("/Contents holds %d bytes after the CMS; they were ignored", len(contents)-n))
			}
		}
	}
	if err != nil {
		s.fail(TotalFailed, FormatFailure, "the CMS signature cannot be parsed: "+err.Error())
		return
	}
	signers, ok := v.oneSigner(s, sd)
	if !ok {
		return
	}
	for _, l := range sd.LenientCertificates {
		s.warn(lenientWarning(l))
	}
	si := sd.Signers[0]
	rangeDigests := map[crypto.Hash][]byte{}
	rangeDigest := func(h crypto.Hash) ([]byte, bool) {
		if d, ok := rangeDigests[h]; ok {
			return d, true
		}
		d, err := v.hashRanges(h, ranges)
		if err != nil {
			s.fail(Indeterminate, CryptoConstraintsFailure, "cannot hash the signed bytes: "+err.Error())
			return nil, false
		}
		rangeDigests[h] = d
		return d, true
	}

	// contentDigest returns, for a SignerInfo's digest algorithm, the
	// digest its signature covers (through its messageDigest attribute, or
	// directly without signed attributes).
	var contentDigest func(h crypto.Hash) ([]byte, bool)
	switch s.SubFilter {
	case "ETSI.RFC3161":
		if !sd.EContentType.Equal(oidTSTInfo) {
			s.fail(TotalFailed, FormatFailure, "a document timestamp whose CMS does not hold a TSTInfo")
			return
		}
		tst, err := cms.ParseTSTInfo(sd.EContent)
		if err != nil {
			s.fail(TotalFailed, FormatFailure, "the timestamp token cannot be parsed: "+err.Error())
			return
		}
		h := tst.MessageImprint.HashAlgorithm
		if h == 0 || !h.Available() {
			s.fail(Indeterminate, CryptoConstraintsFailure, "unsupported timestamp imprint hash")
			return
		}
		d, ok := rangeDigest(h)
		if !ok {
			return
		}
		if !bytes.Equal(d, tst.MessageImprint.HashedMessage) {
			s.fail(TotalFailed, HashFailure, "the document timestamp's message imprint does not match the signed bytes")
			return
		}
		s.Intact = true
		gt := tst.GenTime
		s.ClaimedTime = &gt
		contentDigest = func(h crypto.Hash) ([]byte, bool) { return hashOf(h, sd.EContent), true }
	case "adbe.pkcs7.sha1":
		d, ok := rangeDigest(crypto.SHA1)
		if !ok {
			return
		}
		if !bytes.Equal(d, sd.EContent) {
			s.fail(TotalFailed, HashFailure, "the SHA-1 digest in the CMS does not match the signed bytes")
			return
		}
		s.Intact = true
		contentDigest = func(h crypto.Hash) ([]byte, bool) { return hashOf(h, sd.EContent), true }
	default:
		checked := false
		contentDigest = func(h crypto.Hash) ([]byte, bool) {
			d, ok := rangeDigest(h)
			if !ok || sd.EContent == nil || checked {
				return d, ok
			}
			// A detached signature whose CMS also encapsulates content:
			// the CMS signs that content, so it signs this document only
			// when that content is the signed bytes themselves.
			n := ranges[0][1] - ranges[0][0] + ranges[1][1] - ranges[1][0]
			if int64(len(sd.EContent)) != n || !bytes.Equal(hashOf(h, sd.EContent), d) {
				s.fail(TotalFailed, FormatFailure, fmt.Sprintf("a detached signature whose CMS also encapsulates content, and that content (%d bytes) is not the signed byte range (%d bytes): such a CMS signs its own content, not this document", len(sd.EContent), n))
				return nil, false
			}
			checked = true
			s.warn(fmt.Sprintf("the detached signature's CMS also encapsulates the signed bytes (%d bytes, identical to the byte range); it was judged on the byte range", n))
			return d, true
		}
	}

	// Every SignerInfo must be intact, then every one must verify.
	intact := true
	for i, x := range signers {
		if !v.checkSignerDigest(s, sd, x, i, len(signers), contentDigest) {
			return
		}
		intact = intact && x.HasSignedAttributes
	}
	if s.SubFilter != "ETSI.RFC3161" && s.SubFilter != "adbe.pkcs7.sha1" {
		s.Intact = intact // without attributes, intact == valid
	}
	var cert *x509.Certificate
	for i, x := range signers {
		c, ok := v.checkSignerValue(s, sd, x, contentDigest)
		if !ok {
			return
		}
		if i == 0 {
			cert = c
		}
	}
	s.Valid, s.Intact = true, true
	for _, x := range signers {
		if err := x.CheckSigningCertificate(cert); err != nil {
			s.fail(Indeterminate, NoSigningCertificateFound, "the signing-certificate attribute names another certificate")
			return
		}
	}

	// PAdES baseline requirements, as warnings.
	if s.SubFilter == "ETSI.CAdES.detached" {
		s.Level = "B-B"
		if si.SigningTime != nil {
			s.warn("the CMS carries a signing-time attribute, which PAdES forbids (the time belongs in /M)")
		}
		if si.SigningCertificateV2 == nil && si.SigningCertificateV1 == nil {
			s.warn("the CMS lacks the ESS signing-certificate(-v2) attribute required by PAdES")
		}
	}
	if s.ClaimedTime == nil && si.SigningTime != nil {
		t := *si.SigningTime
		s.ClaimedTime = &t
	}

	// Signature timestamps.
	intermediates := v.certSet(sd.Certificates, v.dssCerts())
	n := 0
	for _, x := range signers {
		for _, tok := range x.TimestampTokens {
			n++
			t, err := v.checkSignatureTimestamp(tok, x.Signature, intermediates)
			if err != nil {
				s.warn(fmt.Sprintf("signature timestamp %d ignored: %v", n, err))
				continue
			}
			if s.TimestampTime == nil || t.Before(*s.TimestampTime) {
				s.TimestampTime = &t
			}
		}
	}
	// Proof of existence: the earliest verified signature timestamp, or
	// the time of a trusted document timestamp that covers the signature
	// (found by run), whichever is earlier.
	if s.TimestampTime != nil {
		t := *s.TimestampTime
		s.ExistenceTime, s.ExistenceProof = &t, "signature-timestamp"
	}
	if !v.poe.IsZero() && (s.ExistenceTime == nil || v.poe.Before(*s.ExistenceTime)) {
		t := v.poe
		s.ExistenceTime, s.ExistenceProof = &t, "document-timestamp"
	}
	if s.ExistenceTime != nil && s.Level == "B-B" {
		s.Level = "B-T" // PAdES: a signature time-stamp, or a document time-stamp over it
	}
	at := v.now
	if s.ExistenceTime != nil && s.Kind != "document-timestamp" {
		at = *s.ExistenceTime
	}
	if s.Kind == "document-timestamp" && s.ClaimedTime != nil {
		// A time-stamp authority's chain is judged at its token's own
		// time, from a token whose signature verified.
		s.TimestampTime = s.ClaimedTime
		at = *s.ClaimedTime
	}
	chain := v.checkChain(s, cert, intermediates, at, s.Kind == "document-timestamp")
	leafInDSS := false
	if chain != nil {
		leafInDSS = v.checkRevocation(s, chain, sd, si, contents)
	}
	// B-LT: the /DSS holds usable revocation data for the signer.
	if s.Level == "B-T" && leafInDSS {
		s.Level = "B-LT"
	}
}

// oneSigner checks that the CMS has one signer. ISO 32000 allows one
// SignerInfo; PoDoFo's podofosign writes two for one signer: identical ones
// with an RSA key, and two different ones with an ECDSA key (ECDSA is
// randomised and podofosign signs twice). Several SignerInfos are
// accepted, with a warning, when they all identify one and the same
// certificate; each is then verified on its own (see checkCMS). It returns
// the SignerInfos to verify: one of exact duplicates, else all.
func (v *verifier) oneSigner(s *Signature, sd *cms.SignedData) ([]*cms.SignerInfo, bool) {
	n := len(sd.Signers)
	switch {
	case n == 1:
		return sd.Signers, true
	case n == 0:
		s.fail(TotalFailed, FormatFailure, "the CMS has 0 signers; a PDF signature has exactly one")
		return nil, false
	case duplicateSigners(sd.Signers):
		s.warn(fmt.Sprintf("the CMS repeats the same SignerInfo %d times (ISO 32000 allows one)", n))
		return sd.Signers[:1], true
	}
	first, err := sd.SignerCertificate(sd.Signers[0])
	for _, x := range sd.Signers[1:] {
		if err != nil {
			break
		}
		var c *x509.Certificate
		if c, err = sd.SignerCertificate(x); err == nil && !c.Equal(first) {
			err = errors.New("another certificate")
		}
	}
	if err != nil {
		s.fail(TotalFailed, FormatFailure, fmt.Sprintf("the CMS has %d SignerInfos that are not all of one signer certificate; a PDF signature has exactly one signer", n))
		return nil, false
	}
	s.warn(fmt.Sprintf("the CMS holds %d different SignerInfos of the same signer certificate (as podofosign writes); each was verified on its own, but ISO 32000 allows one", n))
	return sd.Signers, true
}

// checkSignerDigest determines the digest algorithm of si (SignerInfo i of
// the n verified) and checks its signed attributes against the digest of
// the signed content.
func (v *verifier) checkSignerDigest(s *Signature, sd *cms.SignedData, si *cms.SignerInfo, i, n int, contentDigest func(crypto.Hash) ([]byte, bool)) bool {
	if si.DigestAlgorithm == 0 && si.DigestSource == cms.DigestFromSignatureValue {
		cert, err := sd.SignerCertificate(si)
		if err != nil {
			s.fail(Indeterminate, NoSigningCertificateFound, fmt.Sprintf("the digest algorithm %s names no hash, and the signer's certificate, needed to read it from the signature value, is not in the CMS", cms.AlgorithmName(si.DigestAlgorithmOID)))
			return false
		}
		if err := si.ResolveDigestAlgorithm(cert); err != nil {
			if errors.Is(err, cms.ErrSignatureInvalid) {
				s.fail(TotalFailed, SigCryptoFailure, "the signature value does not verify with the signer's certificate")
			} else {
				s.fail(Indeterminate, CryptoConstraintsFailure, "cannot read the digest algorithm from the signature value: "+err.Error())
			}
			return false
		}
	}
	if si.DigestAlgorithm == 0 || !si.DigestAlgorithm.Available() {
		s.fail(Indeterminate, CryptoConstraintsFailure, fmt.Sprintf("digest algorithm %v is not supported", si.DigestAlgorithmOID))
		return false
	}
	if i == 0 {
		s.DigestAlgorithm = hashName(si.DigestAlgorithm)
		s.SignatureAlgorithm = sigAlgName(si.SignatureAlgorithm.Algorithm)
	}
	if w := digestSourceWarning(si); w != "" {
		if n > 1 {
			w = fmt.Sprintf("SignerInfo %d: %s", i+1, w)
		}
		s.warn(w)
	}
	d, ok := contentDigest(si.DigestAlgorithm)
	if !ok {
		return false
	}
	if err := si.CheckDigest(d); err != nil {
		switch {
		case errors.Is(err, cms.ErrDigestMismatch):
			s.fail(TotalFailed, HashFailure, "the signed bytes were changed: their digest does not match the signature's")
		default:
			s.fail(TotalFailed, FormatFailure, "the CMS signed attributes are not usable: "+err.Error())
		}
		return false
	}
	return true
}

// checkSignerValue finds si's certificate and verifies its signature value.
func (v *verifier) checkSignerValue(s *Signature, sd *cms.SignedData, si *cms.SignerInfo, contentDigest func(crypto.Hash) ([]byte, bool)) (*x509.Certificate, bool) {
	cert, err := sd.SignerCertificate(si)
	if err != nil {
		if len(sd.CertificateErrors) > 0 {
			s.fail(Indeterminate, CryptoConstraintsFailure, "the signer's certificate cannot be used: "+sd.CertificateErrors[0].Error())
			return nil, false
		}
		s.fail(Indeterminate, NoSigningCertificateFound, "the signer's certificate is not in the CMS")
		return nil, false
	}
	if s.Signer == "" {
		s.Signer = cert.Subject.String()
	}
	if len(cert.Subject.Organization) > 0 {
		s.SignerOrganization = cert.Subject.Organization[0]
	}
	na := cert.NotAfter.UTC()
	s.CertificateNotAfter = &na
	d, ok := contentDigest(si.DigestAlgorithm)
	if !ok {
		return nil, false
	}
	if err := si.VerifySignature(cert, d); err != nil {
		if errors.Is(err, cms.ErrUnsupportedAlgorithm) {
			s.fail(Indeterminate, CryptoConstraintsFailure, "cannot check the signature value: "+err.Error())
		} else {
			s.fail(TotalFailed, SigCryptoFailure, "the signature value does not verify with the signer's certificate")
		}
		return nil, false
	}
	return cert, true
}

// digestSourceWarning describes a digestAlgorithm that is not a digest
// algorithm, or returns "".
func digestSourceWarning(si *cms.SignerInfo) string {
	h := hashName(si.DigestAlgorithm)
	switch si.DigestSource {
	case cms.DigestFromSignatureOID:
		return fmt.Sprintf("the SignerInfo's digestAlgorithm is %s, a signature algorithm rather than a digest algorithm; it was read as its hash, %s",
			cms.AlgorithmName(si.DigestAlgorithmOID), h)
	case cms.DigestFromSignatureAlgorithm:
		return fmt.Sprintf("the SignerInfo's digestAlgorithm is %s, a key algorithm rather than a digest algorithm; %s, named by the signatureAlgorithm %s, was used",
			cms.AlgorithmName(si.DigestAlgorithmOID), h, cms.AlgorithmName(si.SignatureAlgorithm.Algorithm))
	case cms.DigestFromSignatureValue:
		return fmt.Sprintf("the SignerInfo's digestAlgorithm and signatureAlgorithm are both %s, which names no digest; %s was read from the DigestInfo inside the RSA signature value",
			cms.AlgorithmName(si.DigestAlgorithmOID), h)
	}
	return ""
}

// lenientWarning describes a certificate read with cms.ParseCertificate's
// name re-encoding.
func lenientWarning(l cms.LenientCertificate) string {
	q := make([]string, len(l.Quirks))
	for i, x := range l.Quirks {
		q[i] = x.String()
	}
	return fmt.Sprintf("certificate %d of the CMS (%s) is refused by Go's crypto/x509 and was read leniently: %s; its key, validity and extensions were parsed as usual and its names are compared only as the bytes written, but the name shown is approximate",
		l.Index+1, l.Certificate.Subject.String(), strings.Join(q, "; "))
}

// duplicateSigners reports whether every SignerInfo is the same signer
// with the same signature value.
func duplicateSigners(sis []*cms.SignerInfo) bool {
	a := sis[0]
	for _, b := range sis[1:] {
		if !bytes.Equal(a.Signature, b.Signature) || !bytes.Equal(a.IssuerRaw, b.IssuerRaw) ||
			!bytes.Equal(a.SubjectKeyID, b.SubjectKeyID) || !bytes.Equal(a.RawSignedAttributes, b.RawSignedAttributes) {
			return false
		}
		if (a.SerialNumber == nil) != (b.SerialNumber == nil) || (a.SerialNumber != nil && a.SerialNumber.Cmp(b.SerialNumber) != 0) {
			return false
		}
	}
	return true
}

// checkChain builds a chain from the signer certificate to a root of
// Options.Roots, and checks the signer's key usage. It returns the chain
// (signer first, trust anchor last) when one is valid at at, else nil.
func (v *verifier) checkChain(s *Signature, cert *x509.Certificate, inter certSet, at time.Time, tsa bool) []*x509.Certificate {
	if !tsa {
		if cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
			s.fail(Indeterminate, ChainConstraintsFailure, "the signer certificate's key usage allows neither digitalSignature nor nonRepudiation")
		}
		if !ekuAllowsSigning(cert) {
			s.fail(Indeterminate, ChainConstraintsFailure, "the signer certificate's extended key usage does not allow document signing")
		}
	}
	if v.opts.Roots == nil {
		s.fail(Indeterminate, NoCertificateChainFound, "no trust roots were given")
		s.fact(FactNoTrustRoots)
		return nil
	}
	chain, err := v.verifyChain(cert, inter, at, x509.ExtKeyUsageAny)
	if err == nil {
		s.Trusted = true
		s.Chain = chainNames(chain)
		return chain
	}
	vo := x509.VerifyOptions{Roots: v.opts.Roots, Intermediates: inter.pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	var cie x509.CertificateInvalidError
	if errors.As(err, &cie) && cie.Reason == x509.Expired {
		// Does a chain exist at all? Try inside the signer's validity.
		vo.CurrentTime = cert.NotBefore.Add(time.Second)
		if at.After(cert.NotAfter) {
			vo.CurrentTime = cert.NotAfter.Add(-time.Second)
		}
		if chains, err2 := cert.Verify(vo); err2 == nil {
			s.Trusted = true
			s.Chain = chainNames(chains[0])
		}
		sub := Expired
		if at.Before(cie.Cert.NotBefore) {
			sub = NotYetValid
		}
		s.fail(Indeterminate, sub, fmt.Sprintf("certificate %s is not valid at %s (valid %s to %s)", cie.Cert.Subject.CommonName,
			at.UTC().Format(time.RFC3339), cie.Cert.NotBefore.UTC().Format(time.RFC3339), cie.Cert.NotAfter.UTC().Format(time.RFC3339)))
		return nil
	}
	var uae x509.UnknownAuthorityError
	if errors.As(err, &uae) {
		if strings.Contains(err.Error(), "insecure algorithm") {
			s.fail(Indeterminate, CryptoConstraintsFailure, "the certificate chain uses an algorithm no longer accepted: "+err.Error())
			return nil
		}
		s.fail(Indeterminate, NoCertificateChainFound, "the signer's certificate does not chain to a trusted root")
		return nil
	}
	s.fail(Indeterminate, ChainConstraintsFailure, "the certificate chain is not valid: "+err.Error())
	return nil
}

func ekuAllowsSigning(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageEmailProtection {
			return true
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		if u.Equal(oidEKUDocSigning) || u.Equal(oidEKUAdobeAuthDocs) {
			return true
		}
	}
	return false
}

func chainNames(chain []*x509.Certificate) []string {
	var out []string
	for _, c := range chain {
		out = append(out, c.Subject.String())
	}
	return out
}

// checkSignatureTimestamp verifies an RFC 3161 token over a signature
// value and returns its time.
func (v *verifier) checkSignatureTimestamp(tok, sigValue []byte, inter certSet) (time.Time, error) {
	sd, err := v.parseCMS(tok)
	if err != nil {
		return time.Time{}, err
	}
	if !sd.EContentType.Equal(oidTSTInfo) || len(sd.Signers) != 1 {
		return time.Time{}, errors.New("not a timestamp token")
	}
	tst, err := cms.ParseTSTInfo(sd.EContent)
	if err != nil {
		return time.Time{}, err
	}
	h := tst.MessageImprint.HashAlgorithm
	if h == 0 || !h.Available() {
		return time.Time{}, errors.New("unsupported imprint hash")
	}
	if !bytes.Equal(hashOf(h, sigValue), tst.MessageImprint.HashedMessage) {
		return time.Time{}, errors.New("its message imprint is not the hash of this signature")
	}
	si := sd.Signers[0]
	if si.DigestSource == cms.DigestFromSignatureValue {
		if c, err := sd.SignerCertificate(si); err == nil {
			_ = si.ResolveDigestAlgorithm(c) // on failure DigestAlgorithm stays 0
		}
	}
	if si.DigestAlgorithm == 0 || !si.DigestAlgorithm.Available() {
		return time.Time{}, errors.New("unsupported digest algorithm")
	}
	d := hashOf(si.DigestAlgorithm, sd.EContent)
	if err := si.CheckDigest(d); err != nil {
		return time.Time{}, err
	}
	cert, err := sd.SignerCertificate(si)
	if err != nil {
		return time.Time{}, err
	}
	if err := si.VerifySignature(cert, d); err != nil {
		return time.Time{}, fmt.Errorf("the TSA's signature does not verify: %w", err)
	}
	if v.opts.Roots == nil {
		return time.Time{}, errors.New("the TSA is not trusted (no trust roots)")
	}
	if _, err := v.verifyChain(cert, v.certSet(sd.Certificates), tst.GenTime, x509.ExtKeyUsageTimeStamping); err != nil {
		return time.Time{}, fmt.Errorf("the TSA is not trusted: %w", err)
	}
	return tst.GenTime, nil
}

// dssCerts returns the certificates of the catalog's /DSS.
func (v *verifier) dssCerts() []*x509.Certificate { return v.dssData().certs }

func hashOf(h crypto.Hash, b []byte) []byte {
	if h == crypto.SHA1 {
		s := sha1.Sum(b)
		return s[:]
	}
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

func hashName(h crypto.Hash) string {
	switch h {
	case crypto.SHA1:
		return "SHA-1"
	case crypto.SHA224:
		return "SHA-224"
	case crypto.SHA256:
		return "SHA-256"
	case crypto.SHA384:
		return "SHA-384"
	case crypto.SHA512:
		return "SHA-512"
	}
	return h.String()
}

func sigAlgName(oid asn1.ObjectIdentifier) string {
	switch oid.String() {
	case "1.2.840.113549.1.1.1":
		return "RSA"
	case "1.2.840.113549.1.1.10":
		return "RSASSA-PSS"
	case "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13",
		"1.2.840.113549.1.1.14", "1.3.14.3.2.29":
		return "RSA"
	case "1.2.840.10045.2.1", "1.2.840.10045.4.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4":
		return "ECDSA"
	case "1.3.101.112":
		return "Ed25519"
	case "1.3.101.113":
		return "Ed448"
	}
	return oid.String()
}
