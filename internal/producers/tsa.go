package producers

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
	"sort"
	"sync/atomic"
	"time"
)

// Object identifiers of RFC 3161 and RFC 5652 used by the test TSA.
var (
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertV2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA256WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidTestTSAPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}
	derNull              = []byte{0x05, 0x00}
	errUnsupportedTSAKey = errors.New("producers: the TSA key must be RSA or ECDSA")
)

// TSA is a time-stamping authority for tests: it issues RFC 3161 tokens
// (CMS SignedData over a TSTInfo, signed attributes contentType,
// messageDigest and ESS signing-certificate-v2) with its identity, whose
// certificate should carry the timeStamping extended key usage.
type TSA struct {
	ID Identity
	// Now gives the genTime; time.Now when nil.
	Now    func() time.Time
	serial atomic.Int64
}

// MaxSize is an upper bound on the size of a token.
func (t *TSA) MaxSize() int {
	tok, err := t.Token(make([]byte, sha256.Size))
	if err != nil {
		return 16 << 10
	}
	return len(tok) + 16
}

// Token returns a DER timestamp token whose message imprint is the
// SHA-256 digest given.
func (t *TSA) Token(digest []byte) ([]byte, error) {
	if len(t.ID.Chain) == 0 || t.ID.Key == nil {
		return nil, errors.New("producers: the TSA has no key or certificate")
	}
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	gen, err := asn1.MarshalWithParams(now.UTC().Truncate(time.Second), "generalized")
	if err != nil {
		return nil, err
	}
	algSHA256 := seq(mustOID(oidSHA256))
	tst := seq(
		mustInt(big.NewInt(1)),
		mustOID(oidTestTSAPolicy),
		seq(algSHA256, tlv(0x04, digest)),
		mustInt(big.NewInt(time.Now().UnixNano()+t.serial.Add(1))),
		gen,
	)
	leaf := t.ID.Chain[0]
	certHash := sha256.Sum256(leaf.Raw)
	essV2 := seq(seq(seq(tlv(0x04, certHash[:]))))
	md := sha256.Sum256(tst)
	attrs := [][]byte{
		seq(mustOID(oidContentType), set(mustOID(oidTSTInfo))),
		seq(mustOID(oidMessageDigest), set(tlv(0x04, md[:]))),
		seq(mustOID(oidSigningCertV2), set(essV2)),
	}
	signedAttrs := set(attrs...)
	sum := sha256.Sum256(signedAttrs)
	var sigAlg []byte
	switch leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		sigAlg = seq(mustOID(oidSHA256WithRSA), derNull)
	case *ecdsa.PublicKey:
		sigAlg = seq(mustOID(oidECDSAWithSHA256))
	default:
		return nil, errUnsupportedTSAKey
	}
	sig, err := t.ID.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	signerInfo := seq(
		mustInt(big.NewInt(1)),
		seq(leaf.RawIssuer, mustInt(leaf.SerialNumber)),
		algSHA256,
		append([]byte{0xa0}, signedAttrs[1:]...), // [0] IMPLICIT
		sigAlg,
		tlv(0x04, sig),
	)
	var certs []byte
	for _, c := range t.ID.Chain {
		certs = append(certs, c.Raw...)
	}
	sd := seq(
		mustInt(big.NewInt(3)),
		set(algSHA256),
		seq(mustOID(oidTSTInfo), tlv(0xa0, tlv(0x04, tst))),
		tlv(0xa0, certs),
		set(signerInfo),
	)
	return seq(mustOID(oidSignedData), tlv(0xa0, sd)), nil
}

// tlv encodes one DER element with a definite length.
func tlv(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, c := range content {
		out = append(out, c...)
	}
	return out
}

func seq(parts ...[]byte) []byte { return tlv(0x30, parts...) }

// set encodes a DER SET OF: the elements sorted by their encoding.
func set(elems ...[]byte) []byte {
	s := append([][]byte(nil), elems...)
	sort.Slice(s, func(i, j int) bool { return bytes.Compare(s[i], s[j]) < 0 })
	return tlv(0x31, s...)
}

func mustOID(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		panic(err)
	}
	return b
}

func mustInt(n *big.Int) []byte {
	b, err := asn1.Marshal(n)
	if err != nil {
		panic(err)
	}
	return b
}
