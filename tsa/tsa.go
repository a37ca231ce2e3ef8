package tsa

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/digitorus/timestamp"

	"segel/internal/cms"
	"segel/keystore"
)

// Errors of the authority.
var (
	// ErrCertificate means the signing certificate may not sign
	// time-stamp tokens.
	ErrCertificate = errors.New("tsa: certificate unfit for time-stamping")
	// ErrRequest means the request cannot be answered (the response is a
	// rejection).
	ErrRequest = errors.New("tsa: bad time-stamp request")
)

// BatchSigner signs many digests in one backend call: the keystore
// capability, which the authority asserts on Config.Signer.
type BatchSigner = keystore.BatchSigner

// ContextSigner signs one digest with a context: the keystore capability.
type ContextSigner = keystore.ContextSigner

// Record is what the audit function receives for every token.
type Record struct {
	Time      time.Time `json:"time"`
	Serial    string    `json:"serial"` // hex
	Hash      string    `json:"hash"`
	Imprint   string    `json:"imprint"` // hex
	Nonce     string    `json:"nonce,omitempty"`
	Policy    string    `json:"policy"`
	TokenHash string    `json:"token_sha256"`
	Client    string    `json:"client,omitempty"`
}

// Config configures an Authority.
type Config struct {
	// Signer signs the tokens; Chain[0] is its certificate (EKU
	// timeStamping, critical), then the intermediates.
	Signer crypto.Signer
	Chain  []*x509.Certificate
	// Hash is the signature's digest algorithm (SHA-256 when 0).
	Hash crypto.Hash
	// Policy is the TSA policy OID of every token (DefaultPolicy when nil).
	// Requests that name another policy are rejected.
	Policy asn1.ObjectIdentifier
	// Accuracy is written into every token (1 s when 0; a negative value
	// leaves it out).
	Accuracy time.Duration
	// Window is how long a request that arrives while a backend call is
	// under way waits to share the next call with others (10 ms when 0,
	// at most 10 ms); a request to an idle backend goes out at once.
	// MaxBatch bounds a batch (keystore.MaxBatch when 0).
	Window   time.Duration
	MaxBatch int
	// Audit receives every token, with the request's context, before it
	// is answered; an error fails the request (nothing unaudited leaves).
	// Nil means no audit.
	Audit func(context.Context, Record) error
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log, when not nil, gets one line per request.
	Log *slog.Logger
}

// Authority answers time-stamp requests.
type Authority struct {
	cfg     Config
	tsaName []byte // the signer's subject, written as the tsa field
	opts    crypto.SignerOpts

	mu       sync.Mutex
	pending  []*job
	timer    *time.Timer
	inflight int // backend calls under way
}

type job struct {
	ctx    context.Context
	digest []byte
	done   chan result
}

type result struct {
	sig []byte
	err error
}

// New returns an Authority after checking that its certificate may sign
// time-stamp tokens now.
func New(cfg Config) (*Authority, error) {
	if cfg.Signer == nil || len(cfg.Chain) == 0 {
		return nil, fmt.Errorf("tsa: no signer or certificate")
	}
	if cfg.Hash == 0 {
		cfg.Hash = crypto.SHA256
	}
	if cfg.Policy == nil {
		cfg.Policy = DefaultPolicy
	}
	if cfg.Accuracy == 0 {
		cfg.Accuracy = time.Second
	}
	if cfg.Window <= 0 || cfg.Window > 10*time.Millisecond {
		cfg.Window = 10 * time.Millisecond
	}
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > keystore.MaxBatch {
		cfg.MaxBatch = keystore.MaxBatch
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := CheckCertificate(cfg.Chain[0], cfg.Now()); err != nil {
		return nil, err
	}
	// Probe the options the CMS builder chooses (and the key/certificate
	// match) once.
	pr, err := cms.PrepareEncapsulated(cms.OIDTSTInfo, []byte{0x30, 0}, cms.SignOptions{Signer: cfg.Signer, Chain: cfg.Chain, Hash: cfg.Hash})
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	return &Authority{cfg: cfg, tsaName: cfg.Chain[0].RawSubject, opts: pr.SignerOpts()}, nil
}

// Token is one answered request.
type Token struct {
	// Response is the DER TimeStampResp (granted, with the token).
	Response []byte
	Record   Record
}

// Respond answers one DER time-stamp request. A request the authority
// rejects gives a rejection response and an error wrapping ErrRequest; a
// failure of the key or the audit gives an error and no response (answer
// 500: the client should retry).
func (a *Authority) Respond(ctx context.Context, req []byte, client string) (*Token, error) {
	r, err := timestamp.ParseRequest(req)
	if err != nil {
		return a.reject(failBadDataFormat, "the request cannot be read", err)
	}
	if _, ok := hashOIDs[r.HashAlgorithm]; !ok || r.HashAlgorithm == crypto.SHA1 || len(r.HashedMessage) != r.HashAlgorithm.Size() {
		return a.reject(failBadAlg, "the message imprint must be SHA-256, SHA-384 or SHA-512 of the right length", nil)
	}
	if r.TSAPolicyOID != nil && !r.TSAPolicyOID.Equal(a.cfg.Policy) {
		return a.reject(failUnacceptedPolicy, "this authority serves only policy "+a.cfg.Policy.String(), nil)
	}
	for _, e := range r.Extensions {
		if e.Critical {
			return a.reject(failUnacceptedExtension, "unknown critical extension "+e.Id.String(), nil)
		}
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := a.cfg.Now()
	acc := a.cfg.Accuracy
	if acc < 0 {
		acc = 0
	}
	info, err := marshalTSTInfo(a.cfg.Policy, r.HashAlgorithm, r.HashedMessage, serial, now, acc, r.Nonce, a.tsaName)
	if err != nil {
		return nil, err
	}
	// Without certReq the token carries no certificate (RFC 3161 §2.4.1).
	pr, err := cms.PrepareEncapsulated(cms.OIDTSTInfo, info, cms.SignOptions{Signer: a.cfg.Signer, Chain: a.cfg.Chain, Hash: a.cfg.Hash, NoCertificates: !r.Certificates})
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	sig, err := a.sign(ctx, pr.Digest())
	if err != nil {
		return nil, fmt.Errorf("tsa: signing the token: %w", err)
	}
	if _, err := pr.Accept(sig); err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	token, err := pr.Complete()
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	sum := sha256.Sum256(token)
	rec := Record{Time: now.UTC(), Serial: hex.EncodeToString(serial.Bytes()), Hash: r.HashAlgorithm.String(),
		Imprint: hex.EncodeToString(r.HashedMessage), Policy: a.cfg.Policy.String(),
		TokenHash: hex.EncodeToString(sum[:]), Client: client}
	if r.Nonce != nil {
		rec.Nonce = r.Nonce.Text(16)
	}
	if a.cfg.Audit != nil {
		if err := a.cfg.Audit(ctx, rec); err != nil {
			return nil, fmt.Errorf("tsa: audit: %w", err)
		}
	}
	resp, err := marshalResponse(token, 0, "")
	if err != nil {
		return nil, err
	}
	return &Token{Response: resp, Record: rec}, nil
}

func (a *Authority) reject(fail int, reason string, cause error) (*Token, error) {
	resp, err := marshalResponse(nil, fail, reason)
	if err != nil {
		return nil, err
	}
	if cause != nil {
		return &Token{Response: resp}, fmt.Errorf("%w: %s: %v", ErrRequest, reason, cause)
	}
	return &Token{Response: resp}, fmt.Errorf("%w: %s", ErrRequest, reason)
}

// randomSerial is a positive 128-bit random integer.
func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // 127 significant bits at least: no short serials
	return new(big.Int).SetBytes(b), nil
}

// sign signs one digest, together with the other requests pending now
// when the key can sign batches.
//
// Batching adds no wait when the backend is idle: a request goes out at
// once when no backend call is in flight. Requests that arrive while one
// is in flight wait for it and leave together in the next call, or after
// the window, or as soon as MaxBatch of them wait.
func (a *Authority) sign(ctx context.Context, digest []byte) ([]byte, error) {
	bs, ok := a.cfg.Signer.(BatchSigner)
	if !ok {
		if cs, ok := a.cfg.Signer.(ContextSigner); ok {
			return cs.SignContext(ctx, digest, a.opts)
		}
		return a.cfg.Signer.Sign(rand.Reader, digest, a.opts)
	}
	j := &job{ctx: ctx, digest: digest, done: make(chan result, 1)}
	a.mu.Lock()
	a.pending = append(a.pending, j)
	switch {
	case a.inflight == 0 || len(a.pending) >= a.cfg.MaxBatch:
		a.send(bs)
	case len(a.pending) == 1:
		a.timer = time.AfterFunc(a.cfg.Window, func() {
			a.mu.Lock()
			a.send(bs)
			a.mu.Unlock()
		})
	}
	a.mu.Unlock()
	select {
	case r := <-j.done:
		return r.sig, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// send starts a backend call for the pending jobs, if any; a.mu is held.
// When the call ends, the jobs that arrived meanwhile are sent.
func (a *Authority) send(bs BatchSigner) {
	batch := a.take()
	if len(batch) == 0 {
		return
	}
	a.inflight++
	go func() {
		a.flush(bs, batch)
		a.mu.Lock()
		a.inflight--
		if a.inflight == 0 {
			a.send(bs)
		}
		a.mu.Unlock()
	}()
}

// take removes the pending jobs; a.mu is held.
func (a *Authority) take() []*job {
	batch := a.pending
	a.pending = nil
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	return batch
}

// flush signs a batch in one backend call.
func (a *Authority) flush(bs BatchSigner, batch []*job) {
	var live []*job
	var digests [][]byte
	for _, j := range batch {
		if j.ctx.Err() == nil {
			live = append(live, j)
			digests = append(digests, j.digest)
		}
	}
	if len(live) == 0 {
		return
	}
	// The batch outlives any single request's context, but not by long.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sigs, err := bs.SignBatch(ctx, digests, a.opts)
	for i, j := range live {
		switch {
		case err != nil:
			j.done <- result{err: err}
		case i >= len(sigs):
			j.done <- result{err: errors.New("the backend returned fewer signatures than digests")}
		default:
			j.done <- result{sig: sigs[i]}
		}
	}
}

// MaxRequest bounds the size of a request body.
const MaxRequest = 64 << 10

// ServeHTTP answers POST application/timestamp-query with
// application/timestamp-reply.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "use POST with Content-Type: application/timestamp-query", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/timestamp-query" {
		http.Error(w, "Content-Type must be application/timestamp-query", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequest+1))
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	if len(body) > MaxRequest {
		http.Error(w, "the request is too large", http.StatusRequestEntityTooLarge)
		return
	}
	tok, err := a.Respond(r.Context(), body, r.RemoteAddr)
	status := http.StatusOK
	switch {
	case err != nil && errors.Is(err, ErrRequest):
		// RFC 3161 answers a rejection with a response, status 200.
	case err != nil:
		status = http.StatusInternalServerError
		http.Error(w, "the time-stamp could not be made; try again", status)
	}
	if a.cfg.Log != nil {
		attrs := []any{"status", status, "duration", time.Since(start), "client", r.RemoteAddr}
		if tok != nil && tok.Record.Serial != "" {
			attrs = append(attrs, "serial", tok.Record.Serial)
		}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		a.cfg.Log.Info("time-stamp request", attrs...)
	}
	if status != http.StatusOK {
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(tok.Response)
}

// Poster returns a Poster that answers in this process, without HTTP: for
// a Client of a development authority (segel demo) and for tests.
func (a *Authority) Poster() Poster {
	return func(ctx context.Context, _, _ string, body []byte) ([]byte, error) {
		tok, err := a.Respond(ctx, body, "in-process")
		if tok != nil {
			return tok.Response, nil
		}
		return nil, err
	}
}
