package cms

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"testing"
)

// Test-only encoders for building SignedData structures with arbitrary
// (including non-conforming) contents.

type sdParts struct {
	version      int64
	digestAlgs   [][]byte
	eContentType asn1.ObjectIdentifier
	eContent     []byte   // nil: detached
	certs        [][]byte // nil: field omitted
	crls         [][]byte // nil: field omitted
	signers      [][]byte
}

func (s sdParts) encode() []byte {
	encap := [][]byte{derOID(s.eContentType)}
	if s.eContent != nil {
		encap = append(encap, tlv(0xa0, derOctetString(s.eContent)))
	}
	fields := [][]byte{derInt(s.version), tlv(0x31, s.digestAlgs...), derSequence(encap...)}
	if s.certs != nil {
		fields = append(fields, tlv(0xa0, s.certs...))
	}
	if s.crls != nil {
		fields = append(fields, tlv(0xa1, s.crls...))
	}
	fields = append(fields, tlv(0x31, s.signers...))
	return derSequence(derOID(OIDSignedData), tlv(0xa0, derSequence(fields...)))
}

type siParts struct {
	version     int64
	sid         []byte
	digestAlg   []byte
	signedAttrs []byte // explicit SET encoding (0x31), nil: omitted
	sigAlg      []byte
	sig         []byte
	unsigned    []byte // explicit SET encoding (0x31), nil: omitted
}

func (s siParts) encode() []byte {
	f := [][]byte{derInt(s.version), s.sid, s.digestAlg}
	if s.signedAttrs != nil {
		f = append(f, append([]byte{0xa0}, s.signedAttrs[1:]...))
	}
	f = append(f, s.sigAlg, derOctetString(s.sig))
	if s.unsigned != nil {
		f = append(f, append([]byte{0xa1}, s.unsigned[1:]...))
	}
	return derSequence(f...)
}

// attr encodes an Attribute with the given DER values (kept in order).
func attr(oid asn1.ObjectIdentifier, values ...[]byte) []byte {
	return derSequence(derOID(oid), tlv(0x31, values...))
}

// signRaw signs msg (hashing it with h unless the key is Ed25519) the way
// signatureAlgorithm kind expects.
func signRaw(t testing.TB, k crypto.Signer, h crypto.Hash, msg []byte, pss bool) []byte {
	t.Helper()
	var (
		sig []byte
		err error
	)
	switch {
	case pss:
		sig, err = k.Sign(rand.Reader, digestOf(h, msg), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h})
	default:
		if _, ok := k.(ed25519.PrivateKey); ok {
			sig, err = k.Sign(rand.Reader, msg, crypto.Hash(0))
		} else {
			sig, err = k.Sign(rand.Reader, digestOf(h, msg), h)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// basicParts returns a plan-derived signer info and SignedData for pki
// signing content digest with hash h, with the standard attributes. Callers
// mutate the parts to build variants.
func basicParts(t testing.TB, pki *testPKI, h crypto.Hash, digest []byte) (*plan, sdParts, siParts) {
	t.Helper()
	p := &plan{hash: h}
	if err := p.setLeaf(pki.chain()); err != nil {
		t.Fatal(err)
	}
	hashOID, _ := oidFromHash(h)
	p.digestAlg = derAlgID(hashOID)
	attrs := p.signedAttrs(OIDData, digest)
	si := siParts{version: 1, sid: p.sid, digestAlg: p.digestAlg, signedAttrs: attrs}
	var certs [][]byte
	for _, c := range pki.chain() {
		certs = append(certs, c.Raw)
	}
	sd := sdParts{version: 1, digestAlgs: [][]byte{p.digestAlg}, eContentType: OIDData, certs: certs}
	return p, sd, si
}
