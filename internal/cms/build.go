package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// SignOptions configures SignDetached and MaxSize.
type SignOptions struct {
	// Signer produces the signature value. Its key must be RSA or ECDSA
	// (P-256, P-384 or P-521) and its public key must equal the public key
	// of Chain[0].
	Signer crypto.Signer
	// Chain is the signer certificate followed by any intermediates. All
	// of it is embedded (raw DER) in the certificates field.
	Chain []*x509.Certificate
	// Hash is the digest algorithm: crypto.SHA256 (the default when 0),
	// crypto.SHA384 or crypto.SHA512.
	Hash crypto.Hash
	// PSS selects RSASSA-PSS (salt length equal to the hash length, MGF1
	// with the same hash) instead of RSASSA-PKCS1-v1_5. RSA keys only.
	PSS bool
	// NoCertificates leaves the certificates field out (a time-stamp
	// token for a request without certReq, RFC 3161 §2.4.1). The chain is
	// still needed: it names the signer.
	NoCertificates bool
}

// plan holds everything derived from SignOptions that does not depend on
// the content digest or the signature value.
type plan struct {
	opts       SignOptions
	hash       crypto.Hash
	leaf       *x509.Certificate
	sid        []byte // IssuerAndSerialNumber
	essAttr    []byte // signing-certificate-v2 attribute
	digestAlg  []byte // AlgorithmIdentifier of hash
	sigAlg     []byte // signatureAlgorithm AlgorithmIdentifier
	signerOpts crypto.SignerOpts
	maxSigLen  int
	certs      []byte // concatenated raw certificates
}

func newPlan(opts SignOptions) (*plan, error) {
	p := &plan{opts: opts, hash: opts.Hash}
	if p.hash == 0 {
		p.hash = crypto.SHA256
	}
	switch p.hash {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return nil, fmt.Errorf("%w: unsupported hash %v", ErrInvalidOptions, p.hash)
	}
	if opts.Signer == nil {
		return nil, fmt.Errorf("%w: no signer", ErrInvalidOptions)
	}
	if len(opts.Chain) == 0 || opts.Chain[0] == nil {
		return nil, fmt.Errorf("%w: empty certificate chain", ErrInvalidOptions)
	}
	pub := opts.Signer.Public()
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(opts.Chain[0].PublicKey) {
		return nil, fmt.Errorf("%w: signer public key does not match the leaf certificate", ErrInvalidOptions)
	}
	hashOID, _ := oidFromHash(p.hash)
	p.digestAlg = derAlgID(hashOID)

	switch k := pub.(type) {
	case *rsa.PublicKey:
		p.maxSigLen = k.Size()
		if opts.PSS {
			mgf := derSequence(derOID(oidMGF1), p.digestAlg)
			params := derSequence(
				tlv(0xa0, p.digestAlg),
				tlv(0xa1, mgf),
				tlv(0xa2, derInt(int64(p.hash.Size()))),
			)
			p.sigAlg = derSequence(derOID(oidRSAPSS), params)
			p.signerOpts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: p.hash}
		} else {
			p.sigAlg = derSequence(derOID(oidRSAEncryption), derNull)
			p.signerOpts = p.hash
		}
	case *ecdsa.PublicKey:
		if opts.PSS {
			return nil, fmt.Errorf("%w: PSS requires an RSA key", ErrInvalidOptions)
		}
		if k.Curve == nil {
			return nil, fmt.Errorf("%w: ECDSA key without curve", ErrInvalidOptions)
		}
		switch name := k.Curve.Params().Name; name {
		case "P-256", "P-384", "P-521":
		default:
			return nil, fmt.Errorf("%w: unsupported curve %s", ErrInvalidOptions, name)
		}
		oid := oidECDSAWithSHA256
		switch p.hash {
		case crypto.SHA384:
			oid = oidECDSAWithSHA384
		case crypto.SHA512:
			oid = oidECDSAWithSHA512
		}
		p.sigAlg = derAlgID(oid)
		p.signerOpts = p.hash
		// DER Ecdsa-Sig-Value: SEQUENCE { r INTEGER, s INTEGER }, each at
		// most the order length plus a leading zero octet.
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		intLen := 1 + derLenLen(n+1) + n + 1
		p.maxSigLen = 1 + derLenLen(2*intLen) + 2*intLen
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalidOptions, pub)
	}

	if err := p.setLeaf(opts.Chain); err != nil {
		return nil, err
	}
	return p, nil
}

// setLeaf derives the signer identifier, the ESS signing-certificate-v2
// attribute and the certificates field from chain (leaf first).
func (p *plan) setLeaf(chain []*x509.Certificate) error {
	p.leaf = chain[0]
	if p.leaf.SerialNumber == nil {
		return fmt.Errorf("%w: leaf serial number", ErrInvalidOptions)
	}
	serial, err := derBigInt(p.leaf.SerialNumber)
	if err != nil {
		return fmt.Errorf("%w: leaf serial number", ErrInvalidOptions)
	}
	if len(p.leaf.RawIssuer) == 0 || len(p.leaf.Raw) == 0 {
		return fmt.Errorf("%w: leaf certificate lacks raw encoding", ErrInvalidOptions)
	}
	p.sid = derSequence(p.leaf.RawIssuer, serial)

	// ESS signing-certificate-v2 (RFC 5035). hashAlgorithm is omitted:
	// SHA-256 is the DEFAULT and DER forbids encoding default values.
	certHash := sha256.Sum256(p.leaf.Raw)
	issuerSerial := derSequence(
		derSequence(tlv(0xa4, p.leaf.RawIssuer)), // GeneralNames { directoryName }
		serial,
	)
	essCertID := derSequence(derOctetString(certHash[:]), issuerSerial)
	signingCertV2 := derSequence(derSequence(essCertID))
	p.essAttr = derSequence(derOID(OIDAttrSigningCertificateV2), derSetOf(signingCertV2))

	for i, c := range chain {
		if c == nil || len(c.Raw) == 0 {
			return fmt.Errorf("%w: chain certificate %d is empty", ErrInvalidOptions, i)
		}
		p.certs = append(p.certs, c.Raw...)
	}
	return nil
}

// signedAttrs returns the DER SET OF signed attributes (explicit SET tag, as
// signed): contentType, messageDigest and ESS signing-certificate-v2.
func (p *plan) signedAttrs(contentType asn1.ObjectIdentifier, digest []byte) []byte {
	return p.signedAttrsExtra(contentType, digest, Extra{})
}

// assemble encodes the ContentInfo without unsigned attributes.
func (p *plan) assemble(eContentType asn1.ObjectIdentifier, eContent, signedAttrs, sig []byte) []byte {
	return p.assembleFull(eContentType, eContent, signedAttrs, sig, nil)
}

// assembleFull encodes the ContentInfo. signedAttrs is the explicit SET
// encoding; it is embedded with the [0] IMPLICIT tag. eContent is embedded
// when non-nil. unsigned, when not empty, are DER Attributes embedded as
// [1] IMPLICIT SET OF Attribute.
func (p *plan) assembleFull(eContentType asn1.ObjectIdentifier, eContent, signedAttrs, sig []byte, unsigned [][]byte) []byte {
	parts := [][]byte{
		derInt(1),
		p.sid,
		p.digestAlg,
		append([]byte{0xa0}, signedAttrs[1:]...),
		p.sigAlg,
		derOctetString(sig),
	}
	if len(unsigned) > 0 {
		set := derSetOf(unsigned...)
		parts = append(parts, append([]byte{0xa1}, set[1:]...))
	}
	signerInfo := derSequence(parts...)
	encap := [][]byte{derOID(eContentType)}
	if eContent != nil {
		encap = append(encap, tlv(0xa0, derOctetString(eContent)))
	}
	sdParts := [][]byte{derInt(1), derSetOf(p.digestAlg), derSequence(encap...)}
	if !p.opts.NoCertificates {
		sdParts = append(sdParts, tlv(0xa0, p.certs))
	}
	sd := derSequence(append(sdParts, derSetOf(signerInfo))...)
	return derSequence(derOID(OIDSignedData), tlv(0xa0, sd))
}

// sign hashes signedAttrs, calls the Signer once and checks the result
// against the leaf public key.
func (p *plan) sign(signedAttrs []byte) ([]byte, error) {
	h := p.hash.New()
	h.Write(signedAttrs)
	sum := h.Sum(nil)
	sig, err := p.opts.Signer.Sign(rand.Reader, sum, p.signerOpts)
	if err != nil {
		return nil, fmt.Errorf("cms: signer: %w", err)
	}
	return p.checkSignature(sum, sig)
}

// checkSignature verifies sig over sum with the leaf public key and returns
// it in the encoding CMS needs. Two harmless representation quirks of
// hardware signers are repaired first: RSA signatures shorter than the
// modulus (leading zero octets dropped) are left-padded, and raw IEEE P1363
// r||s ECDSA signatures (as returned by PKCS#11 tokens) are converted to DER.
func (p *plan) checkSignature(sum, sig []byte) ([]byte, error) {
	var err error
	switch k := p.leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.Size(); len(sig) < n && len(sig) > 0 {
			sig = append(make([]byte, n-len(sig), n), sig...)
		}
		if p.opts.PSS {
			err = rsa.VerifyPSS(k, p.hash, sum, sig, &rsa.PSSOptions{SaltLength: p.hash.Size()})
		} else {
			err = rsa.VerifyPKCS1v15(k, p.hash, sum, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, sum, sig) {
			n := (k.Curve.Params().N.BitLen() + 7) / 8
			if len(sig) == 2*n {
				var der []byte
				der, err = asn1.Marshal(struct{ R, S *big.Int }{
					new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:]),
				})
				if err == nil && ecdsa.VerifyASN1(k, sum, der) {
					sig = der
					break
				}
			}
			err = errors.New("ecdsa verification failed")
		}
	default:
		err = fmt.Errorf("unexpected key type %T", k)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignatureMismatch, err)
	}
	if len(sig) > p.maxSigLen {
		return nil, fmt.Errorf("%w: signature of %d bytes exceeds the expected maximum %d", ErrSignatureMismatch, len(sig), p.maxSigLen)
	}
	return sig, nil
}

// SignDetached builds a detached CMS SignedData (ETSI.CAdES.detached, PAdES
// baseline B-B) over content whose digest under opts.Hash is digest. The
// signed attributes are exactly contentType (id-data), messageDigest and ESS
// signing-certificate-v2; there is no signingTime. It calls opts.Signer.Sign
// exactly once and verifies the result with the leaf certificate's public key,
// returning ErrSignatureMismatch if it does not verify.
func SignDetached(digest []byte, opts SignOptions) ([]byte, error) {
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	if len(digest) != p.hash.Size() {
		return nil, fmt.Errorf("%w: digest is %d bytes, %v needs %d", ErrInvalidOptions, len(digest), p.hash, p.hash.Size())
	}
	attrs := p.signedAttrs(OIDData, digest)
	sig, err := p.sign(attrs)
	if err != nil {
		return nil, err
	}
	return p.assemble(OIDData, nil, attrs, sig), nil
}

// MaxSize returns an upper bound on len(SignDetached(digest, opts)) for any
// digest, computed from the key size and the chain without calling the
// Signer. For RSA the bound is exact; for ECDSA it assumes the longest DER
// signature for the curve.
func MaxSize(opts SignOptions) (int, error) {
	p, err := newPlan(opts)
	if err != nil {
		return 0, err
	}
	return p.maxSize(), nil
}

func (p *plan) maxSize() int {
	attrs := p.signedAttrs(OIDData, make([]byte, p.hash.Size()))
	return len(p.assemble(OIDData, nil, attrs, make([]byte, p.maxSigLen)))
}
