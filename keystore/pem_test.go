package keystore

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenPEMKeys(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	rsaKey := rsaKeyOnce()
	p256 := newEC(t, elliptic.P256())
	p384 := newEC(t, elliptic.P384())
	p521 := newEC(t, elliptic.P521())
	ecParams := func(t *testing.T, k *ecdsa.PrivateKey) []byte {
		// What `openssl ecparam -genkey` puts before the key.
		oid := map[elliptic.Curve]asn1.ObjectIdentifier{
			elliptic.P256(): {1, 2, 840, 10045, 3, 1, 7},
			elliptic.P384(): {1, 3, 132, 0, 34},
		}[k.Curve]
		return pemBlock("EC PARAMETERS", mustMarshal(t, oid))
	}

	cases := []struct {
		name string
		key  crypto.Signer
		pem  func(t *testing.T) []byte
	}{
		{"rsa-pkcs8", rsaKey, func(t *testing.T) []byte { return pemBlock("PRIVATE KEY", pkcs8DER(t, rsaKey)) }},
		{"rsa-pkcs1", rsaKey, func(t *testing.T) []byte { return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)) }},
		{"p256-pkcs8", p256, func(t *testing.T) []byte { return pemBlock("PRIVATE KEY", pkcs8DER(t, p256)) }},
		{"p256-sec1", p256, func(t *testing.T) []byte { return pemBlock("EC PRIVATE KEY", sec1DER(t, p256)) }},
		{"p384-sec1-with-params", p384, func(t *testing.T) []byte {
			return append(ecParams(t, p384), pemBlock("EC PRIVATE KEY", sec1DER(t, p384))...)
		}},
		{"p521-pkcs8", p521, func(t *testing.T) []byte { return pemBlock("PRIVATE KEY", pkcs8DER(t, p521)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			pub := c.key.Public()
			leaf := pki.issue(t, "Penandatangan "+c.name, pub, nil)
			keyPEM := c.pem(t)

			t.Run("cert file", func(t *testing.T) {
				keyFile := writeFile(t, dir, "key.pem", keyPEM)
				certFile := writeFile(t, dir, "chain.pem", certsPEM(pki.root, leaf, pki.inter))
				k, err := openFileRef(t, keyFile, Options{CertFile: certFile, Password: noPasswordExpected(t)})
				if err != nil {
					t.Fatal(err)
				}
				checkChain(t, k, leaf, pki.inter, pki.root)
				checkSignVerify(t, k)
				priv, ok := k.Signer().(interface{ Equal(crypto.PrivateKey) bool })
				if !ok || !priv.Equal(c.key) {
					t.Errorf("Signer() is %T, want the stored private key itself", k.Signer())
				}
			})

			t.Run("DER cert file", func(t *testing.T) {
				keyFile := writeFile(t, dir, "key2.pem", keyPEM)
				der := append(append([]byte(nil), leaf.Raw...), pki.inter.Raw...)
				certFile := writeFile(t, dir, "chain.der", der)
				k, err := openFileRef(t, keyFile, Options{CertFile: certFile})
				if err != nil {
					t.Fatal(err)
				}
				checkChain(t, k, leaf, pki.inter)
			})

			t.Run("certs in key file", func(t *testing.T) {
				// Like `openssl pkcs12 -nodes` output: text before blocks,
				// certificates after the key, in any order.
				var b bytes.Buffer
				b.WriteString("Bag Attributes\n    localKeyID: 01 02 03\nKey Attributes: <No Attributes>\n")
				b.Write(keyPEM)
				b.WriteString("subject=CN = whatever\n")
				b.Write(certsPEM(pki.inter, pki.root, leaf))
				keyFile := writeFile(t, dir, "bundle.pem", b.Bytes())
				k, err := openFileRef(t, keyFile, Options{})
				if err != nil {
					t.Fatal(err)
				}
				checkChain(t, k, leaf, pki.inter, pki.root)
				checkSignVerify(t, k)
			})

			t.Run("cert file overrides certs in key file", func(t *testing.T) {
				stranger := pki.issue(t, "Bukan Saya", newEC(t, elliptic.P256()).Public(), nil)
				keyFile := writeFile(t, dir, "bundle2.pem", append(append([]byte(nil), keyPEM...), certsPEM(stranger)...))
				certFile := writeFile(t, dir, "leaf.pem", certsPEM(leaf))
				k, err := openFileRef(t, keyFile, Options{CertFile: certFile})
				if err != nil {
					t.Fatal(err)
				}
				checkChain(t, k, leaf)
			})

			t.Run("no certificate", func(t *testing.T) {
				keyFile := writeFile(t, dir, "lonely.pem", keyPEM)
				_, err := openFileRef(t, keyFile, Options{})
				if !errors.Is(err, ErrCertificateRequired) || strings.Contains(err.Error(), "--cert") {
					t.Fatalf("got %v, want ErrCertificateRequired (without a flag name)", err)
				}
			})

			t.Run("mismatched certificate", func(t *testing.T) {
				keyFile := writeFile(t, dir, "key3.pem", keyPEM)
				stranger := pki.issue(t, "Bukan Saya", newEC(t, elliptic.P256()).Public(), nil)
				certFile := writeFile(t, dir, "stranger.pem", certsPEM(stranger, pki.inter))
				_, err := openFileRef(t, keyFile, Options{CertFile: certFile})
				if !errors.Is(err, ErrCertificateMismatch) {
					t.Fatalf("got %v, want ErrCertificateMismatch", err)
				}
			})
		})
	}
}

func TestOpenDERKey(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "DER", key.Public(), nil)
	dir := t.TempDir()
	certFile := writeFile(t, dir, "leaf.pem", certsPEM(leaf))
	for name, der := range map[string][]byte{"pkcs8": pkcs8DER(t, key), "sec1": sec1DER(t, key)} {
		t.Run(name, func(t *testing.T) {
			keyFile := writeFile(t, dir, name+".der", der)
			k, err := openFileRef(t, keyFile, Options{CertFile: certFile})
			if err != nil {
				t.Fatal(err)
			}
			checkSignVerify(t, k)
			if _, err := openFileRef(t, keyFile, Options{}); !errors.Is(err, ErrCertificateRequired) {
				t.Fatalf("without cert: got %v", err)
			}
		})
	}
	t.Run("encrypted pkcs8", func(t *testing.T) {
		der := encryptPKCS8(t, pkcs8DER(t, key), []byte(testPassword), oidHMACWithSHA256, sha256.New, oidAES256CBC, 32, aes.NewCipher, 1000)
		keyFile := writeFile(t, dir, "enc.der", der)
		calls := 0
		k, err := openFileRef(t, keyFile, Options{CertFile: certFile, Password: passwordFunc(testPassword, &calls)})
		if err != nil {
			t.Fatal(err)
		}
		checkSignVerify(t, k)
	})
}

func TestOpenEncryptedPKCS8(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Terenkripsi", key.Public(), nil)
	dir := t.TempDir()
	certFile := writeFile(t, dir, "leaf.pem", certsPEM(leaf, pki.inter))
	plain := pkcs8DER(t, key)

	type cipherCase struct {
		name     string
		oid      asn1.ObjectIdentifier
		keyLen   int
		newBlock func([]byte) (cipher.Block, error)
	}
	ciphers := []cipherCase{
		{"aes128", oidAES128CBC, 16, aes.NewCipher},
		{"aes192", oidAES192CBC, 24, aes.NewCipher},
		{"aes256", oidAES256CBC, 32, aes.NewCipher},
		{"3des", oidDESEDE3CBC, 24, des.NewTripleDESCipher},
	}
	prfs := []struct {
		name string
		oid  asn1.ObjectIdentifier
		h    func() hash.Hash
	}{
		{"default-sha1", nil, sha1.New},
		{"sha1", oidHMACWithSHA1, sha1.New},
		{"sha256", oidHMACWithSHA256, sha256.New},
		{"sha512", oidHMACWithSHA512, sha512.New},
	}
	for _, c := range ciphers {
		for _, p := range prfs {
			t.Run(c.name+"/"+p.name, func(t *testing.T) {
				der := encryptPKCS8(t, plain, []byte(testPassword), p.oid, p.h, c.oid, c.keyLen, c.newBlock, 2048)
				keyFile := writeFile(t, dir, c.name+p.name+".pem", pemBlock("ENCRYPTED PRIVATE KEY", der))

				calls := 0
				k, err := openFileRef(t, keyFile, Options{CertFile: certFile, Password: passwordFunc(testPassword, &calls)})
				if err != nil {
					t.Fatal(err)
				}
				if calls != 1 {
					t.Errorf("password callback called %d times", calls)
				}
				checkChain(t, k, leaf, pki.inter)
				checkSignVerify(t, k)

				_, err = openFileRef(t, keyFile, Options{CertFile: certFile, Password: passwordFunc(testPassword+"!", &calls)})
				if !errors.Is(err, ErrWrongPassword) {
					t.Fatalf("wrong password: got %v", err)
				}
				checkNoPassword(t, err)

				_, err = openFileRef(t, keyFile, Options{CertFile: certFile})
				if !errors.Is(err, ErrPasswordRequired) {
					t.Fatalf("no password: got %v", err)
				}
			})
		}
	}
}

func TestPasswordIsZeroed(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Nol", key.Public(), nil)
	dir := t.TempDir()
	der := encryptPKCS8(t, pkcs8DER(t, key), []byte(testPassword), oidHMACWithSHA256, sha256.New, oidAES256CBC, 32, aes.NewCipher, 100)
	keyFile := writeFile(t, dir, "enc.pem", append(pemBlock("ENCRYPTED PRIVATE KEY", der), certsPEM(leaf)...))
	var handed []byte
	k, err := openFileRef(t, keyFile, Options{Password: func() ([]byte, error) {
		handed = []byte(testPassword)
		return handed, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkSignVerify(t, k)
	if !bytes.Equal(handed, make([]byte, len(testPassword))) {
		t.Errorf("password buffer not zeroed: %q", handed)
	}
}

func TestOpenEncryptedPKCS8FromOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	pki := newPKI(t, "Root CA Uji")
	dir := t.TempDir()
	pwFile := writeFile(t, dir, "pw.txt", []byte(testPassword+"\n"))
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "OpenSSL PKCS8", key.Public(), nil)
	plainFile := writeFile(t, dir, "plain.pem", pemBlock("PRIVATE KEY", pkcs8DER(t, key)))
	rsaPlainFile := writeFile(t, dir, "rsa.pem", pemBlock("PRIVATE KEY", pkcs8DER(t, rsaKeyOnce())))
	rsaLeaf := pki.issue(t, "OpenSSL PKCS8 RSA", rsaKeyOnce().Public(), nil)
	certFile := writeFile(t, dir, "leaf.pem", certsPEM(leaf, pki.inter))
	rsaCertFile := writeFile(t, dir, "rsaleaf.pem", certsPEM(rsaLeaf, pki.inter))

	ok := []struct {
		name, in, cert string
		extra          []string
	}{
		{"v2-aes256", plainFile, certFile, []string{"-v2", "aes256"}},
		{"v2-aes256-rsa", rsaPlainFile, rsaCertFile, []string{"-v2", "aes256"}},
		{"v2-aes128-sha1", plainFile, certFile, []string{"-v2", "aes128", "-v2prf", "hmacWithSHA1"}},
		{"v2-aes192-sha512", plainFile, certFile, []string{"-v2", "aes192", "-v2prf", "hmacWithSHA512"}},
		{"v2-des3", plainFile, certFile, []string{"-v2", "des3"}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".pem")
			runOpenSSL(t, append([]string{"pkcs8", "-topk8", "-in", c.in, "-out", out, "-passout", "file:" + pwFile}, c.extra...)...)
			calls := 0
			k, err := openFileRef(t, out, Options{CertFile: c.cert, Password: passwordFunc(testPassword, &calls)})
			if err != nil {
				t.Fatal(err)
			}
			checkSignVerify(t, k)
			_, err = openFileRef(t, out, Options{CertFile: c.cert, Password: passwordFunc("bukan", &calls)})
			if !errors.Is(err, ErrWrongPassword) {
				t.Fatalf("wrong password: got %v", err)
			}
		})
	}

	t.Run("genpkey", func(t *testing.T) {
		for _, alg := range [][]string{
			{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"},
			{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"},
		} {
			out := filepath.Join(dir, "gen-"+alg[1]+".pem")
			runOpenSSL(t, append([]string{"genpkey", "-aes256", "-pass", "file:" + pwFile, "-out", out}, alg...)...)
			pubFile := filepath.Join(dir, "gen-"+alg[1]+".pub")
			runOpenSSL(t, "pkey", "-in", out, "-passin", "file:"+pwFile, "-pubout", "-out", pubFile)
			pubPEM, err := os.ReadFile(pubFile)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := pem.Decode(pubPEM)
			pub, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			genLeaf := pki.issue(t, "genpkey "+alg[1], pub, nil)
			cf := writeFile(t, dir, "gen-"+alg[1]+"-cert.pem", certsPEM(genLeaf))
			calls := 0
			k, err := openFileRef(t, out, Options{CertFile: cf, Password: passwordFunc(testPassword, &calls)})
			if err != nil {
				t.Fatalf("%s: %v", alg[1], err)
			}
			checkSignVerify(t, k)
		}
	})

	unsupported := []struct {
		name  string
		extra []string
	}{
		{"scrypt", []string{"-scrypt"}},
		{"v1-pbes1", []string{"-v1", "PBE-SHA1-3DES"}},
	}
	for _, c := range unsupported {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".pem")
			runOpenSSL(t, append([]string{"pkcs8", "-topk8", "-in", plainFile, "-out", out, "-passout", "file:" + pwFile}, c.extra...)...)
			calls := 0
			_, err := openFileRef(t, out, Options{CertFile: certFile, Password: passwordFunc(testPassword, &calls)})
			if err == nil || !strings.Contains(err.Error(), "openssl pkcs8 -topk8 -v2 aes256") {
				t.Fatalf("got %v, want a conversion hint", err)
			}
			checkNoPassword(t, err)
		})
	}

	t.Run("traditional encrypted", func(t *testing.T) {
		out := filepath.Join(dir, "trad.pem")
		runOpenSSL(t, "pkey", "-in", plainFile, "-traditional", "-aes256", "-passout", "file:"+pwFile, "-out", out)
		data, _ := os.ReadFile(out)
		if !bytes.Contains(data, []byte("Proc-Type: 4,ENCRYPTED")) {
			t.Fatalf("openssl did not write a legacy encrypted key:\n%s", data)
		}
		_, err := openFileRef(t, out, Options{CertFile: certFile, Password: noPasswordExpected(t)})
		if err == nil || !strings.Contains(err.Error(), "openssl pkcs8 -topk8") {
			t.Fatalf("got %v, want a conversion hint", err)
		}
	})
}

func TestLegacyEncryptedPEMRejected(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Legacy", key.Public(), nil)
	dir := t.TempDir()
	junk := make([]byte, 128)
	rand.Read(junk)
	block := pem.EncodeToMemory(&pem.Block{
		Type:    "EC PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   junk,
	})
	keyFile := writeFile(t, dir, "legacy.pem", block)
	certFile := writeFile(t, dir, "leaf.pem", certsPEM(leaf))
	_, err := openFileRef(t, keyFile, Options{CertFile: certFile, Password: noPasswordExpected(t)})
	if err == nil || !strings.Contains(err.Error(), "openssl pkcs8 -topk8") || !strings.Contains(err.Error(), "legacy PEM encryption") {
		t.Fatalf("got %v, want a clear legacy-encryption error", err)
	}
}

func TestUnsupportedKeys(t *testing.T) {
	pki := newPKI(t, "Root CA Uji")
	dir := t.TempDir()

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224 := newEC(t, elliptic.P224())
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		pem  []byte
		pub  any
		want string
	}{
		{"rsa1024", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), small.Public(), "at least 2048"},
		{"p224", pemBlock("EC PRIVATE KEY", sec1DER(t, p224)), p224.Public(), "P-224"},
		{"ed25519", pemBlock("PRIVATE KEY", pkcs8DER(t, edKey)), edKey.Public(), "not supported for PDF signatures yet"},
		{"openssh", pemBlock("OPENSSH PRIVATE KEY", []byte("openssh-key-v1\x00")), nil, "OpenSSH"},
		{"two keys", append(pemBlock("EC PRIVATE KEY", sec1DER(t, p224)), pemBlock("EC PRIVATE KEY", sec1DER(t, p224))...), nil, "more than one private key"},
		{"certificate only", certsPEM(pki.root), nil, "no private key"},
		{"public key only", pemBlock("PUBLIC KEY", []byte{1}), nil, "no PEM private key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.pem
			if c.pub != nil {
				data = append(append([]byte(nil), data...), certsPEM(pki.issue(t, c.name, c.pub, nil))...)
			}
			_, err := openFileRef(t, writeFile(t, dir, c.name+".pem", data), Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "keystore: ") {
				t.Errorf("error %q lacks the keystore: prefix", err)
			}
		})
	}
}
