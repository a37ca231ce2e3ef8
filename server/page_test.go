package server

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"segel/verify"
)

// TestVerifyPageHTML checks the page without a browser: escaping, the
// language switch, the security headers and the result words.
func TestVerifyPageHTML(t *testing.T) {
	cfg := baseConfig(t)
	s := start(t, cfg)
	_, signed := s.sign(t, tokenApp, "reason="+strings.Repeat("x", 10), readTestdata(t, "minimal.pdf"))

	resp, b := s.do(t, req{method: "GET", path: "/v1/verify", header: map[string]string{"Accept-Language": "en-GB,en;q=0.9"}})
	page := string(b)
	if resp.StatusCode != 200 || !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "Check the electronic signatures") {
		t.Fatalf("English page: %s\n%s", resp.Status, page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(page, "<script") {
		t.Errorf("CSP %q or scripts in the page", csp)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page refers to outside resources")
	}
	resp, b = s.do(t, req{method: "GET", path: "/v1/verify"})
	if !strings.Contains(string(b), `<html lang="id">`) || !strings.Contains(string(b), "Periksa tanda tangan") {
		t.Errorf("default page is not Indonesian")
	}

	// A hostile file name is escaped.
	ct, body := multipartBody(t, nil, `<img src=x onerror=alert(1)>.pdf`, signed)
	resp, b = s.do(t, req{path: "/v1/verify/page?lang=en", contentType: ct, body: body})
	page = string(b)
	if resp.StatusCode != 200 || strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;img src=x") {
		t.Errorf("file name not escaped: %s", page)
	}
	for _, want := range []string{`data-indication="TOTAL_PASSED"`, "All signatures are valid", "Kepala Dinas Kominfo Tuban", "as claimed by the signer; not proven",
		// The verifier's fact, in the page's words (no command-line advice).
		`<p class="note">Certificate revocation is checked only against the data stored in the document; this service does not contact OCSP or CRL servers.</p>`} {
		if !strings.Contains(page, want) {
			t.Errorf("result page lacks %q", want)
		}
	}
	if strings.Contains(page, "--online") || strings.Contains(page, "--trust") {
		t.Error("the page gives command-line advice")
	}
	// Errors are shown in the page, in its language.
	ct, body = multipartBody(t, nil, "a.txt", []byte("hello"))
	resp, b = s.do(t, req{path: "/v1/verify/page?lang=id", contentType: ct, body: body})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "bukan dokumen PDF") || !strings.Contains(string(b), `role="alert"`) {
		t.Errorf("not a PDF on the page: %s %s", resp.Status, b)
	}
}

// TestVerifyPageBrowser uploads a signed and a tampered PDF through the
// verify page in headless Chromium, with JavaScript disabled, and reads
// the verdicts. Screenshots go to $SEGEL_ARTIFACTS (or a temporary
// folder).
func TestVerifyPageBrowser(t *testing.T) {
	requireChromium(t)
	artifacts := os.Getenv("SEGEL_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	s := start(t, baseConfig(t))
	// A PKS certified by the Kabupaten and approved by the Provinsi.
	_, one := s.sign(t, tokenApp, "field=SigKabupaten&certify=2&reason=Menyetujui+Perjanjian+Kerja+Sama&location=Tuban", readTestdata(t, "pks.pdf"))
	_, two := s.sign(t, tokenArsip, "key=sekretaris-daerah&field=SigProvinsi&reason=Menyetujui&location=Surabaya", one)
	tampered := bytes.Clone(two)
	i := bytes.Index(tampered, []byte("Tuban"))
	if i < 0 || int64(i) > int64(len(one)) {
		i = 2000
	}
	tampered[i] ^= 0x20 // "tuban": a change inside the signed bytes
	dir := t.TempDir()
	signedPath := filepath.Join(dir, "pks-ditandatangani.pdf")
	tamperedPath := filepath.Join(dir, "pks-diubah.pdf")
	os.WriteFile(signedPath, two, 0o644)
	os.WriteFile(tamperedPath, tampered, 0o644)

	ctx := startChromium(t)
	noJS := noScript()

	check := func(lang, file, shot string) (indication, verdict string, sigs []string) {
		t.Helper()
		tctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
		defer tcancel()
		err := chromedp.Do(tctx,
			noJS,
			chromedp.Navigate(s.URL+"/v1/verify?lang="+lang),
			chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#verdict")),
		)
		if err != nil {
			t.Fatalf("%s: %v", shot, err)
		}
		attr, err := chromedp.Run(tctx, chromedp.AttributeValue(chromedp.CSS("#verdict"), "data-indication"))
		if err != nil {
			t.Fatal(err)
		}
		verdict, err = chromedp.Run(tctx, chromedp.Text(chromedp.CSS("#verdict")))
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 10; n++ {
			sel := chromedp.CSS("article.sig:nth-of-type(" + strconv.Itoa(n) + ")")
			nodes, err := chromedp.Run(tctx, chromedp.Nodes(sel, chromedp.AtLeast(0)))
			if err != nil || len(nodes) == 0 {
				break
			}
			txt, err := chromedp.Run(tctx, chromedp.Text(sel))
			if err != nil {
				t.Fatal(err)
			}
			sigs = append(sigs, txt)
		}
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(artifacts, shot+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
		return attr.Value, verdict, sigs
	}

	ind, verdict, sigs := check("id", signedPath, "verify-page-signed-id")
	if ind != verify.TotalPassed || !strings.Contains(verdict, "Semua tanda tangan sah") {
		t.Errorf("signed PDF: %s %q", ind, verdict)
	}
	if len(sigs) != 2 {
		t.Fatalf("signed PDF: %d signatures on the page, want 2", len(sigs))
	}
	for _, want := range []string{"Kepala Dinas Kominfo Tuban", "Dokumen berubah setelah ditandatangani?", "Rantai sertifikat tepercaya?", "Ya", "sertifikasi (DocMDP P=2)"} {
		if !strings.Contains(sigs[0], want) {
			t.Errorf("first signature lacks %q:\n%s", want, sigs[0])
		}
	}
	if !strings.Contains(sigs[0], "Hanya perubahan yang diizinkan") || !strings.Contains(sigs[1], "Sekretaris Daerah Tuban") {
		t.Errorf("signatures:\n%s\n---\n%s", sigs[0], sigs[1])
	}

	ind, verdict, sigs = check("en", tamperedPath, "verify-page-tampered-en")
	if ind != verify.TotalFailed || !strings.Contains(verdict, "Signature NOT valid") {
		t.Errorf("tampered PDF: %s %q", ind, verdict)
	}
	changed := false
	for _, s := range sigs {
		changed = changed || strings.Contains(s, "Yes — the signed content was altered")
	}
	if !changed {
		t.Errorf("no signature says the content was altered:\n%s", strings.Join(sigs, "\n---\n"))
	}
	check("id", tamperedPath, "verify-page-tampered-id")
}
