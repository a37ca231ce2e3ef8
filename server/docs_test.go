package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"segel/internal/judge"
)

// TestDocumentPage: with the document store on, each signing is recorded
// under a random ID (a countersignature joins the same document), GET
// /v/{id} shows the signers and the verdict recomputed from the stored
// file, an uploaded copy is compared (the same bytes: "the document that
// was signed"; changed bytes: not it, and its own verdict), the file is
// downloadable only when allowed, unknown IDs answer 404 and the page is
// rate-limited per client.
func TestDocumentPage(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Documents = &DocumentsConfig{Store: filepath.Join(t.TempDir(), "segel.db"), KeepFiles: true, AllowDownload: true,
		BaseURL: "https://ttd.jatimprov.go.id", RatePerMinute: 12}
	r := start(t, cfg)
	resp1, one := r.sign(t, tokenApp, "field=SigKabupaten&certify=2&reason=Menyetujui", readTestdata(t, "pks.pdf"))
	id := resp1.Header.Get("X-Segel-Document-Id")
	if len(id) != 32 || resp1.Header.Get("X-Segel-Verify-URL") != "https://ttd.jatimprov.go.id/v/"+id {
		t.Fatalf("document headers: %q %q", id, resp1.Header.Get("X-Segel-Verify-URL"))
	}
	resp2, two := r.sign(t, tokenArsip, "key=sekretaris-daerah&field=SigProvinsi&reason=Menyetujui", one)
	if got := resp2.Header.Get("X-Segel-Document-Id"); got != id {
		t.Fatalf("the countersignature was recorded as document %q, not %q", got, id)
	}

	get := func(path string) (int, string) {
		resp, body := r.do(t, req{method: http.MethodGet, path: path})
		return resp.StatusCode, string(body)
	}
	code, page := get("/v/" + id + "?lang=id")
	if code != 200 {
		t.Fatalf("GET /v/%s: %d\n%s", id, code, page)
	}
	for _, want := range []string{"Dokumen yang ditandatangani", "SigKabupaten", "SigProvinsi", `data-indication="TOTAL_PASSED"`, `action="/v/` + id + `?lang=id"`, `href="/v/` + id + `/file"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the document page lacks %q:\n%s", want, page)
		}
	}
	compare := func(pdf []byte) string {
		ct, body := multipartBody(t, nil, "salinan.pdf", pdf)
		resp, b := r.do(t, req{path: "/v/" + id + "?lang=en", contentType: ct, body: body})
		if resp.StatusCode != 200 {
			t.Fatalf("compare: %s\n%s", resp.Status, b)
		}
		return string(b)
	}
	if p := compare(two); !strings.Contains(p, "This copy is exactly the document that was signed.") || !strings.Contains(p, `data-indication="TOTAL_PASSED"`) {
		t.Fatalf("the signed file itself:\n%s", p)
	}
	if p := compare(one); !strings.Contains(p, "exactly the document that was signed") {
		t.Fatalf("the Kabupaten's version (an earlier signed version of the document):\n%s", p)
	}
	changed := bytes.Clone(two)
	i := bytes.Index(changed, []byte("Tuban"))
	changed[i] ^= 0x20
	if p := compare(changed); !strings.Contains(p, "is NOT the document recorded here") || strings.Contains(p, `data-indication="TOTAL_PASSED"`) {
		t.Fatalf("a changed copy:\n%s", p)
	}
	resp, file := r.do(t, req{method: http.MethodGet, path: "/v/" + id + "/file"})
	if resp.StatusCode != 200 || !bytes.Equal(file, two) {
		t.Fatalf("download: %s, %d bytes (want the %d signed bytes)", resp.Status, len(file), len(two))
	}
	for _, bad := range []string{"/v/" + strings.Repeat("a", 32), "/v/zz", "/v/..%2Fetc"} {
		if code, _ := get(bad); code != 404 {
			t.Fatalf("GET %s: %d, want 404", bad, code)
		}
	}
	// 12 a minute: with the requests above and 7 more, the next is refused.
	for range 7 {
		get("/v/" + id)
	}
	if code, _ := get("/v/" + id); code != http.StatusTooManyRequests {
		t.Fatalf("the 13th request in a minute: %d, want 429", code)
	}

	// Downloads off: no file.
	cfg2 := baseConfig(t)
	cfg2.Documents = &DocumentsConfig{Store: "sqlite:" + filepath.Join(t.TempDir(), "segel.db")}
	r2 := start(t, cfg2)
	resp, _ = r2.sign(t, tokenApp, "", readTestdata(t, "pks.pdf"))
	id2 := resp.Header.Get("X-Segel-Document-Id")
	if resp.Header.Get("X-Segel-Verify-URL") != "" {
		t.Error("a verify URL without base_url")
	}
	if resp, _ := r2.do(t, req{method: http.MethodGet, path: "/v/" + id2 + "/file"}); resp.StatusCode != 404 {
		t.Fatalf("download without allow_download: %s", resp.Status)
	}
	if _, p := r2.do(t, req{method: http.MethodGet, path: "/v/" + id2 + "?lang=en"}); !strings.Contains(string(p), "does not keep the file") {
		t.Fatalf("page without the file:\n%s", p)
	}

	// Bad configurations.
	for _, d := range []*DocumentsConfig{{}, {Store: "x.db", AllowDownload: true}, {Store: "x.db", BaseURL: "ttd.example"}} {
		c := baseConfig(t)
		c.Documents = d
		if err := c.Validate(); err == nil {
			t.Errorf("documents %+v accepted", d)
		}
	}
}

// TestDocumentPageBrowser: whoever scans the QR code sees the verdict in
// a browser without JavaScript.
func TestDocumentPageBrowser(t *testing.T) {
	requireChromium(t)
	cfg := baseConfig(t)
	cfg.Documents = &DocumentsConfig{Store: filepath.Join(t.TempDir(), "segel.db"), KeepFiles: true}
	r := start(t, cfg)
	resp, _ := r.sign(t, tokenApp, "field=SigKabupaten&reason=Menyetujui", readTestdata(t, "pks.pdf"))
	id := resp.Header.Get("X-Segel-Document-Id")
	ctx, cancel := context.WithTimeout(startChromium(t), 60*time.Second)
	defer cancel()
	var ind, verdict, heading, missing string
	if err := chromedp.Do(ctx,
		noScript(),
		chromedp.Navigate(r.URL+"/v/"+id+"?lang=id"),
		chromedp.WaitVisible(chromedp.CSS("#verdict")),
	); err != nil {
		t.Fatal(err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#verdict"), "data-indication"))
	if err != nil {
		t.Fatal(err)
	}
	ind = attr.Value
	if verdict, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verdict"))); err != nil {
		t.Fatal(err)
	}
	if heading, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	if ind != "TOTAL_PASSED" || heading != "Dokumen yang ditandatangani" || verdict == "" {
		t.Fatalf("page shows %q / %q / %q", ind, heading, verdict)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(r.URL+"/v/"+strings.Repeat("b", 32)+"?lang=en"), chromedp.WaitVisible(chromedp.CSS("#error"))); err != nil {
		t.Fatal(err)
	}
	if missing, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#error"))); err != nil || !strings.Contains(missing, "Document not found") {
		t.Fatalf("unknown ID: %q %v", missing, err)
	}
	t.Logf("verdict shown: %s", verdict)
}

// TestStampQRLeadsToPage: a stamped signing on a server that records
// documents puts the document's own page (/v/{id}) into the QR code; a
// countersignature's QR leads to the same page.
func TestStampQRLeadsToPage(t *testing.T) {
	judge.Require(t, "zbarimg")
	judge.Require(t, "pdftoppm")
	cfg := baseConfig(t)
	cfg.Documents = &DocumentsConfig{Store: filepath.Join(t.TempDir(), "segel.db"), KeepFiles: true, BaseURL: "https://ttd.tubankab.go.id"}
	r := start(t, cfg)
	resp, one := r.sign(t, tokenApp, "field=SigKabupaten&stamp=qr-left&stamp_name=Bupati+Tuban&stamp_nip=197808172006041012&tz=WIB", readTestdata(t, "pks.pdf"))
	id := resp.Header.Get("X-Segel-Document-Id")
	resp2, two := r.sign(t, tokenArsip, "key=sekretaris-daerah&field=SigProvinsi&stamp=qr-left&stamp_name=Sekda", one)
	if resp2.Header.Get("X-Segel-Document-Id") != id {
		t.Fatalf("countersignature recorded as %q, not %q", resp2.Header.Get("X-Segel-Document-Id"), id)
	}
	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "pks.pdf")
	os.WriteFile(pdfPath, two, 0o644)
	// Each field's rectangle (x, y, w, h in points; A4 page) rendered
	// on its own at 100 dpi: zbarimg reads one QR code in each.
	want := "https://ttd.tubankab.go.id/v/" + id
	for i, f := range [][4]float64{{335, 177, 180, 72}, {100, 177, 180, 72}} {
		k := 100.0 / 72
		crop := []string{"-x", fmt.Sprint(int(f[0]*k) - 10), "-y", fmt.Sprint(int((842-f[1]-f[3])*k) - 10), "-W", fmt.Sprint(int(f[2]*k) + 20), "-H", fmt.Sprint(int(f[3]*k) + 20)}
		prefix := filepath.Join(dir, fmt.Sprintf("field%d", i))
		if _, err := judge.Command(t, "pdftoppm", append(append([]string{"-r", "100", "-f", "3", "-l", "3", "-png"}, crop...), pdfPath, prefix)...); err != nil {
			t.Fatal(err)
		}
		pngs, _ := filepath.Glob(prefix + "*.png")
		out, _ := exec.Command("zbarimg", "-q", "--raw", pngs[0]).Output()
		if strings.TrimSpace(string(out)) != want {
			t.Fatalf("field %d: QR code read %q, want %s", i+1, out, want)
		}
	}
	if code, page := r.do(t, req{method: http.MethodGet, path: "/v/" + id}); code.StatusCode != 200 || !strings.Contains(string(page), "TOTAL_PASSED") {
		t.Fatalf("/v/%s: %s", id, code.Status)
	}
	resp, body := r.do(t, req{path: "/v1/sign?stamp=qr-left&page=1&rect=10,10,30,12", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "pks.pdf"))})
	wantError(t, resp, body, http.StatusUnprocessableEntity, "stamp_too_small")
}
