package keystore

import (
	"context"
	"crypto"
)

// The optional capabilities of keys. A backend implements those its
// backend offers; callers find them with a type assertion and fall back
// to the plain [Key] contract when it fails, as smallstep/crypto's key
// managers and age's recipients do.
//
// Capabilities of the signing operation itself are asserted on the
// signer that [Key.Signer] returns: [ContextSigner], [BatchSigner] and
// [KeyVersioner]. Capabilities of the key as a whole are asserted on the
// Key: [HealthChecker] and [CredentialBinder].

// MaxBatch is the largest number of digests a caller passes to
// [BatchSigner.SignBatch] in one call. Every BatchSigner accepts batches
// of this size.
const MaxBatch = 64

// ContextSigner is implemented by signers that take a context per
// signature, so that a caller that gives up (an HTTP client that goes
// away, an interrupted command) cancels the backend call. A
// [crypto.Signer]'s Sign has no context; backends that need one bind one
// when the key is opened and use it for Sign.
type ContextSigner interface {
	// SignContext is crypto.Signer's Sign with a context and without a
	// source of randomness: the backend provides its own.
	SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// BatchSigner is implemented by signers that sign many digests with one
// backend call (Vault Transit's batch_input): n documents cost one round
// trip instead of n.
type BatchSigner interface {
	// SignBatch signs up to MaxBatch digests, all with opts, and returns
	// the signatures in the order of the digests. It either signs every
	// digest or fails as a whole.
	SignBatch(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error)
}

// KeyVersioner is implemented by signers whose backend keeps versions of
// a key (Vault Transit does). Versions are numbered from 1.
type KeyVersioner interface {
	// KeyVersion returns the version the signer signs with: the version
	// the certificate belongs to.
	KeyVersion() int
	// LatestKeyVersion returns the newest version the backend holds. It
	// is greater than KeyVersion after a rotation, until a certificate
	// for the new version is stored.
	LatestKeyVersion() int
}

// HealthChecker is implemented by keys that can tell cheaply whether
// their backend works: reachable, unsealed, the credentials accepted and
// the key readable. A readiness probe asks it instead of opening the key
// again.
type HealthChecker interface {
	// Health returns nil when the key can sign now, or an error wrapping
	// one of this package's sentinel errors.
	Health(ctx context.Context) error
}

// CredentialBinder is implemented by keys whose backend can act with a
// caller's own credentials, such as an official's short-lived Vault
// token, instead of the credentials the key was opened with.
//
// WithCredentials returns a view of the key that authenticates every
// backend call with c: the caller signs with it (one request, or one
// batch) and closes it, which forgets c. The view shares the key's
// certificate chain and connection settings; nothing global changes and
// the original key stays usable, concurrently, with its own credentials.
// WithCredentials itself makes no backend call: credentials the backend
// refuses fail the signing call with an error wrapping
// [ErrCredentialsExpired] or [ErrPermissionDenied].
//
// Keys without this capability cannot sign with a caller's credentials;
// a caller that has some must not fall back to the key's own.
//
// # Experimental
//
// Officials' own credentials (issue 15) may extend Credentials.
type CredentialBinder interface {
	WithCredentials(ctx context.Context, c Credentials) (Key, error)
}

// Credentials are a caller's proof of identity to a key backend. They are
// secret: backends never log them or put them into errors.
type Credentials struct {
	// Token is a bearer token of the backend (for Vault, a Vault token).
	Token string
}

// String hides the secret, so that Credentials printed by mistake reveal
// nothing.
func (c Credentials) String() string {
	if c.Token == "" {
		return "keystore.Credentials{}"
	}
	return "keystore.Credentials{Token: <redacted>}"
}

// GoString hides the secret from %#v as String does from %v.
func (c Credentials) GoString() string { return c.String() }
