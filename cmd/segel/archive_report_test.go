package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"segel/verify"
)

// TestReportWriterStreams: the report writer keeps no reports — adding
// 2,000 reports of 10 KB each (20 MB) grows the live heap by far less,
// for each format — and the HTML page read back from its spool lists
// every file once, sorted by verdict then file, with the counts; no spool
// is left behind, and nothing appears before Close.
func TestReportWriterStreams(t *testing.T) {
	for _, ext := range []string{".jsonl", ".csv", ".html"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r"+ext)
			w, err := createReport(path)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			const n = 2000
			verdicts := []string{verify.TotalPassed, verify.TotalFailed, verify.Indeterminate}
			before := liveHeap()
			for i := range n {
				// Files added out of order: the page sorts them.
				file := fmt.Sprintf("arsip/f%04d.pdf", (i*7919)%n)
				if i%500 == 3 {
					w.Add(archiveResult{File: file, Err: "cannot read"})
					continue
				}
				w.Add(archiveResult{File: file, Rep: &verify.Report{File: file, Indication: verdicts[i%3],
					Errors: []string{strings.Repeat("x", 10<<10)}}})
			}
			if grown := liveHeap() - before; grown > 8<<20 {
				t.Errorf("the live heap grew by %d MB over %d reports of 10 KB: the writer keeps them", grown>>20, n)
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("the report exists before Close")
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("left in the folder: %v", entries)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			switch ext {
			case ".jsonl":
				sc := bufio.NewScanner(strings.NewReader(string(b)))
				sc.Buffer(nil, 1<<20)
				lines := 0
				for sc.Scan() {
					var r struct{ File, Error string }
					if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.File == "" {
						t.Fatalf("line %d: %v %q", lines+1, err, sc.Text()[:min(80, len(sc.Text()))])
					}
					// In the order added.
					if want := fmt.Sprintf("arsip/f%04d.pdf", (lines*7919)%n); r.File != want {
						t.Fatalf("line %d is %s, want %s", lines+1, r.File, want)
					}
					lines++
				}
				if lines != n {
					t.Errorf("%d lines, want %d", lines, n)
				}
			case ".csv":
				if got := strings.Count(string(b), "\n"); got != n+1 {
					t.Errorf("%d CSV lines, want %d", got, n+1)
				}
			case ".html":
				rows := regexp.MustCompile(`<tr data-indication="([A-Z_]+)"><td><code>([^<]+)</code>`).FindAllStringSubmatch(string(b), -1)
				if len(rows) != n {
					t.Fatalf("%d rows, want %d", len(rows), n)
				}
				seen := map[string]bool{}
				counts := map[string]int{}
				for i, r := range rows {
					if seen[r[2]] {
						t.Errorf("%s twice", r[2])
					}
					seen[r[2]] = true
					counts[r[1]]++
					if i > 0 && (rows[i-1][1] > r[1] || rows[i-1][1] == r[1] && rows[i-1][2] > r[2]) {
						t.Fatalf("row %d (%s %s) after (%s %s)", i, r[1], r[2], rows[i-1][1], rows[i-1][2])
					}
				}
				for k, c := range counts {
					if !strings.Contains(string(b), fmt.Sprintf(`data-indication="%s">%d</text>`, k, c)) {
						t.Errorf("the chart does not show %s %d", k, c)
					}
				}
				if counts["ERROR"] != 4 || !strings.Contains(string(b), fmt.Sprintf(`<span id="total">%d</span>`, n)) {
					t.Errorf("counts %v", counts)
				}
			}
		})
	}
}

// TestReportWriterAbort: an aborted report leaves nothing, and a report
// in a missing folder is refused before any file is verified.
func TestReportWriterAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := createReport(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	w.Add(archiveResult{File: "a.pdf", Err: "x"})
	w.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left after Abort: %v", entries)
	}
	if _, err := createReport(filepath.Join(dir, "nodir", "r.jsonl")); err == nil || !strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "temporary") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := createReport(filepath.Join(dir, "r.txt")); err == nil || !strings.Contains(err.Error(), ".jsonl, .csv or .html") {
		t.Errorf("unknown format: %v", err)
	}
}

func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
