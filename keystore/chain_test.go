package keystore

import (
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"
)

func reparse(t *testing.T, c *x509.Certificate) *x509.Certificate {
	t.Helper()
	d, err := x509.ParseCertificate(append([]byte(nil), c.Raw...))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOrderChain(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	// A second intermediate below the first: root -> inter -> sub -> leaf.
	subKey := newEC(t, elliptic.P256())
	subTmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: "Sub CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour * 24 * 365),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	sub := createCert(t, subTmpl, pki.inter, subKey.Public(), pki.interKey)
	key := newEC(t, elliptic.P256())
	leafTmpl := leafTemplate("Leaf")
	leaf := createCert(t, leafTmpl, sub, key.Public(), subKey)
	unrelated := newPKI(t, "Unrelated Root").root

	cases := []struct {
		name string
		in   []*x509.Certificate
		want []*x509.Certificate
	}{
		{"already ordered", []*x509.Certificate{leaf, sub, pki.inter, pki.root}, []*x509.Certificate{leaf, sub, pki.inter, pki.root}},
		{"reversed", []*x509.Certificate{pki.root, pki.inter, sub, leaf}, []*x509.Certificate{leaf, sub, pki.inter, pki.root}},
		{"shuffled with duplicates and stranger",
			[]*x509.Certificate{unrelated, pki.inter, reparse(t, pki.root), leaf, nil, sub, reparse(t, pki.inter), pki.root, reparse(t, leaf)},
			[]*x509.Certificate{leaf, sub, pki.inter, pki.root, unrelated}},
		{"gap in chain", []*x509.Certificate{pki.root, leaf, pki.inter}, []*x509.Certificate{leaf, pki.root, pki.inter}},
		{"leaf only", []*x509.Certificate{leaf}, []*x509.Certificate{leaf}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := orderChain(key.Public(), c.in)
			if err != nil {
				t.Fatal(err)
			}
			checkChain(t, memKey{chain: got}, c.want...)
		})
	}

	t.Run("renewed certificate for the same key", func(t *testing.T) {
		newer := leafTemplate("Leaf Renewed")
		newer.NotBefore = time.Now().Add(-time.Minute)
		renewed := createCert(t, newer, sub, key.Public(), subKey)
		got, err := orderChain(key.Public(), []*x509.Certificate{leaf, pki.inter, renewed, sub})
		if err != nil {
			t.Fatal(err)
		}
		checkChain(t, memKey{chain: got}, renewed, sub, pki.inter, leaf)
	})

	t.Run("no match", func(t *testing.T) {
		_, err := orderChain(newEC(t, elliptic.P256()).Public(), []*x509.Certificate{leaf, sub})
		if !errors.Is(err, ErrCertificateMismatch) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if _, err := orderChain(key.Public(), nil); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestOpenOrdersPEMChain(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Urut", key.Public(), nil)
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "k.pem", append(pemBlock("PRIVATE KEY", pkcs8DER(t, key)), certsPEM(pki.root, pki.inter, pki.root, leaf)...))
	k, err := openFileRef(t, keyFile, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkChain(t, k, leaf, pki.inter, pki.root)

	// Chain returns a copy.
	k.Chain()[0] = nil
	if k.Chain()[0] == nil {
		t.Error("Chain exposes the key's internal slice")
	}
}
