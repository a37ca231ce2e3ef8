package keystore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseKeyType(t *testing.T) {
	for in, want := range map[string]KeyType{
		"rsa-2048": RSA2048, "RSA-2048": RSA2048, "rsa2048": RSA2048, "rsa": RSA2048,
		"rsa-3072": RSA3072, "rsa3072": RSA3072, "rsa4096": RSA4096,
		"ecdsa-p256": ECDSAP256, "p256": ECDSAP256, "ECDSA_P256": ECDSAP256, "ecdsa": ECDSAP256, "ec": ECDSAP256,
		"ecdsa-p384": ECDSAP384, "p384": ECDSAP384, "ecdsa-p521": ECDSAP521, "P-521": ECDSAP521,
	} {
		if got, err := ParseKeyType(in); err != nil || got != want {
			t.Errorf("ParseKeyType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, kt := range KeyTypes {
		if got, err := ParseKeyType(kt.String()); err != nil || got != kt || !strings.Contains(string(kt), "-") {
			t.Errorf("%s: %q, %v", kt, got, err)
		}
	}
	for _, bad := range []string{"", "dsa", "ed25519", "rsa-1024", "p224"} {
		if _, err := ParseKeyType(bad); err == nil {
			t.Errorf("ParseKeyType(%q) accepted", bad)
		}
	}
}

func TestKeyTypeOf(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if kt, err := KeyTypeOf(p384.Public()); err != nil || kt != ECDSAP384 {
		t.Errorf("P-384 public key: %q, %v", kt, err)
	}
	if kt, err := KeyTypeOf(p384); err != nil || kt != ECDSAP384 {
		t.Errorf("P-384 private key: %q, %v", kt, err)
	}
	if kt, err := KeyTypeOf(rsaKeyOnce().Public()); err != nil || kt != RSA2048 {
		t.Errorf("RSA key: %q, %v", kt, err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := KeyTypeOf(pub); err == nil {
		t.Error("an Ed25519 key has a key type")
	}
}

func TestParseHash(t *testing.T) {
	for in, want := range map[string]crypto.Hash{
		"": crypto.SHA256, "sha256": crypto.SHA256, "SHA-256": crypto.SHA256,
		"sha384": crypto.SHA384, "sha-384": crypto.SHA384, "SHA512": crypto.SHA512,
	} {
		if got, err := ParseHash(in); err != nil || got != want {
			t.Errorf("ParseHash(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"md5", "sha1", "sha224", "sha3-256"} {
		if _, err := ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
	for _, h := range Hashes {
		if got, _ := ParseHash(HashName(h)); got != h {
			t.Errorf("%v does not survive HashName (%q)", h, HashName(h))
		}
	}
}

func TestNotFoundError(t *testing.T) {
	inner := fmt.Errorf("backend: %w", errors.New("404"))
	err := fmt.Errorf("open: %w", &NotFoundError{Missing: MissingCertificate, Key: "transit/k", Err: inner})
	var nf *NotFoundError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &nf) || nf.Missing != MissingCertificate || !errors.Is(err, inner) {
		t.Fatalf("%v", err)
	}
	if got := (&NotFoundError{Missing: MissingKey, Key: "transit/k"}).Error(); got != "keystore: key transit/k does not exist" {
		t.Errorf("message %q", got)
	}
	if errors.Is(&NotFoundError{}, ErrSealed) {
		t.Error("a NotFoundError matches ErrSealed")
	}
}

func TestCredentialsHidden(t *testing.T) {
	c := Credentials{Token: "hvs.rahasia"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint(&c)} {
		if strings.Contains(s, "rahasia") {
			t.Errorf("printed credentials show the token: %s", s)
		}
	}
}
