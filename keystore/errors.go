package keystore

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Backends wrap them, so that callers tell failures apart
// with errors.Is whatever the backend: a command line phrases its advice,
// a server its safe reason. They state facts; what to do about them is
// the caller's to say.
var (
	// ErrWrongPassword means the password of an encrypted key is wrong.
	ErrWrongPassword = errors.New("keystore: wrong password")

	// ErrPasswordRequired means the key is encrypted and no password was
	// available.
	ErrPasswordRequired = errors.New("keystore: password required")

	// ErrCertificateMismatch means none of the certificates belongs to the
	// private key.
	ErrCertificateMismatch = errors.New("keystore: the certificate does not belong to this key")

	// ErrCertificateRequired means the key source holds a private key but
	// no certificate, and none was given (Options.CertFile).
	ErrCertificateRequired = errors.New("keystore: the key needs the signer's certificate")

	// ErrUnreachable means the key's backend could not be reached
	// (connection refused, no route, DNS or TLS failure).
	ErrUnreachable = errors.New("keystore: backend unreachable")

	// ErrTimeout means the backend did not answer in time.
	ErrTimeout = errors.New("keystore: backend timed out")

	// ErrSealed means the backend is up but sealed (or locked): it cannot
	// use any key until its operators unseal it.
	ErrSealed = errors.New("keystore: backend sealed")

	// ErrPermissionDenied means the backend accepted the credentials but
	// does not allow them this operation on this key.
	ErrPermissionDenied = errors.New("keystore: permission denied")

	// ErrNotFound means the key, or its certificate, does not exist in the
	// backend. Errors that say which wrap it in a [*NotFoundError].
	ErrNotFound = errors.New("keystore: not found")

	// ErrCredentialsExpired means the backend refused the credentials: a
	// token that expired, was revoked or never existed, or a refused
	// login.
	ErrCredentialsExpired = errors.New("keystore: credentials expired or refused")
)

// UnknownSchemeError is returned by Open for a key reference whose scheme
// has no registered backend.
type UnknownSchemeError struct {
	Scheme string   // the scheme of the reference, lower-cased
	Known  []string // the registered schemes, sorted
}

// Error implements error.
func (e *UnknownSchemeError) Error() string {
	known := "none"
	if len(e.Known) > 0 {
		known = strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("keystore: unknown key scheme %q (known schemes: %s)", e.Scheme, known)
}

// Missing says what a backend did not find.
type Missing int

const (
	// MissingKey means the key itself does not exist.
	MissingKey Missing = iota + 1
	// MissingCertificate means the key exists but the backend holds no
	// certificate (chain) for it.
	MissingCertificate
)

// String returns "key" or "certificate".
func (m Missing) String() string {
	switch m {
	case MissingKey:
		return "key"
	case MissingCertificate:
		return "certificate"
	}
	return fmt.Sprintf("Missing(%d)", int(m))
}

// NotFoundError says which key, or which key's certificate, a backend did
// not find. errors.Is(err, ErrNotFound) holds for it.
type NotFoundError struct {
	// Missing is what does not exist.
	Missing Missing
	// Key is the key's name in its backend (for Vault, MOUNT/NAME), or
	// empty when unknown.
	Key string
	// Err is the backend's own error with its details, or nil.
	Err error
}

// Error implements error: the backend's message when there is one.
func (e *NotFoundError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	switch {
	case e.Missing == MissingCertificate && e.Key != "":
		return "keystore: there is no certificate for key " + e.Key
	case e.Missing == MissingCertificate:
		return "keystore: there is no certificate for the key"
	case e.Key != "":
		return "keystore: key " + e.Key + " does not exist"
	}
	return ErrNotFound.Error()
}

// Unwrap returns the backend's error.
func (e *NotFoundError) Unwrap() error { return e.Err }

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
