package ltv_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/memkey"
	"segel/keystore"
	"segel/pdf"
	"segel/signer"
	"segel/signer/ltv"
	"segel/tsa"
	"segel/verify"
)

// env is a development PKI whose certificates name an OCSP responder and
// CRLs served in this process, a TSA on the same CA, and the PKS.
type env struct {
	ca   *devca.CA
	resp *devca.Responder
	net  *verify.Fetcher
	tsa  *tsa.Client
	dir  string
	pks  []byte
}

func newEnv(t *testing.T) *env { return newEnvB(t) }

func newEnvB(t testing.TB) *env {
	t.Helper()
	ca, err := devca.New(devca.Options{RevocationURL: "http://status.segel.test"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ca: ca, resp: ca.Responder(), dir: t.TempDir()}
	e.net = &verify.Fetcher{Client: &http.Client{Transport: e.resp.Transport()}}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "TSA Diskominfo Jatim", KeyType: devca.ECDSAP256, TSA: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsa.Config{Signer: id.Key, Chain: id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	e.tsa = &tsa.Client{URL: "http://tsa.segel.test/", Roots: ca.RootPool(), Post: a.Poster()}
	e.pks, err = os.ReadFile(filepath.Join("..", "..", "testdata", "pks.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.dir, "root.pem"), ca.RootPEM(), 0o644)
	os.WriteFile(filepath.Join(e.dir, "inter.pem"), devca.CertsPEM(ca.Intermediate), 0o644)
	return e
}

// key is an in-memory signing key certified by the env's CA.
func (e *env) key(t *testing.T, name string, leaf devca.LeafRequest) (*memkey.Key, keystore.Key) {
	return e.keyB(t, name, leaf)
}

func (e *env) keyB(t testing.TB, name string, leaf devca.LeafRequest) (*memkey.Key, keystore.Key) {
	t.Helper()
	mk := memkey.MustNew(t, name, memkey.Options{CA: e.ca, Leaf: leaf})
	k, err := keystore.Open(context.Background(), mk.Ref(), keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return mk, k
}

type memDoc struct {
	in  []byte
	out memOut
	res *signer.Result
}

func (d *memDoc) Open() (io.ReaderAt, int64, signer.Output, error) {
	return bytes.NewReader(d.in), int64(len(d.in)), &d.out, nil
}
func (d *memDoc) Close(r *signer.Result) error { d.res = r; return nil }

// memOut is a signer.Output in memory.
type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

// sign signs in with key at B-T.
func (e *env) sign(t *testing.T, key keystore.Key, in []byte, o signer.Options) []byte {
	t.Helper()
	d := &memDoc{in: in}
	res, err := signer.SignAll(context.Background(), key, []signer.Document{d}, signer.AllOptions{Options: o, Timestamper: e.tsa})
	if err != nil || res[0].Err != nil {
		t.Fatalf("signing: %v %+v", err, res)
	}
	return d.out.b
}

func (e *env) extend(t *testing.T, in []byte, level string) ([]byte, *ltv.Result) {
	t.Helper()
	var out memOut
	res, err := ltv.Extend(context.Background(), bytes.NewReader(in), int64(len(in)), &out,
		ltv.Options{Level: level, Fetcher: e.net, TSA: e.tsa, Certs: []*x509.Certificate{e.ca.Root}})
	if err != nil {
		t.Fatalf("extend to %s: %v", level, err)
	}
	if res.Skipped {
		return in, res
	}
	return out.b, res
}

// check verifies b offline at time at (zero: now) and returns the report.
func (e *env) check(t *testing.T, b []byte, at time.Time) *verify.Report {
	t.Helper()
	rep, err := verify.File(context.Background(), "pks.pdf", bytes.NewReader(b), int64(len(b)), verify.Options{Roots: e.ca.RootPool(), Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func levels(rep *verify.Report) string {
	var l []string
	for _, s := range rep.Signatures {
		l = append(l, s.Field+"="+s.Level)
	}
	return strings.Join(l, " ")
}

// TestExtendTwoParty: the Kabupaten certifies and the Provinsi
// countersigns, both at B-T; Extend makes the file B-LT, then B-LTA.
// segel's verifier reports the levels and TOTAL_PASSED; every OCSP
// response in the /DSS passes openssl ocsp, every CRL openssl crl, the
// document time-stamp openssl ts -verify over its byte range; pdfsig and
// qpdf accept the files. Extending again is a no-op.
func TestExtendTwoParty(t *testing.T) {
	e := newEnv(t)
	_, kab := e.key(t, "ltv-kab", devca.LeafRequest{CommonName: "Bupati Tuban"})
	_, prov := e.key(t, "ltv-prov", devca.LeafRequest{CommonName: "Gubernur Jawa Timur", KeyType: devca.RSA2048})
	one := e.sign(t, kab, e.pks, signer.Options{Field: "SigKabupaten", Certify: 2})
	two := e.sign(t, prov, one, signer.Options{Field: "SigProvinsi"})

	lt, res := e.extend(t, two, ltv.LevelLT)
	if res.Signatures != 2 || res.OCSPs == 0 || res.CRLs == 0 || res.Certs < 4 || len(res.Missing) != 0 {
		t.Fatalf("B-LT: %+v", res)
	}
	rep := e.check(t, lt, time.Time{})
	if rep.Indication != verify.TotalPassed || levels(rep) != "SigKabupaten=B-LT SigProvinsi=B-LT" {
		t.Fatalf("B-LT verify: %s %s", rep.Indication, levels(rep))
	}
	if _, again := e.extend(t, lt, ltv.LevelLT); !again.Skipped {
		t.Errorf("extending a B-LT file to B-LT again was not skipped: %+v", again)
	}

	lta, res := e.extend(t, lt, ltv.LevelLTA)
	if !res.DocTimestamp {
		t.Fatalf("B-LTA: %+v", res)
	}
	rep = e.check(t, lta, time.Time{})
	if rep.Indication != verify.TotalPassed || !strings.Contains(levels(rep), "SigKabupaten=B-LTA SigProvinsi=B-LTA") {
		t.Fatalf("B-LTA verify: %s %s", rep.Indication, levels(rep))
	}
	if _, again := e.extend(t, lta, ltv.LevelLTA); !again.Skipped {
		t.Errorf("a fresh B-LTA file was extended again: %+v", again)
	}

	path := filepath.Join(e.dir, "pks-lta.pdf")
	os.WriteFile(path, lta, 0o644)
	e.judge(t, path, lta)
}

// judge runs the outside judges over a B-LTA file.
func (e *env) judge(t *testing.T, path string, b []byte) {
	t.Helper()
	root, inter := filepath.Join(e.dir, "root.pem"), filepath.Join(e.dir, "inter.pem")
	if _, err := exec.LookPath("openssl"); err == nil {
		ocsps, crls := dssData(t, b)
		if len(ocsps) == 0 || len(crls) == 0 {
			t.Fatalf("/DSS holds %d OCSP responses and %d CRLs", len(ocsps), len(crls))
		}
		for i, o := range ocsps {
			f := filepath.Join(e.dir, "r.ocsp")
			os.WriteFile(f, o, 0o644)
			out, err := exec.Command("openssl", "ocsp", "-respin", f, "-CAfile", root, "-verify_other", inter, "-no_nonce").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Response verify OK") {
				t.Errorf("OCSP response %d: openssl ocsp: %v\n%s", i+1, err, out)
			}
		}
		for i, c := range crls {
			f := filepath.Join(e.dir, "c.crl")
			os.WriteFile(f, c, 0o644)
			both := filepath.Join(e.dir, "both.pem")
			os.WriteFile(both, append(e.ca.RootPEM(), devca.CertsPEM(e.ca.Intermediate)...), 0o644)
			out, err := exec.Command("openssl", "crl", "-in", f, "-inform", "DER", "-CAfile", both, "-noout").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "verify OK") {
				t.Errorf("CRL %d: openssl crl: %v\n%s", i+1, err, out)
			}
		}
		sigs, err := judge.ExtractSignatures(b)
		if err != nil {
			t.Fatal(err)
		}
		last := sigs[len(sigs)-1]
		data, tok := filepath.Join(e.dir, "signed.bin"), filepath.Join(e.dir, "doc-ts.der")
		os.WriteFile(data, last.Signed, 0o644)
		os.WriteFile(tok, last.CMS, 0o644)
		out, err := exec.Command("openssl", "ts", "-verify", "-data", data, "-in", tok, "-token_in", "-CAfile", root, "-untrusted", inter).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verification: OK") {
			t.Errorf("document time-stamp: openssl ts -verify: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		if out, err := exec.Command("qpdf", "--check", path).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("pdfsig"); err == nil {
		db := judge.NewNSSDB(t, root)
		out, err := judge.Command(t, "pdfsig", "-nssdir", db, "-no-ocsp", path)
		if err != nil {
			t.Fatalf("pdfsig: %v\n%s", err, out)
		}
		// poppler does not validate document time-stamps ("Unable to
		// validate this type of signature"); it must list it, and accept
		// both signatures.
		n, ts := 0, 0
		for _, r := range judge.ParsePdfsig(out) {
			switch {
			case strings.Contains(r.Raw, "Unable to validate this type of signature"):
				ts++
			case r.Signed:
				n++
				if !r.SignatureValid || !r.CertTrusted {
					t.Errorf("pdfsig: %s", r.Raw)
				}
			}
		}
		if n != 2 || ts != 1 {
			t.Errorf("pdfsig sees %d signatures and %d document time-stamps, want 2 and 1", n, ts)
		}
	}
}

// dssData reads the OCSP responses and CRLs of the file's /DSS.
func dssData(t *testing.T, b []byte) (ocsps, crls [][]byte) {
	t.Helper()
	doc, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := doc.Catalog()
	d, err := doc.GetDict(cat["DSS"])
	if err != nil || d == nil {
		t.Fatalf("no /DSS: %v", err)
	}
	read := func(name pdf.Name) [][]byte {
		arr, _ := doc.GetArray(d[name])
		var out [][]byte
		for _, o := range arr {
			r, _ := o.(pdf.Ref)
			obj, err := doc.Get(r)
			if err != nil {
				t.Fatal(err)
			}
			st, ok := obj.(*pdf.Stream)
			if !ok {
				t.Fatalf("/DSS /%s holds a %T", name, obj)
			}
			data, err := doc.StreamData(st)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, data)
		}
		return out
	}
	return read("OCSPs"), read("CRLs")
}

// TestPastValidation: with a signer certificate that expires soon after
// signing, a verification later, offline, passes for B-LT and B-LTA and is
// INDETERMINATE for B-B; a signer revoked after signing still passes at
// B-LT; extending a signature whose certificate is already revoked is
// refused, and so is extending with a TSA that cannot be reached.
func TestPastValidation(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	short := devca.LeafRequest{CommonName: "Kepala Dinas", NotBefore: now.Add(-time.Hour), NotAfter: now.Add(2 * time.Hour)}
	mk, key := e.key(t, "ltv-short", short)
	bt := e.sign(t, key, e.pks, signer.Options{})
	lt, _ := e.extend(t, bt, ltv.LevelLT)
	lta, _ := e.extend(t, lt, ltv.LevelLTA)
	later := now.Add(30 * 24 * time.Hour)

	// B-B: the same key, no time-stamp, no validation data.
	d := &memDoc{in: e.pks}
	if res, err := signer.SignAll(context.Background(), key, []signer.Document{d}, signer.AllOptions{}); err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if rep := e.check(t, d.out.b, later); rep.Indication != verify.Indeterminate {
		t.Errorf("B-B a month later: %s/%s, want INDETERMINATE", rep.Indication, rep.SubIndication)
	}
	for name, b := range map[string][]byte{"B-LT": lt, "B-LTA": lta} {
		if rep := e.check(t, b, later); rep.Indication != verify.TotalPassed {
			t.Errorf("%s a month later, offline: %s/%s %v", name, rep.Indication, rep.SubIndication, rep.Signatures[0].Errors)
		}
	}

	// Revoked after the B-LT file was made: still valid, offline.
	e.resp.Revoke(mk.Identity().Cert, now.Add(time.Minute))
	if rep := e.check(t, lt, now.Add(time.Hour)); rep.Indication != verify.TotalPassed {
		t.Errorf("revoked after signing: %s/%s", rep.Indication, rep.SubIndication)
	}
	// Signed after the revocation: extending is refused, and the
	// verifier, online, says REVOKED.
	e.resp.Revoke(mk.Identity().Cert, now.Add(-time.Minute))
	after := e.sign(t, key, e.pks, signer.Options{})
	// A new run: fetchers cache what they fetched.
	e.net = &verify.Fetcher{Client: &http.Client{Transport: e.resp.Transport()}}
	var out memOut
	_, err := ltv.Extend(context.Background(), bytes.NewReader(after), int64(len(after)), &out,
		ltv.Options{Level: ltv.LevelLT, Fetcher: e.net, Certs: []*x509.Certificate{e.ca.Root}})
	if err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("extending a revoked signer: %v", err)
	}
	rep, err := verify.File(context.Background(), "x.pdf", bytes.NewReader(after), int64(len(after)),
		verify.Options{Roots: e.ca.RootPool(), Online: true, Fetcher: e.net})
	if err != nil || rep.Indication != verify.TotalFailed || rep.SubIndication != "REVOKED" {
		t.Errorf("signed after the revocation, online: %v %s/%s", err, rep.Indication, rep.SubIndication)
	}
}

// TestOCSPBeforeSigningTime: an OCSP response produced before the
// signing time says nothing about the certificate when it signed; the
// CRL, current at the signing time, is taken instead.
func TestOCSPBeforeSigningTime(t *testing.T) {
	e := newEnv(t)
	mk, _ := e.key(t, "ltv-after", devca.LeafRequest{CommonName: "Kepala Dinas"})
	chain := append(append([]*x509.Certificate{}, mk.Identity().Chain...), e.ca.Root)
	now, err := verify.CollectValidationData(context.Background(), chain, verify.CollectOptions{Fetcher: e.net})
	if err != nil || len(now.OCSPs) != 1 {
		t.Fatalf("signed now: %v, %d OCSP responses", err, len(now.OCSPs))
	}
	later, err := verify.CollectValidationData(context.Background(), chain, verify.CollectOptions{Fetcher: e.net, After: time.Now().Add(time.Hour)})
	if err != nil || len(later.OCSPs) != 0 || len(later.CRLs) != 2 {
		t.Fatalf("signed an hour from now: %v, %d OCSP responses, %d CRLs (want 0 and 2)", err, len(later.OCSPs), len(later.CRLs))
	}
}
