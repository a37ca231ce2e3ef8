package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"
)

func (s *db) CreateRequest(ctx context.Context, r *Request, doc []byte) error {
	if len(r.Steps) == 0 {
		return errors.New("store: a signing request needs at least one signer")
	}
	return s.wrap("create request", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO requests (id, title, created, next, webhook, version) VALUES (?, ?, ?, ?, ?, ?)`),
			r.ID, r.Title, nanos(r.Created), r.Next, r.Webhook, r.Version); err != nil {
			return err
		}
		for i, st := range r.Steps {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO request_steps (request_id, seq, username, field, signed, output_sha256) VALUES (?, ?, ?, ?, ?, ?)`),
				r.ID, i, st.Username, st.Field, nanos(st.Signed), st.OutputSHA256); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO request_docs (request_id, version, data) VALUES (?, ?, ?)`), r.ID, r.Version, doc)
		return err
	}))
}

// queryer is what Request reads through: the database or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *db) request(ctx context.Context, q queryer, id, lock string) (*Request, error) {
	r := &Request{ID: id}
	var created int64
	if err := q.QueryRowContext(ctx, s.q(`SELECT title, created, next, webhook, version FROM requests WHERE id = ?`+lock), id).
		Scan(&r.Title, &created, &r.Next, &r.Webhook, &r.Version); err != nil {
		return nil, err
	}
	r.Created = fromNanos(created)
	rows, err := q.QueryContext(ctx, s.q(`SELECT username, field, signed, output_sha256 FROM request_steps WHERE request_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var st Step
		var signed int64
		if err := rows.Scan(&st.Username, &st.Field, &signed, &st.OutputSHA256); err != nil {
			return nil, err
		}
		st.Signed = fromNanos(signed)
		r.Steps = append(r.Steps, st)
	}
	return r, rows.Err()
}

func (s *db) Request(ctx context.Context, id string) (*Request, error) {
	r, err := s.request(ctx, s.db, id, "")
	return r, s.wrap("request", err)
}

func (s *db) RequestDocument(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT d.data FROM request_docs d JOIN requests r ON r.id = d.request_id AND r.version = d.version WHERE r.id = ?`), id).Scan(&b)
	return b, s.wrap("request document", err)
}

func (s *db) Waiting(ctx context.Context, username string) ([]*Request, error) {
	ids, err := s.ids(ctx, `SELECT r.id FROM requests r JOIN request_steps st ON st.request_id = r.id AND st.seq = r.next
		WHERE st.username = ? ORDER BY r.created, r.id`, username)
	if err != nil {
		return nil, s.wrap("waiting", err)
	}
	var out []*Request
	for _, id := range ids {
		r, err := s.Request(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *db) Advance(ctx context.Context, id, username string, signed []byte, at time.Time) (*Request, error) {
	var out *Request
	err := s.tx(ctx, func(tx *sql.Tx) error {
		r, err := s.request(ctx, tx, id, s.d.lock)
		if err != nil {
			return err
		}
		if r.WaitsFor() != username {
			return ErrNotYourTurn
		}
		sum := sha256.Sum256(signed)
		r.Steps[r.Next].Signed, r.Steps[r.Next].OutputSHA256 = at, hex.EncodeToString(sum[:])
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE request_steps SET signed = ?, output_sha256 = ? WHERE request_id = ? AND seq = ?`),
			nanos(at), r.Steps[r.Next].OutputSHA256, id, r.Next); err != nil {
			return err
		}
		r.Next++
		r.Version++
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO request_docs (request_id, version, data) VALUES (?, ?, ?)`), id, r.Version, signed); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE requests SET next = ?, version = ? WHERE id = ?`), r.Next, r.Version, id); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, s.wrap("advance request", err)
}
