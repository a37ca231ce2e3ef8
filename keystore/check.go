package keystore

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CertificateReason says why a certificate cannot sign documents.
type CertificateReason int

const (
	// Expired means the certificate's validity period has ended.
	Expired CertificateReason = iota + 1
	// NotYetValid means the certificate's validity period has not begun.
	NotYetValid
	// KeyUsage means the key usage extension allows neither
	// digitalSignature nor nonRepudiation (contentCommitment).
	KeyUsage
	// ExtKeyUsage means the extended key usage extension names no purpose
	// that covers document signing.
	ExtKeyUsage
)

// String returns the reason's name.
func (r CertificateReason) String() string {
	switch r {
	case Expired:
		return "Expired"
	case NotYetValid:
		return "NotYetValid"
	case KeyUsage:
		return "KeyUsage"
	case ExtKeyUsage:
		return "ExtKeyUsage"
	}
	return fmt.Sprintf("CertificateReason(%d)", int(r))
}

// CertificateError is returned by CheckSigningCertificate.
type CertificateError struct {
	Reason CertificateReason
	Cert   *x509.Certificate
	// Detail explains the problem and what to do about it.
	Detail string
}

// Error implements error.
func (e *CertificateError) Error() string {
	return "keystore: " + e.Detail
}

var (
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 15}

	// Extended key usages accepted for PDF signatures, besides
	// anyExtendedKeyUsage and emailProtection.
	oidEKUDocumentSigning         = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}       // RFC 9336
	oidEKUAdobeAuthenticDocuments = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}       // Adobe Authentic Documents Trust
	oidEKUMicrosoftDocSigning     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12} // Microsoft Document Signing
)

// CheckSigningCertificate reports whether leaf may sign PDF documents at
// time now. It returns nil or a *CertificateError whose Reason is:
//
//   - Expired or NotYetValid if now is outside the validity period;
//   - KeyUsage if a key usage extension is present and allows neither
//     digitalSignature nor nonRepudiation (contentCommitment);
//   - ExtKeyUsage if an extended key usage extension is present and lists
//     none of anyExtendedKeyUsage, emailProtection, documentSigning
//     (1.3.6.1.5.5.7.3.36), Adobe Authentic Documents Trust
//     (1.2.840.113583.1.1.5) or Microsoft Document Signing
//     (1.3.6.1.4.1.311.10.3.12).
//
// A zero now means the current time. It does not verify the chain or
// revocation.
func CheckSigningCertificate(leaf *x509.Certificate, now time.Time) error {
	if leaf == nil {
		return errors.New("keystore: no signing certificate")
	}
	if now.IsZero() {
		now = time.Now()
	}
	who := "certificate for " + describeCert(leaf)
	fail := func(r CertificateReason, format string, args ...any) error {
		return &CertificateError{Reason: r, Cert: leaf, Detail: who + " " + fmt.Sprintf(format, args...)}
	}

	if now.After(leaf.NotAfter) {
		return fail(Expired, "expired on %s; renew it", day(leaf.NotAfter))
	}
	if now.Before(leaf.NotBefore) {
		return fail(NotYetValid, "is not valid before %s; wait until then or check the computer's clock", day(leaf.NotBefore))
	}

	if hasExtension(leaf, oidKeyUsage) &&
		leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fail(KeyUsage, "is not meant for signatures (its key usage is %s); ask the CA for a certificate with digitalSignature or nonRepudiation key usage",
			keyUsageString(leaf.KeyUsage))
	}

	if hasExtension(leaf, oidExtKeyUsage) && !signingEKU(leaf) {
		return fail(ExtKeyUsage, "is not meant for document signing (its extended key usage is %s); ask the CA for a certificate with document signing or email protection extended key usage",
			extKeyUsageString(leaf))
	}
	return nil
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

func signingEKU(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageEmailProtection {
			return true
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		if o.Equal(oidEKUDocumentSigning) || o.Equal(oidEKUAdobeAuthenticDocuments) || o.Equal(oidEKUMicrosoftDocSigning) {
			return true
		}
	}
	return false
}

func keyUsageString(ku x509.KeyUsage) string {
	names := []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var s []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	if len(s) == 0 {
		return "empty"
	}
	return strings.Join(s, ", ")
}

func extKeyUsageString(c *x509.Certificate) string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageServerAuth:      "serverAuth",
		x509.ExtKeyUsageClientAuth:      "clientAuth",
		x509.ExtKeyUsageCodeSigning:     "codeSigning",
		x509.ExtKeyUsageTimeStamping:    "timeStamping",
		x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
		x509.ExtKeyUsageIPSECEndSystem:  "ipsecEndSystem",
		x509.ExtKeyUsageIPSECTunnel:     "ipsecTunnel",
		x509.ExtKeyUsageIPSECUser:       "ipsecUser",
		x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageAny:             "any",
	}
	var s []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			s = append(s, n)
		} else {
			s = append(s, fmt.Sprintf("usage %d", int(u)))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		s = append(s, o.String())
	}
	if len(s) == 0 {
		return "empty"
	}
	return strings.Join(s, ", ")
}
