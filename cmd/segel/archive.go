package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"segel/archive"
	"segel/internal/atomicfile"
	"segel/verify"
)

// Archive runs of segel verify: the report file, the summary, sharding
// and the progress line.

// archiveFlags are verify's options for archives.
func archiveFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "report", Usage: "also write the reports to `FILE`: .jsonl (one JSON object per file), .csv, or .html (one self-contained page)"},
		&cli.StringFlag{Name: "shard", Usage: "verify only shard `I/N` of the files (stable by path: N processes with 0/N … N-1/N together verify each file once)"},
		&cli.StringFlag{Name: "state", Usage: "remember results in the SQLite `DB`: a re-run verifies only new or changed files (all of them after a change of segel or of --trust)"},
		&cli.BoolFlag{Name: "recheck", Usage: "with --state, verify every file again"},
	}
}

// trustFingerprint identifies the trust set of a run: the SHA-256 of the
// --trust files' contents, in the order given.
func trustFingerprint(files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// stateRun filters the files a --state run must verify and records each
// result as it comes.
type stateRun struct {
	st             *archive.State
	version, trust string
	skipped        int
}

func (r *stateRun) due(ctx context.Context, files []string, recheck bool) []string {
	var out []string
	for _, f := range files {
		st, err := os.Stat(f)
		if err == nil && !recheck {
			if due, err := r.st.Due(ctx, f, st.Size(), st.ModTime(), r.version, r.trust); err == nil && !due {
				r.skipped++
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// record remembers the outcome v of verifying f, under the size and
// modification time f had when it was opened for verifying: a file that
// has changed since (or could not be opened) is not recorded, so the next
// run verifies it again rather than pairing its new content with the old
// verdict.
func (r *stateRun) record(ctx context.Context, f string, v verifyResult) error {
	fh, err := os.Open(f)
	if err != nil {
		return nil // gone meanwhile: nothing to remember
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || v.mtime.IsZero() || st.Size() != v.size || !st.ModTime().Equal(v.mtime) {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return nil
	}
	verdict := "ERROR"
	if v.rep != nil && v.err == nil {
		verdict = v.rep.Indication
	}
	return r.st.Put(ctx, archive.Record{Path: f, Size: v.size, ModTime: v.mtime, SHA256: hex.EncodeToString(h.Sum(nil)), Verdict: verdict,
		CheckedAt: time.Now().UTC(), Version: r.version, Trust: r.trust})
}

// openState opens the state database at path, which must exist when
// mustExist is set (archive status reads one; verify --state creates it).
// A folder given as the database is said as such (an I/O error, exit 3),
// not as SQLite's "unable to open database file".
func openState(ctx context.Context, path string, mustExist bool) (*archive.State, error) {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR}
	case err != nil && (mustExist || !errors.Is(err, fs.ErrNotExist)):
		return nil, err
	}
	return archive.Open(ctx, path)
}

// archiveCommand is segel archive status.
func archiveCommand() *cli.Command {
	return &cli.Command{
		Name:  "archive",
		Usage: "the state of archive runs (segel verify --state)",
		Subcommands: []*cli.Command{{
			Name:      "status",
			Usage:     "count the files of a --state database by verdict",
			ArgsUsage: "DB",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageError{errors.New("give the state database: segel archive status DB")}
				}
				st, err := openState(c.Context, c.Args().First(), true)
				if err != nil {
					return err
				}
				defer st.Close()
				counts, last, err := st.Status(c.Context)
				if err != nil {
					return err
				}
				total := 0
				keys := make([]string, 0, len(counts))
				for k, n := range counts {
					keys = append(keys, k)
					total += n
				}
				sort.Strings(keys)
				fmt.Fprintf(c.App.Writer, "%d file(s), last checked %s\n", total, last.Format(time.RFC3339))
				for _, k := range keys {
					fmt.Fprintf(c.App.Writer, "  %-22s %d\n", k, counts[k])
				}
				return nil
			},
		}},
	}
}

// parseShard reads I/N.
func parseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: write I/N with 0 ≤ I < N, e.g. 0/4", s)
	}
	return i, n, nil
}

// inShard reports whether path belongs to shard i of n: by an FNV-1a hash
// of the path, so the split does not depend on the order or the number of
// files.
func inShard(path string, i, n int) bool {
	h := fnv.New32a()
	h.Write([]byte(filepath.ToSlash(path)))
	return int(h.Sum32()%uint32(n)) == i
}

// archiveResult is one file's outcome for reports and the summary.
type archiveResult struct {
	File string
	Rep  *verify.Report
	Err  string
	// Brief replaces Rep when no report file is written.
	Brief *fileBrief
}

// fileBrief is what the summary reads of one file's report: a run
// without --report keeps only this (about a hundred bytes a signature)
// rather than whole reports.
type fileBrief struct {
	indication string
	sigs       []sigBrief
}

type sigBrief struct {
	kind, org, level string
	notAfter         *time.Time
}

// forSummary returns the brief of a report (nil for none).
func forSummary(rep *verify.Report) *fileBrief {
	if rep == nil {
		return nil
	}
	b := &fileBrief{indication: rep.Indication, sigs: make([]sigBrief, len(rep.Signatures))}
	for i, s := range rep.Signatures {
		b.sigs[i] = sigBrief{kind: s.Kind, org: s.SignerOrganization, level: s.Level}
		if s.CertificateNotAfter != nil {
			t := *s.CertificateNotAfter
			b.sigs[i].notAfter = &t
		}
	}
	return b
}

// summary prints the archive summary: counts by verdict, by signer
// organisation, by the lowest PAdES level of each file, by the year the
// signer certificates expire, and the files without long-term validation
// data whose certificates expire within a year.
func summary(w io.Writer, results []archiveResult, now time.Time) {
	byInd, byOrg, byLevel, byYear := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	var soon []string
	for _, r := range results {
		b := r.Brief
		if b == nil {
			b = forSummary(r.Rep)
		}
		if b == nil {
			byInd["error"]++
			continue
		}
		byInd[b.indication]++
		lowest, ltv := "", true
		var expiry time.Time
		for _, s := range b.sigs {
			if s.kind == "document-timestamp" {
				continue
			}
			org := s.org
			if org == "" {
				org = tr("(no organisation)")
			}
			byOrg[org]++
			if lowest == "" || levelRank(s.level) < levelRank(lowest) {
				lowest = s.level
			}
			ltv = ltv && (s.level == "B-LT" || s.level == "B-LTA")
			if s.notAfter != nil {
				byYear[strconv.Itoa(s.notAfter.Year())]++
				if expiry.IsZero() || s.notAfter.Before(expiry) {
					expiry = *s.notAfter
				}
			}
		}
		if lowest != "" {
			byLevel[lowest]++
		}
		if !ltv && !expiry.IsZero() && expiry.Before(now.AddDate(1, 0, 0)) {
			soon = append(soon, fmt.Sprintf("%s ("+tr("certificate expires %s")+")", r.File, expiry.Format(time.DateOnly)))
		}
	}
	fmt.Fprintf(w, "%s: %d file(s)\n", tr("summary"), len(results))
	for _, part := range []struct {
		title string
		m     map[string]int
	}{{"by verdict", byInd}, {"by signer organisation", byOrg}, {"by PAdES level (lowest per file)", byLevel}, {"by certificate expiry year", byYear}} {
		if len(part.m) == 0 {
			continue
		}
		keys := make([]string, 0, len(part.m))
		for k := range part.m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if part.m[keys[i]] != part.m[keys[j]] {
				return part.m[keys[i]] > part.m[keys[j]]
			}
			return keys[i] < keys[j]
		})
		fmt.Fprintf(w, "  %s:", tr(part.title))
		for _, k := range keys {
			fmt.Fprintf(w, " %s %d;", k, part.m[k])
		}
		fmt.Fprintln(w)
	}
	if len(soon) > 0 {
		fmt.Fprintf(w, "  %s (%d): %s\n", tr("without LTV, certificate expiring within a year"), len(soon), tr("extend them with segel extend --level B-LTA"))
		for _, s := range soon {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
}

func levelRank(l string) int {
	switch l {
	case "B-B":
		return 1
	case "B-T":
		return 2
	case "B-LT":
		return 3
	case "B-LTA":
		return 4
	}
	return 0
}

// writeArchiveReport writes results to path, in the format its extension
// names; the file appears whole or not at all.
func writeArchiveReport(path string, results []archiveResult) error {
	w, err := createReport(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	for _, r := range results {
		w.Add(r)
	}
	return w.Close()
}

// reportWriter writes a --report file while the run goes on, so that a
// run keeps no whole reports in memory: JSONL and CSV rows as each file
// is added, in that order; the HTML page's rows go to a spool file (in the
// report's folder, unlinked at once where the system allows) with an
// index of verdict, file and offset, and are read back, sorted by verdict
// then file, when the page is written by Close. The report appears whole
// or not at all.
type reportWriter struct {
	kind   string // jsonl, csv or html
	out    *atomicfile.File
	bw     *bufio.Writer
	enc    *json.Encoder
	cw     *csv.Writer
	spool  *os.File
	spoolW *bufio.Writer
	spoolN int64
	index  []rowIndex
	counts map[string]int
	n      int
	err    error
}

// rowIndex locates one HTML row in the spool.
type rowIndex struct {
	indication, file string
	off              int64
	size             int
}

// htmlRow is one row of the HTML report.
type htmlRow struct {
	File, Indication, Sub, Signers, Levels, Err, Class string
}

// reportKind is the format a report file's extension names: jsonl, csv
// or html.
func reportKind(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json":
		return "jsonl", nil
	case ".csv":
		return "csv", nil
	case ".html":
		return "html", nil
	}
	return "", usageError{fmt.Errorf("--report %s: use a .jsonl, .csv or .html file name", path)}
}

// createReport starts a report at path, whose extension names the format.
func createReport(path string) (*reportWriter, error) {
	kind, err := reportKind(path)
	if err != nil {
		return nil, err
	}
	if err := checkOutputFolder(path); err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(path, true)
	if err != nil {
		return nil, err
	}
	w := &reportWriter{kind: kind, out: f, bw: bufio.NewWriter(f), counts: map[string]int{}}
	switch kind {
	case "jsonl":
		w.enc = json.NewEncoder(w.bw)
		w.enc.SetEscapeHTML(false)
	case "csv":
		w.cw = csv.NewWriter(w.bw)
		w.err = w.cw.Write([]string{"file", "indication", "sub_indication", "signatures", "signers", "levels", "error"})
	case "html":
		sp, err := os.CreateTemp(filepath.Dir(path), ".segel-report-*.spool")
		if err != nil {
			f.Abort()
			return nil, err
		}
		os.Remove(sp.Name()) // read back through the open file; Abort removes it where this fails
		w.spool, w.spoolW = sp, bufio.NewWriter(sp)
	}
	return w, nil
}

// Add writes (or spools) one file's row.
func (w *reportWriter) Add(r archiveResult) {
	if w.err != nil {
		return
	}
	w.n++
	switch w.kind {
	case "jsonl":
		if r.Rep != nil {
			w.err = w.enc.Encode(r.Rep)
		} else {
			w.err = w.enc.Encode(map[string]string{"file": r.File, "error": r.Err})
		}
	case "csv":
		if r.Rep == nil {
			w.err = w.cw.Write([]string{r.File, "", "", "", "", "", r.Err})
			return
		}
		var signers, levels []string
		for _, s := range r.Rep.Signatures {
			signers = append(signers, s.Signer)
			levels = append(levels, s.Level)
		}
		w.err = w.cw.Write([]string{r.File, r.Rep.Indication, r.Rep.SubIndication, strconv.Itoa(len(r.Rep.Signatures)), strings.Join(signers, "; "), strings.Join(levels, "; "), ""})
	case "html":
		row := htmlRowOf(r)
		w.counts[row.Indication]++
		b, err := json.Marshal(row)
		if err != nil {
			w.err = err
			return
		}
		b = append(b, '\n')
		w.index = append(w.index, rowIndex{indication: row.Indication, file: row.File, off: w.spoolN, size: len(b)})
		_, w.err = w.spoolW.Write(b)
		w.spoolN += int64(len(b))
	}
}

// Close finishes the report and puts it in place.
func (w *reportWriter) Close() error {
	defer w.Abort()
	if w.err != nil {
		return w.err
	}
	switch w.kind {
	case "csv":
		w.cw.Flush()
		if err := w.cw.Error(); err != nil {
			return err
		}
	case "html":
		if err := w.writeHTML(); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	return w.out.Commit()
}

// Abort discards the report (nothing after Close).
func (w *reportWriter) Abort() {
	w.out.Abort()
	if w.spool != nil {
		w.spool.Close()
		os.Remove(w.spool.Name())
		w.spool = nil
	}
}

// htmlRowOf is the HTML report's row for one file.
func htmlRowOf(r archiveResult) htmlRow {
	if r.Rep == nil {
		return htmlRow{File: r.File, Indication: "ERROR", Err: r.Err, Class: "bad"}
	}
	var signers, levels []string
	for _, s := range r.Rep.Signatures {
		signers = append(signers, s.Signer)
		levels = append(levels, s.Level)
	}
	class := "warn"
	switch r.Rep.Indication {
	case verify.TotalPassed:
		class = "good"
	case verify.TotalFailed:
		class = "bad"
	}
	// The file's errors, then each signature's, named by its field: a
	// failed file says why on the page.
	errs := slices.Clone(r.Rep.Errors)
	for _, s := range r.Rep.Signatures {
		for _, e := range s.Errors {
			errs = append(errs, s.Field+": "+e)
		}
	}
	return htmlRow{File: r.File, Indication: r.Rep.Indication, Sub: r.Rep.SubIndication, Signers: strings.Join(signers, "; "),
		Levels: strings.Join(levels, ", "), Err: strings.Join(errs, "; "), Class: class}
}

// progress prints "N/M files, X files/s, Y MB/s, ETA" on a terminal, at
// most every 200 ms; it prints nothing when w is not a terminal.
type progress struct {
	w     io.Writer
	on    bool
	total int
	done  int
	bytes int64
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) && total > 1 {
		p.on = true
	}
	return p
}

// add counts one file of size bytes done.
func (p *progress) add(size int64) {
	p.done++
	p.bytes += size
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && p.done < p.total {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(p.done) / max(el, 1e-3)
	eta := time.Duration(float64(p.total-p.done) / max(rate, 1e-9) * float64(time.Second))
	fmt.Fprintf(p.w, "\r%d/%d files, %.1f files/s, %.1f MB/s, ETA %s   ", p.done, p.total, rate, float64(p.bytes)/1e6/max(el, 1e-3), eta.Round(time.Second))
	p.shown = true
}

func (p *progress) end() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// reportMergeCommand merges the JSONL reports of shards.
func reportMergeCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "work with verification reports",
		Subcommands: []*cli.Command{{
			Name:      "merge",
			Usage:     "merge the JSONL reports of sharded runs into one (each file once, sorted by path)",
			ArgsUsage: "-o ALL.jsonl SHARD.jsonl…",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "write the merged report to `FILE` (.jsonl, .csv or .html)"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() == 0 {
					return usageError{errors.New("give the reports to merge")}
				}
				byFile := map[string]archiveResult{}
				for _, in := range c.Args().Slice() {
					f, err := os.Open(in)
					if err != nil {
						return err
					}
					sc := bufio.NewScanner(f)
					sc.Buffer(make([]byte, 1<<20), 64<<20)
					for n := 1; sc.Scan(); n++ {
						// A report always has an indication; a file that
						// could not be verified is {"file", "error"}, which
						// would also decode as a Report, an empty one.
						var rep verify.Report
						if err := json.Unmarshal(sc.Bytes(), &rep); err != nil || rep.File == "" || rep.Indication == "" {
							var e struct{ File, Error string }
							if json.Unmarshal(sc.Bytes(), &e) == nil && e.File != "" {
								byFile[e.File] = archiveResult{File: e.File, Err: e.Error}
								continue
							}
							f.Close()
							return fmt.Errorf("%s line %d is not a segel report", in, n)
						}
						byFile[rep.File] = archiveResult{File: rep.File, Rep: &rep}
					}
					f.Close()
					if err := sc.Err(); err != nil {
						return fmt.Errorf("%s: %w", in, err)
					}
				}
				files := make([]string, 0, len(byFile))
				for k := range byFile {
					files = append(files, k)
				}
				sort.Strings(files)
				results := make([]archiveResult, len(files))
				for i, k := range files {
					results[i] = byFile[k]
				}
				if err := writeArchiveReport(c.String("output"), results); err != nil {
					return err
				}
				fmt.Fprintf(c.App.ErrWriter, "segel: merged %d report(s): %d file(s) → %s\n", c.NArg(), len(results), c.String("output"))
				summary(c.App.ErrWriter, results, time.Now())
				return nil
			},
		}},
	}
}

// writeHTML writes one self-contained page (nothing loaded from
// elsewhere): a bar chart of the verdicts (inline SVG) and the table of
// files, sorted by verdict then file, which a click on a column heading
// sorts again (a few lines of inline script; without it the table keeps
// its order). The rows are read back from the spool one at a time.
func (w *reportWriter) writeHTML() error {
	if err := w.spoolW.Flush(); err != nil {
		return err
	}
	sort.SliceStable(w.index, func(i, j int) bool {
		a, b := w.index[i], w.index[j]
		if a.indication != b.indication {
			return a.indication < b.indication
		}
		return a.file < b.file
	})
	type bar struct {
		Label       string
		Count       int
		Y, W, TextY int
		Color       string
	}
	var bars []bar
	maxN := 1
	for _, n := range w.counts {
		maxN = max(maxN, n)
	}
	keys := make([]string, 0, len(w.counts))
	for k := range w.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		color := "#c47f00"
		switch k {
		case verify.TotalPassed:
			color = "#2e7d32"
		case verify.TotalFailed, "ERROR":
			color = "#c62828"
		}
		bars = append(bars, bar{Label: k, Count: w.counts[k], Y: 10 + i*30, W: 20 + 380*w.counts[k]/maxN, TextY: 28 + i*30, Color: color})
	}
	t := map[string]string{"title": tr("segel verification report"), "file": tr("File"), "verdict": tr("Verdict"), "signers": tr("Signers"),
		"levels": tr("PAdES levels"), "errors": tr("Errors"), "files": tr("files"), "lang": "en"}
	if indonesian() {
		t["lang"] = "id"
	}
	if err := htmlTmpl.ExecuteTemplate(w.bw, "head", map[string]any{"T": t, "Bars": bars, "H": 20 + 30*len(bars), "N": w.n, "When": time.Now().Format(time.RFC3339)}); err != nil {
		return err
	}
	var buf []byte
	for _, ix := range w.index {
		buf = slices.Grow(buf[:0], ix.size)[:ix.size]
		if _, err := w.spool.ReadAt(buf, ix.off); err != nil {
			return fmt.Errorf("reading back the report's rows: %w", err)
		}
		var row htmlRow
		if err := json.Unmarshal(buf, &row); err != nil {
			return fmt.Errorf("reading back the report's rows: %w", err)
		}
		if err := htmlTmpl.ExecuteTemplate(w.bw, "row", row); err != nil {
			return err
		}
	}
	return htmlTmpl.ExecuteTemplate(w.bw, "foot", nil)
}

var htmlTmpl = template.Must(template.New("r").Parse(`{{define "head"}}<!doctype html>
<html lang="{{.T.lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
.good{color:#2e7d32}.bad{color:#c62828}.warn{color:#c47f00}code{font-size:12px;white-space:nowrap}</style></head><body>
<h1>{{.T.title}}</h1><p><span id="total">{{.N}}</span> {{.T.files}} · {{.When}}</p>
<svg width="640" height="{{.H}}" role="img" aria-label="{{.T.verdict}}">{{range .Bars}}<rect x="200" y="{{.Y}}" width="{{.W}}" height="22" fill="{{.Color}}"></rect><text x="0" y="{{.TextY}}" font-size="14">{{.Label}}</text><text x="{{.W}}" dx="205" y="{{.TextY}}" font-size="14" data-indication="{{.Label}}">{{.Count}}</text>{{end}}</svg>
<table><thead><tr><th>{{.T.file}}</th><th>{{.T.verdict}}</th><th>{{.T.signers}}</th><th>{{.T.levels}}</th><th>{{.T.errors}}</th></tr></thead><tbody>
{{end}}{{define "row"}}<tr data-indication="{{.Indication}}"><td><code>{{.File}}</code></td><td class="{{.Class}}">{{.Indication}}{{if .Sub}}<br><small>{{.Sub}}</small>{{end}}</td><td>{{.Signers}}</td><td>{{.Levels}}</td><td>{{.Err}}</td></tr>
{{end}}{{define "foot"}}</tbody></table>
<script>document.querySelectorAll("th").forEach(function(th,i){th.style.cursor="pointer";th.onclick=function(){var tb=th.closest("table").tBodies[0],rs=Array.from(tb.rows),asc=th.dataset.asc!=="1";rs.sort(function(a,b){return a.cells[i].textContent.localeCompare(b.cells[i].textContent)*(asc?1:-1)});th.dataset.asc=asc?"1":"0";rs.forEach(function(r){tb.appendChild(r)})}})</script>
</body></html>
{{end}}`))
