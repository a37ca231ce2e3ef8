package verify

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"segel/internal/cms"
	"segel/pdf"
)

// subFilterX509RSASHA1 is the ISO 32000-1 SubFilter of a bare PKCS#1
// signature with the signer's certificates in /Cert.
const subFilterX509RSASHA1 = "adbe.x509.rsa_sha1"

// maxX509Certs bounds the number of /Cert entries read.
const maxX509Certs = 64

// errNoX509Cert means the signature dictionary or its /Cert was not found.
var errNoX509Cert = errors.New("no /Cert")

// checkX509RSASHA1 verifies an adbe.x509.rsa_sha1 signature. /Contents
// holds a DER OCTET STRING (some producers wrap it in a SEQUENCE; the
// first OCTET STRING is then the signature) with an RSASSA-PKCS1-v1_5
// signature of the digest of the byte range, and /Cert the signer's
// certificate: a string, or an array of strings whose first is the
// signer's and the others its chain. The digest algorithm is the one the
// DigestInfo inside the signature names: SHA-1 by the SubFilter's name,
// SHA-256 and others since PDF 1.6. SHA-1 is treated as for
// adbe.pkcs7.sha1 and SHA-1 CMS digests: accepted.
func (v *verifier) checkX509RSASHA1(s *Signature, ranges [2][2]int64, contents []byte) {
	s.SignatureAlgorithm = "RSA"
	sig, notes, err := parsePKCS1Contents(contents)
	if err != nil {
		s.fail(TotalFailed, FormatFailure, "the adbe.x509.rsa_sha1 /Contents is not a DER OCTET STRING holding a PKCS#1 signature: "+err.Error())
		return
	}
	for _, n := range notes {
		s.warn(n)
	}
	raw, err := v.x509Certs(s)
	if err != nil {
		s.fail(Indeterminate, NoSigningCertificateFound, "the signer's certificate (/Cert of the adbe.x509.rsa_sha1 signature dictionary) cannot be read: "+err.Error())
		return
	}
	var certs []*x509.Certificate
	for i, b := range raw {
		c, quirks, err := cms.ParseCertificate(b)
		if err != nil {
			if i == 0 {
				s.fail(Indeterminate, CryptoConstraintsFailure, "the signer's certificate cannot be used: "+err.Error())
				return
			}
			s.warn(fmt.Sprintf("/Cert entry %d cannot be parsed and was ignored: %v", i+1, err))
			continue
		}
		if len(quirks) > 0 {
			s.warn(lenientWarning(cms.LenientCertificate{Index: i, Certificate: c, Quirks: quirks}))
		}
		certs = append(certs, c)
	}
	cert := certs[0]
	s.Signer = cert.Subject.String()
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		s.fail(TotalFailed, SigCryptoFailure, fmt.Sprintf("an adbe.x509.rsa_sha1 signature needs an RSA key; the signer's certificate has a %T key", cert.PublicKey))
		return
	}
	h, signed, err := cms.RecoverDigestInfo(pub, sig)
	if err != nil {
		if errors.Is(err, cms.ErrUnsupportedAlgorithm) {
			s.fail(Indeterminate, CryptoConstraintsFailure, "cannot check the signature value: "+err.Error())
		} else {
			s.fail(TotalFailed, SigCryptoFailure, "the signature value does not verify with the signer's certificate")
		}
		return
	}
	s.DigestAlgorithm = hashName(h)
	d, err := v.hashRanges(h, ranges)
	if err != nil {
		s.fail(Indeterminate, CryptoConstraintsFailure, "cannot hash the signed bytes: "+err.Error())
		return
	}
	if !bytes.Equal(d, signed) {
		s.fail(TotalFailed, HashFailure, "the signed bytes were changed: their digest does not match the signature's")
		return
	}
	s.Intact = true
	// The DigestInfo was only read above; verify the signature as a whole
	// (this also demands the DER DigestInfo with NULL parameters).
	if err := rsa.VerifyPKCS1v15(pub, h, d, sig); err != nil {
		s.fail(TotalFailed, SigCryptoFailure, "the signature value is not a valid PKCS#1 v1.5 signature of the signed bytes (its DigestInfo is not the DER form with NULL parameters)")
		return
	}
	s.Valid = true

	if chain := v.checkChain(s, cert, v.certSet(certs[1:], v.dssCerts()), v.now, false); chain != nil {
		v.checkRevocation(s, chain, nil, nil, contents)
	}
}

// parsePKCS1Contents returns the signature value of an adbe.x509.rsa_sha1
// /Contents: a DER OCTET STRING, or a SEQUENCE of OCTET STRINGs whose first
// is the signature, followed by zero padding. notes are warnings about
// the form.
func parsePKCS1Contents(contents []byte) (sig []byte, notes []string, err error) {
	n := cms.DERLength(contents)
	if n <= 0 || n > len(contents) {
		return nil, nil, errors.New("no complete DER element")
	}
	if rest := bytes.TrimRight(contents[n:], "\x00"); len(rest) > 0 {
		notes = append(notes, fmt.Sprintf("/Contents holds %d bytes after the PKCS#1 signature; they were ignored", len(contents)-n))
	}
	var rv asn1.RawValue
	if rest, err := asn1.Unmarshal(contents[:n], &rv); err != nil || len(rest) > 0 {
		return nil, nil, fmt.Errorf("not DER: %v", err)
	}
	switch {
	case rv.Class == asn1.ClassUniversal && rv.Tag == asn1.TagOctetString && !rv.IsCompound:
		return rv.Bytes, notes, nil
	case rv.Class == asn1.ClassUniversal && rv.Tag == asn1.TagSequence && rv.IsCompound:
		var parts [][]byte
		for b := rv.Bytes; len(b) > 0; {
			var e asn1.RawValue
			rest, err := asn1.Unmarshal(b, &e)
			if err != nil {
				return nil, nil, fmt.Errorf("SEQUENCE element: %v", err)
			}
			if e.Class != asn1.ClassUniversal || e.Tag != asn1.TagOctetString || e.IsCompound {
				return nil, nil, errors.New("a SEQUENCE element is not an OCTET STRING")
			}
			if len(parts) == maxX509Certs {
				return nil, nil, errors.New("too many SEQUENCE elements")
			}
			parts = append(parts, e.Bytes)
			b = rest
		}
		if len(parts) == 0 {
			return nil, nil, errors.New("an empty SEQUENCE")
		}
		note := "the PKCS#1 signature is wrapped in a SEQUENCE"
		if len(parts) > 1 {
			note += fmt.Sprintf(" of %d OCTET STRINGs; the first was verified, the other %d were not evaluated", len(parts), len(parts)-1)
		}
		return parts[0], append(notes, note), nil
	}
	return nil, nil, fmt.Errorf("a DER element of class %d, tag %d", rv.Class, rv.Tag)
}

// x509Certs returns the /Cert strings of the signature dictionary s was
// read from: the version of the field's signature dictionary whose
// /Contents string is exactly the gap of s.ByteRange, which is the version
// the signed bytes hold. /Cert is resolved in the oldest revision that has
// that version, so a later update cannot substitute an indirect /Cert.
func (v *verifier) x509Certs(s *Signature) ([][]byte, error) {
	if len(s.ByteRange) != 4 {
		return nil, fmt.Errorf("%w: the signature has no usable /ByteRange", errNoX509Cert)
	}
	gapStart, gapEnd := s.ByteRange[0]+s.ByteRange[1], s.ByteRange[2]
	for i := range v.revs {
		view, err := v.doc.Revision(i)
		if err != nil {
			continue
		}
		fields, err := view.Fields()
		if err != nil {
			continue
		}
		for _, f := range fields {
			if f.Type != "Sig" || f.Name != s.Field {
				continue
			}
			d, err := view.GetDict(f.Dict["V"])
			if err != nil || d == nil {
				continue
			}
			cs, ok := d["Contents"].(pdf.String)
			if !ok || cs.Pos != gapStart || cs.End != gapEnd {
				continue
			}
			return certStrings(view, d["Cert"])
		}
	}
	return nil, fmt.Errorf("%w: the signature dictionary was not found", errNoX509Cert)
}

// certStrings reads /Cert: a string or an array of strings.
func certStrings(view *pdf.Document, o pdf.Object) ([][]byte, error) {
	o, err := view.Resolve(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoX509Cert, err)
	}
	switch c := o.(type) {
	case pdf.String:
		return [][]byte{c.Value}, nil
	case pdf.Array:
		if len(c) == 0 || len(c) > maxX509Certs {
			return nil, fmt.Errorf("%w: /Cert is an array of %d entries", errNoX509Cert, len(c))
		}
		out := make([][]byte, 0, len(c))
		for i, e := range c {
			e, err := view.Resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%w: /Cert entry %d: %v", errNoX509Cert, i+1, err)
			}
			str, ok := e.(pdf.String)
			if !ok {
				return nil, fmt.Errorf("%w: /Cert entry %d is not a string", errNoX509Cert, i+1)
			}
			out = append(out, str.Value)
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("%w: the signature dictionary has no /Cert", errNoX509Cert)
	}
	return nil, fmt.Errorf("%w: /Cert is a %T, not a string or an array of strings", errNoX509Cert, o)
}
