package signer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/sample"
	"segel/signer"
)

// TestFooterFirstOnly: a footer is written with the first signature; a
// later signature asking for it is refused, unless FooterFirstOnly says
// to leave it out, as official mode does — then it signs and adds none.
func TestFooterFirstOnly(t *testing.T) {
	pks := readTestdata(t, "pks.pdf")
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	one, _, _ := sign(t, pks, id, signer.Options{Field: "SigKabupaten", Footer: signer.DefaultFooter, FooterFirstOnly: true})
	n := bytes.Count(one, []byte("/SegelFooter Do"))
	if n == 0 {
		t.Fatal("the first signature wrote no footer")
	}
	out := &memOut{}
	_, err := signer.Sign(context.Background(), bytes.NewReader(one), int64(len(one)), out,
		signer.Options{Signer: id.Key, Chain: id.Chain, Field: "SigProvinsi", Footer: signer.DefaultFooter})
	if !errors.Is(err, signer.ErrBadOptions) || len(out.b) != 0 {
		t.Errorf("a second footer: %v, want ErrBadOptions", err)
	}
	two, _, _ := sign(t, one, id, signer.Options{Field: "SigProvinsi", Footer: signer.DefaultFooter, FooterFirstOnly: true})
	if got := bytes.Count(two, []byte("/SegelFooter Do")); got != n {
		t.Errorf("the second signature drew the footer again: %d, want %d", got, n)
	}
}

// TestFooterInsideCropBox: the footer is drawn at the bottom of what a
// viewer shows — the crop box, inherited from the page tree and given by
// reference — not of the media box (it was: on such a page the footer lay
// outside the visible page, and mutool, which shows the crop box, did not
// show it; pdftotext -cropbox keeps text outside it, so it cannot judge).
func TestFooterInsideCropBox(t *testing.T) {
	judge.Require(t, "mutool")
	content := "BT /F1 12 Tf 72 700 Td (Isi perjanjian) Tj ET"
	doc := sample.FromObjects(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /CropBox 5 0 R >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"[0 200 595 842]",
	)
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	signed, _, _ := sign(t, doc, id, signer.Options{Footer: signer.DefaultFooter})
	path := filepath.Join(t.TempDir(), "crop.pdf")
	if err := os.WriteFile(path, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", path)
	if err != nil || !strings.Contains(text, "Dokumen ini telah ditandatangani") || !strings.Contains(text, "Isi perjanjian") {
		t.Errorf("mutool draw -F txt: %v\n%s", err, text)
	}
}

// TestFooterOnRotatedPages: on a page shown turned (/Rotate 90, 180, 270,
// given on the page or inherited), the footer reads upright along the
// bottom of the page as shown — mutool's structured text, in display
// space, has the line left to right (dir "1 0") within 40 points of the
// bottom edge. It was drawn in the unturned page's space: sideways or
// upside down, along another edge.
func TestFooterOnRotatedPages(t *testing.T) {
	judge.Require(t, "mutool")
	content := "BT /F1 12 Tf 72 500 Td (Isi perjanjian) Tj ET"
	page := "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> %s>>"
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	lineRE := regexp.MustCompile(`<line bbox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)" wmode="0" dir="([-\d.]+) ([-\d.]+)">\s*<font[^>]*>\s*<char[^>]*c="D"`)
	for _, tc := range []struct {
		name, pages, page string
		shownH            float64 // the height of the page as shown
	}{
		{"upright", "", "", 842},
		{"90", "", "/Rotate 90 ", 595},
		{"180", "", "/Rotate 180 ", 842},
		{"270 inherited", "/Rotate 270 ", "", 595},
		{"-90", "", "/Rotate -90 ", 595},
	} {
		doc := sample.FromObjects(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] "+tc.pages+">>",
			fmt.Sprintf(page, tc.page),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		)
		signed, _, _ := sign(t, doc, id, signer.Options{Footer: signer.DefaultFooter})
		path := filepath.Join(t.TempDir(), "rot.pdf")
		if err := os.WriteFile(path, signed, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := judge.Command(t, "mutool", "draw", "-F", "stext", "-o", "-", path)
		if err != nil {
			t.Fatal(err)
		}
		m := lineRE.FindStringSubmatch(st)
		if m == nil {
			t.Errorf("%s: no footer line in mutool's text:\n%s", tc.name, st)
			continue
		}
		y2, _ := strconv.ParseFloat(m[4], 64)
		if m[5] != "1" || m[6] != "0" || y2 < tc.shownH-40 || y2 > tc.shownH {
			t.Errorf("%s: the footer line runs %s,%s with its bottom at %s, want 1,0 within 40 pt of %g", tc.name, m[5], m[6], m[4], tc.shownH)
		}
	}
}
