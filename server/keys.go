package server

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"segel/keystore"
)

// Backoff bounds after backend failures.
const (
	backoffMin = 250 * time.Millisecond
	backoffMax = 30 * time.Second
	// probeTTL is how long a readiness probe result is reused.
	probeTTL = 5 * time.Second
)

// KeyUnavailableError is returned when a key cannot be used because its
// backend failed. Requests get 503 with Retry-After.
type KeyUnavailableError struct {
	Key string
	// Reason is a short, safe description for clients (no paths, no
	// secrets): "backend unreachable", "backend sealed", ...
	Reason string
	// RetryAfter is when the key will be tried again.
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *KeyUnavailableError) Error() string {
	return fmt.Sprintf("key %q is unavailable (%s): %v", e.Key, e.Reason, e.Err)
}

// Unwrap returns the backend's error.
func (e *KeyUnavailableError) Unwrap() error { return e.Err }

// keyHandle is one opened key. It is closed when it has been retired and
// its last user released it.
type keyHandle struct {
	key   keystore.Key
	users sync.WaitGroup
}

// keySlot is a named key from the configuration: opened on first use,
// reopened after a backend fault, with exponential backoff while the
// backend keeps failing.
type keySlot struct {
	name   string
	cfg    KeyConfig
	hash   crypto.Hash
	ref    string // resolved reference
	opts   keystore.Options
	base   context.Context // lives as long as the server; bound to opened keys
	m      *metrics
	log    *slog.Logger
	lock   chan struct{}
	cur    *keyHandle
	fails  int
	retry  time.Time
	last   error
	probed time.Time
	probe  error
}

func newKeySlot(base context.Context, name string, kc KeyConfig, c *Config, lookupEnv func(string) (string, bool), m *metrics, log *slog.Logger) (*keySlot, error) {
	h, err := keystore.ParseHash(kc.Hash)
	if err != nil {
		return nil, fmt.Errorf("keys.%s: %w", name, err)
	}
	s := &keySlot{
		name: name, cfg: kc, hash: h, ref: c.keyRef(kc.Ref), base: base, m: m, log: log,
		lock: make(chan struct{}, 1),
	}
	s.opts = keystore.Options{
		CertFile: c.path(kc.CertFile),
		Password: passwordFunc(name, c.path(kc.PasswordFile), kc.PasswordEnv, lookupEnv),
	}
	m.keyUp.WithLabelValues(name).Set(0)
	return s, nil
}

// passwordFunc reads a key password from a file, then an environment
// variable; it never prompts.
func passwordFunc(key, file, env string, lookup func(string) (string, bool)) func() ([]byte, error) {
	return func() ([]byte, error) {
		if file != "" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("password file of key %q: %w", key, err)
			}
			defer f.Close()
			pw, err := io.ReadAll(io.LimitReader(f, 64<<10))
			if err != nil {
				return nil, fmt.Errorf("password file of key %q: %w", key, err)
			}
			s := strings.TrimSuffix(strings.TrimSuffix(string(pw), "\n"), "\r")
			clear(pw)
			return []byte(s), nil
		}
		if env != "" && lookup != nil {
			if v, ok := lookup(env); ok {
				return []byte(v), nil
			}
		}
		return nil, fmt.Errorf("%w: key %q is encrypted; set password_file or password_env", keystore.ErrPasswordRequired, key)
	}
}

func (s *keySlot) enter(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *keySlot) leave() { <-s.lock }

// backoff is the wait after n consecutive failures: none after the first
// (a fault may have been a single dropped connection), then doubling.
func backoff(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := backoffMin << (n - 2)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	return d
}

// acquire returns the opened key, opening it if needed. The caller must
// call release. A backend failure yields a *KeyUnavailableError.
func (s *keySlot) acquire(ctx context.Context) (*keyHandle, error) {
	if err := s.enter(ctx); err != nil {
		return nil, err
	}
	defer s.leave()
	if s.cur != nil {
		s.cur.users.Add(1)
		return s.cur, nil
	}
	now := time.Now()
	if now.Before(s.retry) {
		return nil, &KeyUnavailableError{Key: s.name, Reason: reasonOf(s.last), RetryAfter: s.retry.Sub(now), Err: s.last}
	}
	start := time.Now()
	// The key outlives this request: open it with the server's context.
	k, err := keystore.Open(s.base, s.ref, s.opts)
	s.m.backend.WithLabelValues(s.name, "open").Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.backendErrors.WithLabelValues(s.name, "open").Inc()
		s.failed(err)
		s.log.Error("key open failed", "key", s.name, "error", err.Error(), "retry_in", backoff(s.fails).String())
		return nil, &KeyUnavailableError{Key: s.name, Reason: reasonOf(err), RetryAfter: backoff(s.fails), Err: err}
	}
	if s.fails > 0 {
		s.log.Info("key reopened", "key", s.name, "after_failures", s.fails)
	}
	s.fails, s.last, s.retry = 0, nil, time.Time{}
	s.cur = &keyHandle{key: k}
	s.cur.users.Add(1)
	s.m.keyUp.WithLabelValues(s.name).Set(1)
	return s.cur, nil
}

func (s *keySlot) failed(err error) {
	s.fails++
	s.last = err
	s.retry = time.Now().Add(backoff(s.fails))
	s.m.keyUp.WithLabelValues(s.name).Set(0)
}

// release ends one use of h.
func (s *keySlot) release(h *keyHandle) { h.users.Done() }

// fault retires h after a backend error during signing: the next request
// opens the key again.
func (s *keySlot) fault(h *keyHandle, err error) {
	s.lock <- struct{}{}
	if s.cur == h {
		s.cur = nil
		s.failed(err)
		s.log.Warn("key backend fault; the key will be reopened", "key", s.name, "error", err.Error(), "retry_in", backoff(s.fails).String())
		go func() {
			h.users.Wait()
			h.key.Close()
		}()
	}
	<-s.lock
}

// ready checks that the key works: with the key's Health method
// (keystore.HealthChecker) when it has one, otherwise by opening the key
// afresh (at most every probeTTL).
func (s *keySlot) ready(ctx context.Context) error {
	h, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(h)
	if hc, ok := h.key.(keystore.HealthChecker); ok {
		start := time.Now()
		err := hc.Health(ctx)
		s.m.backend.WithLabelValues(s.name, "health").Observe(time.Since(start).Seconds())
		if err != nil {
			s.m.backendErrors.WithLabelValues(s.name, "health").Inc()
			s.fault(h, err)
			return &KeyUnavailableError{Key: s.name, Reason: reasonOf(err), Err: err}
		}
		return nil
	}
	if err := s.enter(ctx); err != nil {
		return err
	}
	defer s.leave()
	if time.Since(s.probed) < probeTTL {
		return s.probe
	}
	start := time.Now()
	k, err := keystore.Open(ctx, s.ref, s.opts)
	s.m.backend.WithLabelValues(s.name, "health").Observe(time.Since(start).Seconds())
	if err == nil {
		k.Close()
	} else {
		s.m.backendErrors.WithLabelValues(s.name, "health").Inc()
		err = &KeyUnavailableError{Key: s.name, Reason: reasonOf(err), Err: err}
	}
	s.probed, s.probe = time.Now(), err
	return err
}

// close closes the open key, waiting for its users.
func (s *keySlot) close() {
	s.lock <- struct{}{}
	h := s.cur
	s.cur = nil
	<-s.lock
	if h != nil {
		h.users.Wait()
		h.key.Close()
	}
}

// keyVersion returns the key version the signer reports
// (keystore.KeyVersioner), or 0.
func keyVersion(k keystore.Key) int {
	if v, ok := k.Signer().(keystore.KeyVersioner); ok {
		return v.KeyVersion()
	}
	return 0
}

// certFingerprint is the hex SHA-256 of the signer certificate.
func certFingerprint(k keystore.Key) string {
	sum := sha256.Sum256(k.Chain()[0].Raw)
	return hex.EncodeToString(sum[:])
}

// reasonOf turns a backend error into a short reason that is safe to show
// to clients: it names the kind of failure, never paths or secrets. It
// tells failures apart by the keystore sentinels (and the standard
// library's), never by an error's text.
func reasonOf(err error) string {
	if err == nil {
		return "backend failed"
	}
	var use *keystore.UnknownSchemeError
	switch {
	case errors.As(err, &use):
		return "key backend not available in this build"
	case errors.Is(err, keystore.ErrWrongPassword):
		return "wrong key password"
	case errors.Is(err, keystore.ErrPasswordRequired):
		return "key password missing"
	case errors.Is(err, keystore.ErrCertificateMismatch):
		return "certificate does not match the key"
	case errors.Is(err, keystore.ErrPermissionDenied), errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, keystore.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return "key not found"
	case errors.Is(err, keystore.ErrSealed):
		return "backend sealed"
	case errors.Is(err, keystore.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "backend timed out"
	case errors.Is(err, keystore.ErrUnreachable):
		return "backend unreachable"
	case errors.Is(err, keystore.ErrCredentialsExpired):
		return "backend credentials refused"
	}
	return "backend failed"
}

// CheckKeys opens every configured key once and checks that its
// certificate may sign now: what `segel serve --check` reports before a
// deployment, instead of the first request finding out.
func (s *Server) CheckKeys(ctx context.Context) error {
	names := make([]string, 0, len(s.keys))
	for n := range s.keys {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		slot := s.keys[n]
		h, err := slot.acquire(ctx)
		if err != nil {
			var ke *KeyUnavailableError
			if errors.As(err, &ke) && ke.Err != nil {
				err = ke.Err
			}
			errs = append(errs, fmt.Errorf("keys.%s (%s) cannot be opened: %w", n, slot.ref, err))
			continue
		}
		if chain := h.key.Chain(); len(chain) > 0 {
			if err := keystore.CheckSigningCertificate(chain[0], time.Now()); err != nil {
				errs = append(errs, fmt.Errorf("keys.%s: %w", n, err))
			}
		}
		slot.release(h)
	}
	return errors.Join(errs...)
}
