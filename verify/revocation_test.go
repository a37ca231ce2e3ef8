package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"segel/internal/cms"
	"segel/internal/devca"
	"segel/pdf"
	"segel/pkinet"
	"segel/signer"
)

// revPKI is a development CA with a leaf whose certificate names OCSP
// responders and CRL distribution points.
type revPKI struct {
	ca   *devca.CA
	leaf *devca.Identity
	now  time.Time
}

func newRevPKI(t *testing.T, ocspURLs, crlURLs []string) *revPKI {
	t.Helper()
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &revPKI{ca: ca, now: ca.Now()}
	p.leaf = p.issue(t, "Kepala Dinas Kominfo", ocspURLs, crlURLs, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection})
	return p
}

// issue makes a certificate signed by the intermediate CA.
func (p *revPKI) issue(t *testing.T, cn string, ocspURLs, crlURLs []string, eku []x509.ExtKeyUsage) *devca.Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: cn, Country: []string{"ID"}},
		NotBefore:             p.now.Add(-time.Hour),
		NotAfter:              p.now.AddDate(1, 0, 0),
		KeyUsage:              devca.DefaultLeafKeyUsage,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		OCSPServer:            ocspURLs,
		CRLDistributionPoints: crlURLs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca.Intermediate, key.Public(), p.ca.IntermediateKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &devca.Identity{Key: key, Cert: cert, Chain: []*x509.Certificate{cert, p.ca.Intermediate}}
}

func (p *revPKI) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.Root)
	return pool
}

// ocspResp makes an OCSP response about cert, signed by the intermediate
// (responder nil) or by a delegated responder.
func (p *revPKI) ocspResp(t *testing.T, cert *x509.Certificate, tmpl ocsp.Response, responder *devca.Identity) []byte {
	t.Helper()
	tmpl.SerialNumber = cert.SerialNumber
	if tmpl.ThisUpdate.IsZero() {
		tmpl.ThisUpdate = p.now.Add(-5 * time.Minute)
	}
	if tmpl.NextUpdate.IsZero() {
		tmpl.NextUpdate = p.now.Add(time.Hour)
	}
	rc, key := p.ca.Intermediate, crypto.Signer(p.ca.IntermediateKey)
	if responder != nil {
		rc, key = responder.Cert, responder.Key
		tmpl.Certificate = responder.Cert
	}
	der, err := ocsp.CreateResponse(p.ca.Intermediate, rc, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// crl makes a CRL of the intermediate CA listing the given serials as
// revoked at revokedAt.
func (p *revPKI) crl(t *testing.T, revokedAt time.Time, serials ...*big.Int) []byte {
	t.Helper()
	return makeCRL(t, p.ca.Intermediate, p.ca.IntermediateKey, p.now, revokedAt, serials...)
}

func makeCRL(t *testing.T, issuer *x509.Certificate, key crypto.Signer, now, revokedAt time.Time, serials ...*big.Int) []byte {
	t.Helper()
	rl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-5 * time.Minute), NextUpdate: now.Add(24 * time.Hour)}
	for _, s := range serials {
		rl.RevokedCertificateEntries = append(rl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: revokedAt, ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, rl, issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sign signs pks.pdf with id (claimed time at, now when zero).
func (p *revPKI) sign(t *testing.T, id *devca.Identity, at time.Time) []byte {
	t.Helper()
	return segelSign(t, testdataFile(t, "pks.pdf"), id, signer.Options{Time: at})
}

// dssUpdate is the revocation data for an appended /DSS.
type dssUpdate struct {
	ocsps, crls [][]byte
	// vriOCSPs are filed only under the /VRI entry of the file's (first)
	// signature.
	vriOCSPs [][]byte
}

// withDSS appends an incremental update that sets the catalog's /DSS.
func withDSS(t *testing.T, file []byte, u dssUpdate) []byte {
	t.Helper()
	doc, err := pdf.Open(bytes.NewReader(file), int64(len(file)), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := doc.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	catRef, ok := doc.Trailer()["Root"].(pdf.Ref)
	if !ok {
		t.Fatal("no /Root reference")
	}
	up := doc.NewUpdate()
	streams := func(ders [][]byte) pdf.Array {
		arr := pdf.Array{}
		for _, d := range ders {
			arr = append(arr, up.Add(pdf.NewStream(pdf.Dict{}, d)))
		}
		return arr
	}
	dss := pdf.Dict{"OCSPs": streams(u.ocsps), "CRLs": streams(u.crls)}
	if len(u.vriOCSPs) > 0 {
		sum := sha1.Sum(signatureContents(t, file))
		key := pdf.Name(strings.ToUpper(hex.EncodeToString(sum[:])))
		dss["VRI"] = pdf.Dict{key: pdf.Dict{"OCSP": streams(u.vriOCSPs)}}
	}
	nc := pdf.Dict{}
	for k, v := range cat {
		nc[k] = v
	}
	nc["DSS"] = dss
	up.Set(catRef, nc)
	w, err := up.Write()
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.Clone(file), w.Bytes...)
}

// signatureContents returns the decoded /Contents of the file's first
// signature, located through its /ByteRange.
func signatureContents(t *testing.T, file []byte) []byte {
	t.Helper()
	rep := verifyBytes(t, file, Options{})
	if len(rep.Signatures) == 0 || len(rep.Signatures[0].ByteRange) != 4 {
		t.Fatal("no signature with a /ByteRange")
	}
	br := rep.Signatures[0].ByteRange
	b, err := hex.DecodeString(string(file[br[0]+br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasWarning(s Signature, sub string) bool {
	for _, w := range s.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func oneSignature(t *testing.T, rep *Report) Signature {
	t.Helper()
	if len(rep.Signatures) != 1 {
		t.Fatalf("%d signatures, want 1", len(rep.Signatures))
	}
	return rep.Signatures[0]
}

func dumpSig(s Signature) string {
	return s.Indication + "/" + s.SubIndication + " revocation=" + s.Revocation + " source=" + s.RevocationSource +
		"\n  errors: " + strings.Join(s.Errors, "\n          ") + "\n  warnings: " + strings.Join(s.Warnings, "\n            ")
}

// TestRevocationNoData: a B-B signature without revocation data keeps
// TOTAL_PASSED and says that revocation was not checked.
func TestRevocationNoData(t *testing.T) {
	p := newRevPKI(t, []string{"http://ocsp.invalid/"}, nil)
	b := p.sign(t, p.leaf, time.Time{})
	s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots()}))
	if s.Indication != TotalPassed || s.Revocation != RevocationNotChecked || s.RevocationSource != "" || s.Level != "B-B" {
		t.Fatalf("%s", dumpSig(s))
	}
	if !hasWarning(s, "revocation status not checked: no embedded OCSP/CRL for CN=Kepala Dinas Kominfo; online checking is off") || !s.HasFact(FactRevocationOffline) {
		t.Errorf("no not-checked warning:\n%s", dumpSig(s))
	}
	// Without a chain nothing is judged.
	rep := verifyBytes(t, b, Options{})
	s = oneSignature(t, rep)
	if s.Revocation != "" {
		t.Errorf("without roots: revocation %q", s.Revocation)
	}
	// Facts, not advice: the words name no flag of any command.
	if !s.HasFact(FactNoTrustRoots) || !rep.HasFact(FactNoTrustRoots) || rep.HasFact(FactRevocationOffline) || strings.Join(s.Errors, "\n") != "no trust roots were given" {
		t.Errorf("without roots: facts %v, errors %q", s.Facts, s.Errors)
	}
	for _, opts := range []Options{{}, {Roots: p.roots()}, {Roots: p.roots(), Online: true, Fetcher: &Fetcher{Client: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, io.EOF })}}}} {
		s := oneSignature(t, verifyBytes(t, b, opts))
		for _, m := range append(s.Errors, s.Warnings...) {
			if strings.Contains(m, "--") {
				t.Errorf("advice in %q", m)
			}
		}
		if opts.Online && s.HasFact(FactRevocationOffline) {
			t.Errorf("online: %v", s.Facts)
		}
	}
}

// TestRevocationEmbedded covers OCSP responses and CRLs in the /DSS.
func TestRevocationEmbedded(t *testing.T) {
	p := newRevPKI(t, []string{"http://ocsp.invalid/"}, []string{"http://crl.invalid/ca.crl"})
	now := p.now
	leaf := p.leaf.Cert
	signed := p.sign(t, p.leaf, time.Time{})
	other := p.issue(t, "Orang Lain", nil, nil, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection})
	delegated := p.issue(t, "OCSP Responder", nil, nil, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning})
	wrongKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// A response with the issuer's name but signed by another key.
	forged, err := ocsp.CreateResponse(p.ca.Intermediate, p.ca.Intermediate,
		ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}, wrongKey)
	if err != nil {
		t.Fatal(err)
	}
	// Signed by the leaf's issuer, but its CertID names another issuer.
	otherCA := newRevPKI(t, nil, nil)
	misnamed, err := ocsp.CreateResponse(otherCA.ca.Intermediate, p.ca.Intermediate,
		ocsp.Response{Status: ocsp.Revoked, SerialNumber: leaf.SerialNumber, RevokedAt: now.Add(-time.Hour), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}, p.ca.IntermediateKey)
	if err != nil {
		t.Fatal(err)
	}
	rootCRL := makeCRL(t, p.ca.Root, p.ca.RootKey, now, time.Time{})
	rootCRLRevokingInter := makeCRL(t, p.ca.Root, p.ca.RootKey, now, now.Add(-30*time.Minute), p.ca.Intermediate.SerialNumber)

	cases := []struct {
		name        string
		dss         dssUpdate
		signedAt    time.Time // /M; zero: now
		ind, sub    string
		revocation  string
		source      string
		warning     string // a warning containing this
		noLeafWarns bool   // no warning about the leaf's revocation status
	}{
		{name: "OCSP good", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)}},
			ind: TotalPassed, revocation: RevocationGood, source: SourceEmbeddedOCSP, noLeafWarns: true},
		{name: "OCSP good in the VRI entry only", dss: dssUpdate{vriOCSPs: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)}},
			ind: TotalPassed, revocation: RevocationGood, source: SourceEmbeddedOCSP, noLeafWarns: true},
		{name: "OCSP good from a delegated responder", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, delegated)}},
			ind: TotalPassed, revocation: RevocationGood, source: SourceEmbeddedOCSP, noLeafWarns: true},
		{name: "OCSP revoked before the signing time", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf,
			ocsp.Response{Status: ocsp.Revoked, RevokedAt: now.Add(-30 * time.Minute), RevocationReason: ocsp.KeyCompromise}, nil)}},
			ind: TotalFailed, sub: Revoked, revocation: RevocationRevoked, source: SourceEmbeddedOCSP},
		{name: "OCSP revoked after the claimed time, no timestamp", signedAt: now.Add(-50 * time.Minute),
			dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Revoked, RevokedAt: now.Add(-10 * time.Minute)}, nil)}},
			ind: Indeterminate, sub: RevokedNoPOE, revocation: RevocationRevoked, source: SourceEmbeddedOCSP},
		{name: "OCSP revocation after the validation time", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf,
			ocsp.Response{Status: ocsp.Revoked, RevokedAt: now.Add(time.Hour), ThisUpdate: now.Add(-time.Minute)}, nil)}},
			ind: TotalPassed, revocation: RevocationRevoked, source: SourceEmbeddedOCSP, warning: "after the validation time"},
		{name: "CRL not listing the leaf", dss: dssUpdate{crls: [][]byte{p.crl(t, now, other.Cert.SerialNumber)}},
			ind: TotalPassed, revocation: RevocationGood, source: SourceEmbeddedCRL, noLeafWarns: true},
		{name: "CRL listing the leaf", dss: dssUpdate{crls: [][]byte{p.crl(t, now.Add(-20*time.Minute), leaf.SerialNumber)}},
			ind: TotalFailed, sub: Revoked, revocation: RevocationRevoked, source: SourceEmbeddedCRL, warning: ""},
		{name: "OCSP good but the CRL lists the leaf", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)},
			crls: [][]byte{p.crl(t, now.Add(-20*time.Minute), leaf.SerialNumber)}},
			ind: TotalFailed, sub: Revoked, revocation: RevocationRevoked, source: SourceEmbeddedCRL},
		{name: "intermediate revoked by the root's CRL", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)},
			crls: [][]byte{rootCRLRevokingInter}},
			ind: TotalFailed, sub: Revoked, revocation: RevocationRevoked, source: SourceEmbeddedCRL},
		{name: "whole chain good", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)}, crls: [][]byte{rootCRL}},
			ind: TotalPassed, revocation: RevocationGood, source: SourceEmbeddedOCSP, noLeafWarns: true},
		{name: "OCSP signed by the wrong key", dss: dssUpdate{ocsps: [][]byte{forged}},
			ind: TotalPassed, revocation: RevocationUnknown, warning: "does not verify with the issuer's key"},
		{name: "OCSP signed by a responder without OCSPSigning", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Revoked, RevokedAt: now.Add(-30 * time.Minute)}, other)}},
			ind: TotalPassed, revocation: RevocationUnknown, warning: "lacks the OCSPSigning extended key usage"},
		{name: "CRL signed by the wrong key", dss: dssUpdate{crls: [][]byte{makeCRL(t, p.ca.Intermediate, wrongKey, now, now.Add(-20*time.Minute), leaf.SerialNumber)}},
			ind: TotalPassed, revocation: RevocationUnknown, warning: "CRL of CN=" + devca.IntermediateCommonName + " ignored"},
		{name: "OCSP about another certificate", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, other.Cert, ocsp.Response{Status: ocsp.Revoked, RevokedAt: now.Add(-30 * time.Minute)}, nil)}},
			ind: TotalPassed, revocation: RevocationNotChecked, warning: "no embedded OCSP/CRL for CN=Kepala Dinas Kominfo"},
		{name: "OCSP naming another issuer", dss: dssUpdate{ocsps: [][]byte{misnamed}},
			ind: TotalPassed, revocation: RevocationNotChecked, warning: "no embedded OCSP/CRL for CN=Kepala Dinas Kominfo"},
		{name: "OCSP stale", dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(-3 * time.Hour), NextUpdate: now.Add(-2 * time.Hour)}, nil)}},
			ind: TotalPassed, revocation: RevocationUnknown, warning: "is not current"},
		{name: "OCSP current only at a backdated claimed time", signedAt: now.Add(-150 * time.Minute),
			dss: dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(-3 * time.Hour), NextUpdate: now.Add(-2 * time.Hour)}, nil)}},
			ind: TotalPassed, revocation: RevocationGood, source: SourceEmbeddedOCSP, warning: "current only at the claimed signing time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := signed
			if !c.signedAt.IsZero() {
				in = p.sign(t, p.leaf, c.signedAt)
			}
			b := withDSS(t, in, c.dss)
			s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots()}))
			if s.Indication != c.ind || s.SubIndication != c.sub || s.Revocation != c.revocation || s.RevocationSource != c.source {
				t.Fatalf("got %s\nwant %s/%s revocation=%s source=%s", dumpSig(s), c.ind, c.sub, c.revocation, c.source)
			}
			if c.warning != "" && !hasWarning(s, c.warning) {
				t.Errorf("no warning containing %q:\n%s", c.warning, dumpSig(s))
			}
			if c.noLeafWarns && hasWarning(s, "Kepala Dinas Kominfo") {
				t.Errorf("unexpected warning about the leaf:\n%s", dumpSig(s))
			}
			if s.Level != "B-B" {
				t.Errorf("level %s: without a timestamp a signature stays B-B", s.Level)
			}
		})
	}
}

// TestApplyRevoked checks the judgement of a revocation against the
// proven, claimed and validation times.
func TestApplyRevoked(t *testing.T) {
	vt := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	h := time.Hour
	cases := []struct {
		name      string
		times     revTimes
		revokedAt time.Time
		ind, sub  string
		warning   string
	}{
		{"before the proven time", revTimes{validation: vt, proven: vt.Add(-5 * h), claimed: vt.Add(-6 * h)}, vt.Add(-7 * h), TotalFailed, Revoked, ""},
		{"at the proven time", revTimes{validation: vt, proven: vt.Add(-5 * h)}, vt.Add(-5 * h), TotalFailed, Revoked, ""},
		{"after the proven time", revTimes{validation: vt, proven: vt.Add(-5 * h), claimed: vt.Add(-9 * h)}, vt.Add(-2 * h), TotalPassed, "", "after the signing time proven by a timestamp"},
		{"after the claimed time, nothing proven", revTimes{validation: vt, claimed: vt.Add(-5 * h)}, vt.Add(-2 * h), Indeterminate, RevokedNoPOE, ""},
		{"before the claimed time", revTimes{validation: vt, claimed: vt.Add(-5 * h)}, vt.Add(-6 * h), TotalFailed, Revoked, ""},
		{"no times but the validation time", revTimes{validation: vt}, vt.Add(-1 * h), TotalFailed, Revoked, ""},
		{"after the validation time", revTimes{validation: vt, claimed: vt.Add(-5 * h)}, vt.Add(h), TotalPassed, "", "after the validation time"},
	}
	for _, c := range cases {
		s := Signature{Indication: TotalPassed}
		applyRevoked(&s, "CN=x", &revStatus{revoked: true, revokedAt: c.revokedAt, reason: 1, source: SourceEmbeddedCRL}, c.times)
		if s.Indication != c.ind || s.SubIndication != c.sub {
			t.Errorf("%s: %s/%s, want %s/%s (%v)", c.name, s.Indication, s.SubIndication, c.ind, c.sub, s.Errors)
		}
		if c.warning != "" && !hasWarning(s, c.warning) {
			t.Errorf("%s: warnings %v", c.name, s.Warnings)
		}
		if c.ind != TotalPassed && (len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "certificate CN=x was revoked on") || !strings.Contains(s.Errors[0], "keyCompromise")) {
			t.Errorf("%s: errors %v", c.name, s.Errors)
		}
	}
}

// TestRevocationFreshness checks which statuses are usable when.
func TestRevocationFreshness(t *testing.T) {
	vt := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	h := time.Hour
	cases := []struct {
		name        string
		times       revTimes
		st          revStatus
		usable      bool
		claimedOnly bool
	}{
		{"current", revTimes{validation: vt}, revStatus{thisUpdate: vt.Add(-h), nextUpdate: vt.Add(h)}, true, false},
		{"no nextUpdate", revTimes{validation: vt}, revStatus{thisUpdate: vt.Add(-100 * h)}, true, false},
		{"from the future", revTimes{validation: vt}, revStatus{thisUpdate: vt.Add(h), nextUpdate: vt.Add(2 * h)}, false, false},
		{"within the clock skew", revTimes{validation: vt}, revStatus{thisUpdate: vt.Add(time.Minute), nextUpdate: vt.Add(2 * h)}, true, false},
		{"expired", revTimes{validation: vt}, revStatus{thisUpdate: vt.Add(-3 * h), nextUpdate: vt.Add(-2 * h)}, false, false},
		{"covers the proven time", revTimes{validation: vt, proven: vt.Add(-5 * h)}, revStatus{thisUpdate: vt.Add(-6 * h), nextUpdate: vt.Add(-4 * h)}, true, false},
		{"ends before the proven time", revTimes{validation: vt, proven: vt.Add(-5 * h), claimed: vt.Add(-9 * h)}, revStatus{thisUpdate: vt.Add(-9 * h), nextUpdate: vt.Add(-8 * h)}, false, false},
		{"covers only the claimed time", revTimes{validation: vt, claimed: vt.Add(-5 * h)}, revStatus{thisUpdate: vt.Add(-6 * h), nextUpdate: vt.Add(-4 * h)}, true, true},
		{"revocation is final", revTimes{validation: vt}, revStatus{revoked: true, reason: 1, thisUpdate: vt.Add(5 * h), nextUpdate: vt.Add(6 * h)}, true, false},
		{"a stale hold is not", revTimes{validation: vt}, revStatus{revoked: true, reason: reasonCertificateHold, thisUpdate: vt.Add(-3 * h), nextUpdate: vt.Add(-2 * h)}, false, false},
	}
	for _, c := range cases {
		st := c.st
		if got := c.times.usable(&st); got != c.usable || st.claimedOnly != c.claimedOnly {
			t.Errorf("%s: usable=%v claimedOnly=%v, want %v %v", c.name, got, st.claimedOnly, c.usable, c.claimedOnly)
		}
	}
}

// TestRevocationInCMS: OCSP responses and CRLs in the CMS (the
// adbe-revocationInfoArchival attribute and the crls field) are used, but
// do not count as /DSS data (PAdES B-LT).
func TestRevocationInCMS(t *testing.T) {
	p := newRevPKI(t, nil, nil)
	leaf := p.leaf.Cert
	good := p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)
	revoked := p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Revoked, RevokedAt: p.now.Add(-time.Hour)}, nil)
	crl := p.crl(t, p.now.Add(-time.Hour), leaf.SerialNumber)

	ria, err := asn1.Marshal(struct {
		CRL  []asn1.RawValue `asn1:"explicit,tag:0,optional"`
		OCSP []asn1.RawValue `asn1:"explicit,tag:1,optional"`
	}{CRL: []asn1.RawValue{{FullBytes: crl}}, OCSP: []asn1.RawValue{{FullBytes: good}}})
	if err != nil {
		t.Fatal(err)
	}
	crls, ocsps := parseRevocationInfoArchival(ria)
	if len(crls) != 1 || !bytes.Equal(crls[0], crl) || len(ocsps) != 1 || !bytes.Equal(ocsps[0], good) {
		t.Fatalf("revocationInfoArchival: %d CRLs, %d OCSP responses", len(crls), len(ocsps))
	}

	other, err := asn1.Marshal(struct {
		Format asn1.ObjectIdentifier
		Info   asn1.RawValue
	}{oidRIOCSPResponse, asn1.RawValue{FullBytes: revoked}})
	if err != nil {
		t.Fatal(err)
	}
	other[0] = 0xa1 // [1] IMPLICIT OtherRevocationInfoFormat
	if c, r := parseRevocationInfoChoice(other); c != nil || !bytes.Equal(r, revoked) {
		t.Fatalf("RevocationInfoChoice other: crl=%v ocsp=%v", c != nil, r != nil)
	}
	if c, r := parseRevocationInfoChoice(crl); !bytes.Equal(c, crl) || r != nil {
		t.Fatal("RevocationInfoChoice CertificateList not recognised")
	}

	b := p.sign(t, p.leaf, time.Time{})
	doc, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := &verifier{doc: doc, now: p.now}
	times := revTimes{validation: p.now, claimed: p.now}

	data := v.embeddedRevocation(nil, &cms.SignerInfo{RevocationInfoArchival: ria}, nil)
	cr := v.certRevocation(leaf, p.ca.Intermediate, data, times)
	if cr.state != RevocationRevoked || cr.status.source != SourceEmbeddedCRL || cr.inDSS {
		t.Errorf("revocationInfoArchival: %s %+v inDSS=%v", cr.state, cr.status, cr.inDSS)
	}
	data = v.embeddedRevocation(&cms.SignedData{CRLs: [][]byte{other}}, &cms.SignerInfo{}, nil)
	cr = v.certRevocation(leaf, p.ca.Intermediate, data, times)
	if cr.state != RevocationRevoked || cr.status.source != SourceEmbeddedOCSP || cr.inDSS {
		t.Errorf("CMS crls: %s %+v", cr.state, cr.status)
	}

	// The same response in the /DSS does count.
	b = withDSS(t, b, dssUpdate{ocsps: [][]byte{good}})
	doc, err = pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	v = &verifier{doc: doc, now: p.now}
	data = v.embeddedRevocation(nil, &cms.SignerInfo{RevocationInfoArchival: ria}, nil)
	if len(data.ocsps) != 1 || !data.ocsps[0].dss {
		t.Fatalf("a response both in the /DSS and the CMS: %d, dss=%v", len(data.ocsps), len(data.ocsps) == 1 && data.ocsps[0].dss)
	}
	data.crls = nil
	if cr := v.certRevocation(leaf, p.ca.Intermediate, data, times); cr.state != RevocationGood || !cr.inDSS {
		t.Errorf("/DSS: %s inDSS=%v", cr.state, cr.inDSS)
	}
}

// TestCRLScope: partial CRLs are not used as complete ones.
func TestCRLScope(t *testing.T) {
	p := newRevPKI(t, nil, []string{"http://crl.example/a.crl"})
	leaf := p.leaf.Cert
	idp := func(t *testing.T, body []byte) pkix.Extension {
		v, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, Class: asn1.ClassUniversal, IsCompound: true, Bytes: body})
		if err != nil {
			t.Fatal(err)
		}
		return pkix.Extension{Id: oidExtIssuingDistPoint, Critical: true, Value: v}
	}
	uri := func(u string) []byte {
		// distributionPoint [0] { fullName [0] { uniformResourceIdentifier [6] u } }
		gn := append([]byte{0x86, byte(len(u))}, u...)
		full := append([]byte{0xa0, byte(len(gn))}, gn...)
		return append([]byte{0xa0, byte(len(full))}, full...)
	}
	cases := []struct {
		name string
		ext  pkix.Extension
		ok   bool
	}{
		{"its own distribution point", idp(t, uri("http://crl.example/a.crl")), true},
		{"only user certificates", idp(t, []byte{0x81, 1, 0xff}), true},
		{"another distribution point", idp(t, uri("http://crl.example/b.crl")), false},
		{"only CA certificates", idp(t, []byte{0x82, 1, 0xff}), false},
		{"some reasons", idp(t, []byte{0x83, 2, 0x07, 0x80}), false},
		{"indirect", idp(t, []byte{0x84, 1, 0xff}), false},
		{"delta", pkix.Extension{Id: oidExtDeltaCRLIndicator, Critical: true, Value: []byte{2, 1, 1}}, false},
		{"unknown critical extension", pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3}, Critical: true, Value: []byte{5, 0}}, false},
	}
	for _, c := range cases {
		rl := &x509.RevocationList{Number: big.NewInt(2), ThisUpdate: p.now.Add(-time.Minute), NextUpdate: p.now.Add(time.Hour), ExtraExtensions: []pkix.Extension{c.ext}}
		der, err := x509.CreateRevocationList(rand.Reader, rl, p.ca.Intermediate, p.ca.IntermediateKey)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		st, err := evalCRL(crl, leaf, p.ca.Intermediate)
		if (err == nil) != c.ok || (c.ok && (st == nil || st.revoked)) {
			t.Errorf("%s: status %+v, err %v; want usable=%v", c.name, st, err, c.ok)
		}
	}
}

// responder is an OCSP responder and CRL distribution point for a revPKI.
type responder struct {
	mu       sync.Mutex
	p        *revPKI
	statuses map[string]ocsp.Response // by serial
	crl      []byte
	body     []byte // when set, sent for every OCSP request
	bodyType string // the Content-Type of body (default application/ocsp-response)
	block    bool   // answer only once the client gave up
	release  chan struct{}
	ocspHits atomic.Int32
	crlHits  atomic.Int32
}

func (r *responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	p, block, body, bodyType, crl := r.p, r.block, r.body, r.bodyType, r.crl
	r.mu.Unlock()
	if bodyType == "" {
		bodyType = "application/ocsp-response"
	}
	switch path := req.URL.Path; {
	case path == "/ocsp" || strings.HasPrefix(path, "/ocsp/"):
		r.ocspHits.Add(1)
	case path == "/crl":
		r.crlHits.Add(1)
	default:
		http.NotFound(w, req)
		return
	}
	if block {
		// Read the request so the server notices the client leaving.
		io.Copy(io.Discard, req.Body)
		select {
		case <-req.Context().Done():
		case <-r.release:
		}
		return
	}
	if req.URL.Path == "/crl" {
		if crl == nil {
			http.NotFound(w, req)
			return
		}
		w.Write(crl)
		return
	}
	if body != nil {
		w.Header().Set("Content-Type", bodyType)
		w.Write(body)
		return
	}
	var b []byte
	switch {
	case req.Method == http.MethodGet && strings.HasPrefix(req.URL.EscapedPath(), "/ocsp/"):
		// RFC 6960 appendix A.1: the URL-encoded base64 of the request.
		enc, _ := url.PathUnescape(strings.TrimPrefix(req.URL.EscapedPath(), "/ocsp/"))
		b, _ = base64.StdEncoding.DecodeString(enc)
	case req.Method == http.MethodPost && req.Header.Get("Content-Type") == "application/ocsp-request":
		b, _ = io.ReadAll(req.Body)
	default:
		http.Error(w, "want GET /ocsp/REQUEST or POST application/ocsp-request", http.StatusBadRequest)
		return
	}
	oreq, err := ocsp.ParseRequest(b)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	tmpl, ok := r.statuses[oreq.SerialNumber.String()]
	r.mu.Unlock()
	if !ok {
		tmpl = ocsp.Response{Status: ocsp.Unknown}
	}
	tmpl.SerialNumber = oreq.SerialNumber
	if tmpl.ThisUpdate.IsZero() {
		tmpl.ThisUpdate = time.Now().Add(-time.Minute)
		tmpl.NextUpdate = time.Now().Add(time.Hour)
	}
	der, err := ocsp.CreateResponse(p.ca.Intermediate, p.ca.Intermediate, tmpl, p.ca.IntermediateKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(der)
}

// loopbackFetcher returns a Fetcher for the responder srv on 127.0.0.1,
// which Fetchers refuse unless loopback is allowed.
func loopbackFetcher(srv *httptest.Server) *Fetcher {
	return &Fetcher{Client: srv.Client(), Network: loopbackNet}
}

// onlineSetup starts a responder and a PKI whose leaf names it.
func onlineSetup(t *testing.T, withOCSP, withCRL bool) (*revPKI, *responder, *httptest.Server) {
	t.Helper()
	r := &responder{statuses: map[string]ocsp.Response{}, release: make(chan struct{})}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(r.release) }) // runs before srv.Close
	var ocspURLs, crlURLs []string
	if withOCSP {
		ocspURLs = []string{srv.URL + "/ocsp"}
	}
	if withCRL {
		crlURLs = []string{srv.URL + "/crl"}
	}
	p := newRevPKI(t, ocspURLs, crlURLs)
	r.p = p
	return p, r, srv
}

// TestRevocationOnline covers fetching: nothing without Online; OCSP,
// then CRL; caching across files; embedded data first.
func TestRevocationOnline(t *testing.T) {
	p, r, srv := onlineSetup(t, true, true)
	leaf := p.leaf.Cert
	b := p.sign(t, p.leaf, time.Time{})

	// Offline: nothing is fetched.
	s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), HTTPClient: srv.Client()}))
	if n := r.ocspHits.Load() + r.crlHits.Load(); n != 0 || s.Revocation != RevocationNotChecked {
		t.Fatalf("offline: %d requests, %s", n, dumpSig(s))
	}

	// Online, good; a shared Fetcher asks once for many files.
	r.statuses[leaf.SerialNumber.String()] = ocsp.Response{Status: ocsp.Good}
	f := loopbackFetcher(srv)
	for i := 0; i < 3; i++ {
		s = oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: f}))
		if s.Indication != TotalPassed || s.Revocation != RevocationGood || s.RevocationSource != SourceOnlineOCSP {
			t.Fatalf("online good: %s", dumpSig(s))
		}
	}
	if n := r.ocspHits.Load(); n != 1 || r.crlHits.Load() != 0 {
		t.Errorf("three files with a shared Fetcher: %d OCSP and %d CRL requests, want 1 and 0", n, r.crlHits.Load())
	}
	// The intermediate names no responder: said so.
	if !hasWarning(s, "no embedded OCSP/CRL for CN="+devca.IntermediateCommonName+" and the certificate names no OCSP responder or CRL distribution point") {
		t.Errorf("no warning about the intermediate:\n%s", dumpSig(s))
	}

	// Online, revoked (a Fetcher per file).
	r.statuses[leaf.SerialNumber.String()] = ocsp.Response{Status: ocsp.Revoked, RevokedAt: p.now.Add(-30 * time.Minute), RevocationReason: ocsp.KeyCompromise}
	s = oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
	if s.Indication != TotalFailed || s.SubIndication != Revoked || s.Revocation != RevocationRevoked || s.RevocationSource != SourceOnlineOCSP {
		t.Fatalf("online revoked: %s", dumpSig(s))
	}
	if !strings.Contains(strings.Join(s.Errors, "\n"), "keyCompromise") {
		t.Errorf("no reason in %v", s.Errors)
	}

	// The responder does not know the certificate: the CRL is asked.
	delete(r.statuses, leaf.SerialNumber.String())
	r.crl = p.crl(t, p.now.Add(-20*time.Minute), leaf.SerialNumber)
	before := r.crlHits.Load()
	s = oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
	if s.Indication != TotalFailed || s.Revocation != RevocationRevoked || s.RevocationSource != SourceOnlineCRL || r.crlHits.Load() != before+1 {
		t.Fatalf("online CRL: %s (CRL requests %d)", dumpSig(s), r.crlHits.Load()-before)
	}

	// Usable embedded data: nothing is fetched.
	embedded := withDSS(t, b, dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good}, nil)}})
	hits := r.ocspHits.Load() + r.crlHits.Load()
	s = oneSignature(t, verifyBytes(t, embedded, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
	if s.Revocation != RevocationGood || s.RevocationSource != SourceEmbeddedOCSP || r.ocspHits.Load()+r.crlHits.Load() != hits {
		t.Fatalf("embedded and online: %s, %d requests", dumpSig(s), r.ocspHits.Load()+r.crlHits.Load()-hits)
	}
}

// TestRevocationOnlineBackdated: an old "good" response that is current
// only at a backdated claimed time does not stop the online check, which
// finds the revocation.
func TestRevocationOnlineBackdated(t *testing.T) {
	p, r, srv := onlineSetup(t, true, false)
	leaf := p.leaf.Cert
	b := p.sign(t, p.leaf, p.now.Add(-150*time.Minute))
	b = withDSS(t, b, dssUpdate{ocsps: [][]byte{p.ocspResp(t, leaf, ocsp.Response{Status: ocsp.Good, ThisUpdate: p.now.Add(-3 * time.Hour), NextUpdate: p.now.Add(-2 * time.Hour)}, nil)}})
	r.statuses[leaf.SerialNumber.String()] = ocsp.Response{Status: ocsp.Revoked, RevokedAt: p.now.Add(-30 * time.Minute)}
	s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
	if s.Revocation != RevocationRevoked || s.RevocationSource != SourceOnlineOCSP || s.SubIndication != RevokedNoPOE || r.ocspHits.Load() != 1 {
		t.Fatalf("%s (%d requests)", dumpSig(s), r.ocspHits.Load())
	}
}

// TestRevocationOnlineFailures: a slow responder, an over-size answer,
// garbage, and URLs that are not http(s) give "unknown" with a warning,
// never a failure, and within the time limit.
func TestRevocationOnlineFailures(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		p, r, srv := onlineSetup(t, true, true)
		r.block = true
		b := p.sign(t, p.leaf, time.Time{})
		start := time.Now()
		s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: &Fetcher{Client: srv.Client(), Timeout: 200 * time.Millisecond, Network: loopbackNet}}))
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v with a 200ms timeout per request", d)
		}
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown || !hasWarning(s, "revocation status unknown for CN=Kepala Dinas Kominfo") ||
			!hasWarning(s, "deadline exceeded") {
			t.Fatalf("%s", dumpSig(s))
		}
		if r.ocspHits.Load() != 1 || r.crlHits.Load() != 1 {
			t.Errorf("%d OCSP, %d CRL requests", r.ocspHits.Load(), r.crlHits.Load())
		}
	})
	t.Run("over-size", func(t *testing.T) {
		p, r, srv := onlineSetup(t, true, false)
		r.body = bytes.Repeat([]byte{0x30}, 4096)
		b := p.sign(t, p.leaf, time.Time{})
		s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: &Fetcher{Client: srv.Client(), MaxOCSPSize: 1024, Network: loopbackNet}}))
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown || !hasWarning(s, ErrResponseTooLarge.Error()) {
			t.Fatalf("%s", dumpSig(s))
		}
	})
	t.Run("garbage", func(t *testing.T) {
		p, r, srv := onlineSetup(t, true, false)
		r.body = []byte("<html>not OCSP</html>")
		b := p.sign(t, p.leaf, time.Time{})
		s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown || !hasWarning(s, "OCSP response cannot be used") {
			t.Fatalf("%s", dumpSig(s))
		}
	})
	t.Run("HTML answer", func(t *testing.T) {
		p, r, srv := onlineSetup(t, true, false)
		r.body, r.bodyType = []byte("<html>login</html>"), "text/html; charset=utf-8"
		b := p.sign(t, p.leaf, time.Time{})
		s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown || !hasWarning(s, `content type "text/html", not application/ocsp-response`) {
			t.Fatalf("%s", dumpSig(s))
		}
	})
	t.Run("response signed by another CA", func(t *testing.T) {
		p, r, srv := onlineSetup(t, true, false)
		q := newRevPKI(t, nil, nil)
		r.body = q.ocspResp(t, p.leaf.Cert, ocsp.Response{Status: ocsp.Revoked, RevokedAt: p.now.Add(-time.Hour)}, nil)
		b := p.sign(t, p.leaf, time.Time{})
		s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown {
			t.Fatalf("%s", dumpSig(s))
		}
	})
	t.Run("not http", func(t *testing.T) {
		p := newRevPKI(t, []string{"ldap://ldap.example/cn=ocsp", "file:///etc/passwd"}, []string{"file:///tmp/ca.crl", "ldap://ldap.example/cn=crl?certificateRevocationList"})
		var calls atomic.Int32
		client := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			calls.Add(1)
			return nil, io.ErrUnexpectedEOF
		})}
		b := p.sign(t, p.leaf, time.Time{})
		s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, HTTPClient: client}))
		if calls.Load() != 0 {
			t.Errorf("%d requests made", calls.Load())
		}
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown || !hasWarning(s, `scheme "ldap" is not fetched`) || !hasWarning(s, `scheme "file" is not fetched`) {
			t.Fatalf("%s", dumpSig(s))
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRevocationOnlineRefusesLoopback: a certificate whose OCSP responder
// and CRL are on a loopback address gets nothing fetched unless the
// Fetcher allows loopback: "unknown", with the refused address in the
// warning, and no request made.
func TestRevocationOnlineRefusesLoopback(t *testing.T) {
	p, r, srv := onlineSetup(t, true, true)
	r.statuses[p.leaf.Cert.SerialNumber.String()] = ocsp.Response{Status: ocsp.Revoked, RevokedAt: p.now.Add(-time.Hour)}
	b := p.sign(t, p.leaf, time.Time{})
	for name, opts := range map[string]Options{
		"default":    {Roots: p.roots(), Online: true},
		"HTTPClient": {Roots: p.roots(), Online: true, HTTPClient: srv.Client()},
		"Fetcher":    {Roots: p.roots(), Online: true, Fetcher: &Fetcher{Client: srv.Client()}},
	} {
		s := oneSignature(t, verifyBytes(t, b, opts))
		if s.Indication != TotalPassed || s.Revocation != RevocationUnknown || !hasWarning(s, "refused to connect to 127.0.0.1: a loopback address") {
			t.Errorf("%s: %s", name, dumpSig(s))
		}
	}
	if n := r.ocspHits.Load() + r.crlHits.Load(); n != 0 {
		t.Errorf("%d requests made", n)
	}
	// Allowed: the revocation is found.
	s := oneSignature(t, verifyBytes(t, b, Options{Roots: p.roots(), Online: true, Fetcher: loopbackFetcher(srv)}))
	if s.Revocation != RevocationRevoked {
		t.Errorf("loopback allowed: %s", dumpSig(s))
	}
	var re *pkinet.RefusedError
	_, err := (&Fetcher{}).OCSP(t.Context(), srv.URL+"/ocsp", []byte("x"))
	if !errors.As(err, &re) || re.Addr.String() != "127.0.0.1" {
		t.Errorf("%v", err)
	}
}
