package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"segel/internal/atomicfile"
	"segel/keystore"
	"segel/pkinet"
	"segel/signer"
	"segel/signer/ltv"
)

// testOnlyBeforeRequest, when set by a test, is called before each request
// for signatures with the number of documents signed so far.
var testOnlyBeforeRequest func(done int)

// signJob is one input and the output it is signed into.
type signJob struct{ in, out string }

// signJobs pairs the inputs with outputs: -o OUT.pdf for one input (or a
// directory), -o DIR for several, where each input keeps its base name.
func signJobs(inputs []string, output string) ([]signJob, error) {
	if len(inputs) == 0 {
		return nil, usageError{errors.New("sign needs an input file: segel sign --key KEYREF -o OUT.pdf IN.pdf")}
	}
	st, err := os.Stat(output)
	isDir := err == nil && st.IsDir()
	if len(inputs) > 1 && !isDir {
		return nil, usageError{fmt.Errorf("with %d input files, -o must name an existing directory (got %s)", len(inputs), output)}
	}
	var jobs []signJob
	seen := map[string]string{}
	for _, in := range inputs {
		out := output
		if isDir {
			out = filepath.Join(output, filepath.Base(in))
		}
		if prev, dup := seen[out]; dup {
			return nil, usageError{fmt.Errorf("%s and %s would both be written to %s", prev, in, out)}
		}
		seen[out] = in
		if err := checkPaths(in, out); err != nil {
			return nil, err
		}
		jobs = append(jobs, signJob{in, out})
	}
	return jobs, nil
}

// keyName is the key's name in its backend: the reference without its
// scheme (transit/pks-tuban for vault:transit/pks-tuban).
func keyName(ref string) string {
	_, rest, _ := strings.Cut(ref, ":")
	return strings.TrimPrefix(rest, "//")
}

// describeKey says which version of a versioned key signs (" with
// transit/pks-tuban version 1"), and notes a newer version that has no
// certificate yet. Keys without versions are described by nothing.
func describeKey(c *cli.Context, ref string, key keystore.Key) string {
	v, ok := key.Signer().(keystore.KeyVersioner)
	if !ok {
		return ""
	}
	name := keyName(ref)
	if v.LatestKeyVersion() > v.KeyVersion() {
		how := "request one"
		if isVaultRef(ref) {
			how = fmt.Sprintf("request one with: segel cert request --key vault:%s …", name)
		}
		fmt.Fprintf(c.App.ErrWriter, "segel: note: %s has version %d without a certificate; signing with version %d (%s)\n",
			name, v.LatestKeyVersion(), v.KeyVersion(), how)
	}
	return fmt.Sprintf(" with %s version %d", name, v.KeyVersion())
}

// fileDoc is a document of segel sign: an input file and an output that
// appears whole or not at all.
type fileDoc struct {
	job   signJob
	force bool
	// signed reports a committed output.
	signed func(job signJob, res *signer.Result)
	// current is set to the job being opened, for reports of panics.
	current *signJob

	// ltv, when set, extends the signed file (B-LT, B-LTA) before it is
	// committed.
	ltv *ltv.Options
	ctx context.Context

	f *os.File
	o *atomicfile.File
}

// Open opens the input and creates the output's temporary file.
func (d *fileDoc) Open() (io.ReaderAt, int64, signer.Output, error) {
	*d.current = d.job
	f, err := os.Open(d.job.in)
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fmt.Errorf("%s: %w", d.job.in, syscall.EISDIR)
	}
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	o, err := atomicfile.Create(d.job.out, d.force)
	if err != nil {
		f.Close()
		if errors.Is(err, atomicfile.ErrExists) {
			return nil, 0, nil, withHint(err, "pass --force to replace it")
		}
		return nil, 0, nil, err
	}
	d.f, d.o = f, o
	return f, st.Size(), o, nil
}

// Close commits the output of a signed document and discards any other.
func (d *fileDoc) Close(res *signer.Result) error {
	defer d.f.Close()
	if res == nil {
		d.o.Abort()
		return nil
	}
	out := d.o
	if d.ltv != nil {
		// The signed file is complete in the first temporary file; the
		// extended one goes into a second, and only that is committed.
		defer d.o.Abort()
		x, err := atomicfile.Create(d.job.out, true)
		if err != nil {
			return err
		}
		lr, err := ltv.Extend(d.ctx, d.o.File, res.Size, x, *d.ltv)
		if err != nil {
			x.Abort()
			return fmt.Errorf("%s: the signature was made, but %s could not be reached, so nothing was written: %w", d.job.in, d.ltv.Level, err)
		}
		r := *res
		r.Level, r.Size = d.ltv.Level, lr.Size
		res, out = &r, x
	}
	if err := out.Commit(); err != nil {
		out.Abort()
		return err
	}
	d.signed(d.job, res)
	return nil
}

// signMany signs every job with key (ref names it) and reports each
// signed document: signFiles with segel sign's messages.
// evidence is what segel sign adds beyond a B-B signature: a signature
// time-stamp, revocation data signed into the signature, and the /DSS and
// document time-stamp of B-LT and B-LTA.
type evidence struct {
	level string
	ts    signer.Timestamper
	rev   signer.RevocationSource
	ltv   *ltv.Options
}

func signMany(c *cli.Context, ref string, key keystore.Key, jobs []signJob, force bool, batch int, opts signer.Options, ev evidence) error {
	keyDesc := describeKey(c, ref, key)
	cn := key.Chain()[0].Subject.CommonName
	requests, err := signFiles(c, ref, key, jobs, force, batch, opts, ev, func(j signJob, res *signer.Result) {
		level := ""
		if res.Level != levelBB {
			level = ", PAdES " + res.Level
		}
		fmt.Fprintf(c.App.ErrWriter, "segel: signed field %q of %s as %q%s%s → %s\n", res.Field, j.in, cn, keyDesc, level, j.out)
	})
	if err == nil && len(jobs) > 1 {
		fmt.Fprintf(c.App.ErrWriter, "segel: signed %d documents%s in %d signing request(s)\n", len(jobs), keyDesc, requests)
	}
	return err
}

// signFiles signs every job with key through signer.SignAll: the
// certificate is checked once; a key that signs in batches is asked once
// per batch of up to batch documents, any other key once per document.
// Each output is committed as soon as it is signed, and then passed to
// signed. The first failure stops the run: documents already signed are
// kept, the failed one and the rest are not written. It returns the
// number of signing requests made.
func signFiles(c *cli.Context, ref string, key keystore.Key, jobs []signJob, force bool, batch int, opts signer.Options, ev evidence, signed func(signJob, *signer.Result)) (requests int, err error) {
	var current signJob
	docs := make([]signer.Document, len(jobs))
	for i, j := range jobs {
		docs[i] = &fileDoc{job: j, force: force, current: &current, signed: signed, ctx: c.Context}
		if ev.ltv != nil && ev.rev == nil || ev.level == levelLTA {
			docs[i].(*fileDoc).ltv = ev.ltv
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error while signing %s (sha256 %s): %v", current.in, fileDigest(current.in), r)
		}
	}()
	results, err := signer.SignAll(c.Context, key, docs, signer.AllOptions{
		Options:     opts,
		BatchSize:   batch,
		Timestamper: ev.ts,
		Revocation:  ev.rev,
		BeforeCall: func(call signer.Call) {
			if testOnlyBeforeRequest != nil {
				testOnlyBeforeRequest(call.Done)
			}
		},
		AfterCall: func(call signer.Call) {
			if call.Err == nil {
				requests++
			}
		},
	})
	if err != nil {
		var ce *keystore.CertificateError
		if errors.As(err, &ce) {
			return 0, withHint(err, "segel refuses to sign with a certificate that a verifier would reject")
		}
		if errors.Is(err, signer.ErrTimestamp) {
			if errors.Is(err, pkinet.ErrRefused) {
				return 0, withHint(err, "nothing was signed; the TSA's address is loopback or private: allow it with --tsa-allow loopback (or private, or its network)")
			}
			return 0, withHint(err, "nothing was signed; check --tsa, --tsa-roots and the TSA's credentials, or sign at --level B-B")
		}
		return 0, err
	}
	done, failed, first := 0, -1, -1
	for i, r := range results {
		if r.Result != nil {
			done++
			continue
		}
		if first < 0 {
			first = i
		}
		if failed < 0 && !errors.Is(r.Err, signer.ErrSkipped) {
			failed = i
		}
	}
	if failed < 0 {
		return requests, nil
	}
	if len(jobs) > 1 {
		fmt.Fprintf(c.App.ErrWriter, "segel: stopped: %d of %d document(s) signed; nothing was written from %s on\n",
			done, len(jobs), jobs[first].in)
	}
	return requests, keyError(ref, signError(jobs[failed].in, results[failed].Err))
}
