package cms

import (
	"bytes"
	"encoding/asn1"
	"math/big"
	"slices"
)

// Minimal DER construction helpers for the builder. Inputs are trusted
// (produced by this package or taken from parsed certificates).

// tlv encodes a single-byte-tag element whose content is the concatenation of
// parts.
func tlv(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, 1+derLenLen(n)+n)
	out = append(out, tag)
	out = appendDERLen(out, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func derSequence(parts ...[]byte) []byte { return tlv(0x30, parts...) }

func derOctetString(b []byte) []byte { return tlv(0x04, b) }

// derSetOf encodes a SET OF with its components in DER order (ascending
// encodings).
func derSetOf(elems ...[]byte) []byte {
	sorted := slices.Clone(elems)
	slices.SortFunc(sorted, bytes.Compare)
	return tlv(0x31, sorted...)
}

func derOID(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		// Only constant, well-formed OIDs are passed here.
		panic("cms: marshal OID: " + err.Error())
	}
	return b
}

func derInt(v int64) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic("cms: marshal INTEGER: " + err.Error())
	}
	return b
}

func derBigInt(v *big.Int) ([]byte, error) {
	return asn1.Marshal(v)
}

// derAlgID encodes an AlgorithmIdentifier with absent parameters.
func derAlgID(oid asn1.ObjectIdentifier) []byte { return derSequence(derOID(oid)) }

// derNull is the DER NULL value.
var derNull = []byte{0x05, 0x00}

// DERLength returns the length of the DER element at the start of b
// (header included), or 0 for an indefinite or invalid length: where a
// CMS in a signature's /Contents ends and its zero padding begins.
func DERLength(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l
	}
	n := l & 0x7f
	if n == 0 || n > 4 || len(b) < 2+n {
		return 0
	}
	l = 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return 2 + n + l
}
