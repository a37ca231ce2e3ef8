package signer_test

import (
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/judge"
	"segel/signer"
)

var update = flag.Bool("update", false, "rewrite the stamps' golden images in testdata/golden")

// TestStampGolden renders stamps drawn at a fixed time with fixed texts
// and QR URLs — the two built-in layouts, one with a seal, and docs'
// example layout file — with pdftoppm at 100 dpi in gray, cropped to the
// stamp, and compares each with its golden image in testdata/golden: at
// most 1% of the pixels may differ by more than 32 levels (anti-aliasing
// differs a little between poppler builds). zbarimg reads each QR code
// back from the render. go test ./signer -run TestStampGolden -update
// rewrites the golden images after an intended change; look at them.
func TestStampGolden(t *testing.T) {
	judge.Require(t, "pdftoppm")
	example, err := os.ReadFile(filepath.Join("..", "docs", "stamp-layout.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	custom, err := signer.ParseLayout(example)
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://ttd.jatimprov.go.id/v/7h2kq9x4m3p8w6n5r1t0y2u4i6o8a0s1"
	who := func(st signer.Stamp) *signer.Stamp {
		st.Name, st.Jabatan, st.NIP, st.Instansi = "H. BAMBANG SUSILO, S.H., M.H.", "Bupati Tuban", "197001011995031001", "Pemerintah Kabupaten Tuban"
		return &st
	}
	cases := []struct {
		name  string
		st    *signer.Stamp
		rect  [4]float64
		hasQR bool
	}{
		{"qr-left", who(signer.Stamp{Layout: "qr-left", VerifyURL: url}), [4]float64{100, 300, 180, 72}, true},
		{"text", who(signer.Stamp{Layout: "text", VerifyURL: url, Reason: "Menyetujui Perjanjian Kerja Sama"}), [4]float64{100, 300, 200, 150}, true},
		{"qr-left-seal", who(signer.Stamp{Layout: "qr-left", VerifyURL: url, Image: mustImage(t, seal(t, 96, 96))}), [4]float64{100, 300, 260, 80}, true},
		{"layout-file", who(signer.Stamp{Custom: custom, VerifyURL: url, Image: mustImage(t, seal(t, 96, 96))}), [4]float64{100, 300, 300, 110}, true},
	}
	renders := map[string]*image.Gray{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := stamped(t, c.st, c.rect)
			got := toGray(render(t, path, c.rect, true))
			renders[c.name] = got
			golden := filepath.Join("testdata", "golden", "stamp-"+c.name+".png")
			if *update {
				writePNG(t, golden, got)
			}
			want := readGray(t, golden)
			if n, total := pixelsDiffering(got, want); n < 0 || n*100 > total {
				out := filepath.Join(t.TempDir(), c.name+".png")
				writePNG(t, out, got)
				t.Errorf("%s differs from %s in %d of %d pixels (the render is %s)", c.name, golden, n, total, out)
			}
			if _, err := exec.LookPath("zbarimg"); err != nil || !c.hasQR {
				return
			}
			png := filepath.Join(t.TempDir(), "qr.png")
			writePNG(t, png, got)
			if qr, _ := exec.Command("zbarimg", "-q", "--raw", png).Output(); strings.TrimSpace(string(qr)) != url {
				t.Errorf("zbarimg read %q, want %s", qr, url)
			}
		})
	}
	// The comparison tells stamps apart: another document's QR code
	// changes enough pixels.
	r := [4]float64{100, 300, 180, 72}
	other := toGray(render(t, stamped(t, who(signer.Stamp{Layout: "qr-left", VerifyURL: strings.Replace(url, "7h2k", "8j3m", 1)}), r), r, true))
	if a := renders["qr-left"]; a != nil {
		if n, total := pixelsDiffering(a, other); n >= 0 && n*100 <= total {
			t.Errorf("a stamp with another QR code passes as the same: %d of %d pixels differ", n, total)
		} else {
			t.Logf("another QR code: %d of %d pixels differ", n, total)
		}
	}
}

// pixelsDiffering counts the pixels whose gray levels differ by more
// than 32; -1 when the sizes differ.
func pixelsDiffering(a, b *image.Gray) (int, int) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return -1, 0
	}
	n := 0
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d > 32 || d < -32 {
			n++
		}
	}
	return n, len(a.Pix)
}

func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return g
}

func readGray(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./signer -run TestStampGolden -update)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return toGray(img)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
