package main

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/memkey"
)

// TestStampQRReadable: the stamp's QR code is read by zbarimg from a
// 100 dpi render for every one of 40 random document URLs of the length
// segel serve makes ({base}/v/ and 32 characters), in the template's
// 180 × 72 pt field. Whether a code of ~2 pixels per module survives
// anti-aliasing depends on its pattern: with a two-module quiet zone
// inside the square and one rectangle per module, about one URL in twelve
// failed.
func TestStampQRReadable(t *testing.T) {
	judge.Require(t, "pdftoppm")
	judge.Require(t, "zbarimg")
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := memkey.MustNew(t, "qr-readable", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Sekretaris Daerah"}})
	dir := t.TempDir()
	// SigProvinsi's rectangle on page 3: 100, 177, 180 × 72 pt (A4).
	k := 100.0 / 72
	crop := []string{"-x", fmt.Sprint(int(100*k) - 10), "-y", fmt.Sprint(int((842-177-72)*k) - 10), "-W", fmt.Sprint(int(180*k) + 20), "-H", fmt.Sprint(int(72*k) + 20)}
	failed := 0
	for i := 0; i < 40; i++ {
		var id [20]byte
		rand.Read(id[:])
		url := "https://ttd.tubankab.go.id/v/" + strings.ToLower(base32.StdEncoding.EncodeToString(id[:]))
		out := filepath.Join(dir, fmt.Sprintf("s%d.pdf", i))
		mustSegel(t, "sign", "--key", key.Ref(), "--field", "SigProvinsi", "--stamp", "qr-left", "--stamp-name", "Sekda", "--qr-url", url, "-o", out, testPKS(t))
		prefix := filepath.Join(dir, fmt.Sprintf("c%d", i))
		if _, err := judge.Command(t, "pdftoppm", append(append([]string{"-r", "100", "-f", "3", "-l", "3", "-png", "-singlefile"}, crop...), out, prefix)...); err != nil {
			t.Fatal(err)
		}
		got, _ := exec.Command("zbarimg", "-q", "--raw", prefix+".png").Output()
		if strings.TrimSpace(string(got)) != url {
			failed++
			t.Errorf("QR code of %s read as %q", url, got)
		}
	}
	if failed > 0 {
		t.Errorf("%d of 40 QR codes unreadable at 100 dpi", failed)
	}
}
