package keystore

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Key is an opened signing key.
type Key interface {
	// Signer returns the private key's signer itself (for example a
	// *rsa.PrivateKey or *ecdsa.PrivateKey for key files), so callers may
	// inspect its concrete type. Its Public() matches Chain()[0].
	Signer() crypto.Signer

	// Chain returns the certificate chain: the signer's certificate first,
	// then its intermediates, then optionally the root. It is never empty.
	Chain() []*x509.Certificate

	// Close releases the key. The Key must not be used afterwards.
	Close() error
}

// Options control how a key is opened. The zero value is usable.
type Options struct {
	// CertFile is a PEM (or DER) file with the signer's certificate and its
	// intermediates. It is required for bare private keys that do not carry
	// certificates themselves; for PKCS#12 files, when set, it replaces the
	// chain stored in the file.
	CertFile string

	// Password returns the password of an encrypted key. It is called only
	// when the key is encrypted, at most once per Open. The returned slice
	// is zeroed after use. If Password is nil and the key is encrypted,
	// Open fails with ErrPasswordRequired.
	Password func() ([]byte, error)
}

// Opener opens the key named by rest, the part of a key reference after
// "scheme:". Backends register an Opener with Register. Errors should
// start with "keystore: " and wrap the sentinel errors of this package
// where they apply.
type Opener func(ctx context.Context, rest string, opts Options) (Key, error)

var registry struct {
	sync.RWMutex
	openers map[string]Opener
}

// Register makes a backend available under scheme (case-insensitive). It
// is meant to be called from init functions and panics if scheme is not a
// valid URI scheme, if o is nil, or if scheme is already registered.
func Register(scheme string, o Opener) {
	if !validScheme(scheme) {
		panic(fmt.Sprintf("keystore: Register: invalid scheme %q", scheme))
	}
	if o == nil {
		panic(fmt.Sprintf("keystore: Register: nil Opener for scheme %q", scheme))
	}
	scheme = strings.ToLower(scheme)
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.openers[scheme]; dup {
		panic(fmt.Sprintf("keystore: Register: scheme %q registered twice", scheme))
	}
	if registry.openers == nil {
		registry.openers = make(map[string]Opener)
	}
	registry.openers[scheme] = o
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	registry.RLock()
	defer registry.RUnlock()
	s := make([]string, 0, len(registry.openers))
	for k := range registry.openers {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// Open opens the key named by ref, which has the form SCHEME:REST, with the
// backend registered for SCHEME. An unregistered scheme yields an
// *UnknownSchemeError. The returned key's signer is checked against the
// first certificate of its chain; a mismatch yields ErrCertificateMismatch.
func Open(ctx context.Context, ref string, opts Options) (Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	scheme, rest, ok := splitRef(ref)
	if !ok {
		if strings.TrimSpace(ref) == "" {
			return nil, errors.New("keystore: no key given; write file:PATH for a key file")
		}
		return nil, fmt.Errorf("keystore: key reference %q has no scheme; write file:%s for a key file", ref, ref)
	}
	registry.RLock()
	o := registry.openers[scheme]
	registry.RUnlock()
	if o == nil {
		return nil, &UnknownSchemeError{Scheme: scheme, Known: Schemes()}
	}
	k, err := o(ctx, rest, opts)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("keystore: backend %q returned no key", scheme)
	}
	if err := checkKey(k); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// checkKey enforces the Key contract for keys from any backend.
func checkKey(k Key) error {
	s := k.Signer()
	if s == nil {
		return errors.New("keystore: the key has no signer")
	}
	chain := k.Chain()
	if len(chain) == 0 || chain[0] == nil {
		return errors.New("keystore: the key has no certificate")
	}
	if !PublicKeysEqual(s.Public(), chain[0].PublicKey) {
		return fmt.Errorf("%w: the public key of %s differs from the private key", ErrCertificateMismatch, describeCert(chain[0]))
	}
	return nil
}

// splitRef splits "scheme:rest". It reports false when ref has no scheme,
// including Windows paths such as C:\key.p12 whose drive letter would
// otherwise look like a one-letter scheme.
func splitRef(ref string) (scheme, rest string, ok bool) {
	scheme, rest, found := strings.Cut(ref, ":")
	if !found || !validScheme(scheme) {
		return "", "", false
	}
	if len(scheme) == 1 && (rest == "" || rest[0] == '\\' || rest[0] == '/') {
		return "", "", false
	}
	return strings.ToLower(scheme), rest, true
}

// validScheme reports whether s is a URI scheme (RFC 3986, section 3.1).
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// PublicKeysEqual reports whether a and b are the same public key. Both
// must be of a standard type (with an Equal method); nil is equal to
// nothing.
func PublicKeysEqual(a, b crypto.PublicKey) bool {
	if a == nil || b == nil {
		return false
	}
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
