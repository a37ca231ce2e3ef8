package verify

import (
	"crypto/x509"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/producers"
	"segel/signer"
)

// TestPastSignatureValidation: a B-B signature, then a /DSS with the
// signer's status and a trusted document timestamp over it. After the
// signer's certificate expires the signature still passes, judged at the
// time the document timestamp proves; a revocation after that time does
// not fail it; a revocation before it does. Without the document
// timestamp the expired signature is INDETERMINATE.
func TestPastSignatureValidation(t *testing.T) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := ca.Now()
	signerID, err := ca.Issue(devca.LeafRequest{CommonName: "Bupati Tuban", KeyType: devca.ECDSAP256,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tsaID, err := ca.Issue(devca.LeafRequest{CommonName: "segel test TSA", KeyType: devca.ECDSAP256, TSA: true})
	if err != nil {
		t.Fatal(err)
	}
	roots := ca.RootPool()
	bb := segelSign(t, testdataFile(t, "pks.pdf"), signerID, signer.Options{Field: "SigKabupaten"})
	later := now.Add(60 * 24 * time.Hour) // the signer's certificate has expired
	withStatus := func(crl []byte) []byte {
		b, err := producers.AddDSS(bb, producers.DSS{Certs: []*x509.Certificate{ca.Intermediate}, CRLs: [][]byte{crl}, VRI: true}, now)
		if err != nil {
			t.Fatal(err)
		}
		b, err = producers.AddDocTimeStamp(b, "Arsip1", &producers.TSA{ID: producers.Identity{Key: tsaID.Key, Chain: tsaID.Chain}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	check := func(name string, b []byte, at time.Time, ind, sub, level string) {
		t.Helper()
		rep := verifyBytes(t, b, Options{Roots: roots, Time: at})
		s := rep.Signatures[0]
		if rep.Indication != ind || rep.SubIndication != sub || (level != "" && s.Level != level) {
			t.Errorf("%s: %s/%s level %s existence %v (%s): %v", name, rep.Indication, rep.SubIndication, s.Level, s.ExistenceTime, s.ExistenceProof, s.Errors)
		}
	}
	check("B-B now", bb, time.Time{}, TotalPassed, "", "B-B")
	check("B-B after expiry", bb, later, Indeterminate, Expired, "")
	good := withStatus(makeCRL(t, ca.Intermediate, ca.IntermediateKey, now, now))
	check("LTA now", good, time.Time{}, TotalPassed, "", "B-LTA")
	check("LTA after expiry", good, later, TotalPassed, "", "B-LTA")
	revokedLater := withStatus(makeCRL(t, ca.Intermediate, ca.IntermediateKey, now, now.Add(time.Hour), signerID.Cert.SerialNumber))
	check("revoked after the proof", revokedLater, later, TotalPassed, "", "")
	revokedBefore := withStatus(makeCRL(t, ca.Intermediate, ca.IntermediateKey, now, now.Add(-30*time.Minute), signerID.Cert.SerialNumber))
	check("revoked before the proof", revokedBefore, later, TotalFailed, Revoked, "")
}
