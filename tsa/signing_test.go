package tsa

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/cms"
	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/memkey"
	"segel/keystore"
	"segel/signer"
	"segel/verify"
)

// fileDoc is a signer.Document written to a temporary file that becomes
// Path only when it is closed with a result: a refused document leaves
// nothing.
type fileDoc struct {
	in   []byte
	path string
	tmp  *os.File
}

func (d *fileDoc) Open() (io.ReaderAt, int64, signer.Output, error) {
	f, err := os.CreateTemp(filepath.Dir(d.path), "partial-*")
	if err != nil {
		return nil, 0, nil, err
	}
	d.tmp = f
	return bytes.NewReader(d.in), int64(len(d.in)), f, nil
}

func (d *fileDoc) Close(res *signer.Result) error {
	d.tmp.Close()
	if res == nil {
		return os.Remove(d.tmp.Name())
	}
	return os.Rename(d.tmp.Name(), d.path)
}

// openMem makes an in-memory key certified by ca and opens it.
func openMem(t *testing.T, name string, o memkey.Options) (*memkey.Key, keystore.Key) {
	t.Helper()
	mk := memkey.MustNew(t, name, o)
	k, err := keystore.Open(context.Background(), mk.Ref(), keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return mk, k
}

func pks(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pks.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignB_T: the Kabupaten certifies the PKS and the Provinsi
// countersigns, each signature with a time-stamp from the authority
// (batched Transit-like key); segel's verifier says B-T and TOTAL_PASSED
// with the time proven, openssl ts -verify accepts each token over its
// signature value, and pdfsig and qpdf accept the file.
func TestSignB_T(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	a, err := New(Config{Signer: f.id.Key, Chain: f.id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	post := a.Poster()
	c := &Client{URL: "http://tsa.test/", Roots: f.ca.RootPool(), Post: func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
		calls++
		return post(ctx, url, ct, body)
	}}
	var _ signer.Timestamper = c
	_, kab := openMem(t, "tsa-kabupaten", memkey.Options{CA: f.ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	_, prov := openMem(t, "tsa-provinsi", memkey.Options{CA: f.ca, Leaf: devca.LeafRequest{CommonName: "Gubernur Jawa Timur"}})
	dir := f.dir
	one := &fileDoc{in: pks(t), path: filepath.Join(dir, "pks-1.pdf")}
	res, err := signer.SignAll(context.Background(), kab, []signer.Document{one}, signer.AllOptions{Timestamper: c,
		Options: signer.Options{Field: "SigKabupaten", Certify: 2, Reason: "Menyetujui"}})
	if err != nil || res[0].Err != nil || res[0].Result.Level != "B-T" {
		t.Fatalf("first signature: %v %+v", err, res)
	}
	if calls != 2 {
		t.Errorf("%d TSA requests for one document, want 2 (the probe and the token)", calls)
	}
	b1, _ := os.ReadFile(one.path)
	two := &fileDoc{in: b1, path: filepath.Join(dir, "pks-2.pdf")}
	res, err = signer.SignAll(context.Background(), prov, []signer.Document{two}, signer.AllOptions{Timestamper: c,
		Options: signer.Options{Field: "SigProvinsi", Hash: crypto.SHA384}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("second signature: %v %+v", err, res)
	}
	b2, _ := os.ReadFile(two.path)
	rep, err := verify.File(context.Background(), "pks-2.pdf", bytes.NewReader(b2), int64(len(b2)), verify.Options{Roots: f.ca.RootPool()})
	if err != nil || rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	for _, s := range rep.Signatures {
		if s.Level != "B-T" || s.TimestampTime == nil {
			t.Errorf("%s: level %q, time proven %v", s.Field, s.Level, s.TimestampTime)
		}
	}

	// openssl checks each token over its signature value.
	if _, err := exec.LookPath("openssl"); err == nil {
		root := filepath.Join(dir, "root.pem")
		os.WriteFile(root, f.ca.RootPEM(), 0o644)
		inter := filepath.Join(dir, "inter.pem")
		os.WriteFile(inter, devca.CertsPEM(f.ca.Intermediate), 0o644)
		sigs, err := judge.ExtractSignatures(b2)
		if err != nil || len(sigs) != 2 {
			t.Fatalf("%d signatures extracted: %v", len(sigs), err)
		}
		for i, sb := range sigs {
			sd, err := cms.Parse(sb.CMS)
			if err != nil {
				t.Fatal(err)
			}
			si := sd.Signers[0]
			var token []byte
			for _, ua := range si.UnsignedAttributes {
				if ua.Type.Equal(cms.OIDAttrTimeStampToken) && len(ua.Values) == 1 {
					token = ua.Values[0]
				}
			}
			if token == nil {
				t.Fatalf("signature %d has no signature time-stamp", i+1)
			}
			val, tok := filepath.Join(dir, "value.bin"), filepath.Join(dir, "token.der")
			os.WriteFile(val, si.Signature, 0o644)
			os.WriteFile(tok, token, 0o644)
			out, err := exec.Command("openssl", "ts", "-verify", "-data", val, "-in", tok, "-token_in", "-CAfile", root, "-untrusted", inter).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Verification: OK") {
				t.Errorf("signature %d: openssl ts -verify: %v %s", i+1, err, out)
			}
		}
	}
	if _, err := exec.LookPath("pdfsig"); err == nil {
		root := filepath.Join(dir, "root.pem")
		os.WriteFile(root, f.ca.RootPEM(), 0o644)
		db := judge.NewNSSDB(t, root)
		n := 0
		for _, r := range judge.Pdfsig(t, db, two.path) {
			if r.Signed {
				n++
				if r.SignatureValidation != "Signature is Valid." || r.CertificateValidation != "Certificate is Trusted." {
					t.Errorf("pdfsig: %s", r.Raw)
				}
			}
		}
		if n != 2 {
			t.Errorf("pdfsig sees %d signatures", n)
		}
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		if out, err := exec.Command("qpdf", "--check", two.path).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}
}

// TestSignRefusesBadTokens: whatever is wrong with the token — another
// imprint, another nonce, an untrusted TSA, a TSA certificate without the
// timeStamping usage, a token without a signature, an HTML page — signing
// refuses with one error naming the cause, and no file is written. The
// first cases fail at the probe (nothing opened, the key never asked);
// "wrong imprint after the probe" fails the document itself.
func TestSignRefusesBadTokens(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	a, err := New(Config{Signer: f.id.Key, Chain: f.id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	honest := a.Poster()
	notTSA, _ := f.ca.Issue(devca.LeafRequest{CommonName: "document signer", KeyType: devca.ECDSAP256})
	other, _ := devca.New(devca.Options{})
	flipImprint := func(h *crypto.Hash, im *[]byte, n **big.Int) { *im = append([]byte{^(*im)[0]}, (*im)[1:]...) }
	calls := 0
	afterProbe := func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
		calls++
		if calls == 1 {
			return honest(ctx, url, ct, body)
		}
		return craft(t, f.id, flipImprint)(ctx, url, ct, body)
	}
	mk, key := openMem(t, "tsa-kepala", memkey.Options{CA: f.ca})
	for _, tc := range []struct {
		name string
		post Poster
		pool bool // the probe succeeds: the document itself is refused
		want error
	}{
		{"wrong imprint", craft(t, f.id, flipImprint), false, ErrImprint},
		{"wrong nonce", craft(t, f.id, func(h *crypto.Hash, im *[]byte, n **big.Int) { *n = new(big.Int).Add(*n, big.NewInt(1)) }), false, ErrNonce},
		{"untrusted TSA", honest, false, ErrUntrusted},
		{"no timeStamping EKU", craft(t, notTSA, nil), false, ErrUntrusted},
		{"unsigned token", func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
			return marshalResponse(unsignedToken(t), 0, "")
		}, false, ErrToken},
		{"not a reply", func(ctx context.Context, url, ct string, body []byte) ([]byte, error) { return []byte("<html>"), nil }, false, ErrToken},
		{"wrong imprint after the probe", afterProbe, true, ErrImprint},
	} {
		roots := f.ca.RootPool()
		if tc.name == "untrusted TSA" {
			roots = other.RootPool()
		}
		c := &Client{URL: "http://tsa.test/", Post: tc.post, Roots: roots}
		before := mk.Stats()
		d := &fileDoc{in: pks(t), path: filepath.Join(f.dir, "out.pdf")}
		res, err := signer.SignAll(context.Background(), key, []signer.Document{d}, signer.AllOptions{Timestamper: c})
		if err == nil && len(res) == 1 {
			err = res[0].Err
		}
		if !errors.Is(err, signer.ErrTimestamp) || !errors.Is(err, tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line wrapping %v", tc.name, err, tc.want)
		}
		if _, serr := os.Stat(d.path); serr == nil {
			t.Errorf("%s: the output was written", tc.name)
		}
		ents, _ := os.ReadDir(f.dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "partial-") {
				t.Errorf("%s: a partial file is left: %s", tc.name, e.Name())
			}
		}
		if after := mk.Stats(); !tc.pool && after != before {
			t.Errorf("%s: the key was used although the probe failed", tc.name)
		}
	}
}
