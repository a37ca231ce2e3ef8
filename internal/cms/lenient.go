package cms

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// NameQuirk is one attribute value of a certificate's issuer or subject
// name that crypto/x509 refuses and that [ParseCertificate] re-encoded.
type NameQuirk struct {
	// Field is "issuer" or "subject".
	Field string
	// Type is the attribute type, for example 2.5.4.3 (commonName).
	Type asn1.ObjectIdentifier
	// Problem is what crypto/x509 objects to, for example "a
	// PrintableString with characters outside the PrintableString set".
	Problem string
	// Shown is the text that stands for the value in the parsed
	// pkix.Name: an approximation of the string, or "#" and the hex DER
	// of a value that is not a string (RFC 4514 section 2.4).
	Shown string
}

// String describes the quirk for messages.
func (q NameQuirk) String() string {
	return fmt.Sprintf("%s %s is %s (shown as %q)", q.Field, attributeName(q.Type), q.Problem, q.Shown)
}

// LenientCertificate is an entry of a SignedData's certificates field that
// crypto/x509 refuses because of its name strings and that
// [ParseCertificate] read anyway.
type LenientCertificate struct {
	// Index is its position in the certificates field.
	Index int
	// Certificate is the parsed certificate (also in
	// SignedData.Certificates).
	Certificate *x509.Certificate
	// Quirks lists the re-encoded name values.
	Quirks []NameQuirk
}

// Quirks returns the name quirks of c if it is one of sd's lenient
// certificates, else nil.
func (sd *SignedData) Quirks(c *x509.Certificate) []NameQuirk {
	for _, l := range sd.LenientCertificates {
		if l.Certificate == c {
			return l.Quirks
		}
	}
	return nil
}

// ParseCertificate parses one DER certificate like x509.ParseCertificate,
// except that a certificate crypto/x509 refuses only because of attribute
// values of its issuer or subject name is read anyway. Such values are a
// PrintableString, IA5String or NumericString with characters outside its
// set, a UTF8String that is not UTF-8, a BMPString that is not UCS-2, a
// string type crypto/x509 does not read (UniversalString, VisibleString,
// GeneralString, ...), or a value that is not a string at all.
//
// Those values, and nothing else, are re-encoded as UTF8Strings holding an
// approximation of their text, and the result is parsed by crypto/x509.
// Raw, RawTBSCertificate, RawIssuer and RawSubject are then set back to the
// original bytes: the issuer's signature on the certificate is checked over
// what the issuer signed, and names are chained, matched and hashed (for
// OCSP and CRLs) as written. Everything else (version, serial number,
// validity, public key, extensions, signature) is parsed by crypto/x509, with
// its usual checks, from bytes identical to the original. Only the text of
// the re-encoded values in Subject, Issuer and their Names is not the
// certificate's: use it for display only.
//
// quirks lists the re-encoded values; it is empty when crypto/x509 accepts
// the certificate as it is. A certificate refused for any other reason, or
// whose containers are not DER, gives crypto/x509's error.
func ParseCertificate(der []byte) (cert *x509.Certificate, quirks []NameQuirk, err error) {
	cert, err = x509.ParseCertificate(der)
	if err == nil {
		return cert, nil, nil
	}
	re, rerr := reencodeNames(der)
	if rerr != nil || len(re.quirks) == 0 {
		return nil, nil, err
	}
	fixed, err2 := x509.ParseCertificate(re.der)
	if err2 != nil {
		return nil, nil, fmt.Errorf("%w (and after re-encoding %d name value(s): %v)", err, len(re.quirks), err2)
	}
	fixed.Raw = der[:len(der):len(der)]
	fixed.RawTBSCertificate = re.tbs
	fixed.RawIssuer = re.issuer
	fixed.RawSubject = re.subject
	return fixed, re.quirks, nil
}

// reencoded is a certificate with refused name values re-encoded, and the
// original TBS, issuer and subject encodings.
type reencoded struct {
	der                  []byte
	tbs, issuer, subject []byte
	quirks               []NameQuirk
}

func reencodeNames(der []byte) (*reencoded, error) {
	outer, err := element(der, "certificate")
	if err != nil {
		return nil, err
	}
	if !isUniversal(outer, asn1.TagSequence, true) {
		return nil, malformed("certificate is not a SEQUENCE")
	}
	cf, err := fields(outer.Bytes, 3, "certificate")
	if err != nil {
		return nil, err
	}
	if len(cf) != 3 || !isUniversal(cf[0], asn1.TagSequence, true) {
		return nil, malformed("certificate is not {tbsCertificate, signatureAlgorithm, signature}")
	}
	tf, err := fields(cf[0].Bytes, 10, "tbsCertificate")
	if err != nil {
		return nil, err
	}
	i := 0
	if len(tf) > 0 && isContext(tf[0], 0, true) {
		i = 1 // version
	}
	if len(tf) < i+6 {
		return nil, malformed("tbsCertificate has %d fields", len(tf))
	}
	issuer, subject := tf[i+2], tf[i+4]
	if !isUniversal(issuer, asn1.TagSequence, true) || !isUniversal(subject, asn1.TagSequence, true) {
		return nil, malformed("tbsCertificate issuer or subject is not a Name")
	}
	re := &reencoded{tbs: cf[0].FullBytes, issuer: issuer.FullBytes, subject: subject.FullBytes}
	newIssuer, q, err := reencodeName(issuer.FullBytes, "issuer")
	if err != nil {
		return nil, err
	}
	re.quirks = append(re.quirks, q...)
	newSubject, q, err := reencodeName(subject.FullBytes, "subject")
	if err != nil {
		return nil, err
	}
	re.quirks = append(re.quirks, q...)
	rebuild := func(iss, sub []byte) []byte {
		parts := make([][]byte, len(tf))
		for j := range tf {
			parts[j] = tf[j].FullBytes
		}
		parts[i+2], parts[i+4] = iss, sub
		return derSequence(derSequence(parts...), cf[1].FullBytes, cf[2].FullBytes)
	}
	// The containers rebuilt here must be DER already: rebuilding them
	// unchanged must give the input back, so that nothing but the
	// re-encoded values differs from what the issuer signed.
	if !bytes.Equal(rebuild(issuer.FullBytes, subject.FullBytes), der) {
		return nil, malformed("certificate is not DER")
	}
	re.der = rebuild(newIssuer, newSubject)
	return re, nil
}

// reencodeName returns the DER Name raw with every attribute value that
// crypto/x509 refuses replaced by a UTF8String, and what was replaced.
func reencodeName(raw []byte, field string) ([]byte, []NameQuirk, error) {
	name, err := element(raw, field)
	if err != nil {
		return nil, nil, err
	}
	rdns, err := elements(name.Bytes, maxAttributes, field)
	if err != nil {
		return nil, nil, err
	}
	var quirks []NameQuirk
	var outRDNs, sameRDNs [][]byte
	for _, rdn := range rdns {
		if !isUniversal(rdn, asn1.TagSet, true) {
			return nil, nil, malformed("%s: RDN is not a SET", field)
		}
		atvs, err := elements(rdn.Bytes, maxAttributes, field)
		if err != nil {
			return nil, nil, err
		}
		var outATVs, sameATVs [][]byte
		for _, atv := range atvs {
			if !isUniversal(atv, asn1.TagSequence, true) {
				return nil, nil, malformed("%s: attribute is not a SEQUENCE", field)
			}
			f, err := fields(atv.Bytes, 2, field)
			if err != nil {
				return nil, nil, err
			}
			if len(f) != 2 {
				return nil, nil, malformed("%s: attribute is not {type, value}", field)
			}
			var typ asn1.ObjectIdentifier
			if err := unmarshalExact(f[0].FullBytes, &typ, field+" attribute type"); err != nil {
				return nil, nil, err
			}
			value := f[1].FullBytes
			if problem := refusedValue(f[1]); problem != "" {
				shown := approximateText(f[1])
				quirks = append(quirks, NameQuirk{Field: field, Type: typ, Problem: problem, Shown: shown})
				value = tlv(asn1.TagUTF8String, []byte(shown))
			}
			outATVs = append(outATVs, derSequence(f[0].FullBytes, value))
			sameATVs = append(sameATVs, derSequence(f[0].FullBytes, f[1].FullBytes))
		}
		outRDNs = append(outRDNs, tlv(0x31, outATVs...))
		sameRDNs = append(sameRDNs, tlv(0x31, sameATVs...))
	}
	if !bytes.Equal(derSequence(sameRDNs...), raw) {
		return nil, nil, malformed("%s is not DER", field)
	}
	return derSequence(outRDNs...), quirks, nil
}

// Universal string tags that encoding/asn1 has no constant for.
const (
	tagVideotexString  = 21
	tagGraphicString   = 25
	tagVisibleString   = 26
	tagGeneralString   = 27
	tagUniversalString = 28
)

var stringTypeNames = map[int]string{
	asn1.TagUTF8String:      "UTF8String",
	asn1.TagNumericString:   "NumericString",
	asn1.TagPrintableString: "PrintableString",
	asn1.TagT61String:       "TeletexString",
	tagVideotexString:       "VideotexString",
	asn1.TagIA5String:       "IA5String",
	tagGraphicString:        "GraphicString",
	tagVisibleString:        "VisibleString",
	tagGeneralString:        "GeneralString",
	tagUniversalString:      "UniversalString",
	asn1.TagBMPString:       "BMPString",
}

// printable is the PrintableString set as crypto/x509 reads it (which
// also lets '*' and '&' through).
func printable(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte(" '()+,-./:=?*&", b) >= 0
}

// refusedValue says why crypto/x509 (as of Go 1.26) refuses an attribute
// value of a Name, or returns "" when it reads it. It must not miss a
// refusal that a re-encoding would cure; a miss only means the certificate
// stays refused.
func refusedValue(v asn1.RawValue) string {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return fmt.Sprintf("a value of class %d, tag %d, not a string", v.Class, v.Tag)
	}
	b := v.Bytes
	switch v.Tag {
	case asn1.TagT61String:
		return "" // read as Latin-1
	case asn1.TagPrintableString:
		for _, c := range b {
			if !printable(c) {
				return "a PrintableString with characters outside the PrintableString set"
			}
		}
		return ""
	case asn1.TagUTF8String:
		if !utf8.Valid(b) {
			return "a UTF8String that is not valid UTF-8"
		}
		return ""
	case asn1.TagIA5String:
		for _, c := range b {
			if c >= utf8.RuneSelf {
				return "an IA5String with characters outside ASCII"
			}
		}
		return ""
	case asn1.TagNumericString:
		for _, c := range b {
			if !('0' <= c && c <= '9' || c == ' ') {
				return "a NumericString with characters other than digits and space"
			}
		}
		return ""
	case asn1.TagBMPString:
		if len(b)%2 != 0 {
			return "a BMPString of odd length"
		}
		if n := len(b); n >= 2 && b[n-1] == 0 && b[n-2] == 0 {
			b = b[:n-2]
		}
		for j := 0; j+1 < len(b); j += 2 {
			p := uint16(b[j])<<8 | uint16(b[j+1])
			if p == 0xfffe || p == 0xffff || (p >= 0xfdd0 && p <= 0xfdef) || (p >= 0xd800 && p <= 0xdfff) {
				return "a BMPString with UTF-16 surrogates or non-characters (not UCS-2)"
			}
		}
		return ""
	}
	if n, ok := stringTypeNames[v.Tag]; ok {
		return "a " + n + ", which crypto/x509 does not read"
	}
	return fmt.Sprintf("a value of universal tag %d, not a string", v.Tag)
}

// approximateText renders a refused value as text: 8-bit strings as UTF-8
// when they are valid UTF-8 and as Latin-1 otherwise, UTF-8 with
// replacement characters, BMPString as UTF-16 and UniversalString as UCS-4
// (invalid units replaced), and anything else as "#" and its hex DER.
func approximateText(v asn1.RawValue) string {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "#" + hex.EncodeToString(v.FullBytes)
	}
	b := v.Bytes
	switch v.Tag {
	case asn1.TagUTF8String:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case asn1.TagBMPString:
		if n := len(b); n >= 2 && n%2 == 0 && b[n-1] == 0 && b[n-2] == 0 {
			b = b[:n-2]
		}
		u := make([]uint16, 0, len(b)/2)
		for j := 0; j+1 < len(b); j += 2 {
			u = append(u, uint16(b[j])<<8|uint16(b[j+1]))
		}
		s := string(utf16.Decode(u))
		if len(b)%2 != 0 {
			s += "\uFFFD"
		}
		return s
	case tagUniversalString:
		var sb strings.Builder
		for j := 0; j < len(b); j += 4 {
			if j+4 > len(b) {
				sb.WriteRune(utf8.RuneError)
				break
			}
			r := rune(uint32(b[j])<<24 | uint32(b[j+1])<<16 | uint32(b[j+2])<<8 | uint32(b[j+3]))
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		}
		return sb.String()
	}
	if _, ok := stringTypeNames[v.Tag]; !ok {
		return "#" + hex.EncodeToString(v.FullBytes)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for j, c := range b {
		r[j] = rune(c) // Latin-1
	}
	return string(r)
}

var attributeNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{asn1.ObjectIdentifier{2, 5, 4, 3}, "CN"},
	{asn1.ObjectIdentifier{2, 5, 4, 4}, "SN"},
	{asn1.ObjectIdentifier{2, 5, 4, 5}, "serialNumber"},
	{asn1.ObjectIdentifier{2, 5, 4, 6}, "C"},
	{asn1.ObjectIdentifier{2, 5, 4, 7}, "L"},
	{asn1.ObjectIdentifier{2, 5, 4, 8}, "ST"},
	{asn1.ObjectIdentifier{2, 5, 4, 9}, "street"},
	{asn1.ObjectIdentifier{2, 5, 4, 10}, "O"},
	{asn1.ObjectIdentifier{2, 5, 4, 11}, "OU"},
	{asn1.ObjectIdentifier{2, 5, 4, 12}, "title"},
	{asn1.ObjectIdentifier{2, 5, 4, 42}, "GN"},
	{asn1.ObjectIdentifier{2, 5, 4, 97}, "organizationIdentifier"},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, "emailAddress"},
}

func attributeName(oid asn1.ObjectIdentifier) string {
	for _, a := range attributeNames {
		if a.oid.Equal(oid) {
			return a.name
		}
	}
	return oid.String()
}
