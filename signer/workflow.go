package signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"segel/internal/cms"
	"segel/keystore"
)

// Errors of [SignAll].
var (
	// ErrKey means the key could not sign: its backend failed (Vault
	// down, sealed, credentials refused, …). The key's own error is
	// wrapped too; test for the keystore sentinels with errors.Is.
	ErrKey = errors.New("the key could not sign")
	// ErrSkipped means a document was not signed because the run stopped
	// at another document's failure.
	ErrSkipped = errors.New("not signed: the run stopped at another document's failure")
	// ErrTimestamp means a signature time-stamp could not be obtained or
	// did not pass its checks (the time-stamping authority's error is
	// wrapped: test with errors.Is for the tsa sentinels).
	ErrTimestamp = errors.New("the signature time-stamp failed")
	// ErrRevocation means the revocation data to sign with the signature
	// could not be obtained.
	ErrRevocation = errors.New("the revocation data could not be obtained")
)

// Document is one PDF for [SignAll]: where it is read from and where its
// signed form goes. [Doc] is the simple case of an input and an output
// already open.
type Document interface {
	// Open returns the PDF to sign, size bytes long, and the output for
	// the signed file. SignAll calls it once, when the document's batch
	// comes, so that a caller with many files holds only one batch of
	// them open. If Open fails it must release what it opened itself.
	Open() (in io.ReaderAt, size int64, out Output, err error)
	// Close ends a document that Open opened, exactly once. res is the
	// signature written when the output holds the whole signed file
	// (the caller publishes it now: commits a temporary file, say), and
	// nil when the document was not signed (the caller discards the
	// output). An error from Close(res) with res not nil fails the
	// document and stops the run.
	Close(res *Result) error
}

// Doc is a [Document] whose input and output are already open. Its Close
// does nothing: the caller owns In and Out.
type Doc struct {
	In   io.ReaderAt
	Size int64
	Out  Output
}

// Open returns d's input and output.
func (d Doc) Open() (io.ReaderAt, int64, Output, error) { return d.In, d.Size, d.Out, nil }

// Close does nothing.
func (d Doc) Close(*Result) error { return nil }

// DocResult is the outcome of one document of [SignAll].
type DocResult struct {
	// Result is the signature written, or nil when the document was not
	// signed.
	Result *Result
	// Err says why the document was not signed: the document's own error
	// (an unreadable PDF, a field that does not exist, …), an error
	// wrapping ErrKey, or ErrSkipped.
	Err error
}

// Call describes one signing request to the key's backend, for metrics
// and logs.
type Call struct {
	// Digests is the number of documents the call signs.
	Digests int
	// Done is the number of documents signed before the call.
	Done int
	// Took is how long the call took, and Err its error (nil after the
	// call succeeded; always nil before it).
	Took time.Duration
	Err  error
}

// Timestamper obtains RFC 3161 time-stamp tokens over signature values,
// for PAdES B-T signatures. An implementation checks every token (imprint,
// nonce, the TSA's signature, chain and time-stamping usage) before it
// returns it; *tsa.Client through [TSA] is one.
type Timestamper interface {
	// Timestamp returns one token for each signature value, in order,
	// over the value hashed with h.
	Timestamp(ctx context.Context, signatures [][]byte, h crypto.Hash) ([][]byte, error)
}

// RevocationSource provides revocation data (OCSP responses, CRLs) for a
// certificate chain. [SignAll] signs it with the signature, in Adobe's
// adbe-revocationInfoArchival attribute: the evidence stays inside the
// signature, which a certification with no changes allowed (DocMDP P=1)
// needs, since any later /DSS update would be a change.
type RevocationSource interface {
	// Revocation returns DER OCSP responses and CRLs that cover chain.
	Revocation(ctx context.Context, chain []*x509.Certificate) (ocsps, crls [][]byte, err error)
}

// DefaultBatch is the batch size of [SignAll] when [AllOptions.BatchSize]
// is zero.
const DefaultBatch = keystore.MaxBatch

// AllOptions control [SignAll].
type AllOptions struct {
	// Options describe each document's signature (field, certification,
	// reason, hash, PSS, time, …). Signer and Chain must be empty: they
	// come from the key. A zero Time is the time SignAll starts, the same
	// for every document.
	Options

	// BatchSize is the most documents signed with one backend call when
	// the key's signer is a keystore.BatchSigner: DefaultBatch when zero,
	// at most keystore.MaxBatch. 1 asks for one call per document.
	BatchSize int

	// Timestamper, when set, adds a signature time-stamp to every
	// signature (PAdES B-T). The placeholder is sized from one probe token
	// per run; then each signature gets exactly one token. A token that
	// cannot be obtained or checked fails its documents: nothing is
	// written for them.
	Timestamper Timestamper
	// Revocation, when set, puts the chain's revocation data, fetched once
	// per run before the key signs, into every signature's signed
	// attributes (adbe-revocationInfoArchival).
	Revocation RevocationSource

	// BeforeCall and AfterCall, when set, are called before and after
	// every call to the key's backend.
	BeforeCall func(Call)
	AfterCall  func(Call)
}

// SignAll signs every document with key, each with one new signature as
// [Sign] makes it, and returns one result per document, in order.
//
// It first checks the key's certificate (keystore.CheckSigningCertificate
// at the signing time), once for the whole run; an unusable certificate or
// inconsistent options return an error and no document is opened.
//
// Then it works through the documents in batches. It opens and prepares
// every document of a batch ([Prepare]), has all their digests signed,
// finishes every one ([Prepared.Finish]) and closes it with its result.
// A key whose signer is a keystore.BatchSigner signs a batch with one
// call; any other key signs one document per call, through
// keystore.ContextSigner when the signer has it (so that ctx reaches the
// backend), else through crypto.Signer's Sign.
//
// The first failure stops the run: that document's result holds its
// error (a failed backend call: an error wrapping ErrKey, for every
// document of the call); the documents already closed with a result stay
// signed; every other document is closed without one, or never opened,
// and its error is ErrSkipped.
func SignAll(ctx context.Context, key keystore.Key, docs []Document, opts AllOptions) ([]DocResult, error) {
	o, batch, err := opts.plan(key)
	if err != nil {
		return nil, err
	}
	if err := keystore.CheckSigningCertificate(o.Chain[0], o.Time); err != nil {
		return nil, err
	}
	if err := opts.evidence(ctx, &o); err != nil {
		return nil, err
	}
	r := &run{ctx: ctx, opts: o, all: &opts, results: make([]DocResult, len(docs))}
	if bs, ok := o.Signer.(keystore.BatchSigner); ok && batch > 1 && len(docs) > 1 {
		r.batch = bs
	} else {
		batch = 1
	}
	for start := 0; start < len(docs) && !r.stopped; start += batch {
		r.signGroup(start, docs[start:min(start+batch, len(docs))])
	}
	for i := range r.results {
		if r.results[i].Result == nil && r.results[i].Err == nil {
			r.results[i].Err = ErrSkipped
		}
	}
	return r.results, nil
}

// plan checks the options and completes the signature options with the
// key's signer and chain.
func (a *AllOptions) plan(key keystore.Key) (Options, int, error) {
	o := a.Options
	switch {
	case key == nil:
		return o, 0, fmt.Errorf("signer: %w: no key", ErrBadOptions)
	case o.Signer != nil || o.Chain != nil:
		return o, 0, fmt.Errorf("signer: %w: the signer and the chain come from the key", ErrBadOptions)
	case a.BatchSize < 0 || a.BatchSize > keystore.MaxBatch:
		return o, 0, fmt.Errorf("signer: %w: batch size %d (1 to %d)", ErrBadOptions, a.BatchSize, keystore.MaxBatch)
	}
	o.Signer, o.Chain = key.Signer(), key.Chain()
	if err := o.check(); err != nil {
		return o, 0, err
	}
	batch := a.BatchSize
	if batch == 0 {
		batch = DefaultBatch
	}
	return o, batch, nil
}

// run is the state of one SignAll.
type run struct {
	ctx     context.Context
	opts    Options
	all     *AllOptions
	batch   keystore.BatchSigner // nil: one call per document
	results []DocResult
	done    int
	stopped bool
}

// pending is a document of the current group, opened and prepared.
type pending struct {
	i   int // index in docs and results
	doc Document
	p   *Prepared
}

// fail records err for document i and stops the run.
func (r *run) fail(i int, err error) {
	r.results[i].Err = err
	r.stopped = true
}

// signGroup signs the documents docs, which start at index start: one
// backend call.
func (r *run) signGroup(start int, docs []Document) {
	var ps []pending
	// Every opened document is closed: with its result when it was
	// signed, else without one.
	closeRest := func(from int) {
		for _, p := range ps[from:] {
			p.doc.Close(nil)
		}
	}
	for j, d := range docs {
		i := start + j
		in, size, out, err := d.Open()
		if err != nil {
			r.fail(i, err)
			closeRest(0)
			return
		}
		ps = append(ps, pending{i: i, doc: d})
		p, err := Prepare(r.ctx, in, size, out, r.opts)
		if err != nil {
			r.fail(i, err)
			closeRest(0)
			return
		}
		ps[len(ps)-1].p = p
	}
	sigs, err := r.sign(ps)
	if err != nil {
		for _, p := range ps {
			r.results[p.i].Err = err
		}
		r.stopped = true
		closeRest(0)
		return
	}
	var tokens [][]byte
	if r.all.Timestamper != nil {
		if tokens, err = r.timestamps(ps, sigs); err != nil {
			for _, p := range ps {
				r.results[p.i].Err = err
			}
			r.stopped = true
			closeRest(0)
			return
		}
	}
	for j, p := range ps {
		var res *Result
		var err error
		if tokens != nil {
			res, err = p.p.Complete(tokens[j])
		} else {
			res, err = p.p.Finish(sigs[j])
		}
		if err == nil {
			err = p.doc.Close(res)
		} else {
			p.doc.Close(nil)
		}
		if err != nil {
			r.fail(p.i, err)
			closeRest(j + 1)
			return
		}
		r.results[p.i].Result = res
		r.done++
	}
}

// evidence fetches, before anything is opened, the revocation data to sign
// with every signature, and sizes the room for signature time-stamps with
// one probe token.
func (a *AllOptions) evidence(ctx context.Context, o *Options) error {
	if a.Revocation != nil {
		ocsps, crls, err := a.Revocation.Revocation(ctx, o.Chain)
		if err != nil {
			return fmt.Errorf("signer: %w: %w", ErrRevocation, err)
		}
		if len(ocsps)+len(crls) > 0 {
			o.revocation = &cms.RevocationInfo{OCSPs: ocsps, CRLs: crls}
		}
	}
	if a.Timestamper != nil {
		probe := make([]byte, 512) // any value: the token's size does not depend on it
		tok, err := a.Timestamper.Timestamp(ctx, [][]byte{probe}, o.Hash)
		if err != nil {
			return fmt.Errorf("signer: %w: %w", ErrTimestamp, err)
		}
		if len(tok) != 1 || len(tok[0]) == 0 {
			return fmt.Errorf("signer: %w: the time-stamping authority gave no token", ErrTimestamp)
		}
		// Serial numbers, nonces and fractions of seconds vary in length
		// from token to token.
		o.timestampReserve = len(tok[0]) + 256
	}
	return nil
}

// timestamps accepts the signature values of ps and has each one
// time-stamped. Its errors wrap ErrTimestamp (or the signature's own
// error when a value does not verify).
func (r *run) timestamps(ps []pending, sigs [][]byte) ([][]byte, error) {
	values := make([][]byte, len(ps))
	for j, p := range ps {
		v, err := p.p.Accept(sigs[j])
		if err != nil {
			return nil, err
		}
		values[j] = v
	}
	tokens, err := r.all.Timestamper.Timestamp(r.ctx, values, r.opts.Hash)
	if err != nil {
		return nil, fmt.Errorf("signer: %w: %w", ErrTimestamp, err)
	}
	if len(tokens) != len(values) {
		return nil, fmt.Errorf("signer: %w: %d tokens for %d signatures", ErrTimestamp, len(tokens), len(values))
	}
	return tokens, nil
}

// sign has the digests of ps signed with one backend call. Its errors
// wrap ErrKey.
func (r *run) sign(ps []pending) ([][]byte, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	digests := make([][]byte, len(ps))
	for i, p := range ps {
		digests[i] = p.p.Digest()
	}
	so := ps[0].p.SignerOpts()
	call := Call{Digests: len(digests), Done: r.done}
	if r.all.BeforeCall != nil {
		r.all.BeforeCall(call)
	}
	start := time.Now()
	var (
		sigs [][]byte
		err  error
	)
	if r.batch != nil {
		sigs, err = r.batch.SignBatch(r.ctx, digests, so)
		if err == nil && len(sigs) != len(digests) {
			err = fmt.Errorf("the backend returned %d signatures for %d digests", len(sigs), len(digests))
		}
	} else {
		var sig []byte
		sig, err = signOne(r.ctx, r.opts.Signer, digests[0], so)
		sigs = [][]byte{sig}
	}
	call.Took, call.Err = time.Since(start), err
	if r.all.AfterCall != nil {
		r.all.AfterCall(call)
	}
	if err != nil {
		return nil, fmt.Errorf("signer: %w: %w", ErrKey, err)
	}
	return sigs, nil
}

// signOne signs one digest, with ctx when the signer takes one.
func signOne(ctx context.Context, s crypto.Signer, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if cs, ok := s.(keystore.ContextSigner); ok {
		return cs.SignContext(ctx, digest, opts)
	}
	return s.Sign(rand.Reader, digest, opts)
}
