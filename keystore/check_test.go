package keystore

import (
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckSigningCertificate(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	pub := newEC(t, elliptic.P256()).Public()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	valid := func(c *x509.Certificate) {
		c.NotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		c.NotAfter = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	with := func(mods ...func(*x509.Certificate)) func(*x509.Certificate) {
		return func(c *x509.Certificate) {
			valid(c)
			for _, m := range mods {
				m(c)
			}
		}
	}
	ku := func(u x509.KeyUsage) func(*x509.Certificate) { return func(c *x509.Certificate) { c.KeyUsage = u } }
	eku := func(u ...x509.ExtKeyUsage) func(*x509.Certificate) {
		return func(c *x509.Certificate) { c.ExtKeyUsage = u; c.UnknownExtKeyUsage = nil }
	}
	ekuOID := func(o asn1.ObjectIdentifier) func(*x509.Certificate) {
		return func(c *x509.Certificate) {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{o}
		}
	}

	cases := []struct {
		name   string
		mod    func(*x509.Certificate)
		reason CertificateReason // 0: no error
		msg    []string
	}{
		{"valid", with(), 0, nil},
		{"expired", with(func(c *x509.Certificate) { c.NotAfter = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }), Expired,
			[]string{"certificate for CN=Pejabat expired on 2025-01-01; renew it"}},
		{"not yet valid", with(func(c *x509.Certificate) { c.NotBefore = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }), NotYetValid,
			[]string{"CN=Pejabat", "2026-06-01", "clock"}},
		{"key usage encipherment only", with(ku(x509.KeyUsageKeyEncipherment)), KeyUsage,
			[]string{"keyEncipherment", "digitalSignature or nonRepudiation"}},
		{"key usage nonRepudiation only", with(ku(x509.KeyUsageContentCommitment)), 0, nil},
		{"key usage digitalSignature only", with(ku(x509.KeyUsageDigitalSignature)), 0, nil},
		{"no key usage extension", with(ku(0)), 0, nil},
		{"eku server auth", with(eku(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)), ExtKeyUsage,
			[]string{"serverAuth, clientAuth", "document signing"}},
		{"eku any", with(eku(x509.ExtKeyUsageAny)), 0, nil},
		{"eku email", with(eku(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageEmailProtection)), 0, nil},
		{"eku document signing", with(ekuOID(oidEKUDocumentSigning)), 0, nil},
		{"eku adobe", with(ekuOID(oidEKUAdobeAuthenticDocuments)), 0, nil},
		{"eku microsoft document signing", with(ekuOID(oidEKUMicrosoftDocSigning)), 0, nil},
		{"eku unknown oid", with(ekuOID(asn1.ObjectIdentifier{1, 2, 3, 4})), ExtKeyUsage, []string{"1.2.3.4"}},
		{"no eku extension", with(eku()), 0, nil},
		{"expired wins over key usage", with(ku(x509.KeyUsageKeyEncipherment), func(c *x509.Certificate) {
			c.NotAfter = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
		}), Expired, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cert := pki.issue(t, "Pejabat", pub, c.mod)
			err := CheckSigningCertificate(cert, now)
			if c.reason == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ce *CertificateError
			if !errors.As(err, &ce) {
				t.Fatalf("got %T %v, want *CertificateError", err, err)
			}
			if ce.Reason != c.reason {
				t.Fatalf("reason %v, want %v (%v)", ce.Reason, c.reason, err)
			}
			if ce.Cert != cert {
				t.Error("Cert not set")
			}
			if !strings.HasPrefix(err.Error(), "keystore: ") {
				t.Errorf("missing prefix: %q", err)
			}
			for _, m := range c.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q lacks %q", err, m)
				}
			}
		})
	}

	// A zero time means now: a certificate valid today passes.
	if err := CheckSigningCertificate(pki.issue(t, "Hari Ini", pub, nil), time.Time{}); err != nil {
		t.Errorf("zero time: %v", err)
	}
	if err := CheckSigningCertificate(nil, now); err == nil {
		t.Error("nil certificate accepted")
	}
	if s := KeyUsage.String(); s != "KeyUsage" {
		t.Errorf("KeyUsage.String() = %q", s)
	}
}
