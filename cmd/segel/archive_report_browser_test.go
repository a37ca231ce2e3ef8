package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/memkey"
)

// updateScreenshot rewrites docs/img/archive-report.png from
// TestArchiveReportInChromium: go test ./cmd/segel -run
// TestArchiveReportInChromium -update-screenshot.
var updateScreenshot = flag.Bool("update-screenshot", false, "write the archive report's screenshot to docs/img/archive-report.png")

// TestArchiveReportInChromium: an archive of files that pass, fail
// (changed after signing) and are indeterminate (signed under a root not
// trusted) is verified with --report r.html and --report r.jsonl; in
// headless Chromium the page shows per verdict and in total the JSONL's
// counts (read from the chart and from the table's rows), a click on a
// heading sorts the table by that column, and the page asks for nothing
// over the network.
func TestArchiveReportInChromium(t *testing.T) {
	judge.RequireChromium(t)
	trusted, _ := devca.New(devca.Options{})
	other, _ := devca.New(devca.Options{})
	good := memkey.MustNew(t, "report-good", memkey.Options{CA: trusted, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban", Organization: "Pemerintah Kabupaten Tuban"}})
	stranger := memkey.MustNew(t, "report-stranger", memkey.Options{CA: other, Leaf: devca.LeafRequest{CommonName: "Orang Lain", Organization: "Entah"}})
	pks := testPKS(t)
	shot, err := filepath.Abs(filepath.Join("..", "..", "docs", "img", "archive-report.png"))
	if err != nil {
		t.Fatal(err)
	}
	// Relative paths, as a user would type them (and as the picture shows).
	dir := t.TempDir()
	t.Chdir(dir)
	arsip := "arsip"
	os.MkdirAll(arsip, 0o755)
	// Names chosen so that the page's first order (by verdict, then file)
	// differs from the order by file name.
	plan := []struct {
		name    string
		key     *memkey.Key
		tamper  bool
		verdict string
	}{
		{"a-lulus.pdf", good, false, "TOTAL_PASSED"},
		{"b-diubah.pdf", good, true, "TOTAL_FAILED"},
		{"c-asing.pdf", stranger, false, "INDETERMINATE"},
		{"d-lulus.pdf", good, false, "TOTAL_PASSED"},
		{"e-diubah.pdf", good, true, "TOTAL_FAILED"},
		{"f-lulus.pdf", good, false, "TOTAL_PASSED"},
		{"g-asing.pdf", stranger, false, "INDETERMINATE"},
		{"h-lulus.pdf", good, false, "TOTAL_PASSED"},
	}
	for _, p := range plan {
		out := filepath.Join(arsip, p.name)
		mustSegel(t, "sign", "--key", p.key.Ref(), "-o", out, pks)
		if p.tamper && flipbyte(out, "2000") != 0 {
			t.Fatal("flipbyte failed")
		}
	}
	root := "root.pem"
	os.WriteFile(root, trusted.RootPEM(), 0o644)
	htmlPath, jsonlPath := "r.html", "r.jsonl"
	segel(t, "verify", "--trust", root, "--report", htmlPath, arsip)
	segel(t, "verify", "--trust", root, "--report", jsonlPath, arsip)

	// The JSONL's counts, and each file's verdict as planned.
	want := map[string]int{}
	jl, err := os.ReadFile(jsonlPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(jl)), "\n")
	for _, l := range lines {
		var r struct{ File, Indication string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		want[r.Indication]++
		for _, p := range plan {
			if filepath.Base(r.File) == p.name && r.Indication != p.verdict {
				t.Errorf("%s: %s, planned %s", p.name, r.Indication, p.verdict)
			}
		}
	}
	if len(lines) != len(plan) || len(want) != 3 {
		t.Fatalf("JSONL: %d lines, verdicts %v", len(lines), want)
	}

	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:)?//`).Find(page); m != nil {
		t.Errorf("the page refers to a resource elsewhere: %s", m)
	}

	ctx := judge.Chromium(t, 1000, 700)
	var mu sync.Mutex
	var requests []string
	chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	})
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate("file://"+filepath.Join(dir, htmlPath)), chromedp.WaitReady(chromedp.CSS("tbody"))); err != nil {
		t.Fatal(err)
	}
	type shown struct {
		Total  int
		Bars   [][2]string
		Rows   []string
		Files  []string
		Errors []string
	}
	read := func() shown {
		t.Helper()
		js, err := chromedp.Run(tctx, chromedp.Evaluate[string](`JSON.stringify({
			Total: +document.getElementById("total").textContent,
			Bars: Array.from(document.querySelectorAll("svg text[data-indication]")).map(e => [e.dataset.indication, e.textContent]),
			Rows: Array.from(document.querySelectorAll("tbody tr")).map(r => r.cells[1].firstChild.textContent),
			Files: Array.from(document.querySelectorAll("tbody tr")).map(r => r.cells[0].textContent),
			Errors: Array.from(document.querySelectorAll("tbody tr")).map(r => r.cells[4].textContent)})`))
		if err != nil {
			t.Fatal(err)
		}
		var s shown
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := read()
	if s.Total != len(lines) {
		t.Errorf("page total %d, JSONL %d", s.Total, len(lines))
	}
	bars := map[string]int{}
	for _, b := range s.Bars {
		var n int
		fmt.Sscan(b[1], &n)
		bars[b[0]] = n
	}
	rows := map[string]int{}
	for _, r := range s.Rows {
		rows[r]++
	}
	if fmt.Sprint(bars) != fmt.Sprint(want) || fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("chart %v, table %v, JSONL %v", bars, rows, want)
	}
	// Each file that failed says why; the others show no error.
	for i, v := range s.Rows {
		changed := strings.Contains(s.Errors[i], "SigProvinsi: the signed bytes were changed")
		if changed != (v == "TOTAL_FAILED") {
			t.Errorf("%s (%s): errors %q", s.Files[i], v, s.Errors[i])
		}
	}
	byName := append([]string(nil), s.Files...)
	sort.Strings(byName)
	if strings.Join(byName, ",") == strings.Join(s.Files, ",") {
		t.Fatalf("the first order is already by file name, a click would prove nothing: %v", s.Files)
	}
	// A click on "File" sorts by file, a second click the other way; a
	// click on "Verdict" by verdict.
	th := func(n int) error {
		return chromedp.Do(tctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("thead th:nth-child(%d)", n))))
	}
	if err := th(1); err != nil {
		t.Fatal(err)
	}
	if got := read().Files; strings.Join(got, ",") != strings.Join(byName, ",") {
		t.Errorf("after a click on File: %v", got)
	}
	if err := th(1); err != nil {
		t.Fatal(err)
	}
	got := read().Files
	for i := range got {
		if got[i] != byName[len(byName)-1-i] {
			t.Errorf("after a second click on File: %v", got)
			break
		}
	}
	if err := th(2); err != nil {
		t.Fatal(err)
	}
	if v := read().Rows; !sort.StringsAreSorted(v) {
		t.Errorf("after a click on Verdict: %v", v)
	}
	if err := th(1); err != nil { // back to the order by file for the picture
		t.Fatal(err)
	}
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "archive-report.png"), png, 0o644)
	if *updateScreenshot {
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Fatal("no request seen: the network listener heard nothing")
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page asked for %s", u)
		}
	}
}
