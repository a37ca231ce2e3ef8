package keystore

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
)

// orderChain returns certs ordered for signing: the certificate that
// matches pub first, then its issuers one by one as far as they are
// present, then any remaining certificates in their original order.
// Duplicates and nil entries are dropped. If no certificate matches pub,
// the error wraps ErrCertificateMismatch.
func orderChain(pub crypto.PublicKey, certs []*x509.Certificate) ([]*x509.Certificate, error) {
	var uniq []*x509.Certificate
	for _, c := range certs {
		if c == nil || containsCert(uniq, c) {
			continue
		}
		uniq = append(uniq, c)
	}
	if len(uniq) == 0 {
		return nil, fmt.Errorf("keystore: no certificates")
	}

	// The signer's certificate. If several share the key (a renewed
	// certificate next to the old one), prefer one that is not a CA, then
	// the newest.
	leafIdx := -1
	for i, c := range uniq {
		if !PublicKeysEqual(pub, c.PublicKey) {
			continue
		}
		if leafIdx < 0 || betterLeaf(c, uniq[leafIdx]) {
			leafIdx = i
		}
	}
	if leafIdx < 0 {
		return nil, fmt.Errorf("%w: none of the %d certificate(s) has the private key's public key (the first is %s)",
			ErrCertificateMismatch, len(uniq), describeCert(uniq[0]))
	}

	chain := []*x509.Certificate{uniq[leafIdx]}
	rest := append(append([]*x509.Certificate(nil), uniq[:leafIdx]...), uniq[leafIdx+1:]...)
	for cur := chain[0]; !isSelfIssued(cur); {
		i := findIssuer(cur, rest)
		if i < 0 {
			break
		}
		cur = rest[i]
		chain = append(chain, cur)
		rest = append(rest[:i], rest[i+1:]...)
	}
	return append(chain, rest...), nil
}

func betterLeaf(c, old *x509.Certificate) bool {
	if c.IsCA != old.IsCA {
		return !c.IsCA
	}
	return c.NotBefore.After(old.NotBefore)
}

// findIssuer returns the index in cands of the issuer of c: preferably a
// certificate whose key verifies c's signature, otherwise one whose
// subject and key identifier match, or -1.
func findIssuer(c *x509.Certificate, cands []*x509.Certificate) int {
	byName := -1
	for i, p := range cands {
		if !bytes.Equal(p.RawSubject, c.RawIssuer) {
			continue
		}
		if p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
			return i
		}
		if byName < 0 && (len(c.AuthorityKeyId) == 0 || len(p.SubjectKeyId) == 0 ||
			bytes.Equal(c.AuthorityKeyId, p.SubjectKeyId)) {
			byName = i
		}
	}
	return byName
}

func isSelfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer)
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// describeCert names a certificate for messages, preferably as CN=….
func describeCert(c *x509.Certificate) string {
	switch {
	case c == nil:
		return "no certificate"
	case c.Subject.CommonName != "":
		return "CN=" + c.Subject.CommonName
	case len(c.Subject.Names) > 0:
		return c.Subject.String()
	default:
		return "the certificate with serial number " + c.SerialNumber.String()
	}
}
