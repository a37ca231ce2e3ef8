package cms

import (
	"crypto"
	"fmt"
)

// Prepared is a detached PAdES CMS SignedData waiting for its signature
// value. It is made by [PrepareDetached] and completed by
// [Prepared.Finish], for signers that cannot be called through
// [crypto.Signer] one document at a time, for example a remote key that
// signs many digests in one request.
//
// Together, PrepareDetached and Finish produce exactly what [SignDetached]
// produces, without ever calling the Signer's Sign method.
type Prepared struct {
	p        *plan
	attrs    []byte // signed attributes, explicit SET encoding
	sum      []byte // hash of attrs: the value to sign
	eType    []int  // encapsulated content type (id-data for detached)
	eContent []byte // encapsulated content, nil for detached
	sig      []byte // the accepted signature value
	done     bool
}

// PrepareDetached computes the signed attributes of a detached CMS
// SignedData over content whose digest under opts.Hash is digest, and the
// hash that must be signed. opts is checked as for [SignDetached]; its
// Signer is used only for its public key and is not asked to sign.
func PrepareDetached(digest []byte, opts SignOptions) (*Prepared, error) {
	p, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	if len(digest) != p.hash.Size() {
		return nil, fmt.Errorf("%w: digest is %d bytes, %v needs %d", ErrInvalidOptions, len(digest), p.hash, p.hash.Size())
	}
	return p.prepare(OIDData, nil, p.signedAttrs(OIDData, digest)), nil
}

// Digest returns the hash that the key must sign: the digest, under the
// signature's hash algorithm, of the DER-encoded signed attributes. The
// caller must not modify it.
func (pr *Prepared) Digest() []byte { return pr.sum }

// SignerOpts returns the options a [crypto.Signer] would be given for this
// signature: the hash as a [crypto.Hash] for PKCS#1 v1.5 and ECDSA, or an
// *[rsa.PSSOptions] (salt length equal to the hash length) for RSASSA-PSS.
func (pr *Prepared) SignerOpts() crypto.SignerOpts { return pr.p.signerOpts }

// Finish checks sig, the signature value over [Prepared.Digest], against
// the leaf certificate's public key and returns the DER ContentInfo. A
// signature that does not verify yields an error wrapping
// [ErrSignatureMismatch]. The same representation repairs as in
// [SignDetached] apply (short RSA values are left-padded, raw r||s ECDSA
// values are converted to DER). Finish succeeds at most once.
func (pr *Prepared) Finish(sig []byte) ([]byte, error) {
	if pr.done || pr.sig != nil {
		return nil, fmt.Errorf("%w: Finish called twice", ErrInvalidOptions)
	}
	if _, err := pr.Accept(sig); err != nil {
		return nil, err
	}
	return pr.Complete()
}
