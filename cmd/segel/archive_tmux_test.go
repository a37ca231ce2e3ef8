package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"segel/internal/judge"
)

// TestProgressInTmux: segel verify DIR in a tmux pane (120×30, a real
// terminal as a user has) shows, while it runs, the progress line — files
// done of all, files/s, MB/s and the time left — captured from the pane
// with tmux capture-pane; after the run the pane shows the summary and
// the progress line is gone.
func TestProgressInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and verifies 3,000 files")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if judge.InCI() {
			t.Fatal("tmux not installed — required when CI=true (apt-get install tmux)")
		}
		t.Skip("tmux not installed")
	}
	const n = 3000
	dir, bin, root, arsip := archiveTree(t, n)
	// A server of our own (-S socket), so that no user's tmux is touched.
	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) (string, error) {
		cmd := exec.Command("tmux", append([]string{"-S", sock}, args...)...)
		cmd.Env = append(os.Environ(), "TMUX=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { tmux("kill-server") })
	// The reports go to a file, standard error stays on the pane; the
	// shell then says the exit status and keeps the pane open.
	line := fmt.Sprintf("%s verify --jobs 1 --trust %s %s > %s; echo segel-exit=$?; sleep 60",
		bin, root, arsip, filepath.Join(dir, "out.txt"))
	if out, err := tmux("new-session", "-d", "-s", "segel", "-x", "120", "-y", "30", "sh", "-c", line); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	progress := regexp.MustCompile(`(\d+)/3000 files, ([\d.]+) files/s, ([\d.]+) MB/s, ETA (\d+[hms\d]*)`)
	var midRun []string
	var pane string
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(pane, "segel-exit=") {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end in 2 minutes; pane:\n%s", pane)
		}
		time.Sleep(50 * time.Millisecond)
		out, err := tmux("capture-pane", "-p", "-t", "segel")
		if err != nil {
			t.Fatalf("capture-pane: %v\n%s", err, out)
		}
		pane = out
		if m := progress.FindStringSubmatch(pane); m != nil && !strings.Contains(pane, "segel-exit=") {
			if done, _ := strconv.Atoi(m[1]); done > 0 && done < n {
				midRun = append(midRun, m[0])
			}
		}
	}
	if len(midRun) == 0 {
		t.Fatalf("no progress line seen in the pane while the run went on; last pane:\n%s", pane)
	}
	rate := progress.FindStringSubmatch(midRun[len(midRun)-1])
	if f, _ := strconv.ParseFloat(rate[2], 64); f <= 0 {
		t.Errorf("progress shows %s files/s", rate[2])
	}
	t.Logf("%d captures with progress, e.g. %q", len(midRun), midRun[len(midRun)/2])
	for _, want := range []string{"summary: 3000 file(s)", "by verdict: TOTAL_PASSED 3000;", "segel-exit=0"} {
		if !strings.Contains(pane, want) {
			t.Errorf("after the run the pane lacks %q:\n%s", want, pane)
		}
	}
	if strings.Contains(pane, "ETA") {
		t.Errorf("the progress line is still shown after the run:\n%s", pane)
	}
}
