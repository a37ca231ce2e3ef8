package memkey_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"

	"segel/internal/memkey"
	"segel/keystore"
)

func open(t *testing.T, ref string) keystore.Key {
	t.Helper()
	k, err := keystore.Open(context.Background(), ref, keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func TestCapabilities(t *testing.T) {
	ctx := context.Background()
	mk := memkey.MustNew(t, "kapabilitas", memkey.Options{Version: 2, Latest: 3})
	k := open(t, mk.Ref())
	s := k.Signer()
	d := sha256.Sum256([]byte("x"))
	pub := k.Chain()[0].PublicKey.(*ecdsa.PublicKey)

	cs, ok := s.(keystore.ContextSigner)
	if !ok {
		t.Fatal("no ContextSigner")
	}
	sig, err := cs.SignContext(ctx, d[:], crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(pub, d[:], sig) {
		t.Fatalf("SignContext: %v", err)
	}
	bs, ok := s.(keystore.BatchSigner)
	if !ok {
		t.Fatal("no BatchSigner")
	}
	sigs, err := bs.SignBatch(ctx, [][]byte{d[:], d[:], d[:]}, crypto.SHA256)
	if err != nil || len(sigs) != 3 || !ecdsa.VerifyASN1(pub, d[:], sigs[2]) {
		t.Fatalf("SignBatch: %d, %v", len(sigs), err)
	}
	if _, err := bs.SignBatch(ctx, make([][]byte, keystore.MaxBatch+1), crypto.SHA256); err == nil {
		t.Error("an oversized batch was signed")
	}
	if v, ok := s.(keystore.KeyVersioner); !ok || v.KeyVersion() != 2 || v.LatestKeyVersion() != 3 {
		t.Errorf("KeyVersioner: %v", ok)
	}
	if hc, ok := k.(keystore.HealthChecker); !ok || hc.Health(ctx) != nil {
		t.Errorf("HealthChecker: %v", ok)
	}
	st := mk.Stats()
	if st.Opens != 1 || st.ContextSigns != 1 || st.Batches != 1 || st.BatchDigests != 3 || st.Health != 1 || st.Signs != 0 {
		t.Errorf("stats %+v", st)
	}

	plain := open(t, memkey.MustNew(t, "polos", memkey.Options{Plain: true}).Ref())
	if _, ok := plain.(keystore.HealthChecker); ok {
		t.Error("a plain key has Health")
	}
	if _, ok := plain.Signer().(keystore.ContextSigner); ok {
		t.Error("a plain key's signer has SignContext")
	}
	nb := open(t, memkey.MustNew(t, "tanpa-batch", memkey.Options{NoBatch: true}).Ref())
	if _, ok := nb.Signer().(keystore.BatchSigner); ok {
		t.Error("a NoBatch key signs batches")
	}
	if _, ok := nb.Signer().(keystore.ContextSigner); !ok {
		t.Error("a NoBatch key lost SignContext")
	}
}

// TestFaults: every keystore sentinel can be simulated, and errors.Is
// finds it.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	mk := memkey.MustNew(t, "gangguan", memkey.Options{})
	d := sha256.Sum256(nil)
	for _, kind := range []error{keystore.ErrUnreachable, keystore.ErrTimeout, keystore.ErrSealed,
		keystore.ErrPermissionDenied, keystore.ErrNotFound, keystore.ErrCredentialsExpired} {
		mk.Fail(kind, memkey.OpOpen)
		_, err := keystore.Open(ctx, mk.Ref(), keystore.Options{})
		var me *memkey.Error
		if !errors.Is(err, kind) || !errors.As(err, &me) || me.Op != memkey.OpOpen {
			t.Errorf("open with %v: %v", kind, err)
		}
		mk.Fail(nil)
		k := open(t, mk.Ref())
		mk.Fail(kind, memkey.OpSign, memkey.OpHealth)
		if _, err := k.Signer().Sign(rand.Reader, d[:], crypto.SHA256); !errors.Is(err, kind) {
			t.Errorf("sign with %v: %v", kind, err)
		}
		if err := k.(keystore.HealthChecker).Health(ctx); !errors.Is(err, kind) {
			t.Errorf("health with %v: %v", kind, err)
		}
		mk.Fail(nil)
	}

	mk.FailAfter(2, keystore.ErrCredentialsExpired)
	k := open(t, mk.Ref())
	for i := range 3 {
		_, err := k.Signer().Sign(rand.Reader, d[:], crypto.SHA256)
		if (i < 2) != (err == nil) || (i == 2 && !errors.Is(err, keystore.ErrCredentialsExpired)) {
			t.Errorf("signature %d: %v", i, err)
		}
	}

	_, err := keystore.Open(ctx, "mem:tidak-ada", keystore.Options{})
	var nf *keystore.NotFoundError
	if !errors.As(err, &nf) || nf.Missing != keystore.MissingKey || !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestCredentials(t *testing.T) {
	ctx := context.Background()
	mk := memkey.MustNew(t, "pejabat", memkey.Options{Tokens: []string{"token-pejabat"}})
	k := open(t, mk.Ref())
	d := sha256.Sum256(nil)
	cb, ok := k.(keystore.CredentialBinder)
	if !ok {
		t.Fatal("no CredentialBinder")
	}
	good, err := cb.WithCredentials(ctx, keystore.Credentials{Token: "token-pejabat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.Signer().(keystore.ContextSigner).SignContext(ctx, d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	bad, _ := cb.WithCredentials(ctx, keystore.Credentials{Token: "token-lain"})
	if _, err := bad.Signer().(keystore.ContextSigner).SignContext(ctx, d[:], crypto.SHA256); !errors.Is(err, keystore.ErrCredentialsExpired) {
		t.Fatalf("a foreign token: %v", err)
	}
	if _, err := k.Signer().Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
		t.Fatalf("the key's own credentials: %v", err)
	}
	if st := mk.Stats(); st.CredentialSigns != 2 {
		t.Errorf("stats %+v", st)
	}
	if _, err := memkey.New("pejabat", memkey.Options{}); err == nil {
		t.Error("a name was used twice")
	}
}
