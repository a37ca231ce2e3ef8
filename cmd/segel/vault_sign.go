package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"segel/internal/atomicfile"
	"segel/keystore"
	"segel/keystore/vault"
	"segel/signer"
)

// defaultBatch is the default number of documents signed per Vault
// request.
const defaultBatch = 64

// batchSigner is a key that signs many digests in one request (a Transit
// key: *vault.Signer).
type batchSigner interface {
	SignBatch(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error)
}

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

// describeKey prints which Transit key version signs, and a note when the
// key has a newer version without a certificate.
func describeKey(c *cli.Context, key keystore.Key) string {
	vk, ok := key.(*vault.Key)
	if !ok {
		return ""
	}
	s := vk.TransitSigner()
	info := vk.Info()
	if s.KeyVersion() < info.LatestVersion {
		fmt.Fprintf(c.App.ErrWriter, "segel: note: %s has version %d without a certificate; signing with version %d (request one with: segel cert request --key vault:%s …)\n",
			s.Key(), info.LatestVersion, s.KeyVersion(), s.Key())
	}
	return fmt.Sprintf(" with %s version %d", s.Key(), s.KeyVersion())
}

// signMany signs every job with the same options. A key that signs in
// batches is asked once per batch of up to batch documents; any other key
// once per document. The first failure stops the run: documents already
// signed are kept, the failed one and the rest are not written.
func signMany(c *cli.Context, jobs []signJob, force bool, batch int, opts signer.Options, keyDesc string) error {
	if err := keystore.CheckSigningCertificate(opts.Chain[0], opts.Time); err != nil {
		return withHint(err, "segel refuses to sign with a certificate that a verifier would reject")
	}
	bs, ok := opts.Signer.(batchSigner)
	done, requests := 0, 0
	stopped := func(at int, err error) error {
		if len(jobs) == 1 {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "segel: stopped: %d of %d document(s) signed; nothing was written from %s on\n",
			done, len(jobs), jobs[at].in)
		return err
	}
	if !ok || batch <= 1 || len(jobs) == 1 {
		for i, j := range jobs {
			if testOnlyBeforeRequest != nil {
				testOnlyBeforeRequest(done)
			}
			res, err := signFile(c, j.in, j.out, force, opts)
			if err != nil {
				return stopped(i, vaultError(err))
			}
			done++
			requests++
			fmt.Fprintf(c.App.ErrWriter, "segel: signed field %q of %s as %q%s → %s\n", res.Field, j.in, opts.Chain[0].Subject.CommonName, keyDesc, j.out)
		}
	} else {
		for start := 0; start < len(jobs); start += batch {
			group := jobs[start:min(start+batch, len(jobs))]
			if testOnlyBeforeRequest != nil {
				testOnlyBeforeRequest(done)
			}
			n, err := signGroup(c, group, force, bs, opts, keyDesc)
			done += n
			requests++
			if err != nil {
				return stopped(start+n, err)
			}
		}
	}
	if len(jobs) > 1 {
		fmt.Fprintf(c.App.ErrWriter, "segel: signed %d documents%s in %d signing request(s)\n", done, keyDesc, requests)
	}
	return nil
}

// signGroup prepares every document of group, has all digests signed with
// one request, and completes and commits the outputs. It returns how many
// were committed.
func signGroup(c *cli.Context, group []signJob, force bool, bs batchSigner, opts signer.Options, keyDesc string) (int, error) {
	type pending struct {
		in  *os.File
		out *atomicfile.File
		p   *signer.Prepared
	}
	var ps []pending
	defer func() {
		for _, p := range ps {
			p.in.Close()
			p.out.Abort()
		}
	}()
	for _, j := range group {
		f, err := os.Open(j.in)
		if err != nil {
			return 0, err
		}
		st, err := f.Stat()
		if err == nil && st.IsDir() {
			err = fmt.Errorf("%s is a directory", j.in)
		}
		if err != nil {
			f.Close()
			return 0, err
		}
		o, err := atomicfile.Create(j.out, force)
		if err != nil {
			f.Close()
			if errors.Is(err, atomicfile.ErrExists) {
				return 0, withHint(err, "pass --force to replace it")
			}
			return 0, err
		}
		ps = append(ps, pending{in: f, out: o})
		p, err := signer.Prepare(c.Context, f, st.Size(), o, opts)
		if err != nil {
			return 0, signError(j.in, err)
		}
		ps[len(ps)-1].p = p
	}
	digests := make([][]byte, len(ps))
	for i, p := range ps {
		digests[i] = p.p.Digest()
	}
	sigs, err := bs.SignBatch(c.Context, digests, ps[0].p.SignerOpts())
	if err != nil {
		return 0, vaultError(err)
	}
	for i, p := range ps {
		res, err := p.p.Finish(sigs[i])
		if err != nil {
			return i, vaultError(err)
		}
		if err := p.out.Commit(); err != nil {
			return i, err
		}
		fmt.Fprintf(c.App.ErrWriter, "segel: signed field %q of %s as %q%s → %s\n", res.Field, group[i].in, opts.Chain[0].Subject.CommonName, keyDesc, group[i].out)
	}
	return len(ps), nil
}
