package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/hashicorp/vault/api"

	"segel/keystore"
)

// Sentinel errors. Errors from this package wrap at most one of them; test
// with errors.Is. The first six also match the backend-neutral sentinel of
// package keystore named beside them, so that callers that know nothing of
// Vault tell the failures apart too.
var (
	// ErrUnreachable means Vault could not be reached (connection refused,
	// no route, DNS or TLS failure). It matches keystore.ErrUnreachable.
	ErrUnreachable error = &sentinel{"vault: unreachable", keystore.ErrUnreachable}
	// ErrTimeout means Vault did not answer within the timeout. It matches
	// keystore.ErrTimeout.
	ErrTimeout error = &sentinel{"vault: timed out", keystore.ErrTimeout}
	// ErrSealed means Vault is sealed. It matches keystore.ErrSealed.
	ErrSealed error = &sentinel{"vault: sealed", keystore.ErrSealed}
	// ErrPermissionDenied means the token is valid but its policy does not
	// allow the operation. It matches keystore.ErrPermissionDenied.
	ErrPermissionDenied error = &sentinel{"vault: permission denied", keystore.ErrPermissionDenied}
	// ErrTokenInvalid means the token has expired, was revoked, or never
	// existed, or the AppRole login was refused. It matches
	// keystore.ErrCredentialsExpired.
	ErrTokenInvalid error = &sentinel{"vault: token invalid or expired", keystore.ErrCredentialsExpired}
	// ErrNotFound means the key, certificate chain or path does not exist.
	// It matches keystore.ErrNotFound; a missing key or chain is also a
	// *keystore.NotFoundError that says which.
	ErrNotFound error = &sentinel{"vault: not found", keystore.ErrNotFound}
	// ErrSignatureMismatch means Vault returned a signature that does not
	// verify with the public key it was expected from.
	ErrSignatureMismatch = errors.New("vault: signature does not verify")
	// ErrExists means a key to be created or imported exists already.
	ErrExists = errors.New("vault: the key exists already")
	// ErrNoToken means a Config has neither a token nor AppRole
	// credentials.
	ErrNoToken = errors.New("vault: no Vault token and no AppRole credentials")
)

// sentinel is a sentinel error of this package that also matches the
// keystore sentinel it refines.
type sentinel struct {
	msg  string
	kind error
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.kind }

// Error is a failed call to Vault.
type Error struct {
	// Op is what was being done, e.g. "sign" or "read key".
	Op string
	// Path is the Vault API path, e.g. "transit/sign/pks-tuban".
	Path string
	// Addr is Vault's address.
	Addr string
	// Status is the HTTP status, or 0 when there was no answer.
	Status int
	// Messages are Vault's error messages.
	Messages []string
	// Kind is the sentinel that classifies the error (ErrSealed, …), or
	// nil for other errors.
	Kind error
	// Err is the underlying error.
	Err error
	// Subject names what was not found ("transit key transit/pks-tuban"),
	// when known.
	Subject string
	// Hint adds what is known about the cause, e.g. the capability the
	// token's policy lacks. It names no command: advice is the caller's.
	Hint string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vault: ")
	switch e.Kind {
	case ErrUnreachable:
		fmt.Fprintf(&b, "cannot reach Vault at %s (%s %s): %s", e.Addr, e.Op, e.Path, shortCause(e.Err))
	case ErrTimeout:
		fmt.Fprintf(&b, "no answer from Vault at %s within the timeout (%s %s)", e.Addr, e.Op, e.Path)
	case ErrSealed:
		fmt.Fprintf(&b, "Vault at %s is sealed (%s %s); it must be unsealed before it can be used", e.Addr, e.Op, e.Path)
	case ErrPermissionDenied:
		fmt.Fprintf(&b, "permission denied on %s", e.Path)
	case ErrTokenInvalid:
		fmt.Fprintf(&b, "the Vault token was refused (%s %s): it has expired or been revoked", e.Op, e.Path)
	case ErrNotFound:
		if e.Subject != "" {
			fmt.Fprintf(&b, "%s does not exist (%s)", e.Subject, e.Path)
		} else {
			fmt.Fprintf(&b, "%s %s: not found", e.Op, e.Path)
		}
	default:
		fmt.Fprintf(&b, "%s %s", e.Op, e.Path)
		if e.Status != 0 {
			fmt.Fprintf(&b, ": HTTP %d", e.Status)
		}
		if len(e.Messages) > 0 {
			b.WriteString(": " + strings.Join(e.Messages, "; "))
		} else if e.Err != nil {
			b.WriteString(": " + e.Err.Error())
		}
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the classifying sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func shortCause(err error) string {
	var op *net.OpError
	switch {
	case err == nil:
		return "no answer"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before Vault answered (Vault stopped or restarted?)"
	case errors.As(err, &op) && op.Err != nil:
		return op.Err.Error()
	}
	return err.Error()
}

// capability names the policy capability a request needs.
func capability(method string) string {
	switch method {
	case "GET":
		return "read"
	case "LIST":
		return "list"
	case "DELETE":
		return "delete"
	}
	return "update"
}

// classify turns an error from the api package into an *Error. ctx is the
// request's context, to tell a timeout from a cancellation.
func (c *Client) classify(ctx context.Context, op, method, path string, err error) error {
	e := &Error{Op: op, Path: path, Addr: c.addr, Err: err}
	var re *api.ResponseError
	switch {
	case errors.As(err, &re):
		e.Status, e.Messages = re.StatusCode, re.Errors
		e.Err = nil
		joined := strings.ToLower(strings.Join(re.Errors, " "))
		switch {
		case re.StatusCode == 503 && strings.Contains(joined, "sealed"):
			e.Kind = ErrSealed
		case re.StatusCode == 403:
			e.Kind = ErrPermissionDenied
			e.Hint = fmt.Sprintf("the token's policy must allow %s on that path", capability(method))
		case re.StatusCode == 404:
			e.Kind = ErrNotFound
		case re.StatusCode == 412 || re.StatusCode == 429 || re.StatusCode >= 500:
			// Standby without forwarding, rate limit, internal error.
		case strings.Contains(joined, "not found"):
			e.Kind = ErrNotFound
		}
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == context.DeadlineExceeded:
		e.Kind = ErrTimeout
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("vault: %s %s: %w", op, path, context.Canceled)
	case isNetError(err):
		e.Kind = ErrUnreachable
	}
	return e
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "tls:") ||
		strings.Contains(err.Error(), "x509:")
}
