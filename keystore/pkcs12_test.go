package keystore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

type namedKey struct {
	name string
	key  crypto.Signer
}

func signingKeys(t *testing.T) []namedKey {
	return []namedKey{
		{"rsa2048", rsaKeyOnce()},
		{"p256", newEC(t, elliptic.P256())},
		{"p384", newEC(t, elliptic.P384())},
		{"p521", newEC(t, elliptic.P521())},
	}
}

func TestOpenPKCS12(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	encoders := []struct {
		name string
		enc  *pkcs12.Encoder
	}{
		{"modern", pkcs12.Modern},
		{"legacy-3des", pkcs12.Legacy},
		{"legacy-rc2", pkcs12.LegacyRC2},
	}
	for _, e := range encoders {
		for _, nk := range signingKeys(t) {
			t.Run(e.name+"/"+nk.name, func(t *testing.T) {
				leaf := pki.issue(t, "Kepala Dinas "+nk.name, nk.key.Public(), nil)
				// CA certificates deliberately in the wrong order.
				p12, err := e.enc.Encode(nk.key, leaf, []*x509.Certificate{pki.root, pki.inter}, testPassword)
				if err != nil {
					t.Fatal(err)
				}
				path := writeFile(t, t.TempDir(), "key.p12", p12)

				calls := 0
				k, err := openFileRef(t, path, Options{Password: passwordFunc(testPassword, &calls)})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer k.Close()
				if calls != 1 {
					t.Errorf("password callback called %d times, want 1", calls)
				}
				checkChain(t, k, leaf, pki.inter, pki.root)
				if !PublicKeysEqual(k.Signer().Public(), nk.key.Public()) {
					t.Error("Signer is not the stored private key")
				}
				checkSignVerify(t, k)

				// Wrong password.
				calls = 0
				_, err = openFileRef(t, path, Options{Password: passwordFunc(testPassword+"x", &calls)})
				if !errors.Is(err, ErrWrongPassword) {
					t.Fatalf("wrong password: got %v, want ErrWrongPassword", err)
				}
				if calls != 1 {
					t.Errorf("wrong password: callback called %d times, want 1", calls)
				}
				checkNoPassword(t, err)

				// No password callback.
				_, err = openFileRef(t, path, Options{})
				if !errors.Is(err, ErrPasswordRequired) {
					t.Fatalf("no password: got %v, want ErrPasswordRequired", err)
				}
			})
		}
	}
}

func TestOpenPKCS12EmptyPassword(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Sekretaris Daerah", key.Public(), nil)
	for _, e := range []struct {
		name string
		enc  *pkcs12.Encoder
	}{{"modern", pkcs12.Modern}, {"legacy", pkcs12.Legacy}, {"passwordless", pkcs12.Passwordless}} {
		t.Run(e.name, func(t *testing.T) {
			p12, err := e.enc.Encode(key, leaf, []*x509.Certificate{pki.inter}, "")
			if err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, t.TempDir(), "nopw.pfx", p12)
			// Neither a nil callback nor a present one may be needed.
			for _, pw := range []func() ([]byte, error){nil, noPasswordExpected(t)} {
				k, err := openFileRef(t, path, Options{Password: pw})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				checkChain(t, k, leaf, pki.inter)
				checkSignVerify(t, k)
			}
		})
	}
}

func TestOpenPKCS12PasswordCallbackError(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Bupati", key.Public(), nil)
	p12, err := pkcs12.Modern.Encode(key, leaf, nil, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "k.p12", p12)
	boom := errors.New("prompt cancelled")
	_, err = openFileRef(t, path, Options{Password: func() ([]byte, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the callback's error", err)
	}
	if !strings.HasPrefix(err.Error(), "keystore: ") {
		t.Errorf("error %q lacks the keystore: prefix", err)
	}
}

func TestOpenPKCS12ChainVariants(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	other := newPKI(t, "Other Root")
	key := newEC(t, elliptic.P384())
	leaf := pki.issue(t, "Walikota", key.Public(), nil)
	dir := t.TempDir()

	t.Run("leaf not first", func(t *testing.T) {
		// go-pkcs12 treats the first certificate as the leaf; here it is
		// the intermediate.
		p12, err := pkcs12.Modern.Encode(key, pki.inter, []*x509.Certificate{pki.root, leaf}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		k, err := openFileRef(t, writeFile(t, dir, "a.p12", p12), Options{Password: passwordFunc(testPassword, &calls)})
		if err != nil {
			t.Fatal(err)
		}
		checkChain(t, k, leaf, pki.inter, pki.root)
		checkSignVerify(t, k)
	})

	t.Run("cert file overrides embedded chain", func(t *testing.T) {
		p12, err := pkcs12.Modern.Encode(key, leaf, []*x509.Certificate{other.root}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		certFile := writeFile(t, dir, "chain.pem", certsPEM(pki.root, leaf, pki.inter))
		calls := 0
		k, err := openFileRef(t, writeFile(t, dir, "b.p12", p12), Options{CertFile: certFile, Password: passwordFunc(testPassword, &calls)})
		if err != nil {
			t.Fatal(err)
		}
		checkChain(t, k, leaf, pki.inter, pki.root)
	})

	t.Run("mismatched certificate", func(t *testing.T) {
		otherKey := newEC(t, elliptic.P384())
		wrongLeaf := pki.issue(t, "Orang Lain", otherKey.Public(), nil)
		p12, err := pkcs12.Modern.Encode(key, wrongLeaf, []*x509.Certificate{pki.inter}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		_, err = openFileRef(t, writeFile(t, dir, "c.p12", p12), Options{Password: passwordFunc(testPassword, &calls)})
		if !errors.Is(err, ErrCertificateMismatch) {
			t.Fatalf("got %v, want ErrCertificateMismatch", err)
		}
		if !strings.Contains(err.Error(), "does not belong to this key") {
			t.Errorf("message %q does not explain the mismatch", err)
		}
	})

	t.Run("mismatched cert file", func(t *testing.T) {
		p12, err := pkcs12.Modern.Encode(key, leaf, nil, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		otherLeaf := pki.issue(t, "Orang Lain", newEC(t, elliptic.P384()).Public(), nil)
		certFile := writeFile(t, dir, "wrong.pem", certsPEM(otherLeaf, pki.inter))
		calls := 0
		_, err = openFileRef(t, writeFile(t, dir, "d.p12", p12), Options{CertFile: certFile, Password: passwordFunc(testPassword, &calls)})
		if !errors.Is(err, ErrCertificateMismatch) {
			t.Fatalf("got %v, want ErrCertificateMismatch", err)
		}
	})

	t.Run("ed25519", func(t *testing.T) {
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		edLeaf := pki.issue(t, "Ed", edKey.Public(), nil)
		p12, err := pkcs12.Modern.Encode(edKey, edLeaf, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = openFileRef(t, writeFile(t, dir, "ed.p12", p12), Options{})
		if err == nil || !strings.Contains(err.Error(), "not supported for PDF signatures yet") {
			t.Fatalf("got %v, want an Ed25519 not supported error", err)
		}
	})
}

// DER encodings of algorithm OIDs, to prove which format openssl wrote.
var (
	derOIDPBES2     = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d}
	derOIDAES256CBC = []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a}
	derOIDSHA256    = []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
	derOIDSHA1      = []byte{0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a}
	derOIDPBE3DES   = []byte{0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03}
	derOIDPBERC240  = []byte{0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x06}
)

func TestOpenPKCS12FromOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	pki := newPKI(t, "Root CA Uji")
	dir := t.TempDir()
	pwFile := writeFile(t, dir, "pw.txt", []byte(testPassword+"\n"))

	for _, nk := range []namedKey{{"rsa2048", rsaKeyOnce()}, {"p256", newEC(t, elliptic.P256())}} {
		leaf := pki.issue(t, "Kepala Biro "+nk.name, nk.key.Public(), nil)
		keyPEM := writeFile(t, dir, nk.name+"-key.pem", pemBlock("PRIVATE KEY", pkcs8DER(t, nk.key)))
		leafPEM := writeFile(t, dir, nk.name+"-leaf.pem", certsPEM(leaf))
		caPEM := writeFile(t, dir, nk.name+"-ca.pem", certsPEM(pki.root, pki.inter))

		cases := []struct {
			name     string
			args     []string
			password string
			mustHave [][]byte
			optional bool // the openssl build may lack the legacy provider
		}{
			{"default", []string{"-passout", "file:" + pwFile}, testPassword,
				[][]byte{derOIDPBES2, derOIDAES256CBC, derOIDSHA256}, false},
			{"legacy-3des", []string{"-passout", "file:" + pwFile, "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"}, testPassword,
				[][]byte{derOIDPBE3DES, derOIDSHA1}, false},
			{"legacy-rc2", []string{"-passout", "file:" + pwFile, "-legacy"}, testPassword,
				[][]byte{derOIDPBERC240, derOIDPBE3DES, derOIDSHA1}, true},
			{"empty-password", []string{"-passout", "pass:"}, "", nil, false},
		}
		for _, c := range cases {
			t.Run(nk.name+"/"+c.name, func(t *testing.T) {
				out := filepath.Join(dir, nk.name+"-"+c.name+".p12")
				args := append([]string{"pkcs12", "-export", "-inkey", keyPEM, "-in", leafPEM, "-certfile", caPEM, "-out", out}, c.args...)
				if c.optional {
					if o, err := execOpenSSL(args...); err != nil {
						t.Skipf("openssl cannot write this format here: %v\n%s", err, o)
					}
				} else {
					runOpenSSL(t, args...)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				for _, oid := range c.mustHave {
					if !bytes.Contains(data, oid) {
						t.Fatalf("openssl output lacks algorithm OID % x; the test does not cover what it claims", oid)
					}
				}
				var pw func() ([]byte, error)
				calls := 0
				if c.password != "" {
					pw = passwordFunc(c.password, &calls)
				}
				k, err := openFileRef(t, out, Options{Password: pw})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				checkChain(t, k, leaf, pki.inter, pki.root)
				checkSignVerify(t, k)

				if c.password != "" {
					_, err = openFileRef(t, out, Options{Password: passwordFunc("salah", &calls)})
					if !errors.Is(err, ErrWrongPassword) {
						t.Fatalf("wrong password: got %v", err)
					}
				}
			})
		}
	}
}

// TestOpenPKCS12Fixtures opens the committed files made by testdata/gen.sh.
func TestOpenPKCS12Fixtures(t *testing.T) {
	pw, err := os.ReadFile("testdata/password.txt")
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimRight(string(pw), "\r\n")
	for _, name := range []string{"openssl3-default.p12", "openssl3-legacy.p12"} {
		t.Run(name, func(t *testing.T) {
			calls := 0
			k, err := openFileRef(t, filepath.Join("testdata", name), Options{Password: passwordFunc(password, &calls)})
			if err != nil {
				t.Fatal(err)
			}
			chain := k.Chain()
			if len(chain) != 3 || chain[0].Subject.CommonName != "Fixture Signer" ||
				chain[1].Subject.CommonName != "Fixture Intermediate" || chain[2].Subject.CommonName != "Fixture Root" {
				t.Fatalf("chain is %s", chainNames(chain))
			}
			if _, ok := k.Signer().(*ecdsa.PrivateKey); !ok {
				t.Fatalf("signer is %T", k.Signer())
			}
			checkSignVerify(t, k)
		})
	}
}
