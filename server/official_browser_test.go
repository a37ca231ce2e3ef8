package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"segel/internal/judge"
	"segel/official"
	"segel/verify"
)

// TestOfficialPageBrowser: two officials sign one agreement in headless
// Chromium with JavaScript off, as an official would: open the page,
// upload the PKS, pick their field, type NIP, password and the TOTP code
// of their authenticator, and download the signed file; the Kabupaten
// first, then the Provinsi on the file the Kabupaten downloaded. pdfsig
// and segel's verifier accept both signatures, and the audit log holds
// each signing with that official's Vault entity.
func TestOfficialPageBrowser(t *testing.T) {
	requireChromium(t)
	vs, svc, _, kab, prov := officialFixture(t, "chromium")
	ctx := context.Background()
	dir := t.TempDir()
	auditFile := filepath.Join(dir, "audit.log")
	srv, err := New(ctx, &Config{Audit: AuditConfig{File: auditFile}}, Options{Official: svc})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	bctx := startChromium(t)
	signIn := func(e *official.Enrolled, field, in string) string {
		t.Helper()
		// A fresh browser context: the official's own cookies only.
		tctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
		defer cancel()
		tctx, tcancel := context.WithTimeout(tctx, 30*time.Second)
		defer tcancel()
		downloads := filepath.Join(dir, "unduhan-"+e.Profile.Username)
		os.MkdirAll(downloads, 0o755)
		k, err := otp.NewKeyFromURL(e.OTPURL)
		if err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCodeCustom(k.Secret(), time.Now(), totp.ValidateOpts{Period: uint(k.Period()), Digits: k.Digits(), Algorithm: k.Algorithm()})
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		if err := chromedp.Do(tctx,
			noScript(),
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
					Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &yes,
					BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
				})
				return err
			}),
			chromedp.Navigate(hs.URL+"/official"),
			chromedp.SetUploadFiles(chromedp.CSS(`form[action="/official/upload"] input[type=file]`), []string{in}),
			chromedp.Click(chromedp.CSS(`form[action="/official/upload"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/official/sign"]`)),
			chromedp.Click(chromedp.CSS(`input[name=field][value="`+field+`"]`)),
			chromedp.SendKeys(chromedp.CSS(`form[action="/official/sign"] input[name=username]`), e.Profile.Username),
			chromedp.SendKeys(chromedp.CSS(`form[action="/official/sign"] input[name=password]`), officialPassword),
			chromedp.SendKeys(chromedp.CSS(`form[action="/official/sign"] input[name=totp]`), code),
			chromedp.Click(chromedp.CSS(`form[action="/official/sign"] button[type=submit]`)),
		); err != nil {
			t.Fatalf("%s in Chromium: %v", e.Profile.Name, err)
		}
		// Wait for the download: a finished PDF in the folder (the browser
		// may write NAME.crdownload first and rename it at the end).
		for tctx.Err() == nil {
			ents, _ := os.ReadDir(downloads)
			for _, d := range ents {
				p := filepath.Join(downloads, d.Name())
				b, _ := os.ReadFile(p)
				if !strings.HasSuffix(d.Name(), ".crdownload") && bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
					return p
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: no download within 30 s\naudit:\n%s", e.Profile.Name, auditLines(t, auditFile))
		return ""
	}
	pks, _ := filepath.Abs(filepath.Join("..", "testdata", "pks.pdf"))
	one := signIn(kab, "SigKabupaten", pks)
	// The browser names the download by its GUID; give it a .pdf name
	// for the Provinsi's upload.
	onePDF := filepath.Join(dir, "pks-kabupaten.pdf")
	b, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(onePDF, b, 0o644)
	two := signIn(prov, "SigProvinsi", onePDF)
	both, err := os.ReadFile(two)
	if err != nil {
		t.Fatal(err)
	}

	// Each official's stamp, from their enrolled profile.
	if _, err := exec.LookPath("mutool"); err == nil {
		text, _ := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", two, "3")
		for _, want := range []string{"NIP. " + kab.Profile.NIP, "NIP. " + prov.Profile.NIP, kab.Profile.Name, prov.Profile.Name, " WIB",
			"Dokumen ini telah ditandatangani secara elektronik"} {
			if !strings.Contains(text, want) {
				t.Errorf("the signed page does not show %q:\n%s", want, text)
			}
		}
	}
	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	judge.PdfsigValid(t, judge.NewNSSDB(t, vs.RootFile), two, 2, "-no-ocsp")
	roots := x509.NewCertPool()
	roots.AddCert(vs.RootCA)
	rep, err := verify.File(ctx, "both.pdf", bytes.NewReader(both), int64(len(both)), verify.Options{Roots: roots})
	if err != nil || rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	entities := map[string]bool{}
	for _, e := range auditEntries(t, auditFile) {
		if e.Outcome == OutcomeSigned && e.Official != nil {
			entities[e.Official.EntityID] = true
		}
	}
	if !entities[kab.Profile.EntityID] || !entities[prov.Profile.EntityID] || len(entities) != 2 {
		t.Fatalf("audit: signings by entities %v, want %s and %s", entities, kab.Profile.EntityID, prov.Profile.EntityID)
	}
}
