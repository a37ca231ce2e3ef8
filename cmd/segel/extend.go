package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"segel/internal/atomicfile"
	"segel/signer/ltv"
)

func extendCommand() *cli.Command {
	return &cli.Command{
		Name:      "extend",
		Usage:     "make signed PDFs long-term verifiable (PAdES B-LT or B-LTA), also other producers' files",
		ArgsUsage: "-o OUT.pdf IN.pdf | --dir IN_DIR -o OUT_DIR",
		Description: "B-LT adds, in one incremental update, a /DSS with the certificates and the\n" +
			"OCSP responses (preferred) or CRLs of every signature's chain and of every\n" +
			"time-stamp's TSA chain, each checked before it is written, and a /VRI entry per\n" +
			"signature. B-LTA then adds a document time-stamp from --tsa over the whole file.\n\n" +
			"A file already at the level is skipped and not written: B-LT when every\n" +
			"signature has its /VRI entry; B-LTA when, besides, the file ends with a document\n" +
			"time-stamp whose TSA certificate is valid for more than --renew-before. Running\n" +
			"B-LTA again before that certificate expires renews the archive: a new /DSS and a\n" +
			"new document time-stamp. The input is never modified.\n\n" +
			"Examples:\n   segel extend --level B-LTA --tsa https://tsa.example/ --tsa-roots tsa-root.pem \\\n" +
			"      --trust root.pem -o pks-lta.pdf pks-signed.pdf\n" +
			"   segel extend --level B-LTA --tsa … --tsa-roots … --dir arsip/ -o arsip-lta/",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "level", Value: levelBLT, Usage: "`LEVEL` to reach: B-LT or B-LTA"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "write to `OUT` (a file, or a folder with --dir)"},
			&cli.StringFlag{Name: "dir", Usage: "extend every *.pdf in `DIR` into the -o folder"},
			&cli.BoolFlag{Name: "force", Usage: "replace outputs that exist"},
			&cli.DurationFlag{Name: "renew-before", Usage: "renew B-LTA when the last document time-stamp's TSA certificate expires within `DURATION` (default 8760h)"},
			&cli.BoolFlag{Name: "allow-missing", Usage: "write what was found when a certificate has no revocation status (by default that fails the file)"},
		}, extendLevelFlags()...),
		Action: extendAction,
	}
}

// extendLevelFlags are sign's TSA and network options without --level.
func extendLevelFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range levelFlags() {
		if f.Names()[0] != "level" {
			out = append(out, f)
		}
	}
	return out
}

type extendJob struct{ in, out string }

func extendAction(c *cli.Context) error {
	level := strings.ToUpper(strings.TrimSpace(c.String("level")))
	if level != levelBLT && level != levelLTA {
		return usageError{fmt.Errorf("--level %q: use B-LT or B-LTA", c.String("level"))}
	}
	jobs, err := extendJobs(c)
	if err != nil {
		return err
	}
	var o ltv.Options
	if level == levelLTA {
		if strings.TrimSpace(c.String("tsa")) == "" {
			return usageError{errors.New("--level B-LTA needs a time-stamping authority: give --tsa URL (or SEGEL_TSA_URL) and --tsa-roots")}
		}
		tc, err := tsaClient(c, 0)
		if err != nil {
			return err
		}
		o, err = ltvOptions(c, levelLTA, tc)
		if err != nil {
			return err
		}
	} else if o, err = ltvOptions(c, levelBLT, nil); err != nil {
		return err
	}
	o.RenewBefore = c.Duration("renew-before")
	o.AllowMissing = c.Bool("allow-missing")
	failed, ioFailed, hinted := 0, 0, false
	for _, j := range jobs {
		res, err := extendFile(c, j, c.Bool("force"), o)
		switch {
		case err != nil:
			failed++
			if ioError(err) {
				ioFailed++
			}
			fmt.Fprintf(c.App.ErrWriter, "segel: %s: %v\n", j.in, err)
			if errors.Is(err, ltv.ErrNoStatus) && !hinted {
				hinted = true
				fmt.Fprintln(c.App.ErrWriter, "segel: hint: responders on this machine or the local network are reached only with --online-allow loopback (or private); --allow-missing writes what was found")
			}
		case res.Skipped:
			fmt.Fprintf(c.App.ErrWriter, "segel: %s: unchanged, already %s (%s)\n", j.in, level, res.Reason)
		default:
			what := fmt.Sprintf("%d certificate(s), %d OCSP response(s), %d CRL(s)", res.Certs, res.OCSPs, res.CRLs)
			if res.DocTimestamp {
				what += " and a document time-stamp"
			}
			fmt.Fprintf(c.App.ErrWriter, "segel: %s → %s: PAdES %s, %d signature(s); added %s\n", j.in, j.out, level, res.Signatures, what)
			for _, m := range res.Missing {
				fmt.Fprintf(c.App.ErrWriter, "segel: warning: %s: no revocation status for %s\n", j.in, m)
			}
		}
	}
	if failed > 0 {
		// An input that is not there or may not be read is an I/O
		// error (exit 3, the README's table), as in segel sign.
		code := exitFailure
		if ioFailed == failed {
			code = exitUsage
		}
		if len(jobs) > 1 {
			fmt.Fprintf(c.App.ErrWriter, "segel: %s: %d of %d file(s) could not be extended\n", tr("error"), failed, len(jobs))
		}
		return exitError{code: code}
	}
	return nil
}

// extendJobs lists the files to extend: IN → -o OUT, or every PDF of
// --dir into the -o folder.
func extendJobs(c *cli.Context) ([]extendJob, error) {
	out := c.String("output")
	if dir := c.String("dir"); dir != "" {
		if c.NArg() > 0 {
			return nil, usageError{errors.New("give either --dir or input files, not both")}
		}
		if st, err := os.Stat(out); err != nil || !st.IsDir() {
			return nil, usageError{fmt.Errorf("with --dir, -o must name an existing folder (got %s)", out)}
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		var jobs []extendJob
		for _, e := range ents {
			if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".pdf") {
				continue
			}
			jobs = append(jobs, extendJob{in: filepath.Join(dir, e.Name()), out: filepath.Join(out, e.Name())})
		}
		sort.Slice(jobs, func(i, j int) bool { return jobs[i].in < jobs[j].in })
		if len(jobs) == 0 {
			return nil, fmt.Errorf("%s holds no PDF files", dir)
		}
		return jobs, nil
	}
	if c.NArg() != 1 {
		return nil, usageError{fmt.Errorf("give one input file (or --dir), got %d", c.NArg())}
	}
	in := c.Args().First()
	if err := checkPaths(in, out); err != nil {
		return nil, err
	}
	return []extendJob{{in: in, out: out}}, nil
}

// extendFile extends one file; the output appears whole or not at all,
// and not at all when the file is skipped.
func extendFile(c *cli.Context, j extendJob, force bool, o ltv.Options) (*ltv.Result, error) {
	f, err := os.Open(j.in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	out, err := atomicfile.Create(j.out, force)
	if err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return nil, withHint(err, "pass --force to replace it")
		}
		return nil, err
	}
	defer out.Abort()
	res, err := ltv.Extend(c.Context, f, st.Size(), out, o)
	if err != nil {
		return nil, err
	}
	if res.Skipped {
		return res, nil
	}
	return res, out.Commit()
}
