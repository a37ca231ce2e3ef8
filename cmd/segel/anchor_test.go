package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/memkey"
	"segel/internal/sample"
)

// anchorPDF writes a two-page letter with two markers: "#ttd_kabupaten#"
// in one Tj on page 1, and "#ttd_provinsi#" on page 2, in TJ pieces
// inside a Form XObject drawn with a cm move; and one near the page's
// right edge on page 2 ("#ttd_saksi#"), where the stamp must be moved in.
func anchorPDF(t *testing.T, path string) {
	t.Helper()
	st := func(dict, data string) string {
		return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 7 0 R /Resources << /XObject << /Fx 8 0 R >> /Font << /F1 6 0 R >> >> >>",
		st("", "BT /F1 12 Tf 72 760 Td (PERJANJIAN KERJA SAMA) Tj 0 -200 Td (Bupati Tuban,) Tj 0 -16 Td (#ttd_kabupaten#) Tj 0 -80 Td (H. BAMBANG SUSILO) Tj ET"),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		st("", "q 1 0 0 1 300 400 cm /Fx Do Q BT /F1 10 Tf 520 60 Td (#ttd_saksi#) Tj ET"),
		st("/Type /XObject /Subtype /Form /BBox [0 0 200 100] /Resources << /Font << /F1 6 0 R >> >>",
			"BT /F1 11 Tf 1 0 0 1 10 50 Tm (Gubernur Jawa Timur,) Tj 1 0 0 1 10 34 Tm [(#ttd_) -20 (prov) 15 (insi#)] TJ ET"),
	}
	if err := os.WriteFile(path, sample.FromObjects(objs...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// popplerBox is the box pdftotext -bbox gives word on page (from 1), in
// PDF user space: x1, y1, x2, y2.
func popplerBox(t *testing.T, path string, page int, word string) [4]float64 {
	t.Helper()
	out, err := judge.Command(t, "pdftotext", "-bbox", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), path, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	h := regexp.MustCompile(`<page width="[0-9.]+" height="([0-9.]+)">`).FindStringSubmatch(out)
	m := regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">` + regexp.QuoteMeta(word) + `</word>`).FindStringSubmatch(out)
	if h == nil || m == nil {
		t.Fatalf("pdftotext shows no %q on page %d:\n%s", word, page, out)
	}
	f := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	return [4]float64{f(m[1]), f(h[1]) - f(m[4]), f(m[3]), f(h[1]) - f(m[2])}
}

// widgetRects reads the signature widgets' /Rect per page with qpdf's
// JSON: page number → rectangles.
func widgetRects(t *testing.T, path string) map[int][][4]float64 {
	t.Helper()
	out, err := exec.Command("qpdf", "--json=2", "--json-key=pages", "--json-key=qpdf", path).Output()
	if err != nil {
		t.Fatalf("qpdf --json: %v", err)
	}
	var j struct {
		Pages []struct {
			Object string `json:"object"`
		} `json:"pages"`
		QPDF []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal(out, &j); err != nil || len(j.QPDF) < 2 {
		t.Fatalf("qpdf --json: %v", err)
	}
	var objs map[string]struct {
		Value map[string]json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(j.QPDF[1], &objs); err != nil {
		t.Fatalf("qpdf --json objects: %v", err)
	}
	rects := map[int][][4]float64{}
	for i, p := range j.Pages {
		var annots []string
		json.Unmarshal(objs["obj:"+p.Object].Value["/Annots"], &annots)
		for _, a := range annots {
			v := objs["obj:"+a].Value
			if string(v["/FT"]) != `"/Sig"` {
				continue
			}
			var r [4]float64
			if err := json.Unmarshal(v["/Rect"], &r); err != nil {
				t.Fatalf("widget %s /Rect %s: %v", a, v["/Rect"], err)
			}
			rects[i+1] = append(rects[i+1], r)
		}
	}
	return rects
}

// TestAnchor: stamps placed at markers (one Tj on page 1; TJ pieces in
// a form on page 2; one near the page's edge): qpdf's view of each new
// widget's /Rect covers the marker's box as pdftotext -bbox (poppler)
// reports it, its top-left at the marker's top-left; both signatures
// verify (segel, pdfsig), qpdf --check passes, and the markers are still
// in the text. An absent marker, a second occurrence that does not exist
// and --anchor with --rect are refused with nothing written. The first
// signature also writes the footer.
func TestAnchor(t *testing.T) {
	for _, tool := range []string{"pdftotext", "qpdf"} {
		judge.Require(t, tool)
	}
	ca, _ := devca.New(devca.Options{})
	kab := memkey.MustNew(t, "anchor-kab", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	prov := memkey.MustNew(t, "anchor-prov", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Gubernur Jawa Timur"}})
	saksi := memkey.MustNew(t, "anchor-saksi", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Camat Tuban"}})
	dir := t.TempDir()
	in, one, two, three := filepath.Join(dir, "surat.pdf"), filepath.Join(dir, "1.pdf"), filepath.Join(dir, "2.pdf"), filepath.Join(dir, "3.pdf")
	anchorPDF(t, in)
	// With the footer in the same revision: the marker is looked up in
	// the pages as they were.
	mustSegel(t, "sign", "--key", kab.Ref(), "--footer", "--anchor", "#ttd_kabupaten#", "--stamp", "qr-left", "--stamp-nip", "197808172006041012",
		"--qr-url", "https://ttd.example.go.id/v/abc", "-o", one, in)
	mustSegel(t, "sign", "--key", prov.Ref(), "--anchor", "#ttd_provinsi#", "--anchor-size", "200,70", "--stamp", "text", "-o", two, one)
	// A third key: pdfsig 22.12 reports "Unknown issue with Certificate"
	// for the second signature of one certificate in a file.
	mustSegel(t, "sign", "--key", saksi.Ref(), "--anchor", "#ttd_saksi#", "--stamp", "text", "-o", three, two)

	rects := widgetRects(t, three)
	for _, c := range []struct {
		page   int
		marker string
		w, h   float64
		moved  bool
	}{{1, "#ttd_kabupaten#", 180, 60, false}, {2, "#ttd_provinsi#", 200, 70, false}, {2, "#ttd_saksi#", 180, 60, true}} {
		box := popplerBox(t, three, c.page, c.marker)
		var found bool
		for _, r := range rects[c.page] {
			covers := r[0] <= box[0]+1 && r[2] >= box[2]-1 && r[1] <= box[1]+1 && r[3] >= box[3]-1
			if !covers {
				continue
			}
			found = true
			if math.Abs(r[2]-r[0]-c.w) > 0.01 || math.Abs(r[3]-r[1]-c.h) > 0.01 {
				t.Errorf("%s: widget %v is not %g × %g", c.marker, r, c.w, c.h)
			}
			// Top-left at the marker's left and (within the font's
			// ascent) its top, unless moved inside the page.
			if !c.moved && (math.Abs(r[0]-box[0]) > 1 || r[3] < box[3]-1 || r[3] > box[3]+4) {
				t.Errorf("%s: widget %v, marker %v: top-left not at the marker's", c.marker, r, box)
			}
			if c.moved && (r[2] > 595.01 || r[0] < 0) {
				t.Errorf("%s: widget %v leaves the page", c.marker, r)
			}
		}
		if !found {
			t.Errorf("no signature widget on page %d covers %s at %v: %v", c.page, c.marker, box, rects[c.page])
		}
	}
	if n := len(rects[1]) + len(rects[2]); n != 3 {
		t.Errorf("%d signature widgets, want 3: %v", n, rects)
	}

	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)
	if r := mustSegel(t, "verify", "--trust", root, three); !strings.Contains(r.stdout, "TOTAL_PASSED (3 signature(s)") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	if out, err := exec.Command("qpdf", "--check", three).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("pdfsig"); err == nil {
		judge.PdfsigValid(t, judge.NewNSSDB(t, root), three, 3)
	}

	for name, args := range map[string][]string{
		"absent":       {"--anchor", "#ttd_camat#"},
		"second":       {"--anchor", "#ttd_kabupaten#", "--anchor-index", "2"},
		"with rect":    {"--anchor", "#ttd_kabupaten#", "--rect", "10,10,100,50"},
		"tiny":         {"--anchor", "#ttd_kabupaten#", "--anchor-size", "5,5"},
		"size no text": {"--anchor-size", "100,40"},
	} {
		bad := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".pdf")
		r := segel(t, append(append([]string{"sign", "--key", kab.Ref()}, args...), "-o", bad, in)...)
		if r.code == 0 || strings.Count(r.stderr, "segel: error:") != 1 || fileExists(bad) {
			t.Errorf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		if name == "absent" && (!strings.Contains(r.stderr, "#ttd_camat#") || !strings.Contains(r.stderr, "pdftotext")) {
			t.Errorf("absent marker: the message names neither the marker nor the hint:\n%s", r.stderr)
		}
	}
}
