package server

import (
	"bytes"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"segel/internal/judge"
	"segel/signer"
)

// TestSignAnchor: anchor places the stamp at the PKS's second "(tempat
// tanda tangan elektronik)" (anchor_index 2, the Bupati's side of page
// 3): the new field's top-left corner is that text's top-left as
// pdftotext -bbox reports it; an absent marker answers 422
// anchor_not_found, anchor with field 400 bad_option.
func TestSignAnchor(t *testing.T) {
	judge.Require(t, "pdftotext")
	r := start(t, baseConfig(t))
	pks := readTestdata(t, "pks.pdf")
	const marker = "(tempat tanda tangan elektronik)"
	q := url.Values{"stamp": {"text"}, "stamp_name": {"Bupati Tuban"}, "anchor": {marker}, "anchor_index": {"2"}, "anchor_size": {"190,64"}}
	_, signed := r.sign(t, tokenApp, q.Encode(), pks)
	fields, err := signer.ListFields(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	var placed *signer.FieldInfo
	for i, f := range fields {
		if f.Signed {
			placed = &fields[i]
		}
	}
	if placed == nil || placed.Page != 3 || placed.Rect[2] != 190 || placed.Rect[3] != 64 {
		t.Fatalf("signed field %+v", placed)
	}
	// The judge: poppler's box of the first word of the second
	// occurrence, "(tempat", on page 3.
	path := filepath.Join(t.TempDir(), "pks.pdf")
	os.WriteFile(path, signed, 0o644)
	out, err := judge.Command(t, "pdftotext", "-bbox", "-f", "3", "-l", "3", path, "-")
	if err != nil {
		t.Fatal(err)
	}
	page := regexp.MustCompile(`height="([0-9.]+)"`).FindStringSubmatch(out)
	words := regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="[0-9.]+" yMax="[0-9.]+">\(tempat</word>`).FindAllStringSubmatch(out, -1)
	if page == nil || len(words) != 2 {
		t.Fatalf("pdftotext: %d words \"(tempat\"", len(words))
	}
	h, _ := strconv.ParseFloat(page[1], 64)
	x, _ := strconv.ParseFloat(words[1][1], 64)
	top, _ := strconv.ParseFloat(words[1][2], 64)
	top = h - top
	if r := placed.Rect; math.Abs(r[0]-x) > 1 || r[1]+r[3] < top-1 || r[1]+r[3] > top+4 {
		t.Errorf("field %v: its top-left is not the marker's (%.2f, %.2f)", r, x, top)
	}

	resp, body := r.do(t, req{path: "/v1/sign?" + url.Values{"anchor": {"#ttd_camat#"}}.Encode(), token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pks)})
	wantError(t, resp, body, http.StatusUnprocessableEntity, "anchor_not_found")
	resp, body = r.do(t, req{path: "/v1/sign?" + url.Values{"anchor": {marker}, "field": {"SigKabupaten"}}.Encode(), token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pks)})
	wantError(t, resp, body, http.StatusBadRequest, "bad_option")
}
