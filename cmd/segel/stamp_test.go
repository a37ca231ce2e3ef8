package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/memkey"
)

// TestStamps: the Bupati stamps SigKabupaten (QR left of the text) and
// the Gubernur a new field at --page/--rect; rendered at 100 dpi, zbarimg
// reads each QR code back as its URL, mutool's text of the page holds the
// names, NIPs, positions and the WIB time, pdffonts shows the fonts
// embedded; pdfsig and segel verify accept both signatures. A stamp that
// cannot fit, a name in a script the font cannot draw, and a bad zone are
// refused with nothing written; a Cyrillic name is drawn.
func TestStamps(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "zbarimg", "mutool", "pdffonts"} {
		judge.Require(t, tool)
	}
	ca, _ := devca.New(devca.Options{})
	kab := memkey.MustNew(t, "stamp-kab", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	prov := memkey.MustNew(t, "stamp-prov", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Gubernur Jawa Timur"}})
	dir := t.TempDir()
	one, two := filepath.Join(dir, "pks-1.pdf"), filepath.Join(dir, "pks-2.pdf")
	urlKab := "https://ttd.jatimprov.go.id/v/7h2kq9x4m3p8w6n5r1t0y2u4i6o8a0s1"
	urlProv := "https://ttd.jatimprov.go.id/v/b3c5d7f9g1h3j5k7l9z1x3c5v7b9n1m3"
	mustSegel(t, "sign", "--key", kab.Ref(), "--field", "SigKabupaten", "--certify", "2", "--stamp", "qr-left",
		"--stamp-name", "Drs. H. ADITYA HALINDRA FARIDZKY, M.M.", "--stamp-jabatan", "Bupati Tuban", "--stamp-nip", "197808172006041012",
		"--stamp-instansi", "Pemerintah Kabupaten Tuban", "--qr-url", urlKab, "--reason", "Menyetujui Perjanjian Kerja Sama", "-o", one, testPKS(t))
	mustSegel(t, "sign", "--key", prov.Ref(), "--page", "3", "--rect", "100,40,260,90", "--stamp", "qr-left", "--tz", "WIB",
		"--stamp-name", "Khofifah Indar Parawansa", "--stamp-jabatan", "Gubernur Jawa Timur", "--stamp-nip", "196505191992032001",
		"--stamp-instansi", "Pemerintah Provinsi Jawa Timur", "--qr-url", urlProv, "-o", two, one)

	out, err := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", two, "3")
	if err != nil {
		t.Fatalf("mutool draw: %v", err)
	}
	for _, want := range []string{"Drs. H. ADITYA HALINDRA", "NIP. 197808172006041012", "Bupati Tuban", "Khofifah Indar Parawansa",
		"NIP. 196505191992032001", "Gubernur Jawa Timur", "Pemerintah Provinsi Jawa Timur", " WIB", "Desember"} {
		if !strings.Contains(out, want) && !strings.Contains(strings.ReplaceAll(out, "\n", " "), want) {
			t.Errorf("the rendered page lacks %q:\n%s", want, out)
		}
	}
	fonts, _ := judge.Command(t, "pdffonts", two)
	if strings.Count(fonts, "CID TrueType      Identity-H       yes yes yes") < 2 {
		t.Errorf("stamp fonts not embedded and subset:\n%s", fonts)
	}
	// Each stamp's rectangle rendered on its own at 100 dpi (A4 page).
	for i, c := range []struct {
		rect [4]float64
		url  string
	}{{[4]float64{335, 177, 180, 72}, urlKab}, {[4]float64{100, 40, 260, 90}, urlProv}} {
		k := 100.0 / 72
		f := c.rect
		prefix := filepath.Join(dir, fmt.Sprintf("stempel%d", i))
		if _, err := judge.Command(t, "pdftoppm", "-r", "100", "-f", "3", "-l", "3", "-png",
			"-x", fmt.Sprint(int(f[0]*k)-10), "-y", fmt.Sprint(int((842-f[1]-f[3])*k)-10), "-W", fmt.Sprint(int(f[2]*k)+20), "-H", fmt.Sprint(int(f[3]*k)+20),
			two, prefix); err != nil {
			t.Fatal(err)
		}
		pngs, _ := filepath.Glob(prefix + "*.png")
		qr, _ := exec.Command("zbarimg", "-q", "--raw", pngs[0]).Output()
		if strings.TrimSpace(string(qr)) != c.url {
			t.Errorf("stamp %d: zbarimg read %q, want %s", i+1, qr, c.url)
		}
	}
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)
	r := mustSegel(t, "verify", "--trust", root, two)
	if !strings.Contains(r.stdout, "TOTAL_PASSED (2 signature(s)") {
		t.Fatalf("verify:\n%s", r.stdout)
	}
	if _, err := exec.LookPath("pdfsig"); err == nil {
		db := judge.NewNSSDB(t, root)
		n := 0
		for _, res := range judge.Pdfsig(t, db, two) {
			if res.Signed {
				n++
				if !res.SignatureValid || !res.CertTrusted {
					t.Errorf("pdfsig: %s", res.Raw)
				}
			}
		}
		if n != 2 {
			t.Errorf("pdfsig sees %d signatures", n)
		}
	}
	if _, err := exec.LookPath("qpdf"); err == nil {
		if out, err := exec.Command("qpdf", "--check", two).CombinedOutput(); err != nil {
			t.Errorf("qpdf --check: %v\n%s", err, out)
		}
	}

	// Cyrillic is drawn; Arabic (needs shaping) and a tiny field are refused.
	cyr := filepath.Join(dir, "cyr.pdf")
	mustSegel(t, "sign", "--key", prov.Ref(), "--page", "1", "--rect", "300,40,250,80", "--stamp", "text", "--stamp-name", "Анна Петрова", "-o", cyr, testPKS(t))
	if out, _ := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", cyr, "1"); !strings.Contains(out, "Анна Петрова") {
		t.Errorf("the Cyrillic name is not drawn:\n%s", out)
	}
	for name, args := range map[string][]string{
		"arabic":   {"--page", "1", "--rect", "300,40,250,80", "--stamp", "text", "--stamp-name", "محمد"},
		"tiny":     {"--page", "1", "--rect", "300,40,60,20", "--stamp", "qr-left", "--stamp-name", "Bupati Tuban", "--qr-url", urlKab},
		"bad zone": {"--page", "1", "--rect", "300,40,250,80", "--stamp", "text", "--tz", "UTC"},
	} {
		bad := filepath.Join(dir, name+".pdf")
		r := segel(t, append(append([]string{"sign", "--key", prov.Ref()}, args...), "-o", bad, testPKS(t))...)
		if r.code == 0 || strings.Count(r.stderr, "segel: error:") != 1 || fileExists(bad) {
			t.Errorf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
	}
}

// TestFooter: --footer writes the Indonesian line on every page in the
// first signature's revision (pdftotext shows it on each page; the
// signature covers it and verifies); a second signature may not add one.
func TestFooter(t *testing.T) {
	judge.Require(t, "pdftotext")
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "footer", memkey.Options{CA: ca})
	dir := t.TempDir()
	out := filepath.Join(dir, "pks-footer.pdf")
	mustSegel(t, "sign", "--key", key.Ref(), "--field", "SigKabupaten", "--footer", "-o", out, testPKS(t))
	for page := 1; page <= 3; page++ {
		text, err := judge.Command(t, "pdftotext", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), out, "-")
		if err != nil || !strings.Contains(text, "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik yang diterbitkan oleh segel development") {
			t.Errorf("page %d has no footer: %v\n%s", page, err, text)
		}
	}
	verifiedBy(t, key, out)
	// The footer lies inside the signature's byte range: the input has
	// none, the file has one signature, and its range covers every byte
	// of the file but its own /Contents.
	if text, _ := judge.Command(t, "pdftotext", testPKS(t), "-"); strings.Contains(text, "Dokumen ini telah ditandatangani") {
		t.Fatal("the input already has the footer")
	}
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(signed, []byte("/ByteRange")); n != 1 {
		t.Fatalf("%d /ByteRange in the signed file, want 1", n)
	}
	br := signed[bytes.Index(signed, []byte("/ByteRange")):]
	br = br[bytes.IndexByte(br, '[')+1 : bytes.IndexByte(br, ']')]
	var a, b, c, d int
	if _, err := fmt.Sscan(string(br), &a, &b, &c, &d); err != nil || a != 0 || c+d != len(signed) || signed[b] != '<' || signed[c-1] != '>' {
		t.Errorf("byte range [%s] of a %d-byte file does not cover all but /Contents (%v)", br, len(signed), err)
	}
	r := segel(t, "sign", "--key", key.Ref(), "--field", "SigProvinsi", "--footer", "-o", filepath.Join(dir, "lagi.pdf"), out)
	if r.code == 0 || !strings.Contains(r.stderr, "first signature") || fileExists(filepath.Join(dir, "lagi.pdf")) {
		t.Errorf("a second footer: exit %d\n%s", r.code, r.stderr)
	}
}

// TestDemoFontsEmbedded: every font of the demo's signed PKS — the
// agreement's own text and the stamps — is embedded, as pdffonts reports;
// zbarimg reads both stamps' QR codes from page 3 rendered at 100 dpi as
// the demo server's URL.
func TestDemoFontsEmbedded(t *testing.T) {
	judge.Require(t, "pdffonts")
	dir := filepath.Join(t.TempDir(), "demo")
	mustSegel(t, "demo", "--dir", dir)
	if _, err := exec.LookPath("zbarimg"); err == nil {
		judge.Require(t, "pdftoppm")
		prefix := filepath.Join(dir, "page3")
		if out, err := judge.Command(t, "pdftoppm", "-r", "100", "-f", "3", "-l", "3", "-singlefile", "-png", filepath.Join(dir, "pks-signed.pdf"), prefix); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		qr, _ := exec.Command("zbarimg", "-q", "--raw", prefix+".png").Output()
		if got := strings.Fields(string(qr)); len(got) != 2 || got[0] != "http://127.0.0.1:8080/v1/verify" || got[1] != got[0] {
			t.Errorf("zbarimg read %q from the demo's page 3, want the demo server's URL twice", qr)
		}
	}
	for _, name := range []string{"pks.pdf", "pks-kabupaten.pdf", "pks-signed.pdf"} {
		out, err := judge.Command(t, "pdffonts", filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("pdffonts %s: %v\n%s", name, err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 2+4 {
			t.Fatalf("%s: pdffonts lists fewer than 4 fonts:\n%s", name, out)
		}
		for _, l := range lines[2:] {
			// name, type (one or two words), encoding, emb, sub, uni, object, generation
			f := strings.Fields(l)
			if len(f) < 7 || f[len(f)-5] != "yes" {
				t.Errorf("%s: a font is not embedded: %q", name, l)
			}
		}
	}
}

// TestStampLayoutFile: docs' example layout file with a seal image (PNG
// with alpha) behind the text and the QR code on the right: the text is
// drawn (mutool), the seal and its soft mask are embedded (pdfimages),
// zbarimg reads the QR code from the right of a 100 dpi render, and the
// signature verifies. A layout file with a mistake is refused, naming its
// line; so is an image that is neither PNG nor JPEG.
func TestStampLayoutFile(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "zbarimg", "mutool", "pdfimages"} {
		judge.Require(t, tool)
	}
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "stamp-layout", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 90, 90))
	for y := 0; y < 90; y++ {
		for x := 0; x < 90; x++ {
			if (x-45)*(x-45)+(y-45)*(y-45) < 40*40 {
				img.Set(x, y, color.NRGBA{0, 90, 160, 255})
			}
		}
	}
	var pngb bytes.Buffer
	png.Encode(&pngb, img)
	seal := filepath.Join(dir, "seal.png")
	os.WriteFile(seal, pngb.Bytes(), 0o644)
	layout := filepath.Join("..", "..", "docs", "stamp-layout.example.yaml")
	out := filepath.Join(dir, "out.pdf")
	url := "https://ttd.tubankab.go.id/v/q3x7k9m2p4w8n6r1t5y0u2i4o6a8s0d1"
	mustSegel(t, "sign", "--key", key.Ref(), "--page", "3", "--rect", "100,40,300,110", "--stamp", layout, "--stamp-image", seal,
		"--stamp-name", "H. BAMBANG SUSILO, S.H., M.H.", "--stamp-jabatan", "Bupati Tuban", "--stamp-nip", "197001011995031001",
		"--stamp-instansi", "Pemerintah Kabupaten Tuban", "--qr-url", url, "-o", out, testPKS(t))
	txt, _ := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", out, "3")
	for _, want := range []string{"Pemerintah Kabupaten Tuban", "H. BAMBANG SUSILO", "NIP. 197001011995031001", " WIB"} {
		if !strings.Contains(strings.ReplaceAll(txt, "\n", " "), want) {
			t.Errorf("the page lacks %q:\n%s", want, txt)
		}
	}
	if list, _ := judge.Command(t, "pdfimages", "-list", out); !strings.Contains(list, "smask") || !strings.Contains(list, "   90    90  rgb") {
		t.Errorf("pdfimages does not list the seal with its soft mask:\n%s", list)
	}
	k := 100.0 / 72
	prefix := filepath.Join(dir, "qr")
	// The right third of the stamp: the QR code alone.
	if _, err := judge.Command(t, "pdftoppm", "-r", "100", "-f", "3", "-l", "3", "-png", "-singlefile",
		"-x", fmt.Sprint(int(300*k)), "-y", fmt.Sprint(int((842-40-110)*k)-10), "-W", fmt.Sprint(int(100*k)+10), "-H", fmt.Sprint(int(110*k)+20),
		out, prefix); err != nil {
		t.Fatal(err)
	}
	if qr, _ := exec.Command("zbarimg", "-q", "--raw", prefix+".png").Output(); strings.TrimSpace(string(qr)) != url {
		t.Errorf("zbarimg read %q from the stamp's right, want %s", qr, url)
	}
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)
	if r := mustSegel(t, "verify", "--trust", root, out); !strings.Contains(r.stdout, "TOTAL_PASSED") {
		t.Errorf("verify:\n%s", r.stdout)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("qr: left\nlines:\n  - text: \"{name}\"\n  - text: \"{email}\"\n"), 0o644)
	gif := filepath.Join(dir, "seal.gif")
	os.WriteFile(gif, []byte("GIF89a\x01\x00\x01\x00"), 0o644)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"layout": {[]string{"--stamp", bad}, "line 4: unknown part {email}"},
		"image":  {[]string{"--stamp", "qr-left", "--stamp-image", gif}, "neither PNG nor JPEG"},
	} {
		o := filepath.Join(dir, name+".pdf")
		r := segel(t, append(append([]string{"sign", "--key", key.Ref(), "--page", "3", "--rect", "100,40,300,110"}, c.args...), "-o", o, testPKS(t))...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) || fileExists(o) {
			t.Errorf("%s: exit %d, want a refusal naming %q:\n%s", name, r.code, c.want, r.stderr)
		}
	}
}
