package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/signer"
)

type pki struct {
	ca   *devca.CA
	id   *devca.Identity
	dir  string
	root string // root.pem
}

func newPKI(t *testing.T, kt devca.KeyType) *pki {
	t.Helper()
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Kepala Dinas Kominfo", Organization: "Pemerintah Kabupaten Tuban", KeyType: kt})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &pki{ca: ca, id: id, dir: dir, root: filepath.Join(dir, "root.pem")}
	if err := ca.WriteRootPEM(p.root); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pki) pool(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

func verifyBytes(t *testing.T, b []byte, opts Options) *Report {
	t.Helper()
	rep, err := File(context.Background(), "mem.pdf", bytes.NewReader(b), int64(len(b)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func testdataFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	copy(m.b[off:], p)
	return len(p), nil
}

func segelSign(t *testing.T, in []byte, id *devca.Identity, o signer.Options) []byte {
	t.Helper()
	o.Signer, o.Chain = id.Key, id.Chain
	out := &memOut{}
	if _, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, o); err != nil {
		t.Fatal(err)
	}
	return out.b
}

// TestSegelSignedVerdicts: what segel signs is TOTAL_PASSED with the test
// root, INDETERMINATE without it, and TOTAL_FAILED after any byte in a
// signed range changes.
func TestSegelSignedVerdicts(t *testing.T) {
	for _, kt := range []devca.KeyType{devca.RSA2048, devca.ECDSAP384} {
		p := newPKI(t, kt)
		in := testdataFile(t, "pks.pdf")
		b1 := segelSign(t, in, p.id, signer.Options{Field: "SigKabupaten", Certify: 2})
		b2 := segelSign(t, b1, p.id, signer.Options{Field: "SigProvinsi"})
		b3 := segelSign(t, b2, p.id, signer.Options{})

		rep := verifyBytes(t, b3, Options{Roots: p.pool(p.ca.Root)})
		if rep.Indication != TotalPassed || len(rep.Signatures) != 3 {
			t.Fatalf("%s: %s with %d signatures: %+v", kt, rep.Indication, len(rep.Signatures), rep)
		}
		for _, s := range rep.Signatures {
			if !s.Intact || !s.Valid || !s.Trusted || s.Level != "B-B" {
				t.Errorf("%s: %+v", kt, s)
			}
		}
		if rep.Signatures[0].Kind != "certification" || rep.Signatures[0].DocMDP != 2 {
			t.Errorf("first signature: kind %s P=%d", rep.Signatures[0].Kind, rep.Signatures[0].DocMDP)
		}
		if rep := verifyBytes(t, b3, Options{}); rep.Indication != Indeterminate || rep.SubIndication != NoCertificateChainFound {
			t.Errorf("without roots: %s/%s", rep.Indication, rep.SubIndication)
		}
		// A root that is not the signer's.
		other := newPKI(t, devca.ECDSAP256)
		if rep := verifyBytes(t, b3, Options{Roots: other.pool(other.ca.Root)}); rep.Indication != Indeterminate {
			t.Errorf("with a foreign root: %s", rep.Indication)
		}
		// Flip a byte in each signed range of each revision, sampled.
		for _, off := range []int{0, 100, len(in) / 2, len(in) - 10, len(b1) - 5, len(b2) - 30, len(b3) - 3} {
			bad := bytes.Clone(b3)
			bad[off] ^= 0x20
			rep := verifyBytes(t, bad, Options{Roots: p.pool(p.ca.Root)})
			if rep.Indication != TotalFailed {
				t.Errorf("%s: byte %d changed: %s/%s", kt, off, rep.Indication, rep.SubIndication)
			}
		}
		// Validation time after the certificate expired: INDETERMINATE.
		rep = verifyBytes(t, b3, Options{Roots: p.pool(p.ca.Root), Time: time.Now().AddDate(5, 0, 0)})
		if rep.Indication != Indeterminate || rep.SubIndication != Expired {
			t.Errorf("in five years: %s/%s", rep.Indication, rep.SubIndication)
		}
	}
}

// TestOtherSigners: signatures made by NSS (pdfsig), MuPDF and PoDoFo
// verify as intact and valid, and TOTAL_PASSED with the right root.
func TestOtherSigners(t *testing.T) {
	p := newPKI(t, devca.RSA2048)
	in := filepath.Join("..", "testdata", "pks.pdf")
	p12 := filepath.Join(p.dir, "id.p12")
	if err := p.id.WriteP12(p12, "rahasia", false, false); err != nil {
		t.Fatal(err)
	}
	key, chain := filepath.Join(p.dir, "id.key"), filepath.Join(p.dir, "chain.pem")
	if err := p.id.WritePEM(key, chain, false); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(p.dir, "leaf.pem")
	os.WriteFile(cert, p.id.CertPEM(), 0o644)

	cases := []struct {
		tool string
		sign func(out string)
		// roots: mutool and podofo embed only the signer's certificate, so
		// the issuing CA is given as the trust anchor.
		roots *x509.CertPool
	}{
		{"pdfsig", func(out string) {
			db := judge.NewNSSDB(t, p.root)
			nick := judge.ImportP12(t, db, p12, "rahasia")
			judge.PdfsigSignField(t, db, nick, "SigKabupaten", in, out)
		}, p.pool(p.ca.Root)},
		{"mutool", func(out string) { judge.MutoolSignField(t, in, out, p12, "rahasia", "SigProvinsi") }, p.pool(p.ca.Intermediate)},
		{"podofosign", func(out string) { judge.PodofoSign(t, in, out, cert, key) }, p.pool(p.ca.Intermediate)},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			judge.Require(t, c.tool)
			if c.tool == "pdfsig" {
				judge.Require(t, "certutil")
			}
			out := filepath.Join(t.TempDir(), "signed.pdf")
			c.sign(out)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			rep := verifyBytes(t, b, Options{Roots: c.roots})
			if len(rep.Signatures) != 1 {
				t.Fatalf("%d signatures", len(rep.Signatures))
			}
			s := rep.Signatures[0]
			if !s.Intact || !s.Valid || rep.Indication != TotalPassed {
				t.Errorf("%s-signed: %s/%s intact=%v valid=%v errors=%v", c.tool, rep.Indication, rep.SubIndication, s.Intact, s.Valid, s.Errors)
			}
			// And segel countersigns it without breaking it.
			b2 := segelSign(t, b, p.id, signer.Options{})
			rep = verifyBytes(t, b2, Options{Roots: p.pool(p.ca.Root, p.ca.Intermediate)})
			if rep.Indication != TotalPassed || len(rep.Signatures) != 2 {
				t.Errorf("after segel's countersignature: %s with %d signatures", rep.Indication, len(rep.Signatures))
				for _, s := range rep.Signatures {
					t.Logf("  %s: %s %v", s.Field, s.Indication, s.Errors)
				}
			}
		})
	}
}
