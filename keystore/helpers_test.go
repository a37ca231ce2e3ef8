package keystore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"hash"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/pbkdf2"
)

// testPassword contains a non-ASCII (but BMP) character on purpose.
const testPassword = "rahasia-Negara-ü-42"

var rsaKeyOnce = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func newEC(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testPKI is a root CA and an intermediate CA issuing leaf certificates.
type testPKI struct {
	rootKey, interKey *ecdsa.PrivateKey
	root, inter       *x509.Certificate
}

var serial atomic.Int64

func nextSerial() *big.Int {
	return big.NewInt(100 + serial.Add(1))
}

func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t testing.TB, rootCN string) *testPKI {
	t.Helper()
	p := &testPKI{rootKey: newEC(t, elliptic.P256()), interKey: newEC(t, elliptic.P256())}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: rootCN, Organization: []string{"Pemerintah Provinsi Uji"}, Country: []string{"ID"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	p.root = createCert(t, rootTmpl, rootTmpl, p.rootKey.Public(), p.rootKey)
	interTmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: rootCN + " Intermediate", Country: []string{"ID"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(5 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	p.inter = createCert(t, interTmpl, p.root, p.interKey.Public(), p.rootKey)
	return p
}

// leafTemplate is a typical document-signing certificate template.
func leafTemplate(cn string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Dinas Komunikasi dan Informatika"}, Country: []string{"ID"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
}

// issue makes a leaf certificate for pub, signed by the intermediate.
func (p *testPKI) issue(t testing.TB, cn string, pub crypto.PublicKey, mod func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	tmpl := leafTemplate(cn)
	if mod != nil {
		mod(tmpl)
	}
	return createCert(t, tmpl, p.inter, pub, p.interKey)
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func certsPEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		b.Write(pemBlock("CERTIFICATE", c.Raw))
	}
	return b.Bytes()
}

func pkcs8DER(t testing.TB, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func sec1DER(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// passwordFunc returns a password callback that counts its calls.
func passwordFunc(pw string, calls *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*calls++
		return []byte(pw), nil
	}
}

func noPasswordExpected(t *testing.T) func() ([]byte, error) {
	return func() ([]byte, error) {
		t.Error("password callback called for a key that needs no password")
		return nil, nil
	}
}

func openFileRef(t testing.TB, path string, opts Options) (Key, error) {
	t.Helper()
	return Open(context.Background(), "file:"+path, opts)
}

// checkSignVerify signs with the key and verifies with the chain's leaf.
func checkSignVerify(t *testing.T, k Key) {
	t.Helper()
	digest := sha256.Sum256([]byte("Surat Keputusan Gubernur Nomor 1 Tahun 2026"))
	sig, err := k.Signer().Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	switch pub := k.Chain()[0].PublicKey.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("RSA signature does not verify with the leaf certificate: %v", err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Fatal("ECDSA signature does not verify with the leaf certificate")
		}
	default:
		t.Fatalf("unexpected leaf public key %T", pub)
	}
}

func checkChain(t *testing.T, k Key, want ...*x509.Certificate) {
	t.Helper()
	got := k.Chain()
	if len(got) != len(want) {
		t.Fatalf("chain has %d certificates (%s), want %d (%s)", len(got), chainNames(got), len(want), chainNames(want))
	}
	for i := range want {
		if !bytes.Equal(got[i].Raw, want[i].Raw) {
			t.Fatalf("chain is %s, want %s", chainNames(got), chainNames(want))
		}
	}
}

func chainNames(cs []*x509.Certificate) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Subject.CommonName)
	}
	return "[" + strings.Join(s, " | ") + "]"
}

func checkNoPassword(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testPassword) {
		t.Fatalf("error message contains the password: %v", err)
	}
}

// requireOpenSSL returns the openssl command, skipping the test if it is
// missing, unless CI=true.
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is required when CI=true: %v", err)
		}
		t.Skip("openssl not installed")
	}
	return p
}

func runOpenSSL(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(requireOpenSSL(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// encryptPKCS8 is a test-side PBES2 encryptor. A nil prfOID omits the
// PRF (meaning HMAC-SHA1).
func encryptPKCS8(t testing.TB, der, password []byte, prfOID asn1.ObjectIdentifier, prf func() hash.Hash,
	encOID asn1.ObjectIdentifier, keyLen int, newBlock func([]byte) (cipher.Block, error), iter int) []byte {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	key := pbkdf2.Key(password, salt, iter, keyLen, prf)
	block, err := newBlock(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, block.BlockSize())
	rand.Read(iv)
	n := block.BlockSize() - len(der)%block.BlockSize()
	pt := append(append([]byte(nil), der...), bytes.Repeat([]byte{byte(n)}, n)...)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)

	kp := pbkdf2Params{
		Salt:           asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagOctetString, Bytes: salt},
		IterationCount: iter,
	}
	if prfOID != nil {
		kp.PRF = pkix.AlgorithmIdentifier{Algorithm: prfOID, Parameters: asn1.NullRawValue}
	}
	kpDER := mustMarshal(t, kp)
	ivDER := mustMarshal(t, iv)
	params := pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kpDER}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: encOID, Parameters: asn1.RawValue{FullBytes: ivDER}},
	}
	info := encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: mustMarshal(t, params)}},
		EncryptedData: ct,
	}
	return mustMarshal(t, info)
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func execOpenSSL(args ...string) ([]byte, error) {
	return exec.Command("openssl", args...).CombinedOutput()
}
