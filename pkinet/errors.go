package pkinet

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Sentinels. Every failure of a [Client] is an [*Error] whose chain holds
// one of them (or the caller's context error), so callers tell failures
// apart with errors.Is, and reach the details with errors.As on the typed
// errors below.
var (
	// ErrTooLarge: the answer is larger than the limit of its kind.
	ErrTooLarge = errors.New("response too large")
	// ErrTimeout: no complete answer within [Config.Timeout] (the chain
	// also holds context.DeadlineExceeded or the network timeout).
	ErrTimeout = errors.New("timed out")
	// ErrRefused: the guard refused to connect to an address (see
	// [RefusedError]).
	ErrRefused = errors.New("address not allowed")
	// ErrURL: the URL is not fetched: not http or https, with
	// credentials, or without a host (see [URLError]).
	ErrURL = errors.New("URL not fetched")
	// ErrRedirect: a redirect was not followed: too many, or from https
	// to http (see [RedirectError]).
	ErrRedirect = errors.New("redirect not followed")
	// ErrStatus: the answer's HTTP status is not 200 (see [StatusError]).
	ErrStatus = errors.New("HTTP status not OK")
	// ErrContentType: the answer (or a request given to [Client.Post])
	// has a content type other than the one expected (see
	// [ContentTypeError]).
	ErrContentType = errors.New("unexpected content type")
)

// Error is a failed fetch: what was asked, where, and why. URL is the URL
// the caller gave (for OCSP over GET, the responder's, not the one with
// the request in its path), without its query, which may carry secrets.
type Error struct {
	Kind Kind
	URL  string
	Err  error
}

func (e *Error) Error() string { return "fetch " + e.URL + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// RefusedError is a connection the guard refused: Addr is the address
// that was about to be dialled (after name resolution), Class why it is
// not allowed. It matches [ErrRefused].
type RefusedError struct {
	Addr  netip.Addr
	Class Class
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: a %s address (only public addresses are allowed unless the configuration allows more)", e.Addr, e.Class)
}

// Is reports whether target is [ErrRefused].
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// URLError is a URL that is not fetched. It matches [ErrURL].
type URLError struct{ Reason string }

func (e *URLError) Error() string { return e.Reason }

// Is reports whether target is [ErrURL].
func (e *URLError) Is(target error) bool { return target == ErrURL }

// RedirectError is a redirect that was not followed. It matches
// [ErrRedirect].
type RedirectError struct{ Reason string }

func (e *RedirectError) Error() string { return e.Reason }

// Is reports whether target is [ErrRedirect].
func (e *RedirectError) Is(target error) bool { return target == ErrRedirect }

// StatusError is an answer whose HTTP status is not 200 OK. It matches
// [ErrStatus].
type StatusError struct {
	Code   int
	Status string // as the server sent it, e.g. "404 Not Found"
}

func (e *StatusError) Error() string { return "HTTP status " + e.Status }

// Is reports whether target is [ErrStatus].
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// ContentTypeError is an answer whose media type is not one of Want, or,
// with Request set, a request to [Client.Post] of a type it does not
// know. Got is "" when the answer named none. It matches
// [ErrContentType].
type ContentTypeError struct {
	Got     string
	Want    []string
	Request bool
}

func (e *ContentTypeError) Error() string {
	if e.Request {
		return fmt.Sprintf("a request of content type %q is not a PKI request (known: %s)", e.Got, strings.Join(e.Want, ", "))
	}
	got := "no content type"
	if e.Got != "" {
		got = fmt.Sprintf("content type %q", e.Got)
	}
	if len(e.Want) == 0 {
		return "the answer has " + got
	}
	return fmt.Sprintf("the answer has %s, not %s", got, strings.Join(e.Want, " or "))
}

// Is reports whether target is [ErrContentType].
func (e *ContentTypeError) Is(target error) bool { return target == ErrContentType }
