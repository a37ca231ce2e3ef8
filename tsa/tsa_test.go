package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"segel/internal/cms"
	"segel/internal/devca"
)

type fixture struct {
	ca  *devca.CA
	id  *devca.Identity
	dir string
}

func newFixture(t *testing.T, kt devca.KeyType) *fixture {
	t.Helper()
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "segel test TSA", KeyType: kt, TSA: true})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ca: ca, id: id, dir: t.TempDir()}
}

// batchKey signs like a Transit key: many digests per call, counted, each
// call taking latency (a network round trip) before it answers.
type batchKey struct {
	crypto.Signer
	latency        time.Duration
	calls, digests atomic.Int64
	max            atomic.Int64
}

func (b *batchKey) SignBatch(ctx context.Context, ds [][]byte, opts crypto.SignerOpts) ([][]byte, error) {
	time.Sleep(b.latency)
	b.calls.Add(1)
	b.digests.Add(int64(len(ds)))
	for {
		m := b.max.Load()
		if int64(len(ds)) <= m || b.max.CompareAndSwap(m, int64(len(ds))) {
			break
		}
	}
	var out [][]byte
	for _, d := range ds {
		s, err := b.Signer.Sign(rand.Reader, d, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func query(t *testing.T, data []byte, nonce, cert bool) []byte {
	t.Helper()
	req, err := timestamp.CreateRequest(bytes.NewReader(data), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: cert})
	if err != nil {
		t.Fatal(err)
	}
	if !nonce {
		return req
	}
	r, _ := timestamp.ParseRequest(req)
	r.Nonce = new(big.Int).SetInt64(time.Now().UnixNano())
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenSSLVerifies: a query made by openssl ts, answered by the
// authority, verifies with openssl ts -verify against the development root.
func TestOpenSSLVerifies(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	for _, kt := range []devca.KeyType{devca.ECDSAP256, devca.RSA2048} {
		f := newFixture(t, kt)
		a, err := New(Config{Signer: f.id.Key, Chain: f.id.Chain, Accuracy: 1500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(f.dir, "data")
		os.WriteFile(data, []byte("Perjanjian Kerja Sama"), 0o644)
		tsq, tsr, root := filepath.Join(f.dir, "q.tsq"), filepath.Join(f.dir, "r.tsr"), filepath.Join(f.dir, "root.pem")
		os.WriteFile(root, f.ca.RootPEM(), 0o644)
		chain := filepath.Join(f.dir, "chain.pem")
		os.WriteFile(chain, devca.CertsPEM(f.ca.Intermediate), 0o644)
		if b, err := exec.Command("openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", tsq).CombinedOutput(); err != nil {
			t.Fatalf("openssl ts -query: %v %s", err, b)
		}
		q, _ := os.ReadFile(tsq)
		srv := httptest.NewServer(a)
		resp, err := http.Post(srv.URL, "application/timestamp-query", bytes.NewReader(q))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/timestamp-reply" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		os.WriteFile(tsr, body, 0o644)
		out, err := exec.Command("openssl", "ts", "-verify", "-data", data, "-in", tsr, "-CAfile", root, "-untrusted", chain).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verification: OK") {
			t.Fatalf("%s: openssl ts -verify: %v %s", kt, err, out)
		}
		text, _ := exec.Command("openssl", "ts", "-reply", "-in", tsr, "-text").CombinedOutput()
		for _, want := range []string{"Status: Granted", "Accuracy: 0x01 seconds, 0x01F4 millis", "Nonce: 0x"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("%s: reply lacks %q:\n%s", kt, want, text)
			}
		}
	}
}

// TestRejections: bad data, an unaccepted policy, a weak or short imprint
// and a non-POST are answered as RFC 3161 and HTTP say, with nothing
// signed.
func TestRejections(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	k := &batchKey{Signer: f.id.Key}
	a, err := New(Config{Signer: k, Chain: f.id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	bad := func(req []byte) {
		t.Helper()
		tok, err := a.Respond(context.Background(), req, "")
		if err == nil || tok == nil {
			t.Fatalf("accepted: %v", err)
		}
		var resp timeStampResp
		if _, e := asn1.Unmarshal(tok.Response, &resp); e != nil || resp.Status.Status != 2 || len(resp.TimeStampToken.FullBytes) != 0 {
			t.Fatalf("response %+v %v", resp, e)
		}
	}
	bad([]byte("not DER"))
	r, _ := timestamp.ParseRequest(query(t, []byte("x"), false, true))
	r.TSAPolicyOID = asn1.ObjectIdentifier{1, 2, 3}
	b, _ := r.Marshal()
	bad(b)
	r.TSAPolicyOID, r.HashAlgorithm, r.HashedMessage = nil, crypto.SHA1, make([]byte, 20)
	b, _ = r.Marshal()
	bad(b)
	r.HashAlgorithm, r.HashedMessage = crypto.SHA256, make([]byte, 5)
	b, _ = r.Marshal()
	bad(b)
	if k.calls.Load() != 0 {
		t.Errorf("the key signed %d times for rejected requests", k.calls.Load())
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	resp, _ := http.Get(srv.URL)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	resp, _ = http.Post(srv.URL, "application/octet-stream", strings.NewReader("x"))
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("wrong type: %d", resp.StatusCode)
	}
}

// TestCertificateChecks: a certificate without the critical timeStamping
// EKU cannot run an authority.
func TestCertificateChecks(t *testing.T) {
	ca, _ := devca.New(devca.Options{})
	id, _ := ca.Issue(devca.LeafRequest{CommonName: "not a TSA", KeyType: devca.ECDSAP256})
	if _, err := New(Config{Signer: id.Key, Chain: id.Chain}); err == nil {
		t.Fatal("a document-signing certificate runs a TSA")
	}
	tsa, _ := ca.Issue(devca.LeafRequest{CommonName: "old TSA", KeyType: devca.ECDSAP256, TSA: true,
		NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	if _, err := New(Config{Signer: tsa.Key, Chain: tsa.Chain}); err == nil {
		t.Fatal("an expired TSA certificate runs a TSA")
	}
}

// TestConcurrentBatched: 1,000 concurrent requests on a batching key give
// 1,000 tokens with unique serials, each verifying, in far fewer backend
// calls than requests, none larger than MaxBatch.
func TestConcurrentBatched(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	// A backend call takes 2 ms (Transit on loopback takes about 5): the
	// requests that arrive meanwhile share the next call. (An instant
	// key, on a loaded machine, would see requests one at a time.)
	k := &batchKey{Signer: f.id.Key, latency: 2 * time.Millisecond}
	var mu sync.Mutex
	audited := map[string]bool{}
	a, err := New(Config{Signer: k, Chain: f.id.Chain, Audit: func(_ context.Context, r Record) error {
		mu.Lock()
		defer mu.Unlock()
		audited[r.Serial] = true
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	var wg sync.WaitGroup
	serials := make([]string, n)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			data := []byte{byte(i), byte(i >> 8)}
			tok, err := a.Respond(context.Background(), query(t, data, true, i%2 == 0), "")
			if err != nil {
				errs <- err
				return
			}
			if err := checkToken(tok.Response, data, f); err != nil {
				errs <- err
				return
			}
			serials[i] = tok.Record.Serial
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range serials {
		if seen[s] || len(s) < 30 {
			t.Fatalf("serial %q repeated or short", s)
		}
		seen[s] = true
	}
	if len(audited) != n || k.digests.Load() != n {
		t.Errorf("audited %d, signed %d digests, want %d", len(audited), k.digests.Load(), n)
	}
	if c := k.calls.Load(); c >= n/4 || k.max.Load() > 64 {
		t.Errorf("%d backend calls (largest batch %d) for %d requests", c, k.max.Load(), n)
	}
	t.Logf("%d requests in %d backend calls, largest batch %d", n, k.calls.Load(), k.max.Load())
}

// checkToken verifies a response with the project's own CMS code.
func checkToken(resp, data []byte, f *fixture) error {
	var r timeStampResp
	if _, err := asn1.Unmarshal(resp, &r); err != nil {
		return err
	}
	sd, err := cms.Parse(r.TimeStampToken.FullBytes)
	if err != nil {
		return err
	}
	info, err := cms.ParseTSTInfo(sd.EContent)
	if err != nil {
		return err
	}
	want := sha256.Sum256(data)
	if !bytes.Equal(info.MessageImprint.HashedMessage, want[:]) {
		return errBad("imprint")
	}
	si := sd.Signers[0]
	sum := sha256.Sum256(sd.EContent)
	if err := si.CheckDigest(sum[:]); err != nil {
		return err
	}
	return si.VerifySignature(f.id.Cert, sum[:])
}

type errBad string

func (e errBad) Error() string { return string(e) }

var _ = x509.Certificate{}
