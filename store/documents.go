package store

import (
	"context"
	"database/sql"
)

func (s *db) PutDocument(ctx context.Context, d *Document, file []byte) error {
	return s.wrap("put document", s.tx(ctx, func(tx *sql.Tx) error {
		var f any
		if file != nil {
			f = file
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO documents (id, title, input_sha256, output_sha256, created, updated, file) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			d.ID, d.Title, d.InputSHA256, d.OutputSHA256, nanos(d.Created), nanos(d.Updated), f)
		if err != nil {
			return err
		}
		for i, sg := range d.Signatures {
			if err := s.insertSignature(ctx, tx, d.ID, i, sg); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *db) insertSignature(ctx context.Context, tx *sql.Tx, id string, seq int, sg Signature) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO signatures (doc_id, seq, field, signer, username, level, at, output_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		id, seq, sg.Field, sg.Signer, sg.Username, sg.Level, nanos(sg.Time), sg.OutputSHA256)
	return err
}

func (s *db) AddSignature(ctx context.Context, id string, sg Signature, file []byte) error {
	return s.wrap("add signature", s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM documents WHERE id = ?`), id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		var seq int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(seq) + 1, 0) FROM signatures WHERE doc_id = ?`), id).Scan(&seq); err != nil {
			return err
		}
		if err := s.insertSignature(ctx, tx, id, seq, sg); err != nil {
			return err
		}
		var f any
		if file != nil {
			f = file
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE documents SET output_sha256 = ?, updated = ?, file = ? WHERE id = ?`),
			sg.OutputSHA256, nanos(sg.Time), f, id)
		return err
	}))
}

func (s *db) Document(ctx context.Context, id string) (*Document, error) {
	d := &Document{ID: id}
	var created, updated int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT title, input_sha256, output_sha256, created, updated, file IS NOT NULL FROM documents WHERE id = ?`), id).
		Scan(&d.Title, &d.InputSHA256, &d.OutputSHA256, &created, &updated, &d.HasFile)
	if err != nil {
		return nil, s.wrap("document", err)
	}
	d.Created, d.Updated = fromNanos(created), fromNanos(updated)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT field, signer, username, level, at, output_sha256 FROM signatures WHERE doc_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, s.wrap("signatures", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sg Signature
		var at int64
		if err := rows.Scan(&sg.Field, &sg.Signer, &sg.Username, &sg.Level, &at, &sg.OutputSHA256); err != nil {
			return nil, s.wrap("signatures", err)
		}
		sg.Time = fromNanos(at)
		d.Signatures = append(d.Signatures, sg)
	}
	return d, s.wrap("signatures", rows.Err())
}

func (s *db) DocumentFile(ctx context.Context, id string) ([]byte, error) {
	var f []byte
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT file FROM documents WHERE id = ?`), id).Scan(&f); err != nil {
		return nil, s.wrap("document file", err)
	}
	if f == nil {
		return nil, ErrNotFound
	}
	return f, nil
}

func (s *db) DocumentsByHash(ctx context.Context, sum string) ([]*Document, error) {
	ids, err := s.ids(ctx, `SELECT id FROM documents WHERE input_sha256 = ? OR output_sha256 = ?
		UNION SELECT doc_id FROM signatures WHERE output_sha256 = ?`, sum, sum, sum)
	if err != nil {
		return nil, s.wrap("documents by hash", err)
	}
	var out []*Document
	for _, id := range ids {
		d, err := s.Document(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ids runs a query of one text column and returns its values.
func (s *db) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
