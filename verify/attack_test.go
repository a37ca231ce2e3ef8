package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/signer"
)

// TestBackdatedClaimDoesNotReviveExpiredCertificate: /M claims a time when
// the certificate was valid, but nothing proves it, so the certificate is
// judged now — and it has expired.
func TestBackdatedClaimDoesNotReviveExpiredCertificate(t *testing.T) {
	p := newPKI(t, devca.ECDSAP256)
	old, err := p.ca.Issue(devca.LeafRequest{CommonName: "Pejabat Lama", KeyType: devca.ECDSAP256,
		NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	b := segelSign(t, testdataFile(t, "pks.pdf"), old, signer.Options{Time: time.Now().AddDate(-1, -6, 0)})
	rep := verifyBytes(t, b, Options{Roots: p.pool(p.ca.Root)})
	s := rep.Signatures[0]
	if rep.Indication != Indeterminate || rep.SubIndication != Expired || s.ClaimedTime == nil || s.TimestampTime != nil {
		t.Fatalf("backdated /M: %s/%s claimed=%v proven=%v", rep.Indication, rep.SubIndication, s.ClaimedTime, s.TimestampTime)
	}
	if !s.Intact || !s.Valid {
		t.Errorf("intact=%v valid=%v", s.Intact, s.Valid)
	}
}

// TestSelfSignedLeafWithStuffedCA: a self-signed signer certificate does not
// become trusted because the CMS also carries a trusted CA certificate.
func TestSelfSignedLeafWithStuffedCA(t *testing.T) {
	p := newPKI(t, devca.ECDSAP256)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "Penipu", Organization: []string{"Pemerintah Kabupaten Tuban"}},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	fake := &devca.Identity{Key: key, Cert: leaf, Chain: []*x509.Certificate{leaf, p.ca.Intermediate, p.ca.Root}}
	b := segelSign(t, testdataFile(t, "pks.pdf"), fake, signer.Options{})
	rep := verifyBytes(t, b, Options{Roots: p.pool(p.ca.Root)})
	if s := rep.Signatures[0]; s.Trusted || rep.Indication == TotalPassed {
		t.Fatalf("self-signed leaf trusted: %s trusted=%v", rep.Indication, s.Trusted)
	}
	if rep.SubIndication != NoCertificateChainFound {
		t.Errorf("sub-indication %s", rep.SubIndication)
	}
}
