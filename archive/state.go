// Package archive keeps the state of archive verification runs: which
// file was checked when, with what result, by which segel and against
// which trust set, so that a re-run verifies only what is new or changed.
//
// The state is an SQLite database (pure Go, modernc.org/sqlite) in WAL
// mode: each result is committed on its own, so a run killed at any
// moment (kill -9 included) loses at most the file being verified.
package archive

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Record is the last check of one file.
type Record struct {
	Path      string
	Size      int64
	ModTime   time.Time
	SHA256    string
	Verdict   string // the indication, or "ERROR"
	CheckedAt time.Time
	// Version is the segel version that checked it and Trust the
	// fingerprint of the trust set it was checked against: a change of
	// either makes the file due again.
	Version, Trust string
}

// State is an open state database.
type State struct{ db *sql.DB }

// Open opens (creating) the state database at path.
func Open(ctx context.Context, path string) (*State, error) {
	if path == "" {
		return nil, errors.New("archive: no state file")
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS files (
		path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL, sha256 TEXT NOT NULL,
		verdict TEXT NOT NULL, checked INTEGER NOT NULL, version TEXT NOT NULL, trust TEXT NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("archive: %s: %w", path, err)
	}
	return &State{db: db}, nil
}

// Close closes the database.
func (s *State) Close() error { return s.db.Close() }

// Due reports whether the file must be verified: it is new, its size or
// modification time changed, or it was checked by another segel version
// or against another trust set.
func (s *State) Due(ctx context.Context, path string, size int64, mtime time.Time, version, trust string) (bool, error) {
	var r Record
	var mt int64
	err := s.db.QueryRowContext(ctx, `SELECT size, mtime, version, trust FROM files WHERE path = ?`, path).Scan(&r.Size, &mt, &r.Version, &r.Trust)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return true, fmt.Errorf("archive: %w", err)
	}
	return r.Size != size || mt != mtime.UnixNano() || r.Version != version || r.Trust != trust, nil
}

// Put records a check.
func (s *State) Put(ctx context.Context, r Record) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO files (path, size, mtime, sha256, verdict, checked, version, trust) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, sha256 = excluded.sha256, verdict = excluded.verdict,
		checked = excluded.checked, version = excluded.version, trust = excluded.trust`,
		r.Path, r.Size, r.ModTime.UnixNano(), r.SHA256, r.Verdict, r.CheckedAt.UnixNano(), r.Version, r.Trust)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// Status counts the files by verdict and gives the time of the last
// check.
func (s *State) Status(ctx context.Context) (map[string]int, time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT verdict, COUNT(*), MAX(checked) FROM files GROUP BY verdict`)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("archive: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	var last int64
	for rows.Next() {
		var v string
		var n int
		var m int64
		if err := rows.Scan(&v, &n, &m); err != nil {
			return nil, time.Time{}, fmt.Errorf("archive: %w", err)
		}
		counts[v] = n
		last = max(last, m)
	}
	var t time.Time
	if last > 0 {
		t = time.Unix(0, last).UTC()
	}
	return counts, t, rows.Err()
}
