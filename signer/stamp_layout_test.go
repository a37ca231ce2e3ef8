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

// FuzzParseLayout: any input is a layout that passes its checks or an
// ErrBadLayout, never a panic.
func FuzzParseLayout(f *testing.F) {
	f.Add([]byte("qr: left\nlines:\n  - text: \"{name}\"\n"))
	f.Add([]byte("qr: bottom\nimage: behind\nborder: false\nlines:\n  - text: \"NIP. {nip}\"\n    size: 0.8\n    bold: true\n"))
	f.Add([]byte("lines: [{text: \"{x\"}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := signer.ParseLayout(b)
		if err != nil && !errors.Is(err, signer.ErrBadLayout) {
			t.Fatalf("%v is not an ErrBadLayout", err)
		}
		if err == nil && len(l.Lines) == 0 {
			t.Fatal("a layout without lines passed")
		}
	})
}

// FuzzStampImage: any bytes are a usable image or an ErrBadImage.
func FuzzStampImage(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := signer.ParseStampImage(b); err != nil && !errors.Is(err, signer.ErrBadImage) {
			t.Fatalf("%v is not an ErrBadImage", err)
		}
	})
}
