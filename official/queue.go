package official

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"segel/pkinet"
	"segel/store"
)

// The multi-party queue: an operator creates a request (one document and
// the officials who sign it, in order, each in a named field); each
// official sees what waits for them; each signing hands the document to
// the next official and notifies them through a webhook. The requests and
// every version of their document are kept in the document store (package
// store: SQLite for one server, PostgreSQL for several replicas), where
// advancing a request is one transaction.

// Errors of the queue.
var (
	// ErrNotYourTurn means the request waits for another official (or
	// for nobody: it is complete).
	ErrNotYourTurn = errors.New("official: this request is not waiting for this official")
	// ErrNoRequest means there is no request with that ID.
	ErrNoRequest = errors.New("official: no such signing request")
)

// Step is one official's signature in a request: the username, the
// field ("" for a new invisible signature), when they signed and the
// SHA-256 of what they signed.
type Step = store.Step

// QueueRequest is a document waiting for several officials' signatures,
// as the document store keeps it.
type QueueRequest = store.Request

// Queue keeps signing requests in the document store.
type Queue struct {
	st store.Store
	// Net sends the webhooks (through pkinet's SSRF guard); nil sends
	// none.
	Net *pkinet.Client
}

// NewQueue returns the queue kept in st.
func NewQueue(st store.Store) *Queue { return &Queue{st: st} }

// Close closes the store.
func (q *Queue) Close() error { return q.st.Close() }

// Create adds a request for doc, to be signed by steps in order.
func (q *Queue) Create(ctx context.Context, title string, doc []byte, steps []Step, webhook string) (*QueueRequest, error) {
	if len(steps) == 0 {
		return nil, errors.New("official: a signing request needs at least one official")
	}
	r := &QueueRequest{ID: store.NewID(), Title: title, Created: time.Now().UTC(), Webhook: webhook}
	for _, s := range steps {
		if !ValidUsername(s.Username) {
			return nil, fmt.Errorf("official: %q is not a valid username", s.Username)
		}
		r.Steps = append(r.Steps, Step{Username: s.Username, Field: s.Field})
	}
	if err := q.st.CreateRequest(ctx, r, doc); err != nil {
		return nil, fmt.Errorf("official: queue: %w", err)
	}
	return r, nil
}

func (q *Queue) wrap(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNoRequest
	case errors.Is(err, store.ErrNotYourTurn):
		return ErrNotYourTurn
	}
	return fmt.Errorf("official: queue: %w", err)
}

// Get returns the request id.
func (q *Queue) Get(ctx context.Context, id string) (*QueueRequest, error) {
	if !store.ValidID(id) {
		return nil, ErrNoRequest
	}
	r, err := q.st.Request(ctx, id)
	if err != nil {
		return nil, q.wrap(err)
	}
	return r, nil
}

// Document returns the current version of request r's document: the
// original, or the one the last official signed.
func (q *Queue) Document(ctx context.Context, r *QueueRequest) ([]byte, error) {
	b, err := q.st.RequestDocument(ctx, r.ID)
	if err != nil {
		return nil, q.wrap(err)
	}
	return b, nil
}

// Waiting returns the requests waiting for username, oldest first.
func (q *Queue) Waiting(ctx context.Context, username string) ([]*QueueRequest, error) {
	list, err := q.st.Waiting(ctx, username)
	if err != nil {
		return nil, q.wrap(err)
	}
	return list, nil
}

// Advance records that username signed request id, producing signed,
// and notifies the next official through the webhook. The webhook's
// failure is returned as a second error: the signature is recorded
// anyway.
func (q *Queue) Advance(ctx context.Context, id, username string, signed []byte) (*QueueRequest, error, error) {
	if !store.ValidID(id) {
		return nil, ErrNoRequest, nil
	}
	r, err := q.st.Advance(ctx, id, username, signed, time.Now().UTC())
	if err != nil {
		return nil, q.wrap(err), nil
	}
	return r, nil, q.notify(ctx, r, username)
}

// Notice is the JSON body of a webhook.
type Notice struct {
	Event     string `json:"event"` // "signed" or "completed"
	RequestID string `json:"request_id"`
	Title     string `json:"title"`
	SignedBy  string `json:"signed_by"`
	// Next is the username whose signature is now awaited ("" when
	// complete).
	Next   string `json:"next,omitempty"`
	SHA256 string `json:"sha256"`
}

func (q *Queue) notify(ctx context.Context, r *QueueRequest, by string) error {
	if r.Webhook == "" || q.Net == nil {
		return nil
	}
	n := Notice{Event: "signed", RequestID: r.ID, Title: r.Title, SignedBy: by, Next: r.WaitsFor(), SHA256: r.Steps[r.Next-1].OutputSHA256}
	if r.Done() {
		n.Event = "completed"
	}
	body, _ := json.Marshal(n)
	_, err := q.Net.Do(ctx, pkinet.Request{Kind: "webhook", Method: "POST", URL: r.Webhook, ContentType: "application/json", Body: body, MaxSize: 64 << 10})
	if err != nil {
		return fmt.Errorf("official: webhook for request %s: %w", r.ID, err)
	}
	return nil
}
