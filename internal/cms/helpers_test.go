package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testPKI is a root CA, an intermediate CA and a leaf certificate for one
// signing key.
type testPKI struct {
	rootKey  crypto.Signer
	root     *x509.Certificate
	interKey crypto.Signer
	inter    *x509.Certificate
	leafKey  crypto.Signer
	leaf     *x509.Certificate
}

func (p *testPKI) chain() []*x509.Certificate { return []*x509.Certificate{p.leaf, p.inter} }

var (
	keyCacheMu sync.Mutex
	keyCache   = map[string]crypto.Signer{}
	serialCtr  atomic.Int64
)

// testKey returns a (cached) key: "rsa2048", "rsa3072", "p256", "p384",
// "p521", "ed25519". Cached keys keep the tests fast; the name suffix "#n"
// gives an independent key.
func testKey(t testing.TB, name string) crypto.Signer {
	t.Helper()
	keyCacheMu.Lock()
	defer keyCacheMu.Unlock()
	if k, ok := keyCache[name]; ok {
		return k
	}
	kind := name
	for i := range name {
		if name[i] == '#' {
			kind = name[:i]
			break
		}
	}
	var (
		k   crypto.Signer
		err error
	)
	switch kind {
	case "rsa2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa3072":
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	case "p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	keyCache[name] = k
	return k
}

func issue(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(1000 + serialCtr.Add(1))
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newPKI builds root -> intermediate -> leaf for the named leaf key. The
// leaf has KU digitalSignature|contentCommitment and EKU emailProtection.
func newPKI(t testing.TB, leafKeyName string) *testPKI {
	t.Helper()
	p := &testPKI{
		rootKey:  testKey(t, "p256#root"),
		interKey: testKey(t, "p256#inter"),
		leafKey:  testKey(t, leafKeyName),
	}
	now := time.Now()
	p.root = issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "segel test root", Organization: []string{"segel"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, p.rootKey.Public(), p.rootKey)
	p.inter = issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "segel test intermediate", Organization: []string{"segel"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, p.root, p.interKey.Public(), p.rootKey)
	p.leaf = issue(t, &x509.Certificate{
		Subject:        pkix.Name{CommonName: "segel test signer " + leafKeyName, Organization: []string{"segel"}},
		NotBefore:      now.Add(-time.Hour),
		NotAfter:       now.Add(24 * time.Hour),
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		EmailAddresses: []string{"signer@example.test"},
		SubjectKeyId:   []byte{0x5e, 0x9e, 0x1, byte(serialCtr.Load())},
	}, p.inter, p.leafKey.Public(), p.interKey)
	return p
}

// newTSA issues a timestamping certificate under the PKI's intermediate.
func (p *testPKI) newTSA(t testing.TB, keyName string) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	k := testKey(t, keyName)
	now := time.Now()
	// RFC 3161 requires the timeStamping EKU to be the only one and
	// critical; crypto/x509 writes EKU non-critical, so add it by hand.
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		t.Fatal(err)
	}
	c := issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "segel test TSA", Organization: []string{"segel"}},
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(24 * time.Hour),
		KeyUsage:  x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku},
		},
	}, p.inter, k.Public(), p.interKey)
	return c, k
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func keyPEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// countingSigner counts Sign calls.
type countingSigner struct {
	crypto.Signer
	calls atomic.Int32
}

func (c *countingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	c.calls.Add(1)
	return c.Signer.Sign(r, digest, opts)
}

// wrongKeySigner reports one public key and signs with another, like a
// misconfigured remote signer.
type wrongKeySigner struct {
	pub  crypto.PublicKey
	sign crypto.Signer
}

func (w wrongKeySigner) Public() crypto.PublicKey { return w.pub }
func (w wrongKeySigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return w.sign.Sign(r, d, o)
}

// toBER rewrites a DER encoding into BER: every constructed element gets an
// indefinite length and every universal OCTET STRING longer than chunk bytes
// is split into a constructed, indefinite-length string of chunk-sized
// segments. Normalising the result must give the input back.
func toBER(t testing.TB, der []byte, chunk int) []byte {
	t.Helper()
	var out []byte
	for len(der) > 0 {
		h, err := parseBERHeader(der, 0, len(der))
		if err != nil {
			t.Fatalf("toBER: %v", err)
		}
		content := der[h.hdrLen : h.hdrLen+h.length]
		tag := der[:h.tagLen]
		switch {
		case h.constructed:
			out = append(out, tag...)
			out = append(out, 0x80)
			out = append(out, toBER(t, content, chunk)...)
			out = append(out, 0, 0)
		case h.class == 0 && h.tag == 4 && len(content) > chunk:
			out = append(out, 0x24, 0x80)
			for len(content) > 0 {
				n := min(chunk, len(content))
				out = append(out, 0x04)
				out = appendDERLen(out, n)
				out = append(out, content[:n]...)
				content = content[n:]
			}
			out = append(out, 0, 0)
		default:
			out = append(out, der[:h.hdrLen+h.length]...)
		}
		der = der[h.hdrLen+h.length:]
	}
	return out
}
