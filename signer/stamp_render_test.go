package signer_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/signer"
)

// seal is a w × h PNG: a red disc on a transparent ground.
func seal(t *testing.T, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := float64(min(w, h)) / 2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-float64(w)/2+0.5, float64(y)-float64(h)/2+0.5
			if dx*dx+dy*dy <= r*r {
				img.Set(x, y, color.NRGBA{200, 20, 20, 255})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mustImage parses b as a stamp image.
func mustImage(t *testing.T, b []byte) *signer.StampImage {
	t.Helper()
	img, err := signer.ParseStampImage(b)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// grayJPEG is a w × h mid-gray JPEG.
func grayJPEG(t *testing.T, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stamped signs testdata/minimal.pdf with st in a new field at rect on
// page 1 and writes the result to a temporary file.
func stamped(t *testing.T, st *signer.Stamp, rect [4]float64) string {
	t.Helper()
	out, _, _ := sign(t, readTestdata(t, "minimal.pdf"), identity(t, devca.ECDSAP256, "Bupati Tuban"),
		signer.Options{Page: 1, Rect: rect, Stamp: st, Reason: st.Reason})
	path := filepath.Join(t.TempDir(), "stamped.pdf")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// signErr signs with st and returns the error.
func signErr(st *signer.Stamp, rect [4]float64, t *testing.T) error {
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	in := readTestdata(t, "minimal.pdf")
	_, err := signer.Sign(t.Context(), bytes.NewReader(in), int64(len(in)), &memOut{},
		signer.Options{Signer: id.Key, Chain: id.Chain, Page: 1, Rect: rect, Stamp: st})
	return err
}

// TestStampImage: a PNG with alpha becomes an image with a soft mask, a
// JPEG stays JPEG (pdfimages lists both); the seal is drawn where the
// layout puts it (pdftoppm's pixels there are red); images that are not
// PNG or JPEG, or too large, are refused.
func TestStampImage(t *testing.T) {
	judge.Require(t, "pdfimages")
	judge.Require(t, "pdftoppm")
	rect := [4]float64{100, 300, 300, 100}
	// One parsed image drawn on two documents, as a server's seal is:
	// each lists the image and its soft mask.
	sealImg := mustImage(t, seal(t, 120, 120))
	var path string
	for range 2 {
		path = stamped(t, &signer.Stamp{Layout: "qr-left", Name: "Bupati Tuban", NIP: "197808172006041012",
			VerifyURL: "https://ttd.tubankab.go.id/v/abc", Image: sealImg}, rect)
		list, err := judge.Command(t, "pdfimages", "-list", path)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^\s+1\s+\d+\s+image\s+120\s+120\s+rgb\s+3\s+8\s+image`).MatchString(list) ||
			!regexp.MustCompile(`(?m)^\s+1\s+\d+\s+smask\s+120\s+120\s+gray\s+1\s+8\s+image`).MatchString(list) {
			t.Errorf("pdfimages does not list the seal and its soft mask:\n%s", list)
		}
	}
	// The seal is right of the text, vertically centred: sample its
	// centre, and a corner of its square (transparent: white).
	px := renderGray(t, path, rect, false)
	w := len(px[0])
	k := 100.0 / 72
	side := min(300*0.25, 100-8) * k // image_size 0.25 of the width, at most the text's height
	cx, cy := int(float64(w)-4*k-side/2), len(px)/2
	if r := px[cy][cx]; r[0] < 150 || r[1] > 90 {
		t.Errorf("the seal's centre renders as %v, want red", r)
	}
	if r := px[int(float64(cy)-side/2+2)][int(float64(cx)-side/2+2)]; r[0] < 230 || r[1] < 230 {
		t.Errorf("the seal's transparent corner renders as %v, want white", r)
	}

	path = stamped(t, &signer.Stamp{Layout: "text", Name: "Bupati Tuban", Image: mustImage(t, grayJPEG(t, 64, 32))}, rect)
	if list, _ := judge.Command(t, "pdfimages", "-list", path); !regexp.MustCompile(`(?m)^\s+1\s+\d+\s+image\s+64\s+32\s+gray\s+1\s+8\s+jpeg`).MatchString(list) {
		t.Errorf("pdfimages does not list the JPEG:\n%s", list)
	}

	for name, img := range map[string][]byte{
		"too wide":  seal(t, signer.MaxImageSide+1, 2),
		"gif":       []byte("GIF89a\x01\x00\x01\x00"),
		"truncated": seal(t, 50, 50)[:60],
		"empty":     nil,
	} {
		if _, err := signer.ParseStampImage(img); !errors.Is(err, signer.ErrBadImage) {
			t.Errorf("%s: %v, want ErrBadImage", name, err)
		}
	}
}

// renderGray renders rect of page 1 of path at 100 dpi and returns its
// pixels (RGB, or gray in each channel when gray).
func renderGray(t *testing.T, path string, rect [4]float64, gray bool) [][][3]uint8 {
	t.Helper()
	img := render(t, path, rect, gray)
	b := img.Bounds()
	out := make([][][3]uint8, b.Dy())
	for y := range out {
		out[y] = make([][3]uint8, b.Dx())
		for x := range out[y] {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			out[y][x] = [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
		}
	}
	return out
}

// render renders rect (x, y, w, h in points) of page 1 of path at 100 dpi
// with pdftoppm.
func render(t *testing.T, path string, rect [4]float64, gray bool) image.Image {
	t.Helper()
	k := 100.0 / 72
	prefix := filepath.Join(t.TempDir(), "r")
	args := []string{"-r", "100", "-f", "1", "-l", "1", "-singlefile", "-png",
		"-x", strconv.Itoa(int(rect[0] * k)), "-y", strconv.Itoa(int((842 - rect[1] - rect[3]) * k)),
		"-W", strconv.Itoa(int(rect[2] * k)), "-H", strconv.Itoa(int(rect[3] * k))}
	if gray {
		args = append(args, "-gray")
	}
	if out, err := judge.Command(t, "pdftoppm", append(args, path, prefix)...); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// stampText is the text pdftotext finds in rect (points) of page 1.
func stampText(t *testing.T, path string, rect [4]float64) string {
	t.Helper()
	out, err := judge.Command(t, "pdftotext", "-f", "1", "-l", "1", "-r", "72",
		"-x", strconv.Itoa(int(rect[0])), "-y", strconv.Itoa(int(842-rect[1]-rect[3])),
		"-W", strconv.Itoa(int(rect[2])+1), "-H", strconv.Itoa(int(rect[3])+1), path, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return out
}

var tfRE = regexp.MustCompile(`/F[RB] ([0-9.]+) Tf`)

// TestStampLongTextWraps: a 400-character reason and a long name in a
// 260 × 150 pt stamp are wrapped and set at 6 pt or more (every Tf of the
// appearance stream), and pdftotext finds every word; the same text in a
// 180 × 60 pt field is refused with ErrStampTooSmall. Greek and Cyrillic
// names are drawn: pdftotext reads them back.
func TestStampLongTextWraps(t *testing.T) {
	judge.Require(t, "pdftotext")
	var words []string
	for i := 1; len(strings.Join(words, " ")) < 400; i++ {
		words = append(words, fmt.Sprintf("pertimbangan%02d", i))
	}
	reason := strings.Join(words, " ")[:400]
	reason = reason[:strings.LastIndexByte(reason, ' ')]
	name := "Prof. Dr. Ir. Raden Mas Aryo Wicaksono Hadiningrat Kusumanegara, S.H., M.Hum., M.Sc., Ph.D."
	st := &signer.Stamp{Layout: "qr-left", Name: name, Jabatan: "Kepala Dinas Komunikasi dan Informatika",
		NIP: "197808172006041012", Instansi: "Pemerintah Kabupaten Tuban", Reason: reason,
		VerifyURL: "https://ttd.tubankab.go.id/v/7h2kq9x4m3p8w6n5r1t0y2u4i6o8a0s1"}
	rect := [4]float64{100, 300, 260, 150}
	path := stamped(t, st, rect)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sizes := tfRE.FindAllSubmatch(raw, -1)
	if len(sizes) < 10 {
		t.Fatalf("%d text lines in the appearance stream, want the wrapped reason's", len(sizes))
	}
	for _, m := range sizes {
		if v, _ := strconv.ParseFloat(string(m[1]), 64); v < signer.MinStampSize {
			t.Errorf("text set at %s pt, below %g", m[1], signer.MinStampSize)
		}
	}
	got := strings.Fields(stampText(t, path, rect))
	have := map[string]bool{}
	for _, w := range got {
		have[w] = true
	}
	for _, w := range append(strings.Fields(reason), strings.Fields(name)...) {
		if !have[w] {
			t.Errorf("pdftotext lacks %q in the stamp: %q", w, got)
		}
	}
	if err := signErr(st, [4]float64{100, 300, 180, 60}, t); !errors.Is(err, signer.ErrStampTooSmall) {
		t.Errorf("a 180 × 60 pt field: %v, want ErrStampTooSmall", err)
	}

	for _, name := range []string{"Αλέξανδρος Παπαδόπουλος", "Анна Сергеевна Петрова"} {
		path := stamped(t, &signer.Stamp{Layout: "text", Name: name, Jabatan: "Tenaga Ahli"}, rect)
		if txt := strings.Join(strings.Fields(stampText(t, path, rect)), " "); !strings.Contains(txt, name) {
			t.Errorf("pdftotext reads %q, want %q in it", txt, name)
		}
	}
}

var _ = exec.Command
