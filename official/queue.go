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

// Step is one official's signature in a request.
type Step struct {
	Username string `json:"username"`
	// Field is the signature field the official signs ("" for a new
	// invisible signature).
	Field string `json:"field,omitempty"`
	// Signed is when the official signed (zero while waiting), SHA256
	// the document they signed.
	Signed time.Time `json:"signed,omitzero"`
	SHA256 string    `json:"output_sha256,omitempty"`
}

// QueueRequest is a document waiting for several officials' signatures.
type QueueRequest struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Created time.Time `json:"created"`
	Steps   []Step    `json:"steps"`
	// Next is the index of the step that waits; len(Steps) when complete.
	Next int `json:"next"`
	// Webhook, when set, is POSTed a JSON notice after every signature.
	Webhook string `json:"webhook,omitempty"`
}

// Done reports whether every official signed.
func (r *QueueRequest) Done() bool { return r.Next >= len(r.Steps) }

// WaitsFor returns the username whose signature the request waits for.
func (r *QueueRequest) WaitsFor() string {
	if r.Done() {
		return ""
	}
	return r.Steps[r.Next].Username
}

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
	sr := &store.Request{ID: store.NewID(), Title: title, Created: time.Now().UTC(), Webhook: webhook}
	for _, s := range steps {
		if !ValidUsername(s.Username) {
			return nil, fmt.Errorf("official: %q is not a valid username", s.Username)
		}
		sr.Steps = append(sr.Steps, store.Step{Username: s.Username, Field: s.Field})
	}
	if err := q.st.CreateRequest(ctx, sr, doc); err != nil {
		return nil, fmt.Errorf("official: queue: %w", err)
	}
	return fromStore(sr), nil
}

func fromStore(sr *store.Request) *QueueRequest {
	r := &QueueRequest{ID: sr.ID, Title: sr.Title, Created: sr.Created, Next: sr.Next, Webhook: sr.Webhook}
	for _, s := range sr.Steps {
		r.Steps = append(r.Steps, Step{Username: s.Username, Field: s.Field, Signed: s.Signed, SHA256: s.OutputSHA256})
	}
	return r
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
	sr, err := q.st.Request(ctx, id)
	if err != nil {
		return nil, q.wrap(err)
	}
	return fromStore(sr), nil
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
	out := make([]*QueueRequest, len(list))
	for i, sr := range list {
		out[i] = fromStore(sr)
	}
	return out, nil
}

// Advance records that username signed request id, producing signed,
// and notifies the next official through the webhook. The webhook's
// failure is returned as a second error: the signature is recorded
// anyway.
func (q *Queue) Advance(ctx context.Context, id, username string, signed []byte) (*QueueRequest, error, error) {
	if !store.ValidID(id) {
		return nil, ErrNoRequest, nil
	}
	sr, err := q.st.Advance(ctx, id, username, signed, time.Now().UTC())
	if err != nil {
		return nil, q.wrap(err), nil
	}
	r := fromStore(sr)
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
	n := Notice{Event: "signed", RequestID: r.ID, Title: r.Title, SignedBy: by, Next: r.WaitsFor(), SHA256: r.Steps[r.Next-1].SHA256}
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
