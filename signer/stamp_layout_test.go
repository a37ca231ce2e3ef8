package signer_test

import (
	"errors"
	"strings"
	"testing"

	"segel/signer"
)

// TestParseLayout: a layout file as docs/stamp.md shows it is read; a
// mistake is an ErrBadLayout naming the line of the file.
func TestParseLayout(t *testing.T) {
	good := `qr: right
qr_size: 0.4
image: left
border: false
lines:
  - text: "{name}"
    bold: true
    size: 1.2
  - text: "NIP. {nip}"
  - text: "{time}"
`
	l, err := signer.ParseLayout([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if l.QR != "right" || l.QRSize != 0.4 || l.Image != "left" || l.Border == nil || *l.Border || len(l.Lines) != 3 || !l.Lines[0].Bold || l.Lines[0].Size != 1.2 {
		t.Errorf("parsed %+v", l)
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown key", "qr: left\nqrsize: 0.3\nlines:\n  - text: x\n", "line 2"},
		{"bad position", "lines:\n  - text: x\nqr: top\n", "line 3"},
		{"unknown part", "qr: left\nlines:\n  - text: \"{name}\"\n  - text: \"{email}\"\n", "line 4"},
		{"size", "lines:\n  - text: x\n    size: 5\n", "line 2"},
		{"no lines", "qr: none\n", "no lines"},
		{"both left", "qr: left\nimage: left\nlines:\n  - text: x\n", "line 2"},
		{"not yaml", "qr: [\n", "bad stamp layout"},
	} {
		_, err := signer.ParseLayout([]byte(c.yaml))
		if !errors.Is(err, signer.ErrBadLayout) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadLayout naming %q", c.name, err, c.want)
		}
	}
}
