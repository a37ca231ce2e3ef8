package official

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"segel/internal/atomicfile"
	"segel/pkinet"
)

// The multi-party queue: an operator creates a request (one document and
// the officials who sign it, in order, each in a named field); each
// official sees what waits for them; each signing hands the document to
// the next official and notifies them through a webhook.
//
// # Experimental
//
// The queue is kept in a folder (one sub-folder per request: its state in
// request.json and every version of the document) until the document
// store (issue 16's store package) exists; it then moves there. One
// process writes it at a time.

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

// Queue keeps signing requests in a folder.
type Queue struct {
	dir string
	// Net sends the webhooks (through pkinet's SSRF guard); nil sends
	// none.
	Net *pkinet.Client
	mu  sync.Mutex
}

// OpenQueue opens (creating it if needed) the queue folder dir.
func OpenQueue(dir string) (*Queue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("official: queue folder: %w", err)
	}
	return &Queue{dir: dir}, nil
}

var idRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Create adds a request for doc, to be signed by steps in order.
func (q *Queue) Create(title string, doc []byte, steps []Step, webhook string) (*QueueRequest, error) {
	if len(steps) == 0 {
		return nil, errors.New("official: a signing request needs at least one official")
	}
	for _, s := range steps {
		if !ValidUsername(s.Username) {
			return nil, fmt.Errorf("official: %q is not a valid username", s.Username)
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	r := &QueueRequest{ID: hex.EncodeToString(b), Title: title, Created: time.Now().UTC(), Steps: steps, Webhook: webhook}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := os.Mkdir(filepath.Join(q.dir, r.ID), 0o700); err != nil {
		return nil, fmt.Errorf("official: queue: %w", err)
	}
	if err := writeFile(q.docPath(r.ID, 0), doc); err != nil {
		return nil, err
	}
	if err := q.save(r); err != nil {
		return nil, err
	}
	return r, nil
}

func (q *Queue) docPath(id string, version int) string {
	return filepath.Join(q.dir, id, "document-"+strconv.Itoa(version)+".pdf")
}

func writeFile(path string, data []byte) error {
	f, err := atomicfile.Create(path, true)
	if err != nil {
		return fmt.Errorf("official: queue: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("official: queue: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("official: queue: %w", err)
	}
	return nil
}

func (q *Queue) save(r *QueueRequest) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(q.dir, r.ID, "request.json"), append(b, '\n'))
}

// Get returns the request id.
func (q *Queue) Get(id string) (*QueueRequest, error) {
	if !idRE.MatchString(id) {
		return nil, ErrNoRequest
	}
	b, err := os.ReadFile(filepath.Join(q.dir, id, "request.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoRequest
	}
	if err != nil {
		return nil, fmt.Errorf("official: queue: %w", err)
	}
	var r QueueRequest
	if err := json.Unmarshal(b, &r); err != nil || r.ID != id {
		return nil, fmt.Errorf("official: queue: request %s is damaged", id)
	}
	return &r, nil
}

// Document returns the current version of request r's document: the
// original, or the one the last official signed.
func (q *Queue) Document(r *QueueRequest) ([]byte, error) {
	b, err := os.ReadFile(q.docPath(r.ID, r.Next))
	if err != nil {
		return nil, fmt.Errorf("official: queue: %w", err)
	}
	return b, nil
}

// Waiting returns the requests waiting for username, oldest first.
func (q *Queue) Waiting(username string) ([]*QueueRequest, error) {
	ents, err := os.ReadDir(q.dir)
	if err != nil {
		return nil, fmt.Errorf("official: queue: %w", err)
	}
	var out []*QueueRequest
	for _, e := range ents {
		if !e.IsDir() || !idRE.MatchString(e.Name()) {
			continue
		}
		r, err := q.Get(e.Name())
		if err != nil {
			continue
		}
		if r.WaitsFor() == username {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Advance records that username signed request id, producing signed,
// and notifies the next official through the webhook. The webhook's
// failure is returned as a second error: the signature is recorded
// anyway.
func (q *Queue) Advance(ctx context.Context, id, username string, signed []byte) (*QueueRequest, error, error) {
	q.mu.Lock()
	r, err := q.Get(id)
	if err != nil {
		q.mu.Unlock()
		return nil, err, nil
	}
	if r.WaitsFor() != username {
		q.mu.Unlock()
		return nil, ErrNotYourTurn, nil
	}
	if err := writeFile(q.docPath(id, r.Next+1), signed); err != nil {
		q.mu.Unlock()
		return nil, err, nil
	}
	sum := sha256.Sum256(signed)
	r.Steps[r.Next].Signed, r.Steps[r.Next].SHA256 = time.Now().UTC(), hex.EncodeToString(sum[:])
	r.Next++
	err = q.save(r)
	q.mu.Unlock()
	if err != nil {
		return nil, err, nil
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
