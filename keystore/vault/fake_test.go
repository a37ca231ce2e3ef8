package vault

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"segel/keystore"
)

// fakeTransit is an in-memory stand-in for the few Transit endpoints the
// signer uses, to check the requests segel sends and how it treats bad
// answers, without a Vault server.
type fakeTransit struct {
	t             *testing.T
	key           crypto.Signer // the key version 1 public key is taken from
	signer        crypto.Signer // the key that actually signs (a different one to simulate a mismatch)
	answerVersion int

	mu     sync.Mutex
	bodies []map[string]any
}

func (f *fakeTransit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	if r.Header.Get("X-Vault-Token") != "s.test" {
		reply(403, map[string]any{"errors": []string{"permission denied"}})
		return
	}
	switch {
	case r.URL.Path == "/v1/auth/token/lookup-self":
		reply(200, map[string]any{"data": map[string]any{"ttl": 0, "renewable": false}})
	case r.URL.Path == "/v1/transit/keys/k" && r.Method == "GET":
		der, _ := x509.MarshalPKIXPublicKey(f.key.Public())
		reply(200, map[string]any{"data": map[string]any{
			"type": "x", "latest_version": 1, "min_encryption_version": 0,
			"keys": map[string]any{"1": map[string]any{
				"creation_time": time.Now().Format(time.RFC3339Nano),
				"public_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
			}},
		}})
	case r.URL.Path == "/v1/transit/sign/k":
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.mu.Unlock()
		sign := func(in string) string {
			d, _ := base64.StdEncoding.DecodeString(in)
			var opts crypto.SignerOpts = crypto.SHA256
			if body["signature_algorithm"] == "pss" {
				opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
			}
			sig, err := f.signer.Sign(rand.Reader, d, opts)
			if err != nil {
				f.t.Error(err)
			}
			return fmt.Sprintf("vault:v%d:%s", f.answerVersion, base64.StdEncoding.EncodeToString(sig))
		}
		if items, ok := body["batch_input"].([]any); ok {
			var res []map[string]any
			for _, it := range items {
				m := it.(map[string]any)
				res = append(res, map[string]any{"signature": sign(m["input"].(string)), "key_version": f.answerVersion, "reference": m["reference"]})
			}
			reply(200, map[string]any{"data": map[string]any{"batch_results": res}})
			return
		}
		reply(200, map[string]any{"data": map[string]any{"signature": sign(body["input"].(string)), "key_version": f.answerVersion}})
	default:
		reply(404, map[string]any{"errors": []string{}})
	}
}

func fakeSigner(t *testing.T, f *fakeTransit) *Signer {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(context.Background(), Config{Address: srv.URL, Token: "s.test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.Signer(context.Background(), KeyName{"transit", "k"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignRequestFields(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256([]byte("x"))
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		opts crypto.SignerOpts
		want map[string]any
	}{
		{"rsa", rk, crypto.SHA256, map[string]any{"signature_algorithm": "pkcs1v15", "hash_algorithm": "sha2-256", "prehashed": true}},
		{"rsa-pss", rk, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}, map[string]any{"signature_algorithm": "pss", "salt_length": "hash"}},
		{"ecdsa", ek, crypto.SHA256, map[string]any{"marshaling_algorithm": "asn1", "hash_algorithm": "sha2-256", "prehashed": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTransit{t: t, key: tc.key, signer: tc.key, answerVersion: 1}
			s := fakeSigner(t, f)
			if _, err := s.Sign(rand.Reader, d[:], tc.opts); err != nil {
				t.Fatal(err)
			}
			if len(f.bodies) != 1 {
				t.Fatalf("%d sign requests", len(f.bodies))
			}
			b := f.bodies[0]
			for k, v := range tc.want {
				if b[k] != v {
					t.Errorf("%s = %v, want %v", k, b[k], v)
				}
			}
			if b["key_version"] != float64(1) || b["input"] != base64.StdEncoding.EncodeToString(d[:]) {
				t.Errorf("key_version %v, input %v", b["key_version"], b["input"])
			}
			if _, isEC := tc.key.(*ecdsa.PrivateKey); isEC && b["signature_algorithm"] != nil {
				t.Errorf("signature_algorithm sent for ECDSA")
			}
			if s.LastKeyVersion() != 1 {
				t.Errorf("key version used %d", s.LastKeyVersion())
			}
		})
	}
}

func TestSignatureMismatchRefused(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256([]byte("x"))

	// Vault signs with another key than the one it reports.
	s := fakeSigner(t, &fakeTransit{t: t, key: k1, signer: k2, answerVersion: 1})
	_, err := s.Sign(rand.Reader, d[:], crypto.SHA256)
	if !errors.Is(err, ErrSignatureMismatch) || !strings.Contains(err.Error(), "does not verify with version 1's public key") {
		t.Fatalf("wrong key: %v", err)
	}
	_, err = s.SignBatch(context.Background(), [][]byte{d[:], d[:]}, crypto.SHA256)
	if !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("wrong key, batch: %v", err)
	}

	// Vault signs with another version than asked for.
	s = fakeSigner(t, &fakeTransit{t: t, key: k1, signer: k1, answerVersion: 2})
	_, err = s.Sign(rand.Reader, d[:], crypto.SHA256)
	if !errors.Is(err, ErrSignatureMismatch) || !strings.Contains(err.Error(), "key version 2, not the requested 1") {
		t.Fatalf("wrong version: %v", err)
	}
}

func TestFakeBatch(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	f := &fakeTransit{t: t, key: k, signer: k, answerVersion: 1}
	s := fakeSigner(t, f)
	var ds [][]byte
	for i := range 10 {
		h := sha256.Sum256([]byte{byte(i)})
		ds = append(ds, h[:])
	}
	sigs, err := s.SignBatch(context.Background(), ds, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.bodies) != 1 {
		t.Fatalf("%d requests for one batch", len(f.bodies))
	}
	for i := range ds {
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, ds[i], sigs[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBadTokenNotEchoed(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := httptest.NewServer(&fakeTransit{t: t, key: k, signer: k})
	defer srv.Close()
	_, err := New(context.Background(), Config{Address: srv.URL, Token: "s.very-secret-token"})
	if !errors.Is(err, ErrTokenInvalid) || strings.Contains(err.Error(), "very-secret") {
		t.Fatalf("got %v", err)
	}
	if _, err := New(context.Background(), Config{Address: "ftp://x", Token: "t"}); err == nil {
		t.Fatal("ftp address accepted")
	}
	if _, err := New(context.Background(), Config{Address: srv.URL}); err == nil || !strings.Contains(err.Error(), "no Vault token") {
		t.Fatalf("no token: %v", err)
	}
}

// TestKeystoreSentinels: Vault's failures match the backend-neutral
// keystore sentinels, without a Vault server.
func TestKeystoreSentinels(t *testing.T) {
	for _, tc := range []struct {
		status int
		msg    string
		kind   error
	}{
		{503, "Vault is sealed", keystore.ErrSealed},
		{404, "", keystore.ErrNotFound},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/auth/token/lookup-self" {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"ttl": 0}})
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(tc.status)
			json.NewEncoder(w).Encode(map[string]any{"errors": []string{tc.msg}})
		}))
		c, err := New(context.Background(), Config{Address: srv.URL, Token: "s.test", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = OpenWith(context.Background(), c, KeyName{"transit", "k"}, keystore.Options{})
		if !errors.Is(err, tc.kind) {
			t.Errorf("HTTP %d: %v does not match %v", tc.status, err, tc.kind)
		}
		c.Close()
		srv.Close()
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := httptest.NewServer(&fakeTransit{t: t, key: k, signer: k})
	defer srv.Close()
	_, err := New(context.Background(), Config{Address: srv.URL, Token: "s.other"})
	if !errors.Is(err, keystore.ErrCredentialsExpired) {
		t.Errorf("refused token: %v", err)
	}
	for _, msg := range []string{ErrNoAddress.Error(), ErrNoToken.Error()} {
		if strings.Contains(msg, "export ") || strings.Contains(msg, "vault login") {
			t.Errorf("%q gives advice", msg)
		}
	}
}
