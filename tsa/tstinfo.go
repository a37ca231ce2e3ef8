package tsa

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The ASN.1 of RFC 3161 that the authority writes. Requests are read with
// github.com/digitorus/timestamp; the TSTInfo is written here because its
// genTime must carry fractions of a second, which encoding/asn1 does not
// write.

var (
	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidEKU          = asn1.ObjectIdentifier{2, 5, 29, 37}
	hashOIDs        = map[crypto.Hash]asn1.ObjectIdentifier{
		crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
		crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
		crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
		crypto.SHA1:   {1, 3, 14, 3, 2, 26},
	}
)

// DefaultPolicy is the policy OID the authority names when none is
// configured: a private arc that says "segel development TSA", not a
// qualified policy.
var DefaultPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 65535, 1, 1}

type algID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type messageImprint struct {
	HashAlgorithm algID
	HashedMessage []byte
}

type accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"tag:0,optional"`
	Micros  int `asn1:"tag:1,optional"`
}

// tstInfo is encoded field by field: genTime is a raw GeneralizedTime.
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        asn1.RawValue
	Accuracy       accuracy      `asn1:"optional"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional"`
}

// generalizedTime encodes t (UTC) as a DER GeneralizedTime with
// milliseconds, trailing zeros of the fraction dropped as DER requires.
func generalizedTime(t time.Time) asn1.RawValue {
	t = t.UTC().Truncate(time.Millisecond)
	s := t.Format("20060102150405")
	if ms := t.Nanosecond() / int(time.Millisecond); ms != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", ms), "0")
	}
	s += "Z"
	return asn1.RawValue{Tag: asn1.TagGeneralizedTime, Class: asn1.ClassUniversal, Bytes: []byte(s)}
}

// marshalTSTInfo writes the TSTInfo of one token.
func marshalTSTInfo(policy asn1.ObjectIdentifier, h crypto.Hash, hashed []byte, serial *big.Int, gen time.Time, acc time.Duration, nonce *big.Int, tsaName []byte) ([]byte, error) {
	oid, ok := hashOIDs[h]
	if !ok {
		return nil, fmt.Errorf("tsa: no OID for hash %v", h)
	}
	ti := tstInfo{
		Version:        1,
		Policy:         policy,
		MessageImprint: messageImprint{HashAlgorithm: algID{Algorithm: oid, Parameters: asn1.NullRawValue}, HashedMessage: hashed},
		SerialNumber:   serial,
		GenTime:        generalizedTime(gen),
		Nonce:          nonce,
	}
	if acc > 0 {
		secs := int(acc / time.Second)
		rest := acc % time.Second
		ti.Accuracy = accuracy{Seconds: secs, Millis: int(rest / time.Millisecond), Micros: int(rest%time.Millisecond) / int(time.Microsecond)}
	}
	if len(tsaName) > 0 {
		// tsa [0] GeneralName, GeneralName directoryName [4] Name: both
		// tags explicit (a CHOICE is always tagged explicitly).
		dn, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: tsaName})
		if err != nil {
			return nil, err
		}
		ti.TSA = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: dn}
	}
	return asn1.Marshal(ti)
}

// pkiStatusInfo and timeStampResp are the response.
type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"` // UTF8Strings
	FailInfo     asn1.BitString  `asn1:"optional"`
}

type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

// Failure reasons (PKIFailureInfo bit positions, RFC 3161 §2.4.2).
const (
	failBadAlg              = 0
	failBadRequest          = 2
	failBadDataFormat       = 5
	failTimeNotAvailable    = 14
	failUnacceptedPolicy    = 15
	failUnacceptedExtension = 16
	failSystemFailure       = 25
)

// marshalResponse writes a granted response with the token, or a rejection
// with a failure bit and a reason.
func marshalResponse(token []byte, fail int, reason string) ([]byte, error) {
	if token != nil {
		return asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: 0}, TimeStampToken: asn1.RawValue{FullBytes: token}})
	}
	bits := asn1.BitString{Bytes: make([]byte, fail/8+1), BitLength: fail + 1}
	bits.Bytes[fail/8] |= 0x80 >> uint(fail%8)
	text := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(reason)}
	return asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: 2, StatusString: []asn1.RawValue{text}, FailInfo: bits}})
}

// CheckCertificate checks that c may sign time-stamp tokens as RFC 3161
// §2.3 asks: an extended key usage extension, marked critical, whose only
// purpose is timeStamping; a key usage, if present, that allows
// digitalSignature or nonRepudiation; valid at t.
func CheckCertificate(c *x509.Certificate, t time.Time) error {
	var eku *[]asn1.ObjectIdentifier
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidEKU) {
			continue
		}
		if !e.Critical {
			return fmt.Errorf("%w: its extended key usage is not marked critical", ErrCertificate)
		}
		var oids []asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(e.Value, &oids); err != nil {
			return fmt.Errorf("%w: its extended key usage cannot be read: %v", ErrCertificate, err)
		}
		eku = &oids
	}
	if eku == nil {
		return fmt.Errorf("%w: it has no extended key usage timeStamping", ErrCertificate)
	}
	if len(*eku) != 1 || !(*eku)[0].Equal(oidTimeStamping) {
		return fmt.Errorf("%w: its extended key usage must be timeStamping only", ErrCertificate)
	}
	if c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("%w: its key usage allows neither digitalSignature nor nonRepudiation", ErrCertificate)
	}
	if t.Before(c.NotBefore) || t.After(c.NotAfter) {
		return fmt.Errorf("%w: it is not valid at %s (valid %s to %s)", ErrCertificate, t.UTC().Format(time.RFC3339), c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// CertificateRequestExtensions are the extensions a time-stamping
// authority's certificate request carries so that a CA signing it
// verbatim issues what [CheckCertificate] accepts: extended key usage
// timeStamping alone, critical, and key usage digitalSignature, critical.
func CertificateRequestExtensions() []pkix.Extension {
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x80}, BitLength: 1})
	return []pkix.Extension{
		{Id: oidEKU, Critical: true, Value: eku},
		{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Critical: true, Value: ku},
	}
}

// ParseOID reads a dotted object identifier such as a TSA policy
// ("1.3.6.1.4.1.601.10.3.1").
func ParseOID(s string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("tsa: %q is not a dotted object identifier", s)
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("tsa: %q is not a dotted object identifier", s)
		}
		oid[i] = n
	}
	return oid, nil
}
