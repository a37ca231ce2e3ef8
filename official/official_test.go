package official

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"segel/internal/judge"
	"segel/keystore"
	"segel/keystore/vault"
	"segel/keystore/vault/vaulttest"
	"segel/signer"
	"segel/verify"
)

// code computes the official's current TOTP code from the otpauth URL
// Vault gave at enrolment, as the official's authenticator app does.
func code(t *testing.T, url string, at time.Time) string {
	t.Helper()
	k, err := otp.NewKeyFromURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totp.GenerateCodeCustom(k.Secret(), at, totp.ValidateOpts{Period: uint(k.Period()), Digits: k.Digits(), Algorithm: k.Algorithm()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fileDoc signs in into a new file out.
func fileDoc(t *testing.T, in []byte, out string) (signer.Document, *os.File) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return signer.Doc{In: bytes.NewReader(in), Size: int64(len(in)), Out: f}, f
}

func size(t *testing.T, f *os.File) int64 {
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestOfficialMode runs on one Vault server: enrolment with the
// officials-admin policy, the Kabupaten then the Provinsi signing with
// their own logins, the service token refused, and every refusal.
func TestOfficialMode(t *testing.T) {
	vs := vaulttest.Start(t)
	for _, n := range []string{"segel-official-service", "segel-officials-admin"} {
		vs.Write("sys/policies/acl/"+n, map[string]any{"policy": string(vaulttest.RepoFile(t, "deploy/vault/"+n+".hcl"))})
	}
	ctx := context.Background()
	admin, err := NewAdmin(ctx, vault.Config{Address: vs.Addr, Token: vs.Token(0, 0, "segel-officials-admin")})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	const kab, prov = "198001012005011001", "197502022000032002"
	const pw = "kata-sandi-yang-panjang"
	enrol := func(user, name, jabatan, instansi, key string) *Enrolled {
		e, err := admin.Add(ctx, Enrolment{Profile: Profile{Username: user, Name: name, NIP: user, Jabatan: jabatan, Instansi: instansi, Key: key}, Password: pw})
		if err != nil {
			t.Fatalf("enrol %s: %v", name, err)
		}
		if e.Profile.EntityID == "" || !strings.Contains(e.OTPURL, url.PathEscape(name)) {
			t.Fatalf("enrol %s: no entity or label: %+v", name, e)
		}
		return e
	}
	ek := enrol(kab, "Bupati Tuban", "Bupati", "Pemerintah Kabupaten Tuban", "transit/official-kab")
	ep := enrol(prov, "Gubernur Jawa Timur", "Gubernur", "Pemerintah Provinsi Jawa Timur", "transit/official-prov")
	if ek.Profile.EntityID == ep.Profile.EntityID {
		t.Fatal("two officials share one entity")
	}
	if _, err := admin.Add(ctx, Enrolment{Profile: ek.Profile.withoutEntity(), Password: pw}); err == nil {
		t.Error("enrolling the same username twice was accepted")
	}
	list, err := admin.List(ctx)
	if err != nil || len(list) != 2 || list[0].Username != prov || list[1].Username != kab {
		t.Fatalf("list: %v %+v", err, list)
	}

	svc, err := NewService(ctx, vault.Config{Address: vs.Addr, Token: vs.Token(0, 0, "segel-official-service")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	// The service token alone cannot sign with an official's key.
	key, err := svc.OpenKey(ctx, ek.Profile)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("x"))
	if _, err := key.TransitSigner().SignContext(ctx, d[:], crypto.SHA256); !errors.Is(err, keystore.ErrPermissionDenied) {
		t.Errorf("service token signing: %v, want permission denied", err)
	}
	key.Close()

	pdf, err := os.ReadFile("../testdata/pks.pdf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sign := func(user, password, code, field string, in []byte, out string) (*os.File, *Evidence, error) {
		doc, f := fileDoc(t, in, out)
		res, ev, err := svc.Sign(ctx, Request{Username: user, Password: password, Code: code, ClientAddr: "192.0.2.7",
			Docs: []signer.Document{doc}, Options: signer.AllOptions{Options: signer.Options{Field: field, Reason: "Menyetujui"}}})
		if err == nil && (len(res) != 1 || res[0].Err != nil) {
			err = errors.Join(errors.New("document not signed"), res[0].Err)
		}
		return f, ev, err
	}

	kabCode := code(t, ek.OTPURL, time.Now())
	f1, ev1, err := sign(kab, pw, kabCode, "SigKabupaten", pdf, filepath.Join(dir, "kab.pdf"))
	if err != nil {
		t.Fatalf("Kabupaten signs: %v", err)
	}
	once, _ := os.ReadFile(f1.Name())
	f2, ev2, err := sign(prov, pw, code(t, ep.OTPURL, time.Now()), "SigProvinsi", once, filepath.Join(dir, "both.pdf"))
	if err != nil {
		t.Fatalf("Provinsi signs: %v", err)
	}
	for i, c := range []struct {
		ev *Evidence
		e  *Enrolled
	}{{ev1, ek}, {ev2, ep}} {
		if c.ev.EntityID != c.e.Profile.EntityID || c.ev.Accessor == "" || c.ev.MFAMethod == "" || !c.ev.Revoked {
			t.Errorf("evidence %d: %+v", i, c.ev)
		}
		// The token is gone once signed.
		if _, err := vs.Client(vs.RootToken).Auth().Token().LookupAccessor(c.ev.Accessor); err == nil {
			t.Errorf("evidence %d: the login token still exists after signing", i)
		}
	}

	// Outside judges: pdfsig and segel's verifier.
	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	db := judge.NewNSSDB(t, vs.RootFile)
	// Each signature judged online (OCSP at Vault) in the revision it
	// made: pdfsig checking two certificates of Vault's issuing CA by
	// OCSP in one run reports "Unknown issue" for the second one, so the
	// final file is judged with -no-ocsp for trust.
	judged := func(path string, res []judge.PdfsigResult, want int) {
		t.Helper()
		n := 0
		for _, r := range res {
			if r.Signed {
				n++
				if !r.SignatureValid || !r.CertTrusted {
					t.Errorf("pdfsig %s: %s", filepath.Base(path), r.Raw)
				}
			}
		}
		if n != want {
			t.Errorf("pdfsig %s sees %d signatures, want %d", filepath.Base(path), n, want)
		}
	}
	judged(f1.Name(), judge.Pdfsig(t, db, f1.Name()), 1)
	out, err := judge.Command(t, "pdfsig", "-nssdir", db, "-no-ocsp", f2.Name())
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	judged(f2.Name(), judge.ParsePdfsig(out), 2)
	for _, r := range judge.Pdfsig(t, db, f2.Name()) {
		if r.Signed && (!r.SignatureValid || r.Field == "SigProvinsi" && !r.CertTrusted) {
			t.Errorf("pdfsig online: %s", r.Raw)
		}
	}
	both, _ := os.ReadFile(f2.Name())
	roots := x509.NewCertPool()
	roots.AddCert(vs.RootCA)
	rep, err := verify.File(ctx, "both.pdf", bytes.NewReader(both), int64(len(both)), verify.Options{Roots: roots})
	if err != nil || rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Errorf("segel verify: %v %+v", err, rep)
	}

	// Refusals: nothing signed.
	refused := func(name string, want error, user, password, c string) {
		t.Helper()
		f, _, err := sign(user, password, c, "SigProvinsi", once, filepath.Join(dir, name+".pdf"))
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if size(t, f) != 0 {
			t.Errorf("%s: %d bytes written", name, size(t, f))
		}
	}
	refused("wrong-password", ErrBadLogin, kab, "salah-salah-salah", code(t, ek.OTPURL, time.Now()))
	refused("wrong-totp", ErrBadCode, kab, pw, wrongCode(code(t, ek.OTPURL, time.Now())))
	refused("totp-used-twice", ErrBadCode, kab, pw, kabCode)

	if err := admin.Disable(ctx, prov); err != nil {
		t.Fatal(err)
	}
	refused("disabled", ErrDisabled, prov, pw, code(t, ep.OTPURL, time.Now().Add(30*time.Second)))
	// Vault itself refuses the disabled identity too.
	if l, err := login(ctx, vault.Config{Address: vs.Addr}, prov, pw, code(t, ep.OTPURL, time.Now().Add(30*time.Second))); err == nil {
		t.Errorf("Vault logged a disabled official in: %v", l)
	}

	// Three failures so far for kab; two more lock the user out, and then
	// even the right password and code are not sent to Vault.
	refused("wrong-password-2", ErrBadLogin, kab, "salah-salah-salah", "000000")
	refused("wrong-password-3", ErrBadLogin, kab, "salah-salah-salah", "000000")
	refused("locked", ErrLockedOut, kab, pw, code(t, ek.OTPURL, time.Now()))
}

func (p *Profile) withoutEntity() Profile { q := *p; q.EntityID = ""; return q }

func wrongCode(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter()
	l.now = func() time.Time { return now }
	l.PerUser, l.PerAddr = 3, 5
	for i := 0; i < 2; i++ {
		l.Fail("a", "1.1.1.1")
	}
	if err := l.Check("a", "1.1.1.1"); err != nil {
		t.Fatalf("locked after 2: %v", err)
	}
	l.Fail("a", "1.1.1.1")
	if err := l.Check("a", "2.2.2.2"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("user not locked after 3: %v", err)
	}
	// Another user from the same address: counted per address (3 of 5).
	l.Fail("b", "1.1.1.1")
	l.Fail("c", "1.1.1.1")
	if err := l.Check("d", "1.1.1.1"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("address not locked after 5: %v", err)
	}
	if err := l.Check("d", "3.3.3.3"); err != nil {
		t.Fatalf("unrelated user and address locked: %v", err)
	}
	now = now.Add(16 * time.Minute)
	if err := l.Check("a", "1.1.1.1"); err != nil {
		t.Fatalf("still locked after the lockout: %v", err)
	}
	// Failures outside the window do not add up.
	l.Fail("e", "4.4.4.4")
	l.Fail("e", "4.4.4.4")
	now = now.Add(16 * time.Minute)
	l.Fail("e", "4.4.4.4")
	if err := l.Check("e", "4.4.4.4"); err != nil {
		t.Fatalf("old failures counted: %v", err)
	}
}
