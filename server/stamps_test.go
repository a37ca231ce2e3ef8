package server

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/judge"
)

// TestStampsConfig: a layout file and a seal named in the configuration
// are used when a request names the layout (mutool shows its text,
// pdfimages the seal); an unknown layout name is a bad option listing the
// known ones; a bad layout file or image stops the server at start.
func TestStampsConfig(t *testing.T) {
	judge.Require(t, "mutool")
	judge.Require(t, "pdfimages")
	dir := t.TempDir()
	layout := filepath.Join(dir, "dinas.yaml")
	os.WriteFile(layout, []byte("qr: none\nimage: left\nlines:\n  - text: \"DINAS {instansi}\"\n    bold: true\n  - text: \"{name}\"\n  - text: \"{time}\"\n"), 0o644)
	img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(0, 0, color.NRGBA{})
	var b bytes.Buffer
	png.Encode(&b, img)
	seal := filepath.Join(dir, "seal.png")
	os.WriteFile(seal, b.Bytes(), 0o644)

	cfg := baseConfig(t)
	cfg.Stamps = &StampsConfig{Layouts: map[string]string{"dinas": layout}, Image: seal}
	r := start(t, cfg)
	_, out := r.sign(t, tokenApp, "stamp=dinas&stamp_name=Bupati+Tuban&stamp_instansi=Kominfo&page=1&rect=100,100,220,70", readTestdata(t, "pks.pdf"))
	path := filepath.Join(dir, "out.pdf")
	os.WriteFile(path, out, 0o644)
	if txt, _ := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", path, "1"); !strings.Contains(txt, "DINAS Kominfo") {
		t.Errorf("the configured layout's text is not drawn:\n%s", txt)
	}
	if list, _ := judge.Command(t, "pdfimages", "-list", path); !strings.Contains(list, "smask") {
		t.Errorf("the configured seal is not drawn:\n%s", list)
	}
	resp, body := r.do(t, req{path: "/v1/sign?stamp=dinas2&page=1&rect=100,100,220,70", token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(readTestdata(t, "pks.pdf"))})
	if m := wantError(t, resp, body, http.StatusBadRequest, "bad_option"); !strings.Contains(string(body), "qr-left, text, dinas") {
		t.Errorf("the error does not list the layouts: %v", m)
	}

	for name, sc := range map[string]*StampsConfig{
		"bad layout": {Layouts: map[string]string{"x": seal}},
		"bad image":  {Image: layout},
		"builtin":    {Layouts: map[string]string{"text": layout}},
		"official":   {Official: "dinas"},
	} {
		cfg := baseConfig(t)
		cfg.Stamps = sc
		if s, err := New(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "stamps") {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: New: %v", name, err)
		}
	}
}
