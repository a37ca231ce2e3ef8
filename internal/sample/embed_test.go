package sample_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"segel/internal/judge"
)

// TestEmbeddedFonts checks with pdffonts that the PKS set in DejaVu embeds
// every font as a subset, and that qpdf finds the file clean; the text
// itself is extracted by TestText through the samples table.
func TestEmbeddedFonts(t *testing.T) {
	judge.Require(t, "pdffonts")
	judge.Require(t, "qpdf")
	var s sampleDoc
	for _, d := range samples {
		if d.name == "pks-embedded" {
			s = d
		}
	}
	path := filepath.Join(t.TempDir(), "pks-embedded.pdf")
	if err := os.WriteFile(path, generate(t, s), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := judge.Command(t, "pdffonts", path)
	if err != nil {
		t.Fatalf("pdffonts: %v\n%s", err, out)
	}
	row := regexp.MustCompile(`(?m)^([A-Z]{6}\+DejaVu\S+)\s+TrueType\s+WinAnsi\s+yes yes yes\s`)
	if n := len(row.FindAllString(out, -1)); n != 4 {
		t.Errorf("want 4 embedded subset DejaVu fonts, found %d:\n%s", n, out)
	}
	for _, l := range strings.Split(out, "\n")[2:] {
		if strings.TrimSpace(l) != "" && !row.MatchString(l+" ") {
			t.Errorf("a font not embedded as a subset: %q", l)
		}
	}
	if out, err := judge.Command(t, "qpdf", "--check", path); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
}
