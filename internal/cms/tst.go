package cms

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strconv"
	"time"
)

// MessageImprint is the messageImprint of a TSTInfo.
type MessageImprint struct {
	// HashAlgorithm is the hash, or 0 when unknown (see HashAlgorithmOID).
	HashAlgorithm crypto.Hash
	// HashAlgorithmOID is the hash algorithm OID as written.
	HashAlgorithmOID asn1.ObjectIdentifier
	// HashedMessage is the hash of the timestamped data.
	HashedMessage []byte
}

// TSTInfo is an RFC 3161 TSTInfo, the encapsulated content of a timestamp
// token.
type TSTInfo struct {
	// Version is the TSTInfo version (1).
	Version int
	// Policy is the TSA policy under which the token was issued.
	Policy asn1.ObjectIdentifier
	// MessageImprint identifies the timestamped data.
	MessageImprint MessageImprint
	// SerialNumber is the token serial number.
	SerialNumber *big.Int
	// GenTime is the time of the timestamp (UTC), including fractional
	// seconds.
	GenTime time.Time
	// Accuracy is the accuracy of GenTime, or 0 when absent.
	Accuracy time.Duration
	// Ordering is the ordering flag.
	Ordering bool
	// Nonce is the nonce copied from the request, or nil.
	Nonce *big.Int
	// TSARaw is the DER GeneralName of the tsa field, or nil.
	TSARaw []byte
	// Extensions holds the extensions, if any.
	Extensions []pkix.Extension
}

type messageImprintASN struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type accuracyASN struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

type tstInfoASN struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprintASN
	SerialNumber   *big.Int
	GenTime        asn1.RawValue
	Accuracy       accuracyASN      `asn1:"optional"`
	Ordering       bool             `asn1:"optional"`
	Nonce          *big.Int         `asn1:"optional"`
	TSA            asn1.RawValue    `asn1:"optional,tag:0"`
	Extensions     []pkix.Extension `asn1:"optional,tag:1"`
}

// ParseTSTInfo parses the DER (or BER) TSTInfo carried as the EContent of a
// timestamp token (EContentType OIDTSTInfo).
func ParseTSTInfo(eContent []byte) (*TSTInfo, error) {
	if len(eContent) > MaxInputSize {
		return nil, fmt.Errorf("%w: TSTInfo of %d bytes", ErrTooLarge, len(eContent))
	}
	der, consumed, _, err := normalizeBER(eContent)
	if err != nil {
		return nil, fmt.Errorf("%w (in TSTInfo)", err)
	}
	if consumed != len(eContent) {
		return nil, malformed("TSTInfo: trailing data")
	}
	var raw tstInfoASN
	if err := unmarshalExact(der, &raw, "TSTInfo"); err != nil {
		return nil, err
	}
	if raw.SerialNumber == nil {
		return nil, malformed("TSTInfo: missing serial number")
	}
	if !isUniversal(raw.GenTime, asn1.TagGeneralizedTime, false) {
		return nil, malformed("TSTInfo: genTime is not a GeneralizedTime")
	}
	gt, err := parseGeneralizedTime(raw.GenTime.Bytes)
	if err != nil {
		return nil, err
	}
	a := raw.Accuracy
	if a.Seconds < 0 || a.Millis < 0 || a.Millis > 999 || a.Micros < 0 || a.Micros > 999 || a.Seconds > 1<<30 {
		return nil, malformed("TSTInfo: invalid accuracy")
	}
	t := &TSTInfo{
		Version: raw.Version,
		Policy:  raw.Policy,
		MessageImprint: MessageImprint{
			HashAlgorithm:    hashFromOID(raw.MessageImprint.HashAlgorithm.Algorithm),
			HashAlgorithmOID: raw.MessageImprint.HashAlgorithm.Algorithm,
			HashedMessage:    raw.MessageImprint.HashedMessage,
		},
		SerialNumber: raw.SerialNumber,
		GenTime:      gt,
		Accuracy: time.Duration(a.Seconds)*time.Second +
			time.Duration(a.Millis)*time.Millisecond +
			time.Duration(a.Micros)*time.Microsecond,
		Ordering:   raw.Ordering,
		Nonce:      raw.Nonce,
		Extensions: raw.Extensions,
	}
	if len(raw.TSA.FullBytes) > 0 {
		// tsa [0] EXPLICIT GeneralName: keep the GeneralName.
		if !raw.TSA.IsCompound {
			return nil, malformed("TSTInfo: tsa is not [0] EXPLICIT")
		}
		name, err := element(raw.TSA.Bytes, "TSTInfo tsa")
		if err != nil {
			return nil, err
		}
		t.TSARaw = name.FullBytes
	}
	if len(t.Extensions) == 0 {
		t.Extensions = nil
	}
	return t, nil
}

// parseGeneralizedTime parses YYYYMMDDHHMMSS[.f+]Z as used by RFC 3161. It is
// more lenient than encoding/asn1 about trailing zeros in the fraction, which
// some TSAs emit.
func parseGeneralizedTime(b []byte) (time.Time, error) {
	s := string(b)
	bad := func() (time.Time, error) {
		return time.Time{}, malformed("TSTInfo: invalid genTime %q", s)
	}
	if len(s) < 15 || s[len(s)-1] != 'Z' {
		return bad()
	}
	for i := 0; i < 14; i++ {
		if s[i] < '0' || s[i] > '9' {
			return bad()
		}
	}
	num := func(i, n int) int {
		v, _ := strconv.Atoi(s[i : i+n])
		return v
	}
	year, month, day := num(0, 4), num(4, 2), num(6, 2)
	hour, minute, sec := num(8, 2), num(10, 2), num(12, 2)
	nsec := 0
	frac := s[14 : len(s)-1]
	if frac != "" {
		if frac[0] != '.' && frac[0] != ',' || len(frac) < 2 || len(frac) > 10 {
			return bad()
		}
		scale := 100000000
		for _, c := range frac[1:] {
			if c < '0' || c > '9' {
				return bad()
			}
			nsec += int(c-'0') * scale
			scale /= 10
		}
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return bad()
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day && sec != 60 {
		return bad() // e.g. February 30
	}
	return t, nil
}
