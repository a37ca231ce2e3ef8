package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "segel/archive" // registers the sqlite driver the state uses

	"segel/internal/devca"
	"segel/internal/memkey"
)

// statePaths lists the files a --state database holds.
func statePaths(t *testing.T, db string) []string {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.QueryContext(context.Background(), `SELECT path FROM files`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// archiveTree builds the binary and writes n copies of a signed PKS in 20
// folders; it returns the folder, the binary, the trust root and the tree.
func archiveTree(t *testing.T, n int) (dir, bin, root, arsip string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "segel")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "kill", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban"}})
	signed := filepath.Join(dir, "signed.pdf")
	mustSegel(t, "sign", "--key", key.Ref(), "-o", signed, testPKS(t))
	b, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	arsip = filepath.Join(dir, "arsip")
	for i := range n {
		sub := filepath.Join(arsip, fmt.Sprintf("%02d", i%20))
		os.MkdirAll(sub, 0o755)
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("pks-%04d.pdf", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root = filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)
	return dir, bin, root, arsip
}

// TestInterruptArchiveRun: SIGINT (Ctrl-C) stops verify in the middle of a
// run with exit 130, the line saying how far it got (in Indonesian under
// LANG=id_ID) and the summary of the files verified so far.
func TestInterruptArchiveRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and verifies 3,000 files")
	}
	_, bin, root, arsip := archiveTree(t, 3000)
	cmd := exec.Command(bin, "verify", "--jobs", "1", "--trust", root, arsip)
	cmd.Env = append(os.Environ(), "LC_ALL=", "LC_MESSAGES=", "LANG=id_ID.UTF-8")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != exitInterrupted {
		t.Fatalf("exit %d (%v), want %d\n%s", code, err, exitInterrupted, stderr.String())
	}
	m := regexp.MustCompile(`dihentikan: (\d+) dari 3000 berkas diperiksa`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no interruption line:\n%s", stderr.String())
	}
	if m[1] == "0" || m[1] == "3000" {
		t.Fatalf("interrupted after %s files: not in the middle", m[1])
	}
	if !strings.Contains(stderr.String(), "ringkasan: "+m[1]+" ") {
		t.Errorf("no summary of the %s files verified:\n%s", m[1], stderr.String())
	}
}

// TestKillDuringStateRun kills "segel verify --state" with SIGKILL in the
// middle of a run, then runs it again: the database opens, every file is
// verified once over both runs (the second run verifies exactly the files
// the first did not record), none is missing.
func TestKillDuringStateRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and verifies 1,500 files")
	}
	const n = 1500
	dir, bin, root, arsip := archiveTree(t, n)
	db := filepath.Join(dir, "state.db")

	cmd := exec.Command(bin, "verify", "--jobs", "1", "--trust", root, "--state", db, arsip)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once some files are recorded, well before the end.
	deadline := time.Now().Add(30 * time.Second)
	for {
		time.Sleep(20 * time.Millisecond)
		if st, err := os.Stat(db + "-wal"); err == nil && st.Size() > 64<<10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run recorded nothing in 30 s")
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	first := statePaths(t, db)
	if len(first) == 0 || len(first) >= n {
		t.Fatalf("the kill came too late or too early: %d of %d recorded", len(first), n)
	}

	report := filepath.Join(dir, "second.jsonl")
	out, err := exec.Command(bin, "verify", "--trust", root, "--state", db, "--report", report, arsip).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	second := jsonlFiles(t, report)
	inFirst := map[string]bool{}
	for _, p := range first {
		inFirst[p] = true
	}
	for _, p := range second {
		if inFirst[p] {
			t.Errorf("%s verified in both runs", p)
		}
	}
	if len(first)+len(second) != n {
		t.Errorf("%d + %d files verified over both runs, want %d", len(first), len(second), n)
	}
	if all := statePaths(t, db); len(all) != n {
		t.Errorf("the state holds %d files after the second run, want %d", len(all), n)
	}
	if !strings.Contains(string(out), fmt.Sprint(len(first))) {
		t.Errorf("the second run does not say it skipped %d files:\n%s", len(first), out)
	}
	t.Logf("first run recorded %d, second verified %d", len(first), len(second))
}

// TestProgressOnTerminal: on a terminal (a pty from script(1)) verify shows
// the progress line with files/s, MB/s and ETA, also while --json goes to a
// file; without a terminal it writes no progress at all.
func TestProgressOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and verifies 1,500 files")
	}
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not installed")
	}
	dir, bin, root, arsip := archiveTree(t, 1500)
	out := filepath.Join(dir, "out.json")
	line := fmt.Sprintf("%s verify --jobs 1 --json --trust %s %s > %s", bin, root, arsip, out)
	tty, err := exec.Command("script", "-qec", line, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, tty)
	}
	if !regexp.MustCompile(`\r\d+/1500 files, [\d.]+ files/s, [\d.]+ MB/s, ETA`).Match(tty) {
		t.Errorf("no progress line on the terminal:\n%q", tty)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "TOTAL_PASSED") {
		t.Errorf("the JSON did not go to the file: %v", err)
	}
	var stderr strings.Builder
	cmd := exec.Command(bin, "verify", "--json", "--trust", root, arsip)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("verify: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "\r") || strings.Contains(stderr.String(), "ETA") {
		t.Errorf("progress written without a terminal:\n%q", stderr.String())
	}
}
