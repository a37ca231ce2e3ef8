package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Limits enforced by Parse.
const (
	// MaxInputSize is the largest input Parse accepts, including padding.
	MaxInputSize = 4 << 20
	// MaxCertificates is the largest number of entries accepted in the
	// certificates field.
	MaxCertificates = 1000
	// MaxSigners is the largest number of SignerInfos accepted.
	MaxSigners = 64
	// maxAttributes bounds the number of attributes per attribute set.
	maxAttributes = 1024
)

// SignedData is a parsed CMS SignedData (RFC 5652 section 5.1).
type SignedData struct {
	// Version is the SignedData version field.
	Version int
	// DigestAlgorithms lists the digestAlgorithms field.
	DigestAlgorithms []pkix.AlgorithmIdentifier
	// EContentType is the encapsulated content type (id-data for PDF
	// signatures, id-ct-TSTInfo for timestamp tokens).
	EContentType asn1.ObjectIdentifier
	// EContent holds the octets of the encapsulated content, or nil when
	// the content is detached.
	EContent []byte
	// Certificates holds the certificates that parsed successfully, in
	// order of appearance.
	Certificates []*x509.Certificate
	// CertificateErrors holds one error per entry of the certificates
	// field that could not be used (unparseable certificate or a
	// non-certificate choice such as an attribute certificate).
	CertificateErrors []error
	// LenientCertificates lists the certificates that crypto/x509 refuses
	// for the string types of their names and that [ParseCertificate]
	// read anyway; they are also in Certificates.
	LenientCertificates []LenientCertificate
	// CRLs holds the raw DER of each entry of the crls field
	// (RevocationInfoChoice), unparsed.
	CRLs [][]byte
	// Signers lists the SignerInfos.
	Signers []*SignerInfo
	// Raw is the DER (or DER-normalised) ContentInfo that was parsed,
	// without trailing padding.
	Raw []byte
	// BER reports whether the input was not DER and had to be normalised
	// (indefinite lengths, constructed strings, non-minimal lengths).
	BER bool
}

// Attribute is a CMS attribute with its values kept as raw DER.
type Attribute struct {
	// Type is the attribute type OID.
	Type asn1.ObjectIdentifier
	// Values holds the DER encoding of each attribute value.
	Values [][]byte
	// Raw is the DER encoding of the whole Attribute SEQUENCE.
	Raw []byte
}

// IssuerSerial is the IssuerSerial of an ESSCertID(v2) (RFC 5035).
type IssuerSerial struct {
	// DirectoryNames holds the raw DER Name of every directoryName entry
	// of the issuer GeneralNames.
	DirectoryNames [][]byte
	// RawIssuer is the DER encoding of the GeneralNames.
	RawIssuer []byte
	// SerialNumber is the certificate serial number.
	SerialNumber *big.Int
}

// ESSCertID is an entry of an ESS signing-certificate (ESSCertID, SHA-1) or
// signing-certificate-v2 (ESSCertIDv2) attribute.
type ESSCertID struct {
	// HashAlgorithm is the hash of CertHash, or 0 when the algorithm is
	// unknown or unavailable (see HashAlgorithmOID).
	HashAlgorithm crypto.Hash
	// HashAlgorithmOID is the hash algorithm OID (SHA-1 for ESSCertID,
	// SHA-256 when omitted in ESSCertIDv2).
	HashAlgorithmOID asn1.ObjectIdentifier
	// CertHash is the hash of the certificate's DER encoding.
	CertHash []byte
	// IssuerSerial is the optional issuer and serial number.
	IssuerSerial *IssuerSerial
}

// SignerInfo is a parsed CMS SignerInfo (RFC 5652 section 5.3).
type SignerInfo struct {
	// Version is the SignerInfo version (1 or 3).
	Version int
	// IssuerRaw is the DER issuer Name of an issuerAndSerialNumber signer
	// identifier (nil when the subjectKeyIdentifier form is used).
	IssuerRaw []byte
	// SerialNumber is the serial of an issuerAndSerialNumber identifier.
	SerialNumber *big.Int
	// SubjectKeyID is the subjectKeyIdentifier form of the signer
	// identifier (nil when issuerAndSerialNumber is used).
	SubjectKeyID []byte

	// DigestAlgorithm is the digest algorithm, or 0 when it is unknown or
	// unavailable (see DigestAlgorithmOID). When digestAlgorithm names a
	// signature or key algorithm instead, it is the hash taken from where
	// DigestSource says.
	DigestAlgorithm crypto.Hash
	// DigestAlgorithmOID is the digestAlgorithm OID as written.
	DigestAlgorithmOID asn1.ObjectIdentifier
	// DigestSource says where DigestAlgorithm comes from: DigestFromField
	// unless digestAlgorithm names a signature or key algorithm.
	DigestSource DigestSource
	// SignatureAlgorithm is the signatureAlgorithm as written.
	SignatureAlgorithm pkix.AlgorithmIdentifier
	// Signature is the signature value.
	Signature []byte

	// HasSignedAttributes reports whether signedAttrs is present.
	HasSignedAttributes bool
	// SignedAttributes lists the signed attributes in encoded order.
	SignedAttributes []Attribute
	// RawSignedAttributes is the SET OF (tag 0x31) encoding of the signed
	// attributes in the order they appear in the input: the input bytes
	// when the input was DER, their DER normalisation when it was BER. It
	// is what the signature covers.
	RawSignedAttributes []byte
	// UnsignedAttributes lists the unsigned attributes.
	UnsignedAttributes []Attribute

	// ContentType is the contentType signed attribute, if present.
	ContentType asn1.ObjectIdentifier
	// MessageDigest is the messageDigest signed attribute, if present.
	MessageDigest []byte
	// SigningTime is the signingTime signed attribute, if present.
	SigningTime *time.Time
	// SigningCertificateV2 lists the ESSCertIDv2 entries of a
	// signing-certificate-v2 signed attribute (nil when absent).
	SigningCertificateV2 []ESSCertID
	// SigningCertificateV1 lists the ESSCertID entries of a
	// signing-certificate signed attribute (nil when absent).
	SigningCertificateV1 []ESSCertID
	// RevocationInfoArchival is the raw DER value of an
	// adbe-revocationInfoArchival signed attribute, if present.
	RevocationInfoArchival []byte
	// TimestampTokens holds the raw DER ContentInfo of every
	// id-aa-signatureTimeStampToken unsigned attribute value.
	TimestampTokens [][]byte

	hasSCv1, hasSCv2 bool
	eContentType     asn1.ObjectIdentifier
	sortedAttrs      []byte // DER-sorted re-encoding, when it differs from RawSignedAttributes
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// element reads exactly one DER element from b, with no trailing data.
func element(b []byte, what string) (asn1.RawValue, error) {
	var rv asn1.RawValue
	rest, err := asn1.Unmarshal(b, &rv)
	if err != nil {
		return rv, malformed("%s: %v", what, err)
	}
	if len(rest) != 0 {
		return rv, malformed("%s: trailing data", what)
	}
	return rv, nil
}

// elements splits the concatenated DER elements in b. It fails with
// ErrTooLarge if there are more than max of them.
func elements(b []byte, max int, what string) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(b) > 0 {
		if len(out) >= max {
			return nil, fmt.Errorf("%w: %s: more than %d elements", ErrTooLarge, what, max)
		}
		var rv asn1.RawValue
		rest, err := asn1.Unmarshal(b, &rv)
		if err != nil {
			return nil, malformed("%s: %v", what, err)
		}
		out = append(out, rv)
		b = rest
	}
	return out, nil
}

// fields splits the fields of a SEQUENCE with at most max fields; more
// fields are a structural error.
func fields(b []byte, max int, what string) ([]asn1.RawValue, error) {
	f, err := elements(b, max+1, what)
	if err != nil {
		return nil, err
	}
	if len(f) > max {
		return nil, malformed("%s: more than %d fields", what, max)
	}
	return f, nil
}

func isUniversal(rv asn1.RawValue, tag int, compound bool) bool {
	return rv.Class == asn1.ClassUniversal && rv.Tag == tag && rv.IsCompound == compound
}

func isContext(rv asn1.RawValue, tag int, compound bool) bool {
	return rv.Class == asn1.ClassContextSpecific && rv.Tag == tag && rv.IsCompound == compound
}

// unmarshalExact decodes b into v and rejects trailing data.
func unmarshalExact(b []byte, v any, what string) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return malformed("%s: %v", what, err)
	}
	if len(rest) != 0 {
		return malformed("%s: trailing data", what)
	}
	return nil
}

func parseAlgID(rv asn1.RawValue, what string) (pkix.AlgorithmIdentifier, error) {
	var ai pkix.AlgorithmIdentifier
	if !isUniversal(rv, asn1.TagSequence, true) {
		return ai, malformed("%s: not a SEQUENCE", what)
	}
	err := unmarshalExact(rv.FullBytes, &ai, what)
	return ai, err
}

// Parse parses a DER- or BER-encoded ContentInfo holding a SignedData. The
// input may be followed by zero padding (as in a PDF /Contents string);
// trailing non-zero bytes are an error. Inputs over MaxInputSize, with more
// than MaxCertificates certificates or more than MaxSigners signers fail with
// ErrTooLarge; structural problems fail with ErrMalformed. Unparseable
// certificates do not fail the parse; they are listed in CertificateErrors.
// The result may share memory with b.
func Parse(b []byte) (*SignedData, error) {
	return ParseWith(b, ParseCertificate)
}

// CertificateParser parses one DER certificate as [ParseCertificate] does.
type CertificateParser func(der []byte) (*x509.Certificate, []NameQuirk, error)

// ParseWith is [Parse] reading the certificates with parseCert (for
// example one that answers certificates seen before from a cache; the
// certificates it returns may then be shared and must not be modified).
func ParseWith(b []byte, parseCert CertificateParser) (*SignedData, error) {
	if len(b) > MaxInputSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, len(b), MaxInputSize)
	}
	der, consumed, changed, err := normalizeBER(b)
	if err != nil {
		return nil, err
	}
	for i := consumed; i < len(b); i++ {
		if b[i] != 0 {
			return nil, malformed("non-zero trailing data at offset %d", i)
		}
	}
	sd := &SignedData{Raw: der, BER: changed}

	ci, err := element(der, "ContentInfo")
	if err != nil {
		return nil, err
	}
	if !isUniversal(ci, asn1.TagSequence, true) {
		return nil, malformed("ContentInfo is not a SEQUENCE")
	}
	parts, err := fields(ci.Bytes, 2, "ContentInfo")
	if err != nil {
		return nil, err
	}
	if len(parts) != 2 {
		return nil, malformed("ContentInfo has %d fields", len(parts))
	}
	var ct asn1.ObjectIdentifier
	if err := unmarshalExact(parts[0].FullBytes, &ct, "ContentInfo contentType"); err != nil {
		return nil, err
	}
	if !ct.Equal(OIDSignedData) {
		return nil, malformed("content type %v is not id-signedData", ct)
	}
	if !isContext(parts[1], 0, true) {
		return nil, malformed("ContentInfo content is not [0] EXPLICIT")
	}
	sdv, err := element(parts[1].Bytes, "SignedData")
	if err != nil {
		return nil, err
	}
	if !isUniversal(sdv, asn1.TagSequence, true) {
		return nil, malformed("SignedData is not a SEQUENCE")
	}
	if err := sd.parseSignedData(sdv.Bytes, parseCert); err != nil {
		return nil, err
	}
	return sd, nil
}

func (sd *SignedData) parseSignedData(b []byte, parseCert CertificateParser) error {
	f, err := fields(b, 6, "SignedData")
	if err != nil {
		return err
	}
	if len(f) < 4 {
		return malformed("SignedData has %d fields", len(f))
	}
	if err := unmarshalExact(f[0].FullBytes, &sd.Version, "SignedData version"); err != nil {
		return err
	}
	if !isUniversal(f[1], asn1.TagSet, true) {
		return malformed("SignedData digestAlgorithms is not a SET")
	}
	algs, err := elements(f[1].Bytes, 64, "digestAlgorithms")
	if err != nil {
		return err
	}
	for _, a := range algs {
		ai, err := parseAlgID(a, "digestAlgorithms")
		if err != nil {
			return err
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, ai)
	}
	if err := sd.parseEncap(f[2]); err != nil {
		return err
	}
	i := 3
	if i < len(f) && isContext(f[i], 0, true) {
		if err := sd.parseCertificates(f[i].Bytes, parseCert); err != nil {
			return err
		}
		i++
	}
	if i < len(f) && isContext(f[i], 1, true) {
		crls, err := elements(f[i].Bytes, MaxCertificates, "crls")
		if err != nil {
			return err
		}
		for _, c := range crls {
			sd.CRLs = append(sd.CRLs, c.FullBytes)
		}
		i++
	}
	if i != len(f)-1 {
		return malformed("SignedData has unexpected fields")
	}
	if !isUniversal(f[i], asn1.TagSet, true) {
		return malformed("SignedData signerInfos is not a SET")
	}
	sis, err := elements(f[i].Bytes, MaxSigners, "signerInfos")
	if err != nil {
		return err
	}
	for n, s := range sis {
		si, err := parseSignerInfo(s)
		if err != nil {
			return fmt.Errorf("%w (signerInfo %d)", err, n)
		}
		si.eContentType = sd.EContentType
		sd.Signers = append(sd.Signers, si)
	}
	return nil
}

func (sd *SignedData) parseEncap(rv asn1.RawValue) error {
	if !isUniversal(rv, asn1.TagSequence, true) {
		return malformed("encapContentInfo is not a SEQUENCE")
	}
	f, err := fields(rv.Bytes, 2, "encapContentInfo")
	if err != nil {
		return err
	}
	if len(f) == 0 {
		return malformed("encapContentInfo is empty")
	}
	if err := unmarshalExact(f[0].FullBytes, &sd.EContentType, "eContentType"); err != nil {
		return err
	}
	if len(f) == 2 {
		if !isContext(f[1], 0, true) {
			return malformed("eContent is not [0] EXPLICIT")
		}
		oct, err := element(f[1].Bytes, "eContent")
		if err != nil {
			return err
		}
		if !isUniversal(oct, asn1.TagOctetString, false) {
			return malformed("eContent is not an OCTET STRING")
		}
		sd.EContent = slices.Clip(oct.Bytes)
		if sd.EContent == nil {
			sd.EContent = []byte{}
		}
	}
	return nil
}

func (sd *SignedData) parseCertificates(b []byte, parseCert CertificateParser) error {
	certs, err := elements(b, MaxCertificates, "certificates")
	if err != nil {
		return err
	}
	for i, c := range certs {
		if !isUniversal(c, asn1.TagSequence, true) {
			sd.CertificateErrors = append(sd.CertificateErrors,
				fmt.Errorf("cms: certificate %d: unsupported CertificateChoices [%d]", i, c.Tag))
			continue
		}
		cert, quirks, err := parseCert(c.FullBytes)
		if err != nil {
			sd.CertificateErrors = append(sd.CertificateErrors, fmt.Errorf("cms: certificate %d: %w", i, err))
			continue
		}
		if len(quirks) > 0 {
			sd.LenientCertificates = append(sd.LenientCertificates, LenientCertificate{Index: i, Certificate: cert, Quirks: quirks})
		}
		sd.Certificates = append(sd.Certificates, cert)
	}
	return nil
}

func parseSignerInfo(rv asn1.RawValue) (*SignerInfo, error) {
	if !isUniversal(rv, asn1.TagSequence, true) {
		return nil, malformed("SignerInfo is not a SEQUENCE")
	}
	f, err := fields(rv.Bytes, 7, "SignerInfo")
	if err != nil {
		return nil, err
	}
	if len(f) < 5 {
		return nil, malformed("SignerInfo has %d fields", len(f))
	}
	si := &SignerInfo{}
	if err := unmarshalExact(f[0].FullBytes, &si.Version, "SignerInfo version"); err != nil {
		return nil, err
	}
	switch sid := f[1]; {
	case isUniversal(sid, asn1.TagSequence, true):
		var ias struct {
			Issuer asn1.RawValue
			Serial *big.Int
		}
		if err := unmarshalExact(sid.FullBytes, &ias, "issuerAndSerialNumber"); err != nil {
			return nil, err
		}
		if !isUniversal(ias.Issuer, asn1.TagSequence, true) {
			return nil, malformed("issuerAndSerialNumber issuer is not a Name")
		}
		si.IssuerRaw = ias.Issuer.FullBytes
		si.SerialNumber = ias.Serial
	case isContext(sid, 0, false):
		si.SubjectKeyID = sid.Bytes
		if si.SubjectKeyID == nil {
			si.SubjectKeyID = []byte{}
		}
	default:
		return nil, malformed("unknown SignerIdentifier")
	}
	da, err := parseAlgID(f[2], "SignerInfo digestAlgorithm")
	if err != nil {
		return nil, err
	}
	si.DigestAlgorithmOID = da.Algorithm
	si.DigestAlgorithm = hashFromOID(da.Algorithm)
	i := 3
	if isContext(f[i], 0, true) {
		si.HasSignedAttributes = true
		// The signature covers the explicit SET OF encoding: replace the
		// [0] IMPLICIT tag (a single octet) by SET.
		raw := slices.Clone(f[i].FullBytes)
		raw[0] = 0x31
		si.RawSignedAttributes = raw
		attrs, err := parseAttributes(f[i].Bytes, "signedAttrs")
		if err != nil {
			return nil, err
		}
		si.SignedAttributes = attrs
		if err := si.interpretSignedAttributes(); err != nil {
			return nil, err
		}
		enc := make([][]byte, len(attrs))
		for j, a := range attrs {
			enc[j] = a.Raw
		}
		if sorted := derSetOf(enc...); !bytes.Equal(sorted, raw) {
			si.sortedAttrs = sorted
		}
		i++
	}
	if i+1 >= len(f) {
		return nil, malformed("SignerInfo lacks signature fields")
	}
	if si.SignatureAlgorithm, err = parseAlgID(f[i], "SignerInfo signatureAlgorithm"); err != nil {
		return nil, err
	}
	if !isUniversal(f[i+1], asn1.TagOctetString, false) {
		return nil, malformed("SignerInfo signature is not an OCTET STRING")
	}
	si.Signature = f[i+1].Bytes
	si.resolveDigest()
	i += 2
	if i < len(f) {
		if !isContext(f[i], 1, true) {
			return nil, malformed("SignerInfo has unexpected field after signature")
		}
		attrs, err := parseAttributes(f[i].Bytes, "unsignedAttrs")
		if err != nil {
			return nil, err
		}
		si.UnsignedAttributes = attrs
		for _, a := range attrs {
			if a.Type.Equal(OIDAttrTimeStampToken) {
				si.TimestampTokens = append(si.TimestampTokens, a.Values...)
			}
		}
		i++
	}
	if i != len(f) {
		return nil, malformed("SignerInfo has trailing fields")
	}
	return si, nil
}

func parseAttributes(b []byte, what string) ([]Attribute, error) {
	list, err := elements(b, maxAttributes, what)
	if err != nil {
		return nil, err
	}
	attrs := make([]Attribute, 0, len(list))
	for _, rv := range list {
		if !isUniversal(rv, asn1.TagSequence, true) {
			return nil, malformed("%s: attribute is not a SEQUENCE", what)
		}
		f, err := fields(rv.Bytes, 2, what)
		if err != nil {
			return nil, err
		}
		if len(f) != 2 || !isUniversal(f[1], asn1.TagSet, true) {
			return nil, malformed("%s: attribute is not {type, SET OF value}", what)
		}
		a := Attribute{Raw: rv.FullBytes}
		if err := unmarshalExact(f[0].FullBytes, &a.Type, what+" attribute type"); err != nil {
			return nil, err
		}
		vals, err := elements(f[1].Bytes, maxAttributes, what+" values")
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			a.Values = append(a.Values, v.FullBytes)
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

// singleValue returns the only value of a signed attribute that RFC 5652 /
// RFC 5035 require to be single-valued and unique.
func singleValue(a Attribute, seen map[string]bool, name string) ([]byte, error) {
	if seen[name] {
		return nil, malformed("signedAttrs: duplicate %s attribute", name)
	}
	seen[name] = true
	if len(a.Values) != 1 {
		return nil, malformed("signedAttrs: %s attribute has %d values", name, len(a.Values))
	}
	return a.Values[0], nil
}

func (si *SignerInfo) interpretSignedAttributes() error {
	seen := map[string]bool{}
	for _, a := range si.SignedAttributes {
		switch {
		case a.Type.Equal(OIDAttrContentType):
			v, err := singleValue(a, seen, "contentType")
			if err != nil {
				return err
			}
			var oid asn1.ObjectIdentifier
			if err := unmarshalExact(v, &oid, "contentType attribute"); err != nil {
				return err
			}
			si.ContentType = oid
		case a.Type.Equal(OIDAttrMessageDigest):
			v, err := singleValue(a, seen, "messageDigest")
			if err != nil {
				return err
			}
			var md []byte
			if err := unmarshalExact(v, &md, "messageDigest attribute"); err != nil {
				return err
			}
			if md == nil {
				md = []byte{}
			}
			si.MessageDigest = md
		case a.Type.Equal(OIDAttrSigningTime):
			v, err := singleValue(a, seen, "signingTime")
			if err != nil {
				return err
			}
			var t time.Time
			if err := unmarshalExact(v, &t, "signingTime attribute"); err != nil {
				return err
			}
			si.SigningTime = &t
		case a.Type.Equal(OIDAttrSigningCertificateV2):
			v, err := singleValue(a, seen, "signingCertificateV2")
			if err != nil {
				return err
			}
			ids, err := parseSigningCertificate(v, true)
			if err != nil {
				return err
			}
			si.SigningCertificateV2, si.hasSCv2 = ids, true
		case a.Type.Equal(OIDAttrSigningCertificate):
			v, err := singleValue(a, seen, "signingCertificate")
			if err != nil {
				return err
			}
			ids, err := parseSigningCertificate(v, false)
			if err != nil {
				return err
			}
			si.SigningCertificateV1, si.hasSCv1 = ids, true
		case a.Type.Equal(OIDAttrAdbeRevocationInfoArchival):
			v, err := singleValue(a, seen, "adbe-revocationInfoArchival")
			if err != nil {
				return err
			}
			si.RevocationInfoArchival = v
		}
	}
	return nil
}

// parseSigningCertificate parses SigningCertificate (v2=false) or
// SigningCertificateV2 (v2=true). The policies field is ignored.
func parseSigningCertificate(b []byte, v2 bool) ([]ESSCertID, error) {
	what := "signingCertificate"
	if v2 {
		what = "signingCertificateV2"
	}
	top, err := element(b, what)
	if err != nil {
		return nil, err
	}
	if !isUniversal(top, asn1.TagSequence, true) {
		return nil, malformed("%s is not a SEQUENCE", what)
	}
	f, err := fields(top.Bytes, 2, what)
	if err != nil {
		return nil, err
	}
	if len(f) == 0 || !isUniversal(f[0], asn1.TagSequence, true) {
		return nil, malformed("%s: certs is not a SEQUENCE", what)
	}
	if len(f) == 2 && !isUniversal(f[1], asn1.TagSequence, true) {
		return nil, malformed("%s: policies is not a SEQUENCE", what)
	}
	list, err := elements(f[0].Bytes, MaxCertificates, what)
	if err != nil {
		return nil, err
	}
	ids := make([]ESSCertID, 0, len(list))
	for _, rv := range list {
		if !isUniversal(rv, asn1.TagSequence, true) {
			return nil, malformed("%s: ESSCertID is not a SEQUENCE", what)
		}
		g, err := fields(rv.Bytes, 3, what)
		if err != nil {
			return nil, err
		}
		var id ESSCertID
		j := 0
		if v2 {
			id.HashAlgorithmOID = oidSHA256
			if j < len(g) && isUniversal(g[j], asn1.TagSequence, true) {
				ai, err := parseAlgID(g[j], what+" hashAlgorithm")
				if err != nil {
					return nil, err
				}
				id.HashAlgorithmOID = ai.Algorithm
				j++
			}
		} else {
			id.HashAlgorithmOID = oidSHA1
		}
		id.HashAlgorithm = hashFromOID(id.HashAlgorithmOID)
		if j >= len(g) || !isUniversal(g[j], asn1.TagOctetString, false) {
			return nil, malformed("%s: certHash is not an OCTET STRING", what)
		}
		id.CertHash = g[j].Bytes
		j++
		if j < len(g) {
			is, err := parseIssuerSerial(g[j])
			if err != nil {
				return nil, err
			}
			id.IssuerSerial = is
			j++
		}
		if j != len(g) {
			return nil, malformed("%s: ESSCertID has trailing fields", what)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func parseIssuerSerial(rv asn1.RawValue) (*IssuerSerial, error) {
	if !isUniversal(rv, asn1.TagSequence, true) {
		return nil, malformed("issuerSerial is not a SEQUENCE")
	}
	f, err := fields(rv.Bytes, 3, "issuerSerial")
	if err != nil {
		return nil, err
	}
	if len(f) != 2 || !isUniversal(f[0], asn1.TagSequence, true) {
		return nil, malformed("issuerSerial is not {GeneralNames, serialNumber}")
	}
	is := &IssuerSerial{RawIssuer: f[0].FullBytes}
	names, err := elements(f[0].Bytes, 64, "issuerSerial issuer")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if isContext(n, 4, true) {
			name, err := element(n.Bytes, "issuerSerial directoryName")
			if err != nil {
				return nil, err
			}
			is.DirectoryNames = append(is.DirectoryNames, name.FullBytes)
		}
	}
	if err := unmarshalExact(f[1].FullBytes, &is.SerialNumber, "issuerSerial serialNumber"); err != nil {
		return nil, err
	}
	return is, nil
}
