package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"reflect"
)

// SignerCertificate returns the certificate of sd identified by si's signer
// identifier: by issuer and serial number, or by subject key identifier.
// Issuer names are compared as raw DER first; only if no certificate matches
// that way are they compared after decoding (some producers re-encode the
// issuer name with other string types). If several different certificates
// match, the one that the ESS signing-certificate(-v2) attribute identifies
// is preferred. It returns ErrNoSignerCertificate if none matches.
func (sd *SignedData) SignerCertificate(si *SignerInfo) (*x509.Certificate, error) {
	if si == nil {
		return nil, fmt.Errorf("%w: nil SignerInfo", ErrNoSignerCertificate)
	}
	var found []*x509.Certificate
	for _, exact := range []bool{true, false} {
		for _, c := range sd.Certificates {
			if si.matches(c, exact) {
				found = append(found, c)
			}
		}
		if len(found) > 0 || si.IssuerRaw == nil {
			break
		}
	}
	if len(found) == 0 {
		return nil, ErrNoSignerCertificate
	}
	if len(found) > 1 && (si.hasSCv1 || si.hasSCv2) {
		for _, c := range found {
			if si.CheckSigningCertificate(c) == nil {
				return c, nil
			}
		}
	}
	return found[0], nil
}

// Identifies reports whether c is the certificate si's signer identifier
// names (for a CMS that does not carry its signer's certificate).
func (si *SignerInfo) Identifies(c *x509.Certificate) bool { return si.matches(c, false) }

func (si *SignerInfo) matches(c *x509.Certificate, exact bool) bool {
	if c == nil {
		return false
	}
	if si.IssuerRaw != nil {
		if si.SerialNumber == nil || c.SerialNumber == nil || c.SerialNumber.Cmp(si.SerialNumber) != 0 {
			return false
		}
		if exact {
			return bytes.Equal(c.RawIssuer, si.IssuerRaw)
		}
		return sameName(c.RawIssuer, si.IssuerRaw)
	}
	return len(si.SubjectKeyID) > 0 && bytes.Equal(c.SubjectKeyId, si.SubjectKeyID)
}

// sameName reports whether two DER Names are equal byte for byte or, failing
// that, decode to the same attribute types and values.
func sameName(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var na, nb pkix.RDNSequence
	if unmarshalExact(a, &na, "name") != nil || unmarshalExact(b, &nb, "name") != nil {
		return false
	}
	return reflect.DeepEqual(na, nb)
}

// CheckDigest checks contentDigest, the digest of the signed content computed
// with si.DigestAlgorithm (for a timestamp token: the digest of EContent),
// against the signed attributes: the contentType attribute must be present and
// equal the encapsulated content type (ErrMissingAttribute,
// ErrContentTypeMismatch) and the messageDigest attribute must be present and
// equal contentDigest (ErrMissingAttribute, ErrDigestMismatch).
//
// Without signed attributes there is nothing to check here and CheckDigest
// returns nil; VerifySignature then verifies the signature directly over
// contentDigest.
func (si *SignerInfo) CheckDigest(contentDigest []byte) error {
	if !si.HasSignedAttributes {
		return nil
	}
	if si.ContentType == nil {
		return fmt.Errorf("%w: contentType", ErrMissingAttribute)
	}
	if !si.ContentType.Equal(si.eContentType) {
		return fmt.Errorf("%w: attribute %v, encapsulated %v", ErrContentTypeMismatch, si.ContentType, si.eContentType)
	}
	if si.MessageDigest == nil {
		return fmt.Errorf("%w: messageDigest", ErrMissingAttribute)
	}
	if len(si.MessageDigest) != len(contentDigest) ||
		subtle.ConstantTimeCompare(si.MessageDigest, contentDigest) != 1 {
		return ErrDigestMismatch
	}
	return nil
}

func unsupported(what string, oid asn1.ObjectIdentifier) error {
	return fmt.Errorf("%w: %s %v", ErrUnsupportedAlgorithm, what, oid)
}

// pssParams is RSASSA-PSS-params (RFC 4055).
type pssParams struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"explicit,optional,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"explicit,optional,tag:1"`
	SaltLength   int                      `asn1:"explicit,optional,default:20,tag:2"`
	TrailerField int                      `asn1:"explicit,optional,default:1,tag:3"`
}

// parsePSS returns the hash and salt length of RSASSA-PSS parameters, with the
// RFC 4055 defaults (SHA-1, MGF1 with SHA-1, salt 20) for absent fields.
func parsePSS(params asn1.RawValue) (crypto.Hash, int, error) {
	p := pssParams{SaltLength: 20, TrailerField: 1}
	absent := len(params.FullBytes) == 0 ||
		(params.Class == asn1.ClassUniversal && params.Tag == asn1.TagNull)
	if !absent {
		if err := unmarshalExact(params.FullBytes, &p, "RSASSA-PSS-params"); err != nil {
			return 0, 0, fmt.Errorf("%w: %w", ErrUnsupportedAlgorithm, err)
		}
	}
	hashOID := oidSHA1
	if len(p.Hash.Algorithm) > 0 {
		hashOID = p.Hash.Algorithm
	}
	h := hashFromOID(hashOID)
	if h == 0 {
		return 0, 0, unsupported("RSASSA-PSS hash", hashOID)
	}
	mgfHash := oidSHA1
	if len(p.MGF.Algorithm) > 0 {
		if !p.MGF.Algorithm.Equal(oidMGF1) {
			return 0, 0, unsupported("RSASSA-PSS mask generation function", p.MGF.Algorithm)
		}
		var mh pkix.AlgorithmIdentifier
		if err := unmarshalExact(p.MGF.Parameters.FullBytes, &mh, "MGF1 parameters"); err != nil {
			return 0, 0, fmt.Errorf("%w: %w", ErrUnsupportedAlgorithm, err)
		}
		mgfHash = mh.Algorithm
	}
	if hashFromOID(mgfHash) != h {
		return 0, 0, unsupported("RSASSA-PSS MGF1 hash differing from message hash", mgfHash)
	}
	if p.TrailerField != 1 {
		return 0, 0, fmt.Errorf("%w: RSASSA-PSS trailerField %d", ErrUnsupportedAlgorithm, p.TrailerField)
	}
	if p.SaltLength < 0 {
		return 0, 0, fmt.Errorf("%w: RSASSA-PSS negative salt length", ErrUnsupportedAlgorithm)
	}
	return h, p.SaltLength, nil
}

// VerifySignature verifies si's signature value with cert's public key.
//
// With signed attributes the signature covers their DER SET OF encoding
// (contentDigest is then unused; check it with CheckDigest). Without signed
// attributes the signature is verified directly over contentDigest, the
// digest of the content under si.DigestAlgorithm.
//
// Supported: RSASSA-PKCS1-v1_5 (rsaEncryption or a hash-with-RSA OID),
// RSASSA-PSS (MGF1 with the message hash), ECDSA (ecdsa-with-SHA* or
// id-ecPublicKey as the signature OID) and Ed25519 (with signed attributes).
// The digest algorithm is si.DigestAlgorithm; a signature OID or PSS
// parameters naming another hash are reported as unsupported.
//
// Errors wrapping ErrUnsupportedAlgorithm mean the signature cannot be
// evaluated; ErrSignatureInvalid means it is cryptographically wrong.
func (si *SignerInfo) VerifySignature(cert *x509.Certificate, contentDigest []byte) error {
	if cert == nil {
		return errors.New("cms: verify signature: nil certificate")
	}
	sigOID := si.SignatureAlgorithm.Algorithm
	kind, oidHash := signatureKind(sigOID)
	if kind == sigUnknown {
		return unsupported("signature algorithm", sigOID)
	}
	h := si.DigestAlgorithm
	if kind != sigEd25519 && h == 0 {
		return unsupported("digest algorithm", si.DigestAlgorithmOID)
	}
	if oidHash != 0 && oidHash != h {
		return fmt.Errorf("%w: signature algorithm %v does not match digest algorithm %v", ErrUnsupportedAlgorithm, sigOID, si.DigestAlgorithmOID)
	}
	if !h.Available() && kind != sigEd25519 {
		return unsupported("digest algorithm", si.DigestAlgorithmOID)
	}
	var saltLen int
	if kind == sigRSAPSS {
		pssHash, salt, err := parsePSS(si.SignatureAlgorithm.Parameters)
		if err != nil {
			return err
		}
		if pssHash != h {
			return fmt.Errorf("%w: RSASSA-PSS hash %v does not match digest algorithm %v", ErrUnsupportedAlgorithm, pssHash, h)
		}
		// crypto/rsa cannot demand an empty salt: 0 means
		// rsa.PSSSaltLengthAuto, so a declared salt length of 0 accepts any
		// salt. That does not weaken the check of the signed message.
		saltLen = salt
	}

	// The messages the signature may cover: the signed attributes as
	// encoded, and (for producers that signed the DER-sorted form while
	// writing another order) their DER-sorted re-encoding. Both carry the
	// same attribute values.
	var messages [][]byte
	if si.HasSignedAttributes {
		messages = append(messages, si.RawSignedAttributes)
		if si.sortedAttrs != nil {
			messages = append(messages, si.sortedAttrs)
		}
	} else {
		if kind == sigEd25519 {
			return fmt.Errorf("%w: Ed25519 without signed attributes needs the content, not its digest", ErrUnsupportedAlgorithm)
		}
		if len(contentDigest) != h.Size() {
			return fmt.Errorf("cms: verify signature: content digest is %d bytes, %v needs %d", len(contentDigest), h, h.Size())
		}
	}

	var lastErr error
	try := func(digest, msg []byte) error {
		switch kind {
		case sigRSAPKCS1, sigRSAPSS:
			pub, ok := cert.PublicKey.(*rsa.PublicKey)
			if !ok {
				return fmt.Errorf("%w: %v signature with %T public key", ErrSignatureInvalid, sigOID, cert.PublicKey)
			}
			if pub.N == nil || pub.N.BitLen() < 1024 {
				return fmt.Errorf("%w: RSA key below 1024 bits", ErrUnsupportedAlgorithm)
			}
			var err error
			if kind == sigRSAPKCS1 {
				err = rsa.VerifyPKCS1v15(pub, h, digest, si.Signature)
			} else {
				err = rsa.VerifyPSS(pub, h, digest, si.Signature, &rsa.PSSOptions{SaltLength: saltLen})
			}
			if err == nil {
				return nil
			}
			if errors.Is(err, rsa.ErrVerification) {
				return fmt.Errorf("%w: %w", ErrSignatureInvalid, err)
			}
			return fmt.Errorf("%w: %w", ErrUnsupportedAlgorithm, err)
		case sigECDSA:
			pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
			if !ok {
				return fmt.Errorf("%w: %v signature with %T public key", ErrSignatureInvalid, sigOID, cert.PublicKey)
			}
			if !ecdsa.VerifyASN1(pub, digest, si.Signature) {
				return fmt.Errorf("%w: ECDSA verification failed", ErrSignatureInvalid)
			}
			return nil
		case sigEd25519:
			pub, ok := cert.PublicKey.(ed25519.PublicKey)
			if !ok {
				return fmt.Errorf("%w: %v signature with %T public key", ErrSignatureInvalid, sigOID, cert.PublicKey)
			}
			if !ed25519.Verify(pub, msg, si.Signature) {
				return fmt.Errorf("%w: Ed25519 verification failed", ErrSignatureInvalid)
			}
			return nil
		}
		return unsupported("signature algorithm", sigOID)
	}
	if !si.HasSignedAttributes {
		return try(contentDigest, nil)
	}
	for _, m := range messages {
		var digest []byte
		if kind != sigEd25519 {
			hh := h.New()
			hh.Write(m)
			digest = hh.Sum(nil)
		}
		err := try(digest, m)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrSignatureInvalid) {
			return err
		}
		lastErr = err
	}
	return lastErr
}

// CheckSigningCertificate checks cert against the ESS signing-certificate-v2
// and signing-certificate signed attributes, when present: the hash of
// cert.Raw under the first ESSCertID(v2)'s algorithm must equal its certHash,
// and its issuerSerial, if present, must name cert's issuer and serial
// number. A mismatch returns ErrSigningCertificateMismatch; an unknown hash
// algorithm returns ErrUnsupportedAlgorithm. Without either attribute it
// returns nil.
func (si *SignerInfo) CheckSigningCertificate(cert *x509.Certificate) error {
	if cert == nil {
		return errors.New("cms: check signing certificate: nil certificate")
	}
	check := func(ids []ESSCertID, name string) error {
		if len(ids) == 0 {
			return fmt.Errorf("%w: %s attribute lists no certificate", ErrSigningCertificateMismatch, name)
		}
		id := ids[0]
		if id.HashAlgorithm == 0 || !id.HashAlgorithm.Available() {
			return unsupported(name+" hash algorithm", id.HashAlgorithmOID)
		}
		h := id.HashAlgorithm.New()
		h.Write(cert.Raw)
		if !bytes.Equal(h.Sum(nil), id.CertHash) {
			return fmt.Errorf("%w: %s certHash", ErrSigningCertificateMismatch, name)
		}
		if is := id.IssuerSerial; is != nil {
			if is.SerialNumber == nil || cert.SerialNumber == nil || is.SerialNumber.Cmp(cert.SerialNumber) != 0 {
				return fmt.Errorf("%w: %s serial number", ErrSigningCertificateMismatch, name)
			}
			found := false
			for _, dn := range is.DirectoryNames {
				if sameName(dn, cert.RawIssuer) {
					found = true
					break
				}
			}
			if !found {
				return fmt.Errorf("%w: %s issuer", ErrSigningCertificateMismatch, name)
			}
		}
		return nil
	}
	if si.hasSCv2 {
		if err := check(si.SigningCertificateV2, "signing-certificate-v2"); err != nil {
			return err
		}
	}
	if si.hasSCv1 {
		if err := check(si.SigningCertificateV1, "signing-certificate"); err != nil {
			return err
		}
	}
	return nil
}
