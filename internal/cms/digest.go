package cms

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
)

// DigestSource says where a SignerInfo's DigestAlgorithm was taken from.
// RFC 5652 wants a digest algorithm in the digestAlgorithm field, but some
// producers write the signature algorithm there (sha256WithRSAEncryption,
// ecdsa-with-SHA256) or the key algorithm (rsaEncryption).
type DigestSource int

const (
	// DigestFromField: digestAlgorithm names a digest algorithm.
	DigestFromField DigestSource = iota
	// DigestFromSignatureOID: digestAlgorithm names a signature algorithm
	// that includes a hash (sha256WithRSAEncryption, ecdsa-with-SHA256,
	// ...); DigestAlgorithm is that hash.
	DigestFromSignatureOID
	// DigestFromSignatureAlgorithm: digestAlgorithm names a key or
	// signature algorithm without a hash (rsaEncryption, id-ecPublicKey,
	// id-RSASSA-PSS); DigestAlgorithm is the hash that signatureAlgorithm
	// names, by its OID or its RSASSA-PSS parameters.
	DigestFromSignatureAlgorithm
	// DigestFromSignatureValue: digestAlgorithm and signatureAlgorithm are
	// both rsaEncryption, so neither names a hash. DigestAlgorithm stays 0
	// until [SignerInfo.ResolveDigestAlgorithm] reads it from the
	// DigestInfo inside the RSA signature value.
	DigestFromSignatureValue
)

// String describes the source for messages.
func (d DigestSource) String() string {
	switch d {
	case DigestFromField:
		return "the digestAlgorithm field"
	case DigestFromSignatureOID:
		return "the signature algorithm OID written as digestAlgorithm"
	case DigestFromSignatureAlgorithm:
		return "the signatureAlgorithm"
	case DigestFromSignatureValue:
		return "the DigestInfo inside the RSA signature value"
	}
	return fmt.Sprintf("DigestSource(%d)", int(d))
}

// resolveDigest sets DigestAlgorithm and DigestSource when digestAlgorithm
// names a signature or key algorithm instead of a digest algorithm. It
// needs SignatureAlgorithm. Unknown OIDs leave DigestAlgorithm 0.
func (si *SignerInfo) resolveDigest() {
	if si.DigestAlgorithm != 0 {
		return
	}
	kind, h := signatureKind(si.DigestAlgorithmOID)
	if kind == sigUnknown {
		return
	}
	if h != 0 {
		if h.Available() {
			si.DigestAlgorithm, si.DigestSource = h, DigestFromSignatureOID
		}
		return
	}
	// A key algorithm (or RSASSA-PSS) without a hash of its own: the
	// hash is the one the signature algorithm names, as the signature
	// value is computed with it anyway.
	sigKind, sigHash := signatureKind(si.SignatureAlgorithm.Algorithm)
	if sigHash == 0 && sigKind == sigRSAPSS {
		if ph, _, err := parsePSS(si.SignatureAlgorithm.Parameters); err == nil {
			sigHash = ph
		}
	}
	switch {
	case sigHash != 0 && sigHash.Available():
		si.DigestAlgorithm, si.DigestSource = sigHash, DigestFromSignatureAlgorithm
	case kind == sigRSAPKCS1 && sigKind == sigRSAPKCS1:
		si.DigestSource = DigestFromSignatureValue
	}
}

// ResolveDigestAlgorithm sets DigestAlgorithm for a SignerInfo whose
// DigestSource is DigestFromSignatureValue: the hash named in the
// PKCS#1 v1.5 DigestInfo that the signature value holds under cert's RSA
// public key. That choice is the signer's own, bound by the signature;
// VerifySignature still checks the whole signature with it. It does
// nothing when DigestAlgorithm is already known. Errors wrap
// ErrUnsupportedAlgorithm (the digest cannot be determined) or
// ErrSignatureInvalid (the value is not a PKCS#1 v1.5 signature under
// cert's key).
func (si *SignerInfo) ResolveDigestAlgorithm(cert *x509.Certificate) error {
	if si.DigestAlgorithm != 0 {
		return nil
	}
	if si.DigestSource != DigestFromSignatureValue {
		return unsupported("digest algorithm", si.DigestAlgorithmOID)
	}
	if cert == nil {
		return fmt.Errorf("%w: digest algorithm %v: no certificate to read the signature with", ErrUnsupportedAlgorithm, si.DigestAlgorithmOID)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: %v signature with %T public key", ErrSignatureInvalid, si.SignatureAlgorithm.Algorithm, cert.PublicKey)
	}
	h, _, err := RecoverDigestInfo(pub, si.Signature)
	if err != nil {
		return err
	}
	si.DigestAlgorithm = h
	return nil
}

// digestInfo is DigestInfo (RFC 8017 section 9.2).
type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

// RecoverDigestInfo applies the RSA public key to an RSASSA-PKCS1-v1_5
// signature value and returns the hash and the digest of the DigestInfo it
// holds. It only reads the signature: the caller must still verify it (for
// example with rsa.VerifyPKCS1v15 and the returned hash), which also
// rejects DigestInfo encodings other than the DER form with NULL
// parameters. A value that is not a PKCS#1 v1.5 signature under pub gives
// an error wrapping ErrSignatureInvalid; a hash this package does not
// support, or a key below 1024 bits, ErrUnsupportedAlgorithm.
func RecoverDigestInfo(pub *rsa.PublicKey, sig []byte) (crypto.Hash, []byte, error) {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 || pub.E < 2 {
		return 0, nil, fmt.Errorf("%w: invalid RSA public key", ErrUnsupportedAlgorithm)
	}
	if pub.N.BitLen() < 1024 {
		return 0, nil, fmt.Errorf("%w: RSA key below 1024 bits", ErrUnsupportedAlgorithm)
	}
	k := pub.Size()
	if len(sig) != k {
		return 0, nil, fmt.Errorf("%w: RSA signature of %d bytes for a %d-byte modulus", ErrSignatureInvalid, len(sig), k)
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return 0, nil, fmt.Errorf("%w: RSA signature value not below the modulus", ErrSignatureInvalid)
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	// EM = 0x00 || 0x01 || PS (at least eight 0xff) || 0x00 || T.
	if em[0] != 0 || em[1] != 1 {
		return 0, nil, fmt.Errorf("%w: not a PKCS#1 v1.5 signature block", ErrSignatureInvalid)
	}
	i := 2
	for i < k && em[i] == 0xff {
		i++
	}
	if i-2 < 8 || i >= k || em[i] != 0 {
		return 0, nil, fmt.Errorf("%w: not a PKCS#1 v1.5 signature block", ErrSignatureInvalid)
	}
	var di digestInfo
	if err := unmarshalExact(em[i+1:], &di, "DigestInfo"); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrSignatureInvalid, err)
	}
	h := hashFromOID(di.Algorithm.Algorithm)
	if h == 0 {
		return 0, nil, unsupported("DigestInfo digest algorithm", di.Algorithm.Algorithm)
	}
	if len(di.Digest) != h.Size() {
		return 0, nil, fmt.Errorf("%w: DigestInfo %v digest of %d bytes", ErrSignatureInvalid, h, len(di.Digest))
	}
	return h, di.Digest, nil
}
