package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"segel/certfile"
	"segel/pkinet"
	"segel/verify"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify every signature of PDF files, and every change made after each",
		ArgsUsage: "FILE|DIR...",
		Description: "Directories are walked for *.pdf files, verified in parallel.\n\n" +
			"Exit status: 0 every file TOTAL_PASSED; 1 a file TOTAL_FAILED or without\n" +
			"signatures; 2 otherwise (some INDETERMINATE); 3 usage or I/O error.\n\n" +
			"Example:\n   segel verify --trust bsre-root.pem --json arsip/ > laporan.jsonl",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "trust", Usage: "trust anchors: `FILE` of root certificates, PEM or DER (repeatable)"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per file (JSON Lines)"},
			archiveFlags()[0], archiveFlags()[1], archiveFlags()[2], archiveFlags()[3],
			&cli.StringFlag{Name: "at", Usage: "judge certificates at `RFC3339-TIME` instead of now"},
			&cli.BoolFlag{Name: "online", Usage: "fetch OCSP responses and CRLs for certificates without embedded revocation data (http/https only, public addresses only, no proxy, 10 s per request, cached for the run)"},
			&cli.StringSliceFlag{Name: "online-allow", Usage: "with --online, also reach `NET`: loopback, private (RFC 1918, fc00::/7) or a network such as 10.20.0.0/16 (repeatable; for an internal CA's responders)"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "time budget per file; a file that takes longer is INDETERMINATE"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.NumCPU(), Usage: "verify `N` files at a time"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{errors.New(tr("verify needs at least one FILE or DIR"))}
			}
			if rp := c.String("report"); rp != "" {
				// Before anything is read or written (the --state
				// database included).
				if _, err := reportKind(rp); err != nil {
					return err
				}
			}
			tuneGC()
			// One cache for the run: the files share CAs, TSAs and
			// revocation data (docs/benchmarks.md, archive section).
			opts := verify.Options{Cache: verify.NewCache()}
			if roots := c.StringSlice("trust"); len(roots) > 0 {
				pool, err := loadRoots(roots)
				if err != nil {
					return usageError{err}
				}
				opts.Roots = pool
			}
			if at := c.String("at"); at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usageError{fmt.Errorf(tr("--at %q is not an RFC 3339 time (e.g. 2026-11-27T10:00:00+07:00)"), at)}
				}
				opts.Time = t
			}
			guard, err := pkinet.ParseGuard(c.StringSlice("online-allow"))
			if err != nil {
				return usageError{fmt.Errorf("--online-allow: %w", err)}
			}
			if c.IsSet("online-allow") && !c.Bool("online") {
				return usageError{errors.New("--online-allow needs --online")}
			}
			if c.Bool("online") {
				// One fetcher for the whole run: each responder and CRL
				// is asked once, however many files name it.
				opts.Online = true
				opts.Fetcher = &verify.Fetcher{Network: pkinet.Config{Guard: guard}}
			}
			files, problems := collectPDFs(c.Args().Slice())
			for _, p := range problems {
				fmt.Fprintf(c.App.ErrWriter, "segel: %s: %v\n", tr("error"), p)
			}
			// finish ends every run that got this far: a path that could
			// not be read makes it exit 3 even when nothing was left to
			// verify (an empty shard, every file unchanged under --state).
			finish := func(code int) error {
				if len(problems) > 0 {
					code = worseExit(code, exitUsage)
				}
				if code != exitOK {
					return exitError{code}
				}
				return nil
			}
			if sh := c.String("shard"); sh != "" {
				i, n, err := parseShard(sh)
				if err != nil {
					return usageError{err}
				}
				var mine []string
				for _, f := range files {
					if inShard(f, i, n) {
						mine = append(mine, f)
					}
				}
				files = mine
				if len(files) == 0 {
					fmt.Fprintf(c.App.ErrWriter, "segel: shard %s holds no files\n", sh)
					if rp := c.String("report"); rp != "" {
						// An empty report, so that merging the shards
						// finds every one.
						if err := writeArchiveReport(rp, nil); err != nil {
							return err
						}
					}
					return finish(exitOK)
				}
			}
			if len(files) == 0 {
				if len(problems) > 0 {
					return exitError{exitUsage}
				}
				return usageError{errors.New(tr("no PDF files found"))}
			}
			var sr *stateRun
			if db := c.String("state"); db != "" {
				// prepareArgs has checked the folder (outputFlags).
				st, err := openState(c.Context, db, false)
				if err != nil {
					return err
				}
				defer st.Close()
				tf, err := trustFingerprint(c.StringSlice("trust"))
				if err != nil {
					return usageError{fmt.Errorf("--trust: %w", err)}
				}
				sr = &stateRun{st: st, version: c.App.Version + " " + c.String("at"), trust: tf}
				files = sr.due(c.Context, files, c.Bool("recheck"))
				if sr.skipped > 0 {
					fmt.Fprintf(c.App.ErrWriter, "segel: %d file(s) unchanged since they were checked (--state %s); --recheck verifies them again\n", sr.skipped, db)
				}
				if len(files) == 0 {
					return finish(exitOK)
				}
			} else if c.Bool("recheck") {
				return usageError{errors.New("--recheck needs --state DB")}
			}
			jobs := c.Int("jobs")
			if jobs < 1 {
				jobs = 1
			}
			// The report is written as the files finish; the summary
			// keeps a brief per file (a 20,000-file run stays small).
			var rw *reportWriter
			if rp := c.String("report"); rp != "" {
				if rw, err = createReport(rp); err != nil {
					return err
				}
				defer rw.Abort()
			}
			var results []archiveResult
			prog := newProgress(c.App.ErrWriter, len(files))
			code := verifyFiles(c.Context, files, opts, jobs, c.Duration("timeout"), c.Bool("json"), c.App.Writer, c.App.ErrWriter,
				func(f string, v verifyResult) {
					r := archiveResult{File: f, Rep: v.rep}
					if v.err != nil {
						r.Err = v.err.Error()
					}
					if rw != nil {
						rw.Add(r)
					}
					r.Rep, r.Brief = nil, forSummary(v.rep)
					results = append(results, r)
					prog.add(v.size)
					if sr != nil {
						if err := sr.record(c.Context, f, v); err != nil {
							fmt.Fprintf(c.App.ErrWriter, "segel: %s: %v\n", tr("error"), err)
						}
					}
				})
			prog.end()
			if len(files) > 1 {
				summary(c.App.ErrWriter, results, time.Now())
			}
			if rw != nil {
				if err := rw.Close(); err != nil {
					return err
				}
				fmt.Fprintf(c.App.ErrWriter, "segel: report of %d file(s) → %s\n", len(results), c.String("report"))
			}
			return finish(code)
		},
	}
}

// loadRoots reads the --trust files (PEM or DER; see package certfile).
func loadRoots(paths []string) (*x509.CertPool, error) {
	pool, err := certfile.ReadPool(paths...)
	if err != nil {
		return nil, fmt.Errorf("--trust: %w", err)
	}
	return pool, nil
}

func collectPDFs(args []string) ([]string, []error) {
	var out []string
	var problems []error
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			// One line for this path; the others are still verified.
			problems = append(problems, err)
			continue
		}
		if !st.IsDir() {
			if !st.Mode().IsRegular() {
				// A pipe or a device: opening it may wait for ever,
				// and it has no size to read a PDF by.
				problems = append(problems, fmt.Errorf(tr("%s is not a regular file"), a))
				continue
			}
			out = append(out, a)
			continue
		}
		var found []string
		filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, err)
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(p), ".pdf") {
				found = append(found, p)
			}
			return nil
		})
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, problems
}

type verifyResult struct {
	rep         *verify.Report
	err         error
	interrupted bool
	// size and mtime are the file's as it was opened for verifying
	// (zero when it could not be).
	size  int64
	mtime time.Time
}

// tuneGC lets the heap grow to five times the live data between
// collections, capped by a soft limit of 40 MiB, unless GOGC or
// GOMEMLIMIT say otherwise: verifying an archive allocates about a file's
// size per file, and collecting at the default rate was a quarter of the
// run's time, while the live data stays small. 48 MiB let a --state run
// peak at 69 MB; 40 MiB keeps it at 61 MB (docs/benchmarks.md).
func tuneGC() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(40 << 20)
	}
}

// verifyFiles verifies files with jobs workers and prints the reports in
// input order. It returns the exit status.
func verifyFiles(ctx context.Context, files []string, opts verify.Options, jobs int, timeout time.Duration, asJSON bool, stdout, stderr io.Writer, each func(string, verifyResult)) int {
	results := make([]chan verifyResult, len(files))
	for i := range results {
		results[i] = make(chan verifyResult, 1)
	}
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	go func() {
		for i, f := range files {
			sem <- struct{}{}
			if ctx.Err() != nil {
				// Interrupted (Ctrl-C): the files not started are not
				// verified; the ones under way finish or stop.
				<-sem
				results[i] <- verifyResult{interrupted: true}
				continue
			}
			wg.Add(1)
			go func(i int, f string) {
				defer func() { <-sem; wg.Done() }()
				results[i] <- verifyOne(ctx, f, opts, timeout)
			}(i, f)
		}
	}()
	worst := 0
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for i, f := range files {
		r := <-results[i]
		if r.interrupted || (ctx.Err() != nil && r.err != nil && errors.Is(r.err, context.Canceled)) {
			// Stopped by the user: say how far the run got; the summary
			// covers the files verified.
			done := i
			for j := i + 1; j < len(files); j++ {
				<-results[j]
			}
			fmt.Fprintf(stderr, "segel: "+tr("interrupted: %d of %d file(s) verified")+"\n", done, len(files))
			wg.Wait()
			return worseExit(worst, exitInterrupted)
		}
		if each != nil {
			each(f, r)
		}
		code := 0
		if r.err != nil {
			fmt.Fprintf(stderr, "segel: %s: %s: %v\n", tr("error"), f, r.err)
			code = exitUsage
		} else {
			if asJSON {
				enc.Encode(r.rep)
			} else {
				writeReport(stdout, r.rep)
			}
			switch r.rep.Indication {
			case verify.TotalPassed:
			case verify.Indeterminate:
				code = 2
			default:
				code = 1
			}
		}
		worst = worseExit(worst, code)
	}
	wg.Wait()
	return worst
}

// worseExit orders exit codes: 130 (interrupted) > 3 (error) > 1 (failed) > 2 (indeterminate) > 0.
func worseExit(a, b int) int {
	rank := map[int]int{0: 0, 2: 1, 1: 2, 3: 3, exitInterrupted: 4}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func verifyOne(ctx context.Context, path string, opts verify.Options, timeout time.Duration) (res verifyResult) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			res = verifyResult{err: fmt.Errorf("internal error (file sha256 %s): %v", fileDigest(path), r)}
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return verifyResult{err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return verifyResult{err: err}
	}
	rep, err := verify.File(ctx, path, f, st.Size(), opts)
	return verifyResult{rep: rep, err: err, size: st.Size(), mtime: st.ModTime()}
}
