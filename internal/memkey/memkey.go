// Package memkey is a keystore backend for tests: keys live in memory,
// with a certificate from a development CA (internal/devca), and can be
// told to fail the way a remote backend fails.
//
// Importing it registers the keystore scheme "mem": a key made with [New]
// under the name NAME is opened with keystore.Open(ctx, "mem:NAME", …).
// It is a complete backend in one package: the key reference, the
// keystore capabilities (keystore.ContextSigner, keystore.BatchSigner,
// keystore.KeyVersioner on the signer; keystore.HealthChecker and
// keystore.CredentialBinder on the key) and typed errors that wrap the
// keystore sentinels.
//
// Import it from _test.go files only, so that it never links into a
// program: `go list -deps ./cmd/segel` must not list it.
package memkey

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"

	"segel/internal/devca"
	"segel/keystore"
)

// Scheme is the keystore scheme of in-memory keys.
const Scheme = "mem"

func init() {
	keystore.Register(Scheme, open)
}

var registry struct {
	sync.Mutex
	keys map[string]*Key
}

// Op names an operation of the backend, for faults and statistics.
type Op string

// The operations of the backend.
const (
	OpOpen   Op = "open"   // keystore.Open
	OpSign   Op = "sign"   // one signing call: Sign, SignContext or SignBatch
	OpHealth Op = "health" // HealthChecker.Health
)

// Options describe a key made by [New]. The zero value is usable.
type Options struct {
	// KeyType is the key's type (keystore.ECDSAP256 when empty).
	KeyType keystore.KeyType
	// CA issues the key's certificate; a new development CA when nil.
	CA *devca.CA
	// Leaf is the certificate's request; its KeyType is KeyType, and its
	// CommonName "memkey NAME" when empty.
	Leaf devca.LeafRequest
	// Version is the key version the signer reports (1 when 0), and
	// Latest the newest version (Version when smaller).
	Version, Latest int
	// NoBatch leaves SignBatch out of the signer; Plain leaves out every
	// capability, of the signer and of the key: a bare crypto.Signer.
	NoBatch, Plain bool
	// Tokens, when not empty, are the only credentials WithCredentials
	// views sign with; others fail with keystore.ErrCredentialsExpired.
	Tokens []string
}

// Stats counts what the backend was asked to do.
type Stats struct {
	Opens, Closes int
	// Signs counts crypto.Signer Sign calls, ContextSigns SignContext
	// calls, Batches SignBatch calls and BatchDigests the digests they
	// held.
	Signs, ContextSigns, Batches, BatchDigests int
	// Health counts Health calls, and CredentialSigns the signing calls
	// made through a WithCredentials view.
	Health, CredentialSigns int
}

// Key is an in-memory key: the backend's record of it. Opening "mem:NAME"
// gives keystore.Key views of it that share its faults and statistics.
type Key struct {
	name string
	id   *devca.Identity
	opts Options

	mu    sync.Mutex
	fault func(Op) error
	stats Stats
}

// New makes a key with a fresh private key and its certificate and makes
// it available as "mem:NAME". The name must not be in use.
func New(name string, opts Options) (*Key, error) {
	if name == "" {
		return nil, errors.New("memkey: no name")
	}
	if opts.KeyType == "" {
		opts.KeyType = keystore.ECDSAP256
	}
	if opts.Version <= 0 {
		opts.Version = 1
	}
	opts.Latest = max(opts.Latest, opts.Version)
	ca := opts.CA
	if ca == nil {
		var err error
		if ca, err = devca.New(devca.Options{}); err != nil {
			return nil, fmt.Errorf("memkey: %w", err)
		}
		opts.CA = ca
	}
	req := opts.Leaf
	req.KeyType = opts.KeyType
	if req.CommonName == "" {
		req.CommonName = "memkey " + name
	}
	id, err := ca.Issue(req)
	if err != nil {
		return nil, fmt.Errorf("memkey: %w", err)
	}
	k := &Key{name: name, id: id, opts: opts}
	registry.Lock()
	defer registry.Unlock()
	if registry.keys == nil {
		registry.keys = map[string]*Key{}
	}
	if registry.keys[name] != nil {
		return nil, fmt.Errorf("memkey: a key named %q exists already", name)
	}
	registry.keys[name] = k
	return k, nil
}

// TB is the part of testing.TB that MustNew uses (this package does not
// import testing).
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// MustNew is New for tests: it fails t on an error and removes the key
// when t ends.
func MustNew(t TB, name string, opts Options) *Key {
	t.Helper()
	k, err := New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Remove)
	return k
}

// Ref returns the key's reference, "mem:NAME".
func (k *Key) Ref() string { return Scheme + ":" + k.name }

// Identity returns the private key and its certificate chain.
func (k *Key) Identity() *devca.Identity { return k.id }

// CA returns the development CA that issued the certificate.
func (k *Key) CA() *devca.CA { return k.opts.CA }

// Remove forgets the key: opening it fails with a *keystore.NotFoundError
// from then on. Opened views keep working.
func (k *Key) Remove() {
	registry.Lock()
	defer registry.Unlock()
	if registry.keys[k.name] == k {
		delete(registry.keys, k.name)
	}
}

// SetFault installs f: every operation asks it first and fails with the
// error it returns (wrapped in an *Error), or goes ahead on nil. f may
// sleep to be slow. Nil removes the fault.
func (k *Key) SetFault(f func(Op) error) {
	k.mu.Lock()
	k.fault = f
	k.mu.Unlock()
}

// Fail makes the operations ops (every operation when none is named)
// fail with err from now on, e.g. keystore.ErrSealed; nil makes them work
// again.
func (k *Key) Fail(err error, ops ...Op) {
	if err == nil {
		k.SetFault(nil)
		return
	}
	k.SetFault(func(op Op) error {
		if len(ops) == 0 {
			return err
		}
		for _, o := range ops {
			if o == op {
				return err
			}
		}
		return nil
	})
}

// FailAfter lets n more signing calls succeed and fails the later ones
// with err, as a token that expires in the middle of a run.
func (k *Key) FailAfter(n int, err error) {
	var mu sync.Mutex
	k.SetFault(func(op Op) error {
		if op != OpSign {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			n--
			return nil
		}
		return err
	})
}

// Stats returns the counts so far.
func (k *Key) Stats() Stats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}

// Error is a failed operation of the backend. It wraps the fault's error,
// so errors.Is(err, keystore.ErrSealed) holds for a key made to fail
// with keystore.ErrSealed.
type Error struct {
	Op  Op
	Key string // the key's name
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("memkey: %s %s:%s: %v", e.Op, Scheme, e.Key, e.Err)
}

// Unwrap returns the fault's error.
func (e *Error) Unwrap() error { return e.Err }

// begin counts op and asks the fault. count runs with k.mu held.
func (k *Key) begin(op Op, count func(*Stats)) error {
	k.mu.Lock()
	if count != nil {
		count(&k.stats)
	}
	f := k.fault
	k.mu.Unlock()
	if f == nil {
		return nil
	}
	if err := f(op); err != nil {
		return &Error{Op: op, Key: k.name, Err: err}
	}
	return nil
}

// open is the keystore Opener of the "mem" scheme.
func open(ctx context.Context, rest string, opts keystore.Options) (keystore.Key, error) {
	registry.Lock()
	k := registry.keys[rest]
	registry.Unlock()
	if k == nil {
		return nil, &keystore.NotFoundError{Missing: keystore.MissingKey, Key: rest,
			Err: &Error{Op: OpOpen, Key: rest, Err: fmt.Errorf("%w: no such key", keystore.ErrNotFound)}}
	}
	if err := k.begin(OpOpen, func(s *Stats) { s.Opens++ }); err != nil {
		return nil, err
	}
	if opts.CertFile != "" {
		return nil, fmt.Errorf("memkey: %s keys carry their own certificate", Scheme)
	}
	v := &view{k: k, ctx: ctx}
	if k.opts.Plain {
		return &plainKey{v}, nil
	}
	return v, nil
}

// view is an opened key: keystore.Key with HealthChecker and
// CredentialBinder.
type view struct {
	k     *Key
	ctx   context.Context // bound for Sign
	token string          // a caller's credentials, or ""
}

var (
	_ keystore.HealthChecker    = (*view)(nil)
	_ keystore.CredentialBinder = (*view)(nil)
	_ keystore.ContextSigner    = (*batchSigner)(nil)
	_ keystore.BatchSigner      = (*batchSigner)(nil)
	_ keystore.KeyVersioner     = (*batchSigner)(nil)
)

func (v *view) Signer() crypto.Signer {
	s := &signer{v: v}
	switch {
	case v.k.opts.Plain:
		return plainSigner{s}
	case v.k.opts.NoBatch:
		return s
	}
	return &batchSigner{s}
}

func (v *view) Chain() []*x509.Certificate {
	return append([]*x509.Certificate(nil), v.k.id.Chain...)
}

func (v *view) Close() error {
	v.k.mu.Lock()
	v.k.stats.Closes++
	v.k.mu.Unlock()
	return nil
}

// Health fails as the key is told to fail OpHealth.
func (v *view) Health(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return v.k.begin(OpHealth, func(s *Stats) { s.Health++ })
}

// WithCredentials returns a view that signs with c.
func (v *view) WithCredentials(ctx context.Context, c keystore.Credentials) (keystore.Key, error) {
	if c.Token == "" {
		return nil, errors.New("memkey: no token")
	}
	return &view{k: v.k, ctx: ctx, token: c.Token}, nil
}

// plainKey hides the key's capabilities.
type plainKey struct{ v *view }

func (p *plainKey) Signer() crypto.Signer      { return p.v.Signer() }
func (p *plainKey) Chain() []*x509.Certificate { return p.v.Chain() }
func (p *plainKey) Close() error               { return p.v.Close() }

// signer signs with the in-memory private key.
type signer struct{ v *view }

func (s *signer) Public() crypto.PublicKey { return s.v.k.id.Key.Public() }

// Sign signs with the context the key was opened with.
func (s *signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := s.v.ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(func(st *Stats) { st.Signs++ }); err != nil {
		return nil, err
	}
	return s.v.k.id.Key.Sign(rand.Reader, digest, opts)
}

func (s *signer) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(func(st *Stats) { st.ContextSigns++ }); err != nil {
		return nil, err
	}
	return s.v.k.id.Key.Sign(rand.Reader, digest, opts)
}

func (s *signer) KeyVersion() int       { return s.v.k.opts.Version }
func (s *signer) LatestKeyVersion() int { return s.v.k.opts.Latest }

// begin counts one signing call and checks the fault and the view's
// credentials.
func (s *signer) begin(count func(*Stats)) error {
	k := s.v.k
	tok := s.v.token
	err := k.begin(OpSign, func(st *Stats) {
		count(st)
		if tok != "" {
			st.CredentialSigns++
		}
	})
	if err != nil || tok == "" || len(k.opts.Tokens) == 0 {
		return err
	}
	for _, t := range k.opts.Tokens {
		if t == tok {
			return nil
		}
	}
	return &Error{Op: OpSign, Key: k.name, Err: fmt.Errorf("%w: the token was not accepted", keystore.ErrCredentialsExpired)}
}

// batchSigner adds SignBatch.
type batchSigner struct{ *signer }

func (s *batchSigner) SignBatch(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digests) > keystore.MaxBatch {
		return nil, fmt.Errorf("memkey: a batch holds at most %d digests, got %d", keystore.MaxBatch, len(digests))
	}
	if err := s.begin(func(st *Stats) { st.Batches++; st.BatchDigests += len(digests) }); err != nil {
		return nil, err
	}
	sigs := make([][]byte, len(digests))
	for i, d := range digests {
		sig, err := s.v.k.id.Key.Sign(rand.Reader, d, opts)
		if err != nil {
			return nil, fmt.Errorf("memkey: batch item %d: %w", i, err)
		}
		sigs[i] = sig
	}
	return sigs, nil
}

// plainSigner is a bare crypto.Signer.
type plainSigner struct{ s *signer }

func (p plainSigner) Public() crypto.PublicKey { return p.s.Public() }
func (p plainSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return p.s.Sign(r, digest, opts)
}
