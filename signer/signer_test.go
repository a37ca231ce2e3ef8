package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/pdf"
	"segel/signer"
)

var testCA *devca.CA

func ca(t testing.TB) *devca.CA {
	t.Helper()
	if testCA == nil {
		c, err := devca.New(devca.Options{})
		if err != nil {
			t.Fatal(err)
		}
		testCA = c
	}
	return testCA
}

func identity(t testing.TB, kt devca.KeyType, cn string) *devca.Identity {
	t.Helper()
	id, err := ca(t).Issue(devca.LeafRequest{CommonName: cn, Organization: "Pemerintah Kabupaten Tuban", KeyType: kt})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// memOut is an in-memory Output.
type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("write outside")
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// countingSigner counts calls to Sign.
type countingSigner struct {
	crypto.Signer
	n atomic.Int32
}

func (c *countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("testdata: %v (regenerate with: go run ./testdata/gen.go)", err)
	}
	return b
}

func sign(t testing.TB, in []byte, id *devca.Identity, o signer.Options) ([]byte, *signer.Result, int) {
	t.Helper()
	cs := &countingSigner{Signer: id.Key}
	o.Signer, o.Chain = cs, id.Chain
	if o.Time.IsZero() {
		o.Time = time.Date(2026, 11, 27, 15, 30, 0, 0, time.FixedZone("WIB", 7*3600))
	}
	out := &memOut{}
	res, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, o)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return out.b, res, int(cs.n.Load())
}

func countFields(t testing.TB, b []byte) (all, sigs, signed int) {
	t.Helper()
	d, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := d.Fields()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		all++
		if f.Type == "Sig" {
			sigs++
			if f.Dict["V"] != nil {
				signed++
			}
		}
	}
	return
}

// judgeAll runs every outside judge on a signed file with n signatures.
func judgeAll(t *testing.T, b []byte, n int) { judgeWith(t, b, n, true) }

// judgeWith runs the judges; mutool is skipped when useMutool is false
// (Debian's mupdf-tools 1.21 reports "Digest error" for an RSASSA-PSS
// signature that pdfsig and openssl accept).
func judgeWith(t *testing.T, b []byte, n int, useMutool bool) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca(t).RootPEM(), 0o644)

	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	db := judge.NewNSSDB(t, root)
	var res []judge.PdfsigResult
	for _, r := range judge.Pdfsig(t, db, path) {
		if r.Signed { // pdfsig lists empty signature fields too
			res = append(res, r)
		}
	}
	if len(res) != n {
		t.Fatalf("pdfsig sees %d signatures, want %d", len(res), n)
	}
	for _, r := range res {
		if !r.SignatureValid || !r.CertTrusted {
			t.Errorf("pdfsig: signature %d (%s): valid=%v trusted=%v\n%s", r.Index, r.Field, r.SignatureValid, r.CertTrusted, r.Raw)
		}
		if r.SubFilter != "ETSI.CAdES.detached" {
			t.Errorf("pdfsig: signature type %q", r.SubFilter)
		}
	}
	judge.Require(t, "openssl")
	for i := 0; i < n; i++ {
		if err := judge.OpenSSLCMSVerify(t, path, i, root); err != nil {
			t.Errorf("openssl cms -verify, signature %d: %v", i, err)
		}
	}
	judge.Require(t, "qpdf")
	if err := judge.QPDFCheck(t, path); err != nil {
		t.Errorf("qpdf --check: %v", err)
	}
	if !useMutool {
		return
	}
	judge.Require(t, "mutool")
	text, err := judge.MutoolVerify(t, path)
	if err != nil {
		t.Errorf("mutool sign -v: %v", err)
	} else if !judge.MutoolUnchanged(text) {
		t.Errorf("mutool does not say the document is unchanged since the last signature:\n%s", text)
	}
}

func TestSignMatrix(t *testing.T) {
	in := readTestdata(t, "pks.pdf")
	for _, kt := range []devca.KeyType{devca.RSA2048, devca.RSA3072, devca.ECDSAP256, devca.ECDSAP384} {
		for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
			t.Run(fmt.Sprintf("%s-%v", kt, h), func(t *testing.T) {
				id := identity(t, kt, "Bupati Tuban "+string(kt))
				out, res, calls := sign(t, in, id, signer.Options{Hash: h, Field: "SigKabupaten", Reason: "Menyetujui PKS", Location: "Tuban"})
				if calls != 1 {
					t.Fatalf("signer called %d times, want exactly 1", calls)
				}
				if !bytes.HasPrefix(out, in) {
					t.Fatal("the output does not start with the input's bytes")
				}
				if res.CMSSize > res.Reserved || res.Reserved-res.CMSSize > 200 {
					t.Errorf("placeholder %d bytes for a CMS of %d", res.Reserved, res.CMSSize)
				}
				judgeAll(t, out, 1)
			})
		}
	}
}

func TestSignPSS(t *testing.T) {
	in := readTestdata(t, "pks.pdf")
	id := identity(t, devca.RSA2048, "Sekretaris Daerah")
	out, _, calls := sign(t, in, id, signer.Options{PSS: true})
	if calls != 1 {
		t.Fatalf("signer called %d times", calls)
	}
	judgeWith(t, out, 1, false)
}

// TestThreeSigners signs certification + two approvals, on both
// cross-reference forms, for P=2 and P=3, and checks that every signature
// stays valid and every field survives.
func TestThreeSigners(t *testing.T) {
	for _, input := range []string{"pks.pdf", "pks-xrefstream.pdf"} {
		for _, p := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s-P%d", input, p), func(t *testing.T) {
				in := readTestdata(t, input)
				all0, sigs0, _ := countFields(t, in)
				kab := identity(t, devca.ECDSAP256, "Bupati Tuban")
				prov := identity(t, devca.RSA3072, "Gubernur Jawa Timur")
				saksi := identity(t, devca.ECDSAP384, "Kepala Dinas Kominfo")
				b1, _, _ := sign(t, in, kab, signer.Options{Field: "SigKabupaten", Certify: p})
				b2, _, _ := sign(t, b1, prov, signer.Options{Field: "SigProvinsi"})
				b3, res, _ := sign(t, b2, saksi, signer.Options{Reason: "Saksi"})
				if !bytes.HasPrefix(b3, b2) || !bytes.HasPrefix(b2, b1) || !bytes.HasPrefix(b1, in) {
					t.Fatal("an earlier revision's bytes changed")
				}
				all, sigs, signed := countFields(t, b3)
				if all != all0+1 || sigs != sigs0+1 || signed != 3 {
					t.Fatalf("fields before %d (%d sig), after %d (%d sig, %d signed)", all0, sigs0, all, sigs, signed)
				}
				if res.Field != "Signature1" {
					t.Errorf("new field named %q", res.Field)
				}
				d, _ := pdf.Open(bytes.NewReader(b3), int64(len(b3)), nil)
				if got, want := d.XRefStream(), strings.Contains(input, "xrefstream"); got != want {
					t.Errorf("cross-reference stream = %v, want %v (keep the input's form)", got, want)
				}
				judgeAll(t, b3, 3)
			})
		}
	}
}

func TestFormFieldsKept(t *testing.T) {
	for _, input := range []string{"form.pdf", "form-xrefstream.pdf"} {
		t.Run(input, func(t *testing.T) {
			in := readTestdata(t, input)
			all0, _, _ := countFields(t, in)
			a := identity(t, devca.ECDSAP256, "Pemohon")
			b := identity(t, devca.RSA2048, "Verifikator")
			b1, _, _ := sign(t, in, a, signer.Options{})
			b2, _, _ := sign(t, b1, b, signer.Options{})
			all, _, signed := countFields(t, b2)
			if all != all0+2 || signed != 2 {
				t.Fatalf("fields before %d, after %d (%d signed); want %d", all0, all, signed, all0+2)
			}
			judgeAll(t, b2, 2)
		})
	}
}

func TestOtherInputs(t *testing.T) {
	for _, input := range []string{"minimal.pdf", "minimal-pdf20.pdf", "hybrid.pdf"} {
		t.Run(input, func(t *testing.T) {
			in := readTestdata(t, input)
			id := identity(t, devca.ECDSAP256, "Pejabat")
			out, _, _ := sign(t, in, id, signer.Options{Certify: 1})
			judgeAll(t, out, 1)
		})
	}
}

func TestCertifyRules(t *testing.T) {
	in := readTestdata(t, "pks.pdf")
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	b1, _, _ := sign(t, in, id, signer.Options{Certify: 1, Field: "SigKabupaten"})
	try := func(in []byte, o signer.Options) error {
		cs := &countingSigner{Signer: id.Key}
		o.Signer, o.Chain = cs, id.Chain
		_, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), &memOut{}, o)
		if cs.n.Load() != 0 {
			t.Errorf("signer was called although signing was refused")
		}
		return err
	}
	if err := try(b1, signer.Options{Field: "SigProvinsi"}); !errors.Is(err, signer.ErrNoChangesAllowed) {
		t.Errorf("signing after P=1: got %v", err)
	}
	b2, _, _ := sign(t, in, id, signer.Options{Field: "SigKabupaten"})
	if err := try(b2, signer.Options{Certify: 2}); !errors.Is(err, signer.ErrCertifyNotFirst) {
		t.Errorf("certifying a signed document: got %v", err)
	}
	if err := try(b2, signer.Options{Field: "SigKabupaten"}); !errors.Is(err, signer.ErrFieldSigned) {
		t.Errorf("signing a signed field: got %v", err)
	}
	if err := try(in, signer.Options{Field: "NoSuchField"}); !errors.Is(err, signer.ErrFieldNotFound) || !strings.Contains(err.Error(), "SigProvinsi") {
		t.Errorf("unknown field: got %v", err)
	}
	form := readTestdata(t, "form.pdf")
	all, err := func() ([]pdf.Field, error) {
		d, err := pdf.Open(bytes.NewReader(form), int64(len(form)), nil)
		if err != nil {
			return nil, err
		}
		return d.Fields()
	}()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range all {
		if f.Type == "Tx" {
			if err := try(form, signer.Options{Field: f.Name}); !errors.Is(err, signer.ErrNotSignatureField) {
				t.Errorf("signing text field %q: got %v", f.Name, err)
			}
			break
		}
	}
}

func TestBadInput(t *testing.T) {
	id := identity(t, devca.ECDSAP256, "Pejabat")
	good := readTestdata(t, "pks.pdf")
	cases := map[string][]byte{
		"not a PDF": []byte("hello, this is not a PDF\n"),
		"empty":     {},
		"truncated": good[:len(good)/2],
		"no xref":   bytes.ReplaceAll(good, []byte("startxref"), []byte("startxxxx")),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			cs := &countingSigner{Signer: id.Key}
			out := &memOut{}
			_, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, signer.Options{Signer: cs, Chain: id.Chain})
			if err == nil {
				t.Fatal("signed a bad input")
			}
			if cs.n.Load() != 0 || len(out.b) != 0 {
				t.Errorf("signer called %d times, %d bytes written", cs.n.Load(), len(out.b))
			}
		})
	}
}
