package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/keystore/vault/vaulttest"
	"segel/verify"
)

// These tests run segel's commands in this process against a real Vault
// server (see package vaulttest; skipped without the server binary, except
// under CI=true).

type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func segel(t *testing.T, args ...string) result {
	t.Helper()
	var o, e bytes.Buffer
	start := time.Now()
	code := run(append([]string{"segel"}, args...), &o, &e)
	return result{o.String(), e.String(), code, time.Since(start)}
}

func mustSegel(t *testing.T, args ...string) result {
	t.Helper()
	r := segel(t, args...)
	if r.code != 0 {
		t.Fatalf("segel %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// vaultEnv points segel at addr with a token, clearing every other Vault
// setting (and HOME, so that no ~/.vault-token is found).
func vaultEnv(t *testing.T, addr, token string) {
	t.Helper()
	for _, k := range []string{"VAULT_ROLE_ID", "VAULT_ROLE_ID_FILE", "VAULT_SECRET_ID", "VAULT_SECRET_ID_FILE",
		"VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_CLIENT_TIMEOUT", "SEGEL_VAULT_CERTS", "VAULT_APPROLE_MOUNT"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	t.Setenv("VAULT_ADDR", addr)
	t.Setenv("VAULT_TOKEN", token)
}

// appRoleEnv makes segel log in with AppRole, the credentials in files.
func appRoleEnv(t *testing.T, addr, roleID, secretID string) {
	t.Helper()
	vaultEnv(t, addr, "")
	dir := t.TempDir()
	rf, sf := filepath.Join(dir, "role-id"), filepath.Join(dir, "secret-id")
	os.WriteFile(rf, []byte(roleID+"\n"), 0o600)
	os.WriteFile(sf, []byte(secretID+"\n"), 0o600)
	t.Setenv("VAULT_ROLE_ID_FILE", rf)
	t.Setenv("VAULT_SECRET_ID_FILE", sf)
}

// createCertified makes the keys and their certificates as the key
// officer (segel-admin policy) would.
func createCertified(t *testing.T, s *vaulttest.Server) {
	t.Helper()
	vaultEnv(t, s.Addr, s.AdminToken())
	r := mustSegel(t, "keys", "create", "--type", "ecdsa-p256", "transit/pks-tuban")
	if !strings.Contains(r.stdout, "created transit/pks-tuban (ecdsa-p256, version 1, not exportable)") {
		t.Fatalf("keys create: %s", r.stdout)
	}
	mustSegel(t, "keys", "create", "--type", "rsa-3072", "vault:transit/pks-jatim")
	r = mustSegel(t, "cert", "request", "--key", "vault:transit/pks-tuban", "--pki", "pki_int", "--role", "document-signing",
		"--cn", "Bupati Tuban", "--org", "Pemerintah Kabupaten Tuban")
	if !strings.Contains(r.stdout, "stored at secret/data/segel/certs/transit/pks-tuban") || !strings.Contains(r.stdout, "version 1") {
		t.Fatalf("cert request: %s%s", r.stdout, r.stderr)
	}
	mustSegel(t, "cert", "request", "--key", "vault:transit/pks-jatim", "--pki", "pki_int", "--role", "document-signing",
		"--cn", "Gubernur Jawa Timur")
	r = mustSegel(t, "keys", "list")
	if r.stdout != "transit/pks-jatim\ntransit/pks-tuban\n" {
		t.Fatalf("keys list: %q", r.stdout)
	}
	r = mustSegel(t, "keys", "show", "transit/pks-tuban")
	for _, want := range []string{"type:           ecdsa-p256", "exportable:     false", "CN=Bupati Tuban", "for key version 1"} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("keys show lacks %q:\n%s", want, r.stdout)
		}
	}
}

// judgeSigned checks a signed file with pdfsig (NSS trusting the root of
// s, or rootFile when s is nil) and segel's verifier: n signatures, all
// valid and trusted.
//
// pdfsig checks the certificates' OCSP URLs (Vault's responder). Vault's
// OCSP answers carry no certificate, so NSS must find their signer, the
// issuing CA: it is added to the database without trust. (Without it,
// NSS verifies the answer for the first signature it checks, with the CA
// taken from that signature's CMS, but not for the later ones.)
func judgeSigned(t *testing.T, path string, s *vaulttest.Server, rootFile string, n int) {
	t.Helper()
	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	if s != nil {
		rootFile = s.RootFile
	}
	db := judge.NewNSSDB(t, rootFile)
	if s != nil {
		judge.AddNSSIntermediate(t, db, s.IntermediateFile)
	}
	var signed []judge.PdfsigResult
	for _, r := range judge.Pdfsig(t, db, path) {
		if r.Signed { // pdfsig lists the empty fields too
			signed = append(signed, r)
		}
	}
	if len(signed) != n {
		t.Fatalf("pdfsig sees %d signatures in %s, want %d", len(signed), path, n)
	}
	for _, r := range signed {
		if r.SignatureValidation != "Signature is Valid." || r.CertificateValidation != "Certificate is Trusted." {
			t.Errorf("pdfsig %s: %s", path, r.Raw)
		}
	}
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(rootFile)
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("no root certificate in " + rootFile)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rep, err := verify.File(context.Background(), path, f, st.Size(), verify.Options{Roots: pool})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indication != verify.TotalPassed || len(rep.Signatures) != n {
		t.Fatalf("verify.File %s: %s/%s with %d signatures %+v", path, rep.Indication, rep.SubIndication, len(rep.Signatures), rep)
	}
}

func testPKS(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "pks.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVaultEndToEnd: keys created and certified by the key officer; the
// Kabupaten (ECDSA) certifies the PKS and the Provinsi (RSA) countersigns,
// each through a service that logs in with AppRole and holds only the
// segel-signer policy; pdfsig and segel's verifier accept both, and each
// document took exactly one Transit signature.
func TestVaultEndToEnd(t *testing.T) {
	s := vaulttest.Start(t)
	createCertified(t, s)
	p := s.Proxy(t)
	roleID, secretID := s.AppRole("segel-signer", vaulttest.SignerPol, 0, 0)
	appRoleEnv(t, p.Addr, roleID, secretID)
	dir := t.TempDir()
	one, two := filepath.Join(dir, "pks-kabupaten.pdf"), filepath.Join(dir, "pks-ditandatangani.pdf")

	p.Reset()
	r := mustSegel(t, "sign", "--key", "vault:transit/pks-tuban", "--field", "SigKabupaten", "--certify", "2",
		"--reason", "Menyetujui Perjanjian Kerja Sama", "--location", "Tuban", "-o", one, testPKS(t))
	if !strings.Contains(r.stderr, `as "Bupati Tuban" with transit/pks-tuban version 1`) {
		t.Fatalf("sign output: %s", r.stderr)
	}
	if n := p.Count("transit/sign/pks-tuban"); n != 1 {
		t.Fatalf("%d Transit sign requests for one document, want 1", n)
	}
	p.Reset()
	mustSegel(t, "sign", "--key", "vault:transit/pks-jatim", "--field", "SigProvinsi", "--hash", "sha384", "-o", two, one)
	if n := p.Count("transit/sign/pks-jatim"); n != 1 {
		t.Fatalf("%d Transit sign requests for one document, want 1", n)
	}
	judgeSigned(t, one, s, "", 1)
	judgeSigned(t, two, s, "", 2)

	// --cert overrides the chain in KV: here with the chain from KV, saved
	// to a file by cert show.
	vaultEnv(t, s.Addr, s.SignerToken())
	r = mustSegel(t, "cert", "show", "--key", "vault:transit/pks-jatim")
	chain := filepath.Join(dir, "jatim.pem")
	os.WriteFile(chain, []byte(r.stdout), 0o644)
	if blk, _ := pem.Decode([]byte(r.stdout)); blk == nil {
		t.Fatal("cert show printed no PEM")
	}
	three := filepath.Join(dir, "lagi.pdf")
	mustSegel(t, "sign", "--key", "vault:transit/pks-jatim", "--cert", chain, "--pss", "-o", three, testPKS(t))
	judgeSigned(t, three, s, "", 1)
}

// TestVaultBatch signs several documents with one Transit request per
// batch.
func TestVaultBatch(t *testing.T) {
	s := vaulttest.Start(t)
	createCertified(t, s)
	p := s.Proxy(t)
	vaultEnv(t, p.Addr, s.SignerToken())
	in, out := t.TempDir(), t.TempDir()
	pks, _ := os.ReadFile(testPKS(t))
	var files []string
	for i := range 5 {
		f := filepath.Join(in, fmt.Sprintf("pks-%d.pdf", i))
		os.WriteFile(f, pks, 0o644)
		files = append(files, f)
	}
	p.Reset()
	r := mustSegel(t, append([]string{"sign", "--key", "vault:transit/pks-tuban", "--field", "SigKabupaten", "-o", out}, files...)...)
	if n := p.Count("transit/sign/pks-tuban"); n != 1 {
		t.Fatalf("%d Transit sign requests for 5 documents in one batch, want 1", n)
	}
	if !strings.Contains(r.stderr, "signed 5 documents with transit/pks-tuban version 1 in 1 signing request(s)") {
		t.Fatalf("output: %s", r.stderr)
	}
	for _, f := range files {
		judgeSigned(t, filepath.Join(out, filepath.Base(f)), s, "", 1)
	}
	out2 := t.TempDir()
	p.Reset()
	mustSegel(t, append([]string{"sign", "--key", "vault:transit/pks-jatim", "--batch", "2", "-o", out2}, files...)...)
	if n := p.Count("transit/sign/pks-jatim"); n != 3 {
		t.Fatalf("%d Transit sign requests for 5 documents in batches of 2, want 3", n)
	}
	judgeSigned(t, filepath.Join(out2, "pks-4.pdf"), s, "", 1)

	// Several inputs need an output directory, and distinct names.
	if r := segel(t, "sign", "--key", "vault:transit/pks-jatim", "-o", filepath.Join(out2, "x.pdf"), files[0], files[1]); r.code != exitUsage || !strings.Contains(r.stderr, "must name an existing directory") {
		t.Fatalf("several inputs to a file: %d %s", r.code, r.stderr)
	}
}

// TestVaultRotation: documents signed with the old version still verify
// after a rotation and a new certificate.
func TestVaultRotation(t *testing.T) {
	s := vaulttest.Start(t)
	createCertified(t, s)
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "v1.pdf"), filepath.Join(dir, "v2.pdf")
	vaultEnv(t, s.Addr, s.SignerToken())
	mustSegel(t, "sign", "--key", "vault:transit/pks-tuban", "--field", "SigKabupaten", "-o", v1, testPKS(t))

	vaultEnv(t, s.Addr, s.AdminToken())
	r := mustSegel(t, "keys", "rotate", "transit/pks-tuban")
	if !strings.Contains(r.stdout, "rotated transit/pks-tuban to version 2") {
		t.Fatalf("rotate: %s", r.stdout)
	}
	vaultEnv(t, s.Addr, s.SignerToken())
	r = mustSegel(t, "sign", "--key", "vault:transit/pks-tuban", "-o", filepath.Join(dir, "masih-v1.pdf"), testPKS(t))
	if !strings.Contains(r.stderr, "has version 2 without a certificate; signing with version 1") {
		t.Fatalf("no note about the uncertified version: %s", r.stderr)
	}
	vaultEnv(t, s.Addr, s.AdminToken())
	mustSegel(t, "cert", "request", "--key", "vault:transit/pks-tuban", "--pki", "pki_int", "--role", "document-signing", "--cn", "Bupati Tuban")
	vaultEnv(t, s.Addr, s.SignerToken())
	r = mustSegel(t, "sign", "--key", "vault:transit/pks-tuban", "--field", "SigProvinsi", "-o", v2, v1)
	if !strings.Contains(r.stderr, "with transit/pks-tuban version 2") {
		t.Fatalf("not signed with version 2: %s", r.stderr)
	}
	judgeSigned(t, v1, s, "", 1)
	judgeSigned(t, v2, s, "", 2)
}

// TestVaultImportP12 moves a bureau's existing PKCS#12 key into Transit
// and signs with it there.
func TestVaultImportP12(t *testing.T) {
	s := vaulttest.Start(t)
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Gubernur Jawa Timur", Organization: "Pemerintah Provinsi Jawa Timur", KeyType: devca.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p12, pass, root := filepath.Join(dir, "gubernur.p12"), filepath.Join(dir, "gubernur.pass"), filepath.Join(dir, "root.pem")
	if err := id.WriteP12(p12, "rahasia", false, true); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pass, []byte("rahasia\n"), 0o600)
	ca.WriteRootPEM(root)

	vaultEnv(t, s.Addr, s.AdminToken())
	r := mustSegel(t, "keys", "import", "--p12", p12, "--key-password-file", pass, "transit/pks-jatim")
	if !strings.Contains(r.stdout, "imported transit/pks-jatim (rsa-2048, version 1, not exportable)") ||
		!strings.Contains(r.stderr, "remove or lock away") {
		t.Fatalf("import: %s%s", r.stdout, r.stderr)
	}
	r = mustSegel(t, "keys", "show", "transit/pks-jatim")
	if !strings.Contains(r.stdout, "imported:       true") || !strings.Contains(r.stdout, "exportable:     false") || !strings.Contains(r.stdout, "CN=Gubernur Jawa Timur") {
		t.Fatalf("keys show: %s", r.stdout)
	}

	vaultEnv(t, s.Addr, s.SignerToken())
	out := filepath.Join(dir, "signed.pdf")
	mustSegel(t, "sign", "--key", "vault:transit/pks-jatim", "--field", "SigProvinsi", "-o", out, testPKS(t))
	judgeSigned(t, out, nil, root, 1)
}

// TestVaultFaults: each failure is one error naming the cause, reported
// within a bounded time, with no output file; and signing works again once
// Vault is back.
func TestVaultFaults(t *testing.T) {
	s := vaulttest.Start(t)
	createCertified(t, s)
	dir := t.TempDir()
	pks := testPKS(t)
	fails := func(t *testing.T, name, want string, max time.Duration, args ...string) {
		t.Helper()
		out := filepath.Join(dir, name+".pdf")
		r := segel(t, append([]string{"sign", "--key", "vault:transit/pks-tuban", "-o", out}, append(args, pks)...)...)
		if r.code != exitFailure {
			t.Fatalf("exit %d, want %d\n%s", r.code, exitFailure, r.stderr)
		}
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("stderr lacks %q:\n%s", want, r.stderr)
		}
		if n := strings.Count(r.stderr, "segel: error:"); n != 1 {
			t.Fatalf("%d errors:\n%s", n, r.stderr)
		}
		if r.took > max {
			t.Fatalf("took %v, want at most %v", r.took, max)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("an output file was written")
		}
		t.Logf("%s (%v): %s", name, r.took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
	}
	t.Run("no address", func(t *testing.T) {
		vaultEnv(t, "", "x")
		fails(t, "noaddr", "VAULT_ADDR is not set", 5*time.Second)
	})
	t.Run("unreachable", func(t *testing.T) {
		vaultEnv(t, "http://127.0.0.1:1", s.SignerToken())
		fails(t, "unreachable", "cannot reach Vault at http://127.0.0.1:1", 5*time.Second)
	})
	t.Run("sealed", func(t *testing.T) {
		vaultEnv(t, s.Addr, s.SignerToken())
		s.Seal()
		defer s.Unseal()
		fails(t, "sealed", "is sealed", 5*time.Second)
	})
	t.Run("no permission", func(t *testing.T) {
		vaultEnv(t, s.Addr, s.Token(0, 0, vaulttest.SignerPol))
		s.Write("transit/keys/pks-lain", map[string]any{"type": "ecdsa-p256"})
		out := filepath.Join(dir, "perm.pdf")
		r := segel(t, "sign", "--key", "vault:transit/pks-lain", "-o", out, pks)
		if r.code != exitFailure || !strings.Contains(r.stderr, "permission denied on transit/keys/pks-lain: the token's policy must allow read on that path") ||
			!strings.Contains(r.stderr, "deploy/vault/segel-signer.hcl") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
	})
	t.Run("missing key", func(t *testing.T) {
		vaultEnv(t, s.Addr, s.RootToken)
		r := segel(t, "sign", "--key", "vault:transit/pks-tidak-ada", "-o", filepath.Join(dir, "missing.pdf"), pks)
		if r.code != exitFailure || !strings.Contains(r.stderr, "transit key transit/pks-tidak-ada does not exist") ||
			!strings.Contains(r.stderr, "segel keys create transit/pks-tidak-ada") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		vaultEnv(t, s.Addr, "hvs.bukan-token")
		fails(t, "badtoken", "the Vault token was refused", 5*time.Second)
	})
	t.Run("token expires mid-run", func(t *testing.T) {
		tok := s.Token(6*time.Second, 6*time.Second, vaulttest.SignerPol)
		vaultEnv(t, s.Addr, tok)
		out := t.TempDir()
		var files []string
		pksb, _ := os.ReadFile(pks)
		for i := range 3 {
			f := filepath.Join(t.TempDir(), fmt.Sprintf("dok-%d.pdf", i))
			os.WriteFile(f, pksb, 0o644)
			files = append(files, f)
		}
		testOnlyBeforeRequest = func(done int) {
			if done == 1 {
				time.Sleep(7 * time.Second) // past the token's last second
			}
		}
		defer func() { testOnlyBeforeRequest = nil }()
		r := segel(t, append([]string{"sign", "--key", "vault:transit/pks-tuban", "--batch", "1", "-o", out}, files...)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "expired") || !strings.Contains(r.stderr, "1 of 3 document(s) signed") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "dok-0.pdf")); err != nil {
			t.Fatal("the document signed before the token expired is missing")
		}
		for _, f := range files[1:] {
			if _, err := os.Stat(filepath.Join(out, filepath.Base(f))); err == nil {
				t.Fatalf("%s was written after the token expired", filepath.Base(f))
			}
		}
		judgeSigned(t, filepath.Join(out, "dok-0.pdf"), s, "", 1)
	})
	t.Run("back again", func(t *testing.T) {
		vaultEnv(t, s.Addr, s.SignerToken())
		out := filepath.Join(dir, "back.pdf")
		mustSegel(t, "sign", "--key", "vault:transit/pks-tuban", "-o", out, pks)
		judgeSigned(t, out, s, "", 1)
	})
}
