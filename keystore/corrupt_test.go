package keystore

import (
	"crypto/aes"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// corpus returns valid key files of every kind, all with testPassword.
func corpus(t testing.TB) (files map[string][]byte, certs []*x509.Certificate) {
	pki := newPKI(t, "Root CA Uji")
	key := newEC(t, elliptic.P256())
	leaf := pki.issue(t, "Rusak", key.Public(), nil)
	p8 := pkcs8DER(t, key)
	enc := encryptPKCS8(t, p8, []byte(testPassword), oidHMACWithSHA256, sha256.New, oidAES256CBC, 32, aes.NewCipher, 16)
	files = map[string][]byte{
		"pem-pkcs8":     pemBlock("PRIVATE KEY", p8),
		"pem-sec1":      pemBlock("EC PRIVATE KEY", sec1DER(t, key)),
		"pem-encrypted": pemBlock("ENCRYPTED PRIVATE KEY", enc),
		"der-pkcs8":     p8,
		"der-encrypted": enc,
	}
	for name, e := range map[string]*pkcs12.Encoder{"p12-modern": pkcs12.Modern, "p12-legacy": pkcs12.Legacy} {
		p12, err := e.WithIterations(16).Encode(key, leaf, []*x509.Certificate{pki.inter, pki.root}, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = p12
	}
	if fx, err := os.ReadFile("testdata/openssl3-default.p12"); err == nil {
		files["p12-openssl-fixture"] = fx
	}
	return files, []*x509.Certificate{leaf, pki.inter}
}

func TestCorruptedInputs(t *testing.T) {
	files, certs := corpus(t)
	dir := t.TempDir()
	certFile := writeFile(t, dir, "chain.pem", certsPEM(certs...))
	pw := func() ([]byte, error) { return []byte(testPassword), nil }

	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, dir, name, data)
			opts := Options{Password: pw}
			if !strings.HasPrefix(name, "p12") {
				opts.CertFile = certFile
			}
			if _, err := openFileRef(t, path, opts); err != nil && name != "p12-openssl-fixture" {
				t.Fatalf("the intact file does not open: %v", err)
			}

			// Every truncation that cuts into the key material fails.
			step := max(1, len(data)/150)
			for n := 0; n < len(data); n += step {
				mangled := writeFile(t, dir, name+".trunc", data[:n])
				_, err := openFileRef(t, mangled, opts)
				if err == nil && n < len(data)-40 {
					t.Errorf("truncated to %d of %d bytes: no error", n, len(data))
				}
				if err != nil && !strings.HasPrefix(err.Error(), "keystore: ") {
					t.Errorf("truncated to %d: error without prefix: %v", n, err)
				}
				checkNoPassword(t, err)
			}

			// Flipped bits must not crash; most must fail.
			for i := 0; i < len(data); i += step {
				b := append([]byte(nil), data...)
				b[i] ^= 0x41
				_, err := openFileRef(t, writeFile(t, dir, name+".flip", b), opts)
				checkNoPassword(t, err)
			}
		})
	}

	t.Run("junk", func(t *testing.T) {
		junk := map[string][]byte{
			"empty":               {},
			"whitespace":          []byte(" \n\t\r\n"),
			"text":                []byte("ini bukan kunci\n"),
			"bad base64":          []byte("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"),
			"empty pem key":       []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"),
			"empty encrypted":     []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\n-----END ENCRYPTED PRIVATE KEY-----\n"),
			"pfx header only":     {0x30, 0x03, 0x02, 0x01, 0x03},
			"pfx long header":     {0x30, 0x82, 0x01},
			"ber indefinite":      {0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00},
			"lonely sequence":     {0x30, 0x00},
			"single byte":         {0x30},
			"binary":              {0xff, 0xfe, 0x00, 0x01},
			"begin without end":   []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n"),
			"certificate garbage": []byte("-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"),
		}
		for name, data := range junk {
			path := writeFile(t, dir, "junk", data)
			_, err := openFileRef(t, path, Options{Password: pw})
			if err == nil {
				t.Errorf("%s: no error", name)
			} else if !strings.HasPrefix(err.Error(), "keystore: ") {
				t.Errorf("%s: error without prefix: %v", name, err)
			}
		}
		// A directory, and a corrupt certificate file.
		if _, err := openFileRef(t, dir, Options{}); err == nil {
			t.Error("directory: no error")
		}
		keyFile := writeFile(t, dir, "good.pem", files["pem-pkcs8"])
		for name, c := range map[string][]byte{
			"empty":     {},
			"no certs":  []byte("hello\n"),
			"bad pem":   []byte("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"),
			"truncated": certs[0].Raw[:len(certs[0].Raw)/2],
		} {
			cf := writeFile(t, dir, "badcert", c)
			if _, err := openFileRef(t, keyFile, Options{CertFile: cf}); err == nil {
				t.Errorf("cert file %s: no error", name)
			}
		}
	})
}

func FuzzParseKeyFile(f *testing.F) {
	files, certs := corpus(f)
	for _, d := range files {
		f.Add(d)
	}
	pw := func() ([]byte, error) { return []byte(testPassword), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseKeyFile("fuzz", data, certs, pw)
		if err == nil && (k.signer == nil || len(k.chain) == 0) {
			t.Fatal("success without a key or chain")
		}
		_, _ = parseKeyFile("fuzz", data, nil, nil)
	})
}
