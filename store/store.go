// Package store keeps what segel serve must remember between requests and
// across replicas: the documents it signed (for the verify page a QR code
// leads to) and the multi-party signing requests of official mode.
//
// One interface, two databases: SQLite, embedded and pure Go
// (modernc.org/sqlite), the default for one server; PostgreSQL (pgx) for
// several replicas behind a load balancer. [Open] chooses by the address:
//
//	sqlite:/var/lib/segel/segel.db   (or a bare path)
//	postgres://segel@db.internal/segel?sslmode=verify-full
//
// The schema is created and migrated on open, in one transaction per
// step, recorded in the table schema_migrations; a database written by a
// newer segel is refused rather than misread. Every change that must be
// all-or-nothing (advancing a signing request with its new document
// version) is one transaction; on PostgreSQL the request row is locked
// for it, so two replicas cannot both advance the same step.
package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
	"time"
)

// Errors of the store.
var (
	// ErrNotFound means no document or request has the ID.
	ErrNotFound = errors.New("store: not found")
	// ErrNotYourTurn means the request does not wait for this signer.
	ErrNotYourTurn = errors.New("store: the request is not waiting for this signer")
	// ErrExists means the ID is taken.
	ErrExists = errors.New("store: the ID exists already")
	// ErrNewerSchema means the database was migrated by a newer segel.
	ErrNewerSchema = errors.New("store: the database schema is newer than this segel")
)

// Document is a signed document the server recorded.
type Document struct {
	// ID is random (see NewID): it goes into QR codes, so it must not be
	// guessable, and it is not the document's hash.
	ID    string
	Title string
	// InputSHA256 is the hex SHA-256 of the document before the first
	// signature recorded; OutputSHA256 of the newest signed version.
	InputSHA256  string
	OutputSHA256 string
	Created      time.Time
	Updated      time.Time
	// Signatures lists the signatures made through this server, oldest
	// first.
	Signatures []Signature
	// HasFile is true when the newest signed file is kept.
	HasFile bool
}

// Signature is one signature recorded for a document.
type Signature struct {
	Field  string
	Signer string // the certificate's subject common name
	// Username is the official's login (official mode), empty otherwise.
	Username string
	Level    string // PAdES level: B-B, B-T, B-LT, B-LTA
	Time     time.Time
	// OutputSHA256 is the hex SHA-256 of the file this signature made.
	OutputSHA256 string
}

// Step is one official's turn in a signing request.
type Step struct {
	Username string
	// Field is the signature field the official signs; empty: a new one.
	Field  string
	Signed time.Time // zero until signed
	// OutputSHA256 is the hex SHA-256 of the document this step signed.
	OutputSHA256 string
}

// Request is a multi-party signing request: a document that officials
// sign one after the other.
type Request struct {
	ID      string
	Title   string
	Created time.Time
	Steps   []Step
	// Next is the index of the step that waits; len(Steps) when done.
	Next int
	// Webhook is notified after each signature (may be empty).
	Webhook string
	// Version counts the document's versions: 0 is the uploaded one,
	// each signature adds one.
	Version int
}

// Done reports whether every official has signed.
func (r *Request) Done() bool { return r.Next >= len(r.Steps) }

// WaitsFor is the username whose turn it is, or "" when done.
func (r *Request) WaitsFor() string {
	if r.Done() {
		return ""
	}
	return r.Steps[r.Next].Username
}

// Store is the interface both databases implement. Methods are safe for
// concurrent use.
type Store interface {
	// PutDocument records a new document. With file, the signed file is
	// kept too.
	PutDocument(ctx context.Context, d *Document, file []byte) error
	// AddSignature records one more signature of a document, and its new
	// signed file when file is not nil.
	AddSignature(ctx context.Context, id string, s Signature, file []byte) error
	// Document returns a recorded document.
	Document(ctx context.Context, id string) (*Document, error)
	// DocumentFile returns the newest signed file of a document, or
	// ErrNotFound when it was not kept.
	DocumentFile(ctx context.Context, id string) ([]byte, error)
	// DocumentsByHash returns the documents one of whose signed versions
	// (or input) has this hex SHA-256.
	DocumentsByHash(ctx context.Context, sha256 string) ([]*Document, error)

	// CreateRequest records a signing request and its document.
	CreateRequest(ctx context.Context, r *Request, doc []byte) error
	// Request returns a signing request.
	Request(ctx context.Context, id string) (*Request, error)
	// RequestDocument returns the newest version of a request's document.
	RequestDocument(ctx context.Context, id string) ([]byte, error)
	// Waiting lists the requests waiting for username, oldest first.
	Waiting(ctx context.Context, username string) ([]*Request, error)
	// Advance records that username signed the step that waits for them:
	// the signed document becomes the newest version and the next step
	// waits. ErrNotYourTurn when the request waits for someone else.
	Advance(ctx context.Context, id, username string, signed []byte, at time.Time) (*Request, error)

	// Close closes the database.
	Close() error
}

// Open opens (creating and migrating) the store at addr: "sqlite:PATH",
// a bare PATH, or a postgres:// or postgresql:// URL.
func Open(ctx context.Context, addr string) (Store, error) {
	switch {
	case strings.HasPrefix(addr, "postgres://"), strings.HasPrefix(addr, "postgresql://"):
		return openSQL(ctx, postgres, addr)
	case strings.HasPrefix(addr, "sqlite:"):
		return openSQL(ctx, sqlite, strings.TrimPrefix(addr, "sqlite:"))
	case addr == "":
		return nil, errors.New("store: no address (write sqlite:PATH or a postgres:// URL)")
	case strings.Contains(addr, "://"):
		return nil, errors.New("store: unknown database " + strings.SplitN(addr, "://", 2)[0] + " (sqlite:PATH or postgres://…)")
	default:
		return openSQL(ctx, sqlite, addr)
	}
}

// NewID returns a random ID: 20 bytes in lower-case base32 without
// padding (32 characters, 160 bits).
func NewID() string {
	var b [20]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ValidID reports whether s has the form of an ID NewID makes (or of the
// hexadecimal IDs of earlier versions: 16 to 64 letters and digits).
func ValidID(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
