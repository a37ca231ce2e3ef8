package server

import (
	"strings"
	"testing"

	"segel/verify"
)

// TestChangeTextLanguage: a change after a signature is written in the
// page's language, with where it is.
func TestChangeTextLanguage(t *testing.T) {
	c := verify.Change{Revision: 2, Object: "12 0 R", Page: 1, Kind: verify.ChangePageContent, Description: "stream 12 drawn on page 1 changed"}
	id := changeText(pageTexts["id"], c)
	if !strings.Contains(id, "TIDAK diizinkan") || !strings.Contains(id, "isi halaman diubah") || !strings.Contains(id, "halaman 1") || !strings.Contains(id, "revisi 3") || strings.Contains(id, "changed") {
		t.Errorf("Indonesian: %q", id)
	}
	en := changeText(pageTexts["en"], c)
	if en != "NOT allowed: stream 12 drawn on page 1 changed" {
		t.Errorf("English: %q", en)
	}
	c.Allowed, c.Kind = true, verify.ChangeDSS
	if id := changeText(pageTexts["id"], c); !strings.HasPrefix(id, "diizinkan: data validasi") {
		t.Errorf("Indonesian allowed: %q", id)
	}
}
