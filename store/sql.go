package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	sqlitedrv "modernc.org/sqlite"     // the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is what differs between the two databases.
type dialect struct {
	name, driver string
	blob, bigint string
	// lock is appended to the SELECT that reads a row about to change
	// in a transaction.
	lock string
}

var (
	sqlite   = dialect{name: "sqlite", driver: "sqlite", blob: "BLOB", bigint: "INTEGER"}
	postgres = dialect{name: "postgres", driver: "pgx", blob: "BYTEA", bigint: "BIGINT", lock: " FOR UPDATE"}
)

// migrations are the schema's steps; version N is migrations[N-1]. Never
// change a step that shipped: add one.
var migrations = []string{
	`CREATE TABLE documents (
		id TEXT PRIMARY KEY,
		title TEXT NOT NULL,
		input_sha256 TEXT NOT NULL,
		output_sha256 TEXT NOT NULL,
		created {{bigint}} NOT NULL,
		updated {{bigint}} NOT NULL,
		file {{blob}}
	);
	CREATE INDEX documents_input ON documents (input_sha256);
	CREATE INDEX documents_output ON documents (output_sha256);
	CREATE TABLE signatures (
		doc_id TEXT NOT NULL REFERENCES documents (id),
		seq INTEGER NOT NULL,
		field TEXT NOT NULL,
		signer TEXT NOT NULL,
		username TEXT NOT NULL,
		level TEXT NOT NULL,
		at {{bigint}} NOT NULL,
		output_sha256 TEXT NOT NULL,
		PRIMARY KEY (doc_id, seq)
	);
	CREATE INDEX signatures_output ON signatures (output_sha256);
	CREATE TABLE requests (
		id TEXT PRIMARY KEY,
		title TEXT NOT NULL,
		created {{bigint}} NOT NULL,
		next INTEGER NOT NULL,
		webhook TEXT NOT NULL,
		version INTEGER NOT NULL
	);
	CREATE TABLE request_steps (
		request_id TEXT NOT NULL REFERENCES requests (id),
		seq INTEGER NOT NULL,
		username TEXT NOT NULL,
		field TEXT NOT NULL,
		signed {{bigint}} NOT NULL,
		output_sha256 TEXT NOT NULL,
		PRIMARY KEY (request_id, seq)
	);
	CREATE INDEX request_steps_user ON request_steps (username);
	CREATE TABLE request_docs (
		request_id TEXT NOT NULL REFERENCES requests (id),
		version INTEGER NOT NULL,
		data {{blob}} NOT NULL,
		PRIMARY KEY (request_id, version)
	)`,
}

// db is a Store on database/sql.
type db struct {
	d  dialect
	db *sql.DB
}

func openSQL(ctx context.Context, d dialect, addr string) (Store, error) {
	dsn := addr
	if d.name == "sqlite" {
		if addr == "" {
			return nil, errors.New("store: sqlite: no file name")
		}
		// WAL survives kill -9 with every committed transaction; the
		// busy timeout lets writers queue; IMMEDIATE transactions take
		// the write lock at BEGIN, so read-then-write cannot deadlock.
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", "immediate")
		dsn = "file:" + addr + "?" + q.Encode()
	}
	sdb, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", d.name, err)
	}
	s := &db{d: d, db: sdb}
	if d.name == "sqlite" {
		sdb.SetMaxOpenConns(4)
	}
	if err := s.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return s, nil
}

// q rewrites ? placeholders for PostgreSQL ($1, $2, …).
func (s *db) q(query string) string {
	if s.d.name != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// migrate brings the schema to the newest version.
func (s *db) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied `+s.d.bigint+` NOT NULL)`); err != nil {
		return fmt.Errorf("store: %s: %w", s.d.name, err)
	}
	for v := 1; v <= len(migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if s.d.name == "postgres" {
				// Replicas starting together migrate one at a time.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7365676)`); err != nil {
					return err
				}
			}
			var have int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
				return err
			}
			if have > len(migrations) {
				return fmt.Errorf("%w (version %d, this segel knows %d)", ErrNewerSchema, have, len(migrations))
			}
			if have >= v {
				return nil
			}
			ddl := strings.NewReplacer("{{blob}}", s.d.blob, "{{bigint}}", s.d.bigint).Replace(migrations[v-1])
			for _, stmt := range strings.Split(ddl, ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", v, err)
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), v, time.Now().UnixNano())
			return err
		})
		if err != nil {
			if errors.Is(err, ErrNewerSchema) {
				return err
			}
			return fmt.Errorf("store: %s: %w", s.d.name, err)
		}
	}
	return nil
}

// tx runs f in a transaction, committed when f returns nil.
func (s *db) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *db) Close() error { return s.db.Close() }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// wrap names the database in an error, keeping ErrNotFound and friends.
func (s *db) wrap(what string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotYourTurn) || errors.Is(err, ErrExists) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if isUniqueViolation(err) {
		return ErrExists
	}
	return fmt.Errorf("store: %s: %s: %w", s.d.name, what, err)
}

// isUniqueViolation recognises a primary key conflict in either database.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	var se *sqlitedrv.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}
