package vault_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/keystore"
	"segel/keystore/vault"
	"segel/keystore/vault/vaulttest"
)

var (
	tuban = vault.KeyName{Mount: "transit", Name: "pks-tuban"}
	jatim = vault.KeyName{Mount: "transit", Name: "pks-jatim"}
)

func client(t testing.TB, addr, token string) *vault.Client {
	t.Helper()
	c, err := vault.New(context.Background(), vault.Config{Address: addr, Token: token, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// setup starts a server with two certified keys, made with the admin
// policy: pks-tuban (ECDSA P-256) and pks-jatim (RSA-3072).
func setup(t testing.TB) *vaulttest.Server {
	t.Helper()
	s := vaulttest.Start(t)
	admin := client(t, s.Addr, s.AdminToken())
	ctx := context.Background()
	for _, k := range []struct {
		name vault.KeyName
		typ  vault.KeyType
		cn   string
	}{{tuban, vault.ECDSAP256, "Bupati Tuban"}, {jatim, vault.RSA3072, "Gubernur Jawa Timur"}} {
		info, err := admin.CreateKey(ctx, k.name, k.typ)
		if err != nil {
			t.Fatal(err)
		}
		if info.Exportable || info.AllowPlaintextBackup || info.LatestVersion != 1 {
			t.Fatalf("new key %+v", info)
		}
		res, err := admin.RequestCertificate(ctx, vault.CertRequest{Key: k.name, PKI: vaulttest.PKI, Role: vaulttest.Role, CommonName: k.cn, Organization: "Pemerintah"})
		if err != nil {
			t.Fatal(err)
		}
		if res.KeyVersion != 1 || len(res.Chain) < 2 {
			t.Fatalf("certificate result %+v", res)
		}
	}
	return s
}

func open(t testing.TB, s *vaulttest.Server, token string, k vault.KeyName) *vault.Key {
	t.Helper()
	key, err := vault.Open(context.Background(), vault.Config{Address: s.Addr, Token: token, Timeout: 5 * time.Second}, k.String(), keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { key.Close() })
	return key
}

func digest(h crypto.Hash) []byte {
	d := h.New()
	d.Write([]byte("perjanjian kerja sama"))
	return d.Sum(nil)
}

func TestSignerWithSignerPolicy(t *testing.T) {
	s := setup(t)
	tok := s.SignerToken()
	for _, k := range []vault.KeyName{tuban, jatim} {
		key := open(t, s, tok, k)
		sg := key.TransitSigner()
		if sg.KeyVersion() != 1 || !key.Chain()[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(sg.Public()) {
			t.Fatalf("%s: version %d or certificate mismatch", k, sg.KeyVersion())
		}
		if err := keystore.CheckSigningCertificate(key.Chain()[0], time.Now()); err != nil {
			t.Fatalf("%s: the PKI role's certificate cannot sign documents: %v", k, err)
		}
		opts := []crypto.SignerOpts{crypto.SHA256, crypto.SHA384, crypto.SHA512}
		if _, ok := sg.Public().(*rsa.PublicKey); ok {
			opts = append(opts, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
		}
		for _, o := range opts {
			d := digest(o.HashFunc())
			sig, err := sg.Sign(rand.Reader, d, o)
			if err != nil {
				t.Fatalf("%s %v: %v", k, o, err)
			}
			switch pub := sg.Public().(type) {
			case *rsa.PublicKey:
				if pss, ok := o.(*rsa.PSSOptions); ok {
					err = rsa.VerifyPSS(pub, o.HashFunc(), d, sig, pss)
				} else {
					// PKCS#1 v1.5 (Transit's default would be PSS).
					err = rsa.VerifyPKCS1v15(pub, o.HashFunc(), d, sig)
				}
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, d, sig) {
					err = errors.New("not a DER ECDSA signature of the digest")
				}
			}
			if err != nil {
				t.Fatalf("%s %v: %v", k, o, err)
			}
			if sg.LastKeyVersion() != 1 {
				t.Fatalf("key version used: %d", sg.LastKeyVersion())
			}
		}
		if _, err := sg.Sign(rand.Reader, digest(crypto.SHA256)[:20], crypto.SHA256); err == nil {
			t.Fatal("a short digest was sent")
		}
	}
}

// TestPrivateKeyNeverReadable shows that neither the signer's nor the
// admin's policy can get a private key out of Transit, and that even the
// root token cannot, because segel's keys are not exportable.
func TestPrivateKeyNeverReadable(t *testing.T) {
	s := setup(t)
	for name, tok := range map[string]string{"segel-signer": s.SignerToken(), "segel-admin": s.AdminToken()} {
		api := s.Client(tok)
		for _, p := range []string{
			"transit/export/signing-key/pks-tuban",
			"transit/export/signing-key/pks-tuban/1",
			"transit/backup/pks-tuban",
		} {
			sec, err := api.Logical().Read(p)
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s: read %s: %v %v, want permission denied", name, p, sec, err)
			}
		}
		if _, err := api.Logical().Write("transit/keys/pks-tuban/config", map[string]any{"exportable": true}); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: making the key exportable: %v, want permission denied", name, err)
		}
		sec, err := api.Logical().Read("transit/keys/pks-tuban")
		if err != nil {
			t.Fatalf("%s: reading the public key: %v", name, err)
		}
		if sec.Data["exportable"] != false {
			t.Errorf("%s: key is exportable", name)
		}
		for _, v := range sec.Data["keys"].(map[string]any) {
			for field := range v.(map[string]any) {
				if field != "creation_time" && field != "name" && field != "public_key" {
					t.Errorf("%s: key read shows field %q", name, field)
				}
			}
		}
	}
	_, err := s.Client(s.RootToken).Logical().Read("transit/export/signing-key/pks-tuban")
	if err == nil || !strings.Contains(err.Error(), "not exportable") {
		t.Errorf("root export: %v, want 'not exportable'", err)
	}
	// The signer policy does not reach keys it does not name.
	s.Write("transit/keys/pks-lain", map[string]any{"type": "ecdsa-p256"})
	c := client(t, s.Addr, s.SignerToken())
	_, err = c.Signer(context.Background(), vault.KeyName{Mount: "transit", Name: "pks-lain"}, 0)
	if !errors.Is(err, vault.ErrPermissionDenied) || !strings.Contains(err.Error(), "permission denied on transit/keys/pks-lain: the token's policy must allow read on that path") {
		t.Fatalf("unnamed key: %v", err)
	}
}

func TestBatchOneRequest(t *testing.T) {
	s := setup(t)
	p := s.Proxy(t)
	key, err := vault.Open(context.Background(), vault.Config{Address: p.Addr, Token: s.SignerToken()}, "transit/pks-jatim", keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	var ds [][]byte
	for i := range 40 {
		h := sha512.Sum384([]byte{byte(i)})
		ds = append(ds, h[:])
	}
	p.Reset()
	sigs, err := key.TransitSigner().SignBatch(context.Background(), ds, crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Count("transit/sign/pks-jatim"); n != 1 {
		t.Fatalf("%d sign requests for a batch, want 1", n)
	}
	pub := key.TransitSigner().Public().(*rsa.PublicKey)
	for i, sig := range sigs {
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA384, ds[i], sig); err != nil {
			t.Fatalf("batch item %d: %v", i, err)
		}
	}
	if _, err := key.TransitSigner().SignBatch(context.Background(), make([][]byte, vault.MaxBatch+1), crypto.SHA384); err == nil {
		t.Fatal("an oversized batch was sent")
	}
	d := sha256.Sum256(nil)
	p.Reset()
	if _, err := key.TransitSigner().Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if n := p.CountPrefix("transit/"); n != 1 {
		t.Fatalf("%d Transit requests for one signature, want 1", n)
	}
}

// TestRotation: after a rotation the key keeps signing with the certified
// version until a certificate for the new version is stored.
func TestRotation(t *testing.T) {
	s := setup(t)
	admin := client(t, s.Addr, s.AdminToken())
	ctx := context.Background()
	info, err := admin.RotateKey(ctx, tuban)
	if err != nil || info.LatestVersion != 2 {
		t.Fatalf("rotate: %v %+v", err, info)
	}
	key := open(t, s, s.SignerToken(), tuban)
	old := key.Chain()[0]
	if v := key.TransitSigner().KeyVersion(); v != 1 {
		t.Fatalf("signs with version %d before the new certificate, want 1", v)
	}
	d := digest(crypto.SHA256)
	sig, err := key.Signer().Sign(rand.Reader, d, crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(old.PublicKey.(*ecdsa.PublicKey), d, sig) {
		t.Fatalf("signing with version 1 after rotation: %v", err)
	}
	if _, err := admin.RequestCertificate(ctx, vault.CertRequest{Key: tuban, PKI: vaulttest.PKI, Role: vaulttest.Role, CommonName: "Bupati Tuban"}); err != nil {
		t.Fatal(err)
	}
	key2 := open(t, s, s.SignerToken(), tuban)
	if v := key2.TransitSigner().KeyVersion(); v != 2 {
		t.Fatalf("signs with version %d after the new certificate, want 2", v)
	}
	if key2.Chain()[0].Equal(old) {
		t.Fatal("the chain was not replaced")
	}
	sig, err = key2.Signer().Sign(rand.Reader, d, crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(key2.Chain()[0].PublicKey.(*ecdsa.PublicKey), d, sig) || key2.TransitSigner().LastKeyVersion() != 2 {
		t.Fatalf("signing with version 2: %v", err)
	}
}

func TestImportKey(t *testing.T) {
	s := vaulttest.Start(t)
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin := client(t, s.Addr, s.AdminToken())
	ctx := context.Background()
	for _, kt := range []devca.KeyType{devca.RSA2048, devca.ECDSAP384} {
		id, err := ca.Issue(devca.LeafRequest{CommonName: "Kepala Dinas " + string(kt), KeyType: kt})
		if err != nil {
			t.Fatal(err)
		}
		name := vault.KeyName{Mount: "transit", Name: "impor-" + string(kt)}
		info, err := admin.ImportKey(ctx, name, id.Key)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Imported || info.Exportable || info.VersionOf(id.Cert.PublicKey) != 1 {
			t.Fatalf("imported key %+v", info)
		}
		if _, err := admin.StoreChain(ctx, name, id.Chain, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ImportKey(ctx, name, id.Key); err == nil {
			t.Fatal("imported twice into the same name")
		}
		// The admin policy may sign with any key (for CSRs).
		key, err := vault.OpenWith(ctx, admin, name, keystore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := digest(crypto.SHA256)
		sig, err := key.Signer().Sign(rand.Reader, d, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		switch pub := id.Cert.PublicKey.(type) {
		case *rsa.PublicKey:
			err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig)
		case *ecdsa.PublicKey:
			if !ecdsa.VerifyASN1(pub, d, sig) {
				err = errors.New("ECDSA signature does not verify with the certificate")
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestFaults: each failure gives one error that names the cause, fast.
func TestFaults(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	within := func(t *testing.T, d time.Duration, f func()) {
		t.Helper()
		start := time.Now()
		f()
		if el := time.Since(start); el > d {
			t.Errorf("took %v, want at most %v", el.Round(time.Millisecond), d)
		}
	}
	t.Run("unreachable", func(t *testing.T) {
		within(t, 5*time.Second, func() {
			_, err := vault.New(ctx, vault.Config{Address: "http://127.0.0.1:1", Token: "x"})
			if !errors.Is(err, vault.ErrUnreachable) || !errors.Is(err, keystore.ErrUnreachable) || !strings.Contains(err.Error(), "cannot reach Vault at http://127.0.0.1:1") {
				t.Fatalf("got %v", err)
			}
		})
	})
	t.Run("bad token", func(t *testing.T) {
		_, err := vault.New(ctx, vault.Config{Address: s.Addr, Token: "hvs.not-a-token"})
		if !errors.Is(err, vault.ErrTokenInvalid) || !errors.Is(err, keystore.ErrCredentialsExpired) || strings.Contains(err.Error(), "hvs.not-a-token") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing key", func(t *testing.T) {
		_, err := vault.Open(ctx, vault.Config{Address: s.Addr, Token: s.RootToken}, "transit/pks-tidak-ada", keystore.Options{})
		var nf *keystore.NotFoundError
		if !errors.Is(err, vault.ErrNotFound) || !errors.As(err, &nf) || nf.Missing != keystore.MissingKey || nf.Key != "transit/pks-tidak-ada" ||
			!strings.Contains(err.Error(), "transit key transit/pks-tidak-ada does not exist") || strings.Contains(err.Error(), "segel ") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no certificate", func(t *testing.T) {
		s.Write("transit/keys/tanpa-sertifikat", map[string]any{"type": "ecdsa-p256"})
		_, err := vault.Open(ctx, vault.Config{Address: s.Addr, Token: s.RootToken}, "transit/tanpa-sertifikat", keystore.Options{})
		var nf *keystore.NotFoundError
		if !errors.Is(err, vault.ErrNotFound) || !errors.Is(err, keystore.ErrNotFound) || !errors.As(err, &nf) ||
			nf.Missing != keystore.MissingCertificate || nf.Key != "transit/tanpa-sertifikat" ||
			!strings.Contains(err.Error(), "the certificate chain of transit/tanpa-sertifikat does not exist") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		tok := s.Token(4*time.Second, 4*time.Second, vaulttest.SignerPol)
		key := open(t, s, tok, tuban)
		if _, err := key.Signer().Sign(rand.Reader, digest(crypto.SHA256), crypto.SHA256); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		_, err := key.Signer().Sign(rand.Reader, digest(crypto.SHA256), crypto.SHA256)
		if !errors.Is(err, vault.ErrTokenInvalid) || !errors.Is(err, keystore.ErrCredentialsExpired) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestVaultComesBack signs with one keystore.Key, opened as a long-running
// service would (keystore.Open of vault:transit/pks-tuban, settings from the
// environment), while Vault is stopped, restarted (sealed), unsealed,
// sealed again and paused, and checks that each failure is clear and
// bounded and that the same key signs again once Vault is back.
func TestVaultComesBack(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	for _, k := range []string{"VAULT_ROLE_ID", "VAULT_ROLE_ID_FILE", "VAULT_SECRET_ID", "VAULT_SECRET_ID_FILE", "VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_CAPATH", "SEGEL_VAULT_CERTS"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("VAULT_ADDR", s.Addr)
	t.Setenv("VAULT_TOKEN", s.SignerToken())
	t.Setenv("VAULT_CLIENT_TIMEOUT", "2s")
	key, err := keystore.Open(ctx, "vault:transit/pks-tuban", keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	if _, ok := key.(*vault.Key); !ok {
		t.Fatalf("vault: opened a %T", key)
	}
	sign := func() (time.Duration, error) {
		start := time.Now()
		_, err := key.Signer().Sign(rand.Reader, digest(crypto.SHA256), crypto.SHA256)
		return time.Since(start), err
	}
	expect := func(what string, kind error, text string, max time.Duration) {
		t.Helper()
		el, err := sign()
		if !errors.Is(err, kind) || !strings.Contains(err.Error(), text) {
			t.Fatalf("%s: got %v, want %v containing %q", what, err, kind, text)
		}
		// The backend-neutral sentinel matches too.
		neutral := map[error]error{vault.ErrUnreachable: keystore.ErrUnreachable, vault.ErrSealed: keystore.ErrSealed, vault.ErrTimeout: keystore.ErrTimeout}[kind]
		if !errors.Is(err, neutral) {
			t.Fatalf("%s: %v does not match %v", what, err, neutral)
		}
		if el > max {
			t.Fatalf("%s: took %v, want at most %v", what, el, max)
		}
		t.Logf("%s after %v: %v", what, el.Round(time.Millisecond), err)
	}
	works := func(what string) {
		t.Helper()
		if _, err := sign(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	works("at the start")
	s.Stop()
	expect("stopped", vault.ErrUnreachable, "cannot reach Vault at "+s.Addr, 5*time.Second)
	expect("still stopped", vault.ErrUnreachable, "connection refused", 5*time.Second)
	s.StartProcess()
	expect("restarted, sealed", vault.ErrSealed, "is sealed", 5*time.Second)
	s.Unseal()
	works("after unsealing")
	s.Seal()
	expect("sealed", vault.ErrSealed, "is sealed", 5*time.Second)
	s.Unseal()
	works("unsealed again")
	s.Pause()
	expect("not answering", vault.ErrTimeout, "no answer", 8*time.Second)
	s.Resume()
	works("after it answers again")
}

// TestTokenRenewal: a renewable short-lived token stays usable while the
// client is open, and an AppRole client logs in again when its token's
// lifetime ends.
func TestTokenRenewal(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	tok := s.Token(4*time.Second, time.Hour, vaulttest.SignerPol)
	key := open(t, s, tok, tuban)
	roleID, secretID := s.AppRole("penanda-tangan", vaulttest.SignerPol, 3*time.Second, 6*time.Second)
	ak, err := vault.Open(ctx, vault.Config{Address: s.Addr, AppRole: &vault.AppRole{RoleID: roleID, SecretID: secretID}}, "transit/pks-jatim", keystore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ak.Close()
	for i := range 4 {
		time.Sleep(2500 * time.Millisecond)
		if _, err := key.Signer().Sign(rand.Reader, digest(crypto.SHA256), crypto.SHA256); err != nil {
			t.Fatalf("renewed token, after %.1f s: %v", 2.5*float64(i+1), err)
		}
		if _, err := ak.Signer().Sign(rand.Reader, digest(crypto.SHA256), crypto.SHA256); err != nil {
			t.Fatalf("AppRole, after %.1f s: %v", 2.5*float64(i+1), err)
		}
	}
	_, err = vault.New(ctx, vault.Config{Address: s.Addr, AppRole: &vault.AppRole{RoleID: roleID, SecretID: "salah"}})
	if !errors.Is(err, vault.ErrTokenInvalid) || !strings.Contains(err.Error(), "AppRole login refused") || strings.Contains(err.Error(), "salah") {
		t.Fatalf("wrong secret ID: %v", err)
	}
}

// TestKeyCapabilities: a Vault key offers the keystore capabilities: its
// signer signs with a context and in batches and reports its version, the
// key checks its health cheaply, and it signs with an official's own
// token through WithCredentials without changing the key itself.
func TestKeyCapabilities(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	key := open(t, s, s.SignerToken(), tuban)
	var k keystore.Key = key
	sg := k.Signer()
	if _, ok := sg.(keystore.ContextSigner); !ok {
		t.Error("the signer is no keystore.ContextSigner")
	}
	if _, ok := sg.(keystore.BatchSigner); !ok {
		t.Error("the signer is no keystore.BatchSigner")
	}
	if v, ok := sg.(keystore.KeyVersioner); !ok || v.KeyVersion() != 1 || v.LatestKeyVersion() != 1 {
		t.Errorf("keystore.KeyVersioner: %v", ok)
	}
	hc, ok := k.(keystore.HealthChecker)
	if !ok {
		t.Fatal("the key is no keystore.HealthChecker")
	}
	if err := hc.Health(ctx); err != nil {
		t.Fatalf("health: %v", err)
	}
	cb, ok := k.(keystore.CredentialBinder)
	if !ok {
		t.Fatal("the key is no keystore.CredentialBinder")
	}
	pub := key.Chain()[0].PublicKey.(*ecdsa.PublicKey)
	signWith := func(k keystore.Key) error {
		d := digest(crypto.SHA256)
		sig, err := k.Signer().(keystore.ContextSigner).SignContext(ctx, d, crypto.SHA256)
		if err == nil && !ecdsa.VerifyASN1(pub, d, sig) {
			err = errors.New("the signature does not verify with the certificate")
		}
		return err
	}

	// An official's own token, allowed to sign with the key.
	own := s.Token(time.Minute, time.Minute, vaulttest.SignerPol)
	view, err := cb.WithCredentials(ctx, keystore.Credentials{Token: own})
	if err != nil {
		t.Fatal(err)
	}
	if err := signWith(view); err != nil {
		t.Fatalf("signing with the official's token: %v", err)
	}
	if !view.Chain()[0].Equal(key.Chain()[0]) {
		t.Error("the view has another certificate")
	}
	view.Close()
	// Revoking the official's token does not touch the key's own.
	if err := s.Client(s.RootToken).Auth().Token().RevokeTree(own); err != nil {
		t.Fatal(err)
	}
	view, _ = cb.WithCredentials(ctx, keystore.Credentials{Token: own})
	err = signWith(view)
	view.Close()
	if !errors.Is(err, keystore.ErrCredentialsExpired) || strings.Contains(err.Error(), own) {
		t.Fatalf("revoked official token: %v", err)
	}
	if err := signWith(key); err != nil {
		t.Fatalf("the key's own token after a view was refused: %v", err)
	}
	// A token whose policy does not name the key.
	s.Write("sys/policies/acl/hanya-jatim", map[string]any{"policy": `
path "transit/sign/pks-jatim" { capabilities = ["update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }`})
	view, _ = cb.WithCredentials(ctx, keystore.Credentials{Token: s.Token(time.Minute, time.Minute, "hanya-jatim")})
	err = signWith(view)
	view.Close()
	if !errors.Is(err, keystore.ErrPermissionDenied) {
		t.Fatalf("token without the key in its policy: %v", err)
	}
	if _, err := cb.WithCredentials(ctx, keystore.Credentials{}); !errors.Is(err, vault.ErrNoToken) {
		t.Fatalf("no token: %v", err)
	}
	if got := fmt.Sprintf("%v %+v %#v", keystore.Credentials{Token: own}, keystore.Credentials{Token: own}, keystore.Credentials{Token: own}); strings.Contains(got, own) {
		t.Fatalf("printed credentials show the token: %s", got)
	}

	// Health says what is wrong, in keystore's words.
	s.Seal()
	err = hc.Health(ctx)
	s.Unseal()
	if !errors.Is(err, keystore.ErrSealed) {
		t.Fatalf("health while sealed: %v", err)
	}
	if err := hc.Health(ctx); err != nil {
		t.Fatalf("health after unsealing: %v", err)
	}
}
