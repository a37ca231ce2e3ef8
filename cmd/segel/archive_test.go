package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/memkey"
)

// TestArchiveRun: a folder of signed files verified in 3 shards gives
// exactly the unsharded run's files, each once; the JSONL reports merge
// into one; the CSV and HTML reports list every file; the summary counts
// verdicts, organisations, levels and expiry years.
func TestArchiveRun(t *testing.T) {
	ca, _ := devca.New(devca.Options{})
	key := memkey.MustNew(t, "archive", memkey.Options{CA: ca, Leaf: devca.LeafRequest{CommonName: "Bupati Tuban", Organization: "Pemerintah Kabupaten Tuban"}})
	dir := t.TempDir()
	arsip := filepath.Join(dir, "arsip")
	os.MkdirAll(filepath.Join(arsip, "2026"), 0o755)
	var files []string
	for i := range 7 {
		out := filepath.Join(arsip, "2026", fmt.Sprintf("pks-%02d.pdf", i))
		mustSegel(t, "sign", "--key", key.Ref(), "-o", out, testPKS(t))
		files = append(files, out)
	}
	root := filepath.Join(dir, "root.pem")
	os.WriteFile(root, ca.RootPEM(), 0o644)

	all := filepath.Join(dir, "semua.jsonl")
	r := mustSegel(t, "verify", "--trust", root, "--report", all, arsip)
	for _, want := range []string{"summary: 7 file(s)", "TOTAL_PASSED 7", "Pemerintah Kabupaten Tuban 7", "B-B 7", "by certificate expiry year"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	seen := map[string]int{}
	var parts []string
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
		mustSegel(t, "verify", "--trust", root, "--shard", fmt.Sprintf("%d/3", i), "--report", p, arsip)
		for _, f := range jsonlFiles(t, p) {
			seen[f]++
		}
		parts = append(parts, p)
	}
	if len(seen) != len(files) {
		t.Fatalf("the shards verified %d files, want %d: %v", len(seen), len(files), seen)
	}
	for f, n := range seen {
		if n != 1 {
			t.Errorf("%s verified %d times", f, n)
		}
	}
	merged := filepath.Join(dir, "gabungan.jsonl")
	mustSegel(t, append([]string{"report", "merge", "-o", merged}, parts...)...)
	if got, want := strings.Join(jsonlFiles(t, merged), ","), strings.Join(jsonlFiles(t, all), ","); got != want {
		t.Errorf("merged %s, unsharded %s", got, want)
	}
	csvPath, htmlPath := filepath.Join(dir, "laporan.csv"), filepath.Join(dir, "laporan.html")
	mustSegel(t, "verify", "--trust", root, "--report", csvPath, arsip)
	f, _ := os.Open(csvPath)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 8 || recs[1][1] != "TOTAL_PASSED" {
		t.Errorf("CSV: %v %v", err, recs)
	}
	mustSegel(t, "verify", "--trust", root, "--report", htmlPath, arsip)
	b, _ := os.ReadFile(htmlPath)
	if !strings.Contains(string(b), "<svg") || strings.Count(string(b), "pks-0") != 7 || strings.Contains(string(b), "http") {
		t.Errorf("HTML report: %d bytes, %d rows, self-contained %v", len(b), strings.Count(string(b), "pks-0"), !strings.Contains(string(b), "http"))
	}
	// --state: the second run verifies nothing, a changed file only it,
	// --recheck everything; archive status counts them.
	db := filepath.Join(dir, "arsip.db")
	r = mustSegel(t, "verify", "--trust", root, "--state", db, arsip)
	if !strings.Contains(r.stderr, "summary: 7 file(s)") {
		t.Fatalf("first --state run: %s", r.stderr)
	}
	r = mustSegel(t, "verify", "--trust", root, "--state", db, arsip)
	if !strings.Contains(r.stderr, "7 file(s) unchanged") || r.stdout != "" {
		t.Fatalf("second --state run: %s%s", r.stdout, r.stderr)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(files[3], later, later)
	r = mustSegel(t, "verify", "--trust", root, "--state", db, arsip)
	if !strings.Contains(r.stderr, "6 file(s) unchanged") || !strings.Contains(r.stdout, "pks-03.pdf: TOTAL_PASSED") {
		t.Fatalf("after touching one file: %s%s", r.stdout, r.stderr)
	}
	r = mustSegel(t, "verify", "--trust", root, "--state", db, "--recheck", arsip)
	if strings.Contains(r.stderr, "unchanged") || strings.Count(r.stdout, "TOTAL_PASSED (1 signature") != 7 {
		t.Fatalf("--recheck: %s%s", r.stdout, r.stderr)
	}
	r = mustSegel(t, "archive", "status", db)
	if !strings.Contains(r.stdout, "7 file(s)") || !strings.Contains(r.stdout, "TOTAL_PASSED") {
		t.Fatalf("archive status: %s", r.stdout)
	}

	if r := segel(t, "verify", "--shard", "3/3", arsip); r.code != exitUsage {
		t.Errorf("--shard 3/3: exit %d", r.code)
	}
}

func jsonlFiles(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r struct{ File string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r.File)
	}
	return out
}
