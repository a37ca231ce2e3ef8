package devca_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/keystore"
)

func newCA(t *testing.T, opts devca.Options) *devca.CA {
	t.Helper()
	ca, err := devca.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t *testing.T, ca *devca.CA, req devca.LeafRequest) *devca.Identity {
	t.Helper()
	id, err := ca.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCASubjectsAreLabelled(t *testing.T) {
	ca := newCA(t, devca.Options{})
	for _, c := range []*x509.Certificate{ca.Root, ca.Intermediate} {
		if !strings.Contains(c.Subject.CommonName, "NOT FOR PRODUCTION") || c.Subject.Country[0] != "ID" {
			t.Errorf("subject %q is not clearly labelled", c.Subject)
		}
		if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 || len(c.SubjectKeyId) == 0 {
			t.Errorf("%s: not a proper CA certificate", c.Subject.CommonName)
		}
		if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Errorf("%s: default CA key is %T, want ECDSA", c.Subject.CommonName, c.PublicKey)
		}
	}
	if got := ca.Root.Subject.String(); got != "CN=SEGEL DEVELOPMENT ROOT CA - NOT FOR PRODUCTION,O=segel development,C=ID" {
		t.Errorf("root subject %q", got)
	}
	if !ca.Intermediate.MaxPathLenZero || ca.Intermediate.MaxPathLen != 0 {
		t.Error("intermediate should have pathLen 0")
	}
	if err := ca.Intermediate.CheckSignatureFrom(ca.Root); err != nil {
		t.Error(err)
	}
}

func TestLeafDefaultsAndChain(t *testing.T) {
	now := time.Date(2025, 1, 15, 3, 0, 0, 0, time.UTC)
	ca := newCA(t, devca.Options{Now: now})
	id := issue(t, ca, devca.LeafRequest{CommonName: "Siti Rahmawati", Organization: "Pemerintah Kabupaten Tuban",
		OrganizationalUnit: "Diskominfo", Email: "siti@example.go.id"})
	c := id.Cert
	if len(id.Chain) != 2 || id.Chain[0] != c || id.Chain[1] != ca.Intermediate {
		t.Fatalf("chain = %v, want leaf + intermediate", id.Chain)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("KeyUsage = %b", c.KeyUsage)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageEmailProtection {
		t.Errorf("ExtKeyUsage = %v", c.ExtKeyUsage)
	}
	if len(c.UnknownExtKeyUsage) != 1 || !c.UnknownExtKeyUsage[0].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}) {
		t.Errorf("UnknownExtKeyUsage = %v", c.UnknownExtKeyUsage)
	}
	if len(c.SubjectKeyId) == 0 || string(c.AuthorityKeyId) != string(ca.Intermediate.SubjectKeyId) {
		t.Error("SKI/AKI missing or wrong")
	}
	if len(c.EmailAddresses) != 1 || c.EmailAddresses[0] != "siti@example.go.id" {
		t.Errorf("email SAN = %v", c.EmailAddresses)
	}
	if c.IsCA {
		t.Error("leaf is a CA")
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 || c.SerialNumber.BitLen() < 64 {
		t.Errorf("serial %v is not a random positive 128-bit number", c.SerialNumber)
	}
	if !c.NotBefore.Equal(now.Add(-time.Hour)) || !c.NotAfter.Equal(now.AddDate(2, 0, 0)) {
		t.Errorf("validity %v .. %v", c.NotBefore, c.NotAfter)
	}
	if k, ok := id.Key.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("default leaf key %T", id.Key)
	}
	_, err := c.Verify(x509.VerifyOptions{
		Roots:         ca.RootPool(),
		Intermediates: ca.IntermediatePool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		CurrentTime:   now,
	})
	if err != nil {
		t.Errorf("chain does not verify: %v", err)
	}
	// Another CA's root must not verify it.
	other := newCA(t, devca.Options{Now: now})
	if _, err := c.Verify(x509.VerifyOptions{Roots: other.RootPool(), Intermediates: ca.IntermediatePool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: now}); err == nil {
		t.Error("leaf verifies against a foreign root")
	}
	if a, b := c.SerialNumber, issue(t, ca, devca.LeafRequest{CommonName: "x"}).Cert.SerialNumber; a.Cmp(b) == 0 {
		t.Error("two leaves with the same serial")
	}
}

func TestKeyTypes(t *testing.T) {
	ca := newCA(t, devca.Options{KeyType: devca.ECDSAP384})
	if k := ca.Root.PublicKey.(*ecdsa.PublicKey); k.Curve != elliptic.P384() {
		t.Errorf("CA curve %v", k.Curve.Params().Name)
	}
	cases := map[devca.KeyType]func(any) bool{
		devca.RSA2048:   func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 2048 },
		devca.RSA3072:   func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 3072 },
		devca.ECDSAP256: func(k any) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve == elliptic.P256() },
		devca.ECDSAP384: func(k any) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve == elliptic.P384() },
	}
	if !testing.Short() {
		cases[devca.RSA4096] = func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 4096 }
	}
	for kt, ok := range cases {
		id := issue(t, ca, devca.LeafRequest{CommonName: "k " + kt.String(), KeyType: kt})
		if !ok(id.Key) {
			t.Errorf("%s: got %T", kt, id.Key)
		}
		if err := id.Cert.CheckSignatureFrom(ca.Intermediate); err != nil {
			t.Errorf("%s: %v", kt, err)
		}
	}
	for _, kt := range devca.KeyTypes {
		if got, err := keystore.ParseKeyType(kt.String()); err != nil || got != kt {
			t.Errorf("%s does not parse as itself: %v, %v", kt, got, err)
		}
	}
	if _, err := ca.Issue(devca.LeafRequest{CommonName: "x", KeyType: "ed448"}); err == nil {
		t.Error("Issue accepted an unknown key type")
	}
	if _, err := ca.Issue(devca.LeafRequest{}); err == nil {
		t.Error("Issue accepted an empty CommonName")
	}
}

func TestOverrides(t *testing.T) {
	ca := newCA(t, devca.Options{})
	nb := ca.Now().Add(-48 * time.Hour)
	na := ca.Now().Add(-24 * time.Hour)
	id := issue(t, ca, devca.LeafRequest{CommonName: "Kedaluwarsa", NotBefore: nb, NotAfter: na,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	c := id.Cert
	if c.KeyUsage != x509.KeyUsageDigitalSignature || len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth ||
		len(c.UnknownExtKeyUsage) != 0 {
		t.Errorf("overrides ignored: KU %b EKU %v %v", c.KeyUsage, c.ExtKeyUsage, c.UnknownExtKeyUsage)
	}
	if !c.NotAfter.Equal(na.UTC().Truncate(time.Second)) {
		t.Errorf("NotAfter %v", c.NotAfter)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: ca.RootPool(), Intermediates: ca.IntermediatePool()}); err == nil {
		t.Error("an expired leaf verifies now")
	}
}

func TestP12RoundTrip(t *testing.T) {
	ca := newCA(t, devca.Options{})
	id := issue(t, ca, devca.LeafRequest{CommonName: "P12 Test", KeyType: devca.ECDSAP256})
	dir := t.TempDir()
	for _, legacy := range []bool{false, true} {
		p := filepath.Join(dir, map[bool]string{false: "modern.p12", true: "legacy.p12"}[legacy])
		if err := id.WriteP12(p, "kata sandi", legacy, false); err != nil {
			t.Fatal(err)
		}
		checkMode(t, p, 0o600)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		key, cert, cas, err := pkcs12.DecodeChain(data, "kata sandi")
		if err != nil {
			t.Fatalf("legacy=%v: %v", legacy, err)
		}
		if !cert.Equal(id.Cert) || len(cas) != 1 || !cas[0].Equal(ca.Intermediate) {
			t.Errorf("legacy=%v: p12 holds %s + %d CA certs", legacy, cert.Subject, len(cas))
		}
		if !key.(*ecdsa.PrivateKey).Equal(id.Key) {
			t.Errorf("legacy=%v: key differs", legacy)
		}
		if _, _, _, err := pkcs12.DecodeChain(data, "salah"); err == nil {
			t.Errorf("legacy=%v: wrong password accepted", legacy)
		}
		// Refuses to overwrite unless asked to.
		if err := id.WriteP12(p, "x", legacy, false); !errors.Is(err, fs.ErrExist) {
			t.Errorf("second WriteP12 without overwrite: %v", err)
		}
		if err := id.WriteP12(p, "x", legacy, true); err != nil {
			t.Errorf("WriteP12 with overwrite: %v", err)
		}
		checkMode(t, p, 0o600)
	}
}

func TestPEMFiles(t *testing.T) {
	ca := newCA(t, devca.Options{})
	id := issue(t, ca, devca.LeafRequest{CommonName: "PEM Test"})
	dir := t.TempDir()
	keyPath, chainPath, rootPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "chain.pem"), filepath.Join(dir, "root.pem")
	if err := id.WritePEM(keyPath, chainPath, false); err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteRootPEM(rootPath); err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteRootPEM(rootPath); err != nil {
		t.Errorf("WriteRootPEM should replace: %v", err)
	}
	checkMode(t, keyPath, 0o600)
	keyPEM, _ := os.ReadFile(keyPath)
	b, _ := pem.Decode(keyPEM)
	if b == nil || b.Type != "PRIVATE KEY" {
		t.Fatalf("key file is not PKCS#8 PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil || !k.(*rsa.PrivateKey).Equal(id.Key) {
		t.Errorf("key round trip: %v", err)
	}
	chainPEM, _ := os.ReadFile(chainPath)
	var certs []*x509.Certificate
	for rest := chainPEM; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	if len(certs) != 2 || !certs[0].Equal(id.Cert) || !certs[1].Equal(ca.Intermediate) {
		t.Errorf("chain file holds %d certs", len(certs))
	}
	if err := id.WritePEM(keyPath, chainPath, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WritePEM over an existing key: %v", err)
	}

	t.Run("openssl verify", func(t *testing.T) {
		judge.Require(t, "openssl")
		leaf, inter := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "inter.pem")
		os.WriteFile(leaf, id.CertPEM(), 0o644)
		os.WriteFile(inter, ca.IntermediatePEM(), 0o644)
		out, err := judge.Command(t, "openssl", "verify", "-CAfile", rootPath, "-untrusted", inter, leaf)
		if err != nil || !strings.Contains(out, "OK") {
			t.Errorf("openssl verify: %v\n%s", err, out)
		}
		out, err = judge.Command(t, "openssl", "verify", "-CAfile", rootPath, "-untrusted", inter, "-purpose", "smimesign", leaf)
		if err != nil {
			t.Errorf("openssl verify -purpose smimesign: %v\n%s", err, out)
		}
		// Without the intermediate the chain must not build.
		if out, err := judge.Command(t, "openssl", "verify", "-CAfile", rootPath, leaf); err == nil {
			t.Errorf("openssl verified the leaf without its intermediate:\n%s", out)
		}
	})
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

func TestShortLivedCA(t *testing.T) {
	ca := newCA(t, devca.Options{Validity: 48 * time.Hour})
	id := issue(t, ca, devca.LeafRequest{CommonName: "short"})
	if id.Cert.NotAfter.After(ca.Intermediate.NotAfter) {
		t.Errorf("leaf NotAfter %v outlives the intermediate's %v", id.Cert.NotAfter, ca.Intermediate.NotAfter)
	}
	if _, err := devca.New(devca.Options{Validity: -time.Hour}); err == nil {
		t.Error("negative validity accepted")
	}
}
