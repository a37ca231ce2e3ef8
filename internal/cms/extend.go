package cms

import (
	"encoding/asn1"
	"fmt"
)

// Building what PAdES B-T and B-LT, and an RFC 3161 time-stamping
// authority, need beyond a detached B-B signature: encapsulated content (a
// TSTInfo), a revocation-information signed attribute, and unsigned
// attributes (the signature time-stamp token) added after the signature
// value is known.

// Extra are additions to the CMS SignedData a plan builds.
type Extra struct {
	// RevocationInfo, when set, is added as Adobe's
	// adbe-revocationInfoArchival signed attribute (OID 1.2.840.113583.1.1.8):
	// DER CRLs and OCSP responses that prove the signer's certificate was
	// good, signed with the signature itself (as Acrobat writes for
	// certifications that allow no later update).
	RevocationInfo *RevocationInfo
	// UnsignedReserve is the number of bytes to reserve, in MaxSizeExtra,
	// for unsigned attributes added at Complete (for example a signature
	// time-stamp token of up to this size, with its attribute framing).
	UnsignedReserve int
}

// RevocationInfo is the content of adbe-revocationInfoArchival.
type RevocationInfo struct {
	CRLs  [][]byte // DER CertificateList
	OCSPs [][]byte // DER OCSPResponse
}

// encode returns the DER Attribute built from Type and Values.
func (a Attribute) encode() []byte { return derSequence(derOID(a.Type), derSetOf(a.Values...)) }

// SignatureTimeStamp returns the unsigned attribute that holds an RFC 3161
// time-stamp token (a DER ContentInfo) over the signature value:
// id-aa-signatureTimeStampToken.
func SignatureTimeStamp(token []byte) Attribute {
	return Attribute{Type: OIDAttrTimeStampToken, Values: [][]byte{token}}
}

// encode returns the DER RevocationInfoArchival:
//
//	RevocationInfoArchival ::= SEQUENCE {
//	  crl [0] EXPLICIT SEQUENCE of CRLs OPTIONAL,
//	  ocsp [1] EXPLICIT SEQUENCE of OCSPResponse OPTIONAL,
//	  otherRevInfo [2] EXPLICIT SEQUENCE of OtherRevInfo OPTIONAL }
func (r *RevocationInfo) encode() []byte {
	var parts [][]byte
	if len(r.CRLs) > 0 {
		parts = append(parts, tlv(0xa0, derSequence(r.CRLs...)))
	}
	if len(r.OCSPs) > 0 {
		parts = append(parts, tlv(0xa1, derSequence(r.OCSPs...)))
	}
	return derSequence(parts...)
}

// signedAttrsExtra returns the signed attributes with the extra ones.
func (p *plan) signedAttrsExtra(contentType asn1.ObjectIdentifier, digest []byte, x Extra) []byte {
	attrs := [][]byte{
		derSequence(derOID(OIDAttrContentType), derSetOf(derOID(contentType))),
		derSequence(derOID(OIDAttrMessageDigest), derSetOf(derOctetString(digest))),
		p.essAttr,
	}
	if x.RevocationInfo != nil {
		attrs = append(attrs, derSequence(derOID(OIDAttrAdbeRevocationInfoArchival), derSetOf(x.RevocationInfo.encode())))
	}
	return derSetOf(attrs...)
}

// PrepareDetachedExtra is PrepareDetached with extra signed attributes; the
// result is completed with Complete, which may add unsigned attributes.
func PrepareDetachedExtra(digest []byte, opts SignOptions, x Extra) (*Prepared, error) {
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	if len(digest) != p.hash.Size() {
		return nil, fmt.Errorf("%w: digest is %d bytes, %v needs %d", ErrInvalidOptions, len(digest), p.hash, p.hash.Size())
	}
	return p.prepare(OIDData, nil, p.signedAttrsExtra(OIDData, digest, x)), nil
}

// PrepareEncapsulated prepares a CMS SignedData that encapsulates content
// of the given type (for a time-stamping authority: id-ct-TSTInfo and the
// DER TSTInfo). The signed attributes are contentType, messageDigest (of
// content) and ESS signing-certificate-v2, as RFC 3161 with RFC 5816 asks.
func PrepareEncapsulated(contentType asn1.ObjectIdentifier, content []byte, opts SignOptions) (*Prepared, error) {
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	h := p.hash.New()
	h.Write(content)
	return p.prepare(contentType, content, p.signedAttrsExtra(contentType, h.Sum(nil), Extra{})), nil
}

func (p *plan) prepare(contentType asn1.ObjectIdentifier, content, attrs []byte) *Prepared {
	h := p.hash.New()
	h.Write(attrs)
	return &Prepared{p: p, attrs: attrs, sum: h.Sum(nil), eType: contentType, eContent: content}
}

// Accept checks sig, the signature value over [Prepared.Digest], against
// the leaf certificate (with the repairs Finish makes) and returns the
// value as it will be embedded: what a signature time-stamp must cover
// (its message imprint is the hash of these bytes). Complete then
// assembles the ContentInfo.
func (pr *Prepared) Accept(sig []byte) ([]byte, error) {
	if pr.sig != nil {
		return nil, fmt.Errorf("%w: Accept called twice", ErrInvalidOptions)
	}
	sig, err := pr.p.checkSignature(pr.sum, sig)
	if err != nil {
		return nil, err
	}
	pr.sig = sig
	return sig, nil
}

// Complete returns the DER ContentInfo with the signature value given to
// Accept and the unsigned attributes, in order.
func (pr *Prepared) Complete(unsigned ...Attribute) ([]byte, error) {
	if pr.sig == nil {
		return nil, fmt.Errorf("%w: Complete before Accept", ErrInvalidOptions)
	}
	var ua [][]byte
	for _, a := range unsigned {
		ua = append(ua, a.encode())
	}
	pr.done = true
	return pr.p.assembleFull(pr.eType, pr.eContent, pr.attrs, pr.sig, ua), nil
}

// MaxSizeExtra is MaxSize for a signature with the extra signed attributes
// and x.UnsignedReserve bytes of unsigned attributes.
func MaxSizeExtra(opts SignOptions, x Extra) (int, error) {
	p, err := newPlan(opts)
	if err != nil {
		return 0, err
	}
	attrs := p.signedAttrsExtra(OIDData, make([]byte, p.hash.Size()), x)
	n := len(p.assembleFull(OIDData, nil, attrs, make([]byte, p.maxSigLen), nil))
	if x.UnsignedReserve > 0 {
		// [1] IMPLICIT SET OF Attribute: tag, length, and the attribute's
		// own SEQUENCE, OID and SET framing around the value.
		n += 2 + derLenLen(x.UnsignedReserve+32) + x.UnsignedReserve + 32
		// The SignerInfo, SET OF SignerInfo, SignedData, [0] and
		// ContentInfo lengths may each grow by up to 2 bytes.
		n += 5 * 2
	}
	return n, nil
}
