package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/judge"
	"segel/keystore/vault/vaulttest"
	"segel/official"
	"segel/store"
)

// TestOfficialsCommands enrols, lists and disables an official with the
// officials-admin policy, and reads the terminal QR code back with zbarimg.
func TestOfficialsCommands(t *testing.T) {
	vs := vaulttest.Start(t)
	vs.Write("sys/policies/acl/segel-officials-admin", map[string]any{"policy": string(vaulttest.RepoFile(t, "deploy/vault/segel-officials-admin.hcl"))})
	vaultEnv(t, vs.Addr, vs.Token(0, 0, "segel-officials-admin"))
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "sandi.txt")
	const pw = "sandi-rahasia-bupati"
	os.WriteFile(pwFile, []byte(pw+"\n"), 0o600)
	add := []string{"officials", "add", "--name", "Bupati Tuban", "--nip", "198001012005011001", "--jabatan", "Bupati",
		"--instansi", "Pemerintah Kabupaten Tuban", "--key", "transit/bupati-tuban", "--password-file", pwFile}
	r := mustSegel(t, add...)
	if strings.Contains(r.stdout+r.stderr, pw) {
		t.Error("the password was printed")
	}
	var url string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "otpauth://totp/") {
			url = l
		}
	}
	if url == "" || !strings.Contains(r.stdout, "CN=Bupati Tuban") {
		t.Fatalf("no otpauth URL or certificate subject:\n%s", r.stdout)
	}
	// The QR code drawn in the terminal decodes to the same URL.
	qrText := r.stdout[strings.Index(r.stdout, url)+len(url):]
	png := filepath.Join(dir, "qr.png")
	writeTerminalQR(t, strings.Trim(qrText, "\n"), png)
	judge.Require(t, "zbarimg")
	out, err := judge.Command(t, "zbarimg", "--raw", "-q", png)
	if first, _, _ := strings.Cut(out, "\n"); err != nil || first != url {
		t.Errorf("zbarimg: %v %q, want %q", err, out, url)
	}

	if r := segel(t, add...); r.code == 0 {
		t.Error("enrolling the same NIP twice succeeded")
	}
	r = mustSegel(t, "officials", "list")
	if !strings.Contains(r.stdout, "198001012005011001") || !strings.Contains(r.stdout, "active") {
		t.Errorf("list:\n%s", r.stdout)
	}
	mustSegel(t, "officials", "disable", "198001012005011001")
	r = mustSegel(t, "officials", "list")
	if !strings.Contains(r.stdout, "disabled") {
		t.Errorf("list after disable:\n%s", r.stdout)
	}
	// Vault itself refuses the disabled official's login.
	if _, err := vs.Client("").Logical().Write("auth/userpass/login/198001012005011001", map[string]any{"password": pw}); err == nil {
		t.Error("Vault logged a disabled official in")
	}
}

// TestServeOfficialMode: segel serve --mode official starts from VAULT_ADDR
// and the service's token alone, without a config file, with its audit
// log and document store in the working directory; without Vault it
// stops with a hint.
func TestServeOfficialMode(t *testing.T) {
	vs := vaulttest.Start(t)
	vs.Write("sys/policies/acl/segel-official-service", map[string]any{"policy": string(vaulttest.RepoFile(t, "deploy/vault/segel-official-service.hcl"))})
	vaultEnv(t, vs.Addr, vs.Token(0, 0, "segel-official-service"))
	t.Setenv("SEGEL_STORE", "")
	t.Chdir(t.TempDir())
	r := mustSegel(t, "serve", "--mode", "official", "--listen", "127.0.0.1:0", "--check")
	if !strings.Contains(r.stderr, "the configuration is valid") {
		t.Fatalf("serve --check: %s", r.stderr)
	}
	if _, err := os.Stat("segel.db"); err != nil {
		t.Fatalf("no document store in the working directory: %v", err)
	}
	vaultEnv(t, "", "")
	r = segel(t, "serve", "--mode", "official", "--listen", "127.0.0.1:0", "--check")
	if r.code == 0 || !strings.Contains(r.stderr, "VAULT_ADDR") {
		t.Fatalf("without Vault: exit %d\n%s", r.code, r.stderr)
	}
}

// writeTerminalQR turns terminalQR's half-block text back into a PNG, 4
// pixels per module.
func writeTerminalQR(t *testing.T, text, path string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	var rows [][]rune
	for _, l := range lines {
		if strings.TrimSpace(strings.ReplaceAll(l, "█", "x")) == "" && !strings.ContainsAny(l, "█▀▄") {
			break
		}
		rows = append(rows, []rune(l))
	}
	if len(rows) == 0 {
		t.Fatalf("no QR code in the output")
	}
	const s = 4
	img := image.NewGray(image.Rect(0, 0, len(rows[0])*s, len(rows)*2*s))
	for y, row := range rows {
		for x, r := range row {
			top := r == ' ' || r == '▄'
			bottom := r == ' ' || r == '▀'
			for dy := 0; dy < s; dy++ {
				for dx := 0; dx < s; dx++ {
					img.SetGray(x*s+dx, 2*y*s+dy, shade(top))
					img.SetGray(x*s+dx, (2*y+1)*s+dy, shade(bottom))
				}
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func shade(dark bool) color.Gray {
	if dark {
		return color.Gray{0}
	}
	return color.Gray{255}
}

// TestOfficialsRequest queues a two-official request and reads it back.
func TestOfficialsRequest(t *testing.T) {
	db := filepath.Join(t.TempDir(), "segel.db")
	r := mustSegel(t, "officials", "request", "--store", db, "--doc", filepath.Join("..", "..", "testdata", "pks.pdf"), "--title", "PKS",
		"--sign", "198001012005011001:SigKabupaten", "--sign", "197502022000032002:SigProvinsi")
	id := strings.TrimSuffix(strings.Fields(r.stdout)[1], ":")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	q := official.NewQueue(st)
	defer q.Close()
	req, err := q.Get(t.Context(), id)
	if err != nil || req.WaitsFor() != "198001012005011001" || len(req.Steps) != 2 || req.Steps[1].Field != "SigProvinsi" {
		t.Fatalf("queued request: %v %+v", err, req)
	}
	if r := segel(t, "officials", "request", "--store", db, "--doc", filepath.Join("..", "..", "testdata", "pks.pdf"), "--title", "x", "--sign", "no-field"); r.code == 0 {
		t.Error("--sign without a field was accepted")
	}
}
