package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"segel/internal/judge"
)

// stores opens every database the machine has: SQLite always, PostgreSQL
// from SEGEL_TEST_POSTGRES (a URL) or a throw-away cluster started from
// the postgresql package's binaries.
func stores(t *testing.T) map[string]func() Store {
	out := map[string]func() Store{
		"sqlite": func() Store {
			s, err := Open(context.Background(), filepath.Join(t.TempDir(), "segel.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	if base := postgresURL(t); base != "" {
		n := 0
		out["postgres"] = func() Store {
			n++
			name := fmt.Sprintf("segel_test_%d_%d", os.Getpid(), n)
			admin, err := sql.Open("pgx", withDB(base, "postgres"))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), withDB(base, name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	return out
}

func TestStore(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("documents", func(t *testing.T) { testDocuments(t, open()) })
			t.Run("requests", func(t *testing.T) { testRequests(t, open()) })
			t.Run("concurrent advance", func(t *testing.T) { testConcurrentAdvance(t, open()) })
		})
	}
}

func testDocuments(t *testing.T, s Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	d := &Document{ID: NewID(), Title: "PKS Tuban–Jatim", InputSHA256: "aa", OutputSHA256: "bb", Created: now, Updated: now,
		Signatures: []Signature{{Field: "SigKabupaten", Signer: "Bupati Tuban", Username: "198001012005011001", Level: "B-T", Time: now, OutputSHA256: "bb"}}}
	if err := s.PutDocument(ctx, d, []byte("%PDF-1 satu")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDocument(ctx, d, nil); !errors.Is(err, ErrExists) {
		t.Fatalf("the same ID twice: %v", err)
	}
	later := now.Add(time.Minute)
	if err := s.AddSignature(ctx, d.ID, Signature{Field: "SigProvinsi", Signer: "Gubernur Jawa Timur", Level: "B-LT", Time: later, OutputSHA256: "cc"}, []byte("%PDF-1 dua")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Document(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != d.Title || got.InputSHA256 != "aa" || got.OutputSHA256 != "cc" || !got.Created.Equal(now) || !got.Updated.Equal(later) || !got.HasFile ||
		len(got.Signatures) != 2 || got.Signatures[1].Signer != "Gubernur Jawa Timur" || got.Signatures[0].Username != "198001012005011001" || !got.Signatures[1].Time.Equal(later) {
		t.Fatalf("document read back: %+v", got)
	}
	f, err := s.DocumentFile(ctx, d.ID)
	if err != nil || string(f) != "%PDF-1 dua" {
		t.Fatalf("file: %q %v", f, err)
	}
	for _, h := range []string{"aa", "bb", "cc"} {
		ds, err := s.DocumentsByHash(ctx, h)
		if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
			t.Fatalf("by hash %s: %v %v", h, ds, err)
		}
	}
	if ds, err := s.DocumentsByHash(ctx, "dd"); err != nil || len(ds) != 0 {
		t.Fatalf("unknown hash: %v %v", ds, err)
	}
	if _, err := s.Document(ctx, NewID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown ID: %v", err)
	}
	if err := s.AddSignature(ctx, NewID(), Signature{}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("signature of an unknown document: %v", err)
	}
	// Without the file kept.
	e := &Document{ID: NewID(), Title: "tanpa berkas", Created: now, Updated: now}
	if err := s.PutDocument(ctx, e, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DocumentFile(ctx, e.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("file not kept: %v", err)
	}
}

func testRequests(t *testing.T, s Store) {
	ctx := context.Background()
	r := &Request{ID: NewID(), Title: "PKS", Created: time.Now().UTC(), Webhook: "https://persuratan.example/hook",
		Steps: []Step{{Username: "kab", Field: "SigKabupaten"}, {Username: "prov", Field: "SigProvinsi"}}}
	if err := s.CreateRequest(ctx, r, []byte("v0")); err != nil {
		t.Fatal(err)
	}
	waiting := func(user string) int {
		rs, err := s.Waiting(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	if waiting("kab") != 1 || waiting("prov") != 0 {
		t.Fatal("the first official should be waited for, the second not yet")
	}
	if _, err := s.Advance(ctx, r.ID, "prov", []byte("v1"), time.Now()); !errors.Is(err, ErrNotYourTurn) {
		t.Fatalf("out of turn: %v", err)
	}
	got, err := s.Advance(ctx, r.ID, "kab", []byte("v1"), time.Now())
	if err != nil || got.Next != 1 || got.Version != 1 || got.Steps[0].Signed.IsZero() || got.WaitsFor() != "prov" {
		t.Fatalf("advance: %+v %v", got, err)
	}
	if d, err := s.RequestDocument(ctx, r.ID); err != nil || string(d) != "v1" {
		t.Fatalf("document after the first signature: %q %v", d, err)
	}
	if waiting("kab") != 0 || waiting("prov") != 1 {
		t.Fatal("after the Kabupaten, the Provinsi should be waited for")
	}
	got, err = s.Advance(ctx, r.ID, "prov", []byte("v2"), time.Now())
	if err != nil || !got.Done() || got.WaitsFor() != "" {
		t.Fatalf("second advance: %+v %v", got, err)
	}
	if _, err := s.Advance(ctx, r.ID, "prov", []byte("v3"), time.Now()); !errors.Is(err, ErrNotYourTurn) {
		t.Fatalf("after completion: %v", err)
	}
	back, err := s.Request(ctx, r.ID)
	if err != nil || back.Webhook != r.Webhook || back.Title != "PKS" || len(back.Steps) != 2 || back.Steps[1].Field != "SigProvinsi" {
		t.Fatalf("read back: %+v %v", back, err)
	}
	if _, err := s.Request(ctx, NewID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
}

// testConcurrentAdvance: many goroutines (on PostgreSQL, as if several
// replicas) try to sign the same step at once: exactly one succeeds.
func testConcurrentAdvance(t *testing.T, s Store) {
	ctx := context.Background()
	r := &Request{ID: NewID(), Title: "balapan", Created: time.Now(), Steps: []Step{{Username: "kab"}, {Username: "prov"}}}
	if err := s.CreateRequest(ctx, r, []byte("v0")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Advance(ctx, r.ID, "kab", []byte("v1-"+strconv.Itoa(i)), time.Now())
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrNotYourTurn):
			t.Fatalf("concurrent advance: %v", err)
		}
	}
	got, _ := s.Request(ctx, r.ID)
	if ok != 1 || got.Next != 1 || got.Version != 1 {
		t.Fatalf("%d of %d advances succeeded; request %+v", ok, n, got)
	}
	d, _ := s.RequestDocument(ctx, r.ID)
	if !bytes.HasPrefix(d, []byte("v1-")) {
		t.Fatalf("document %q", d)
	}
}

// TestMigrations: a database is migrated once, opened again unchanged,
// and a database from a newer segel is refused.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segel.db")
	s, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	d := &Document{ID: NewID(), Title: "tetap", Created: time.Now(), Updated: time.Now()}
	if err := s.PutDocument(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Document(ctx, d.ID); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	sq := s.(*db)
	if _, err := sq.db.Exec(`INSERT INTO schema_migrations (version, applied) VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("newer schema: %v", err)
	}
	for _, bad := range []string{"", "mysql://x/y", "sqlite:"} {
		if _, err := Open(ctx, bad); err == nil {
			t.Errorf("Open(%q) worked", bad)
		}
	}
}

// TestSQLiteSurvivesKill: a process killed with SIGKILL in the middle of
// writing leaves a database that opens with every committed document.
func TestSQLiteSurvivesKill(t *testing.T) {
	if os.Getenv("SEGEL_STORE_CHILD") != "" {
		s, err := Open(context.Background(), os.Getenv("SEGEL_STORE_CHILD"))
		if err != nil {
			os.Exit(3)
		}
		for i := 0; ; i++ {
			d := &Document{ID: fmt.Sprintf("%032d", i), Title: "x", Created: time.Now(), Updated: time.Now()}
			if err := s.PutDocument(context.Background(), d, bytes.Repeat([]byte{'x'}, 4096)); err != nil {
				os.Exit(4)
			}
			fmt.Println(i) // committed
		}
	}
	path := filepath.Join(t.TempDir(), "segel.db")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSQLiteSurvivesKill$")
	cmd.Env = append(os.Environ(), "SEGEL_STORE_CHILD="+path)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	lines := bytes.Fields(out.Bytes())
	if len(lines) < 10 {
		t.Fatalf("the child committed only %d documents before the kill", len(lines))
	}
	last, _ := strconv.Atoi(string(lines[len(lines)-1]))
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("after kill -9: %v", err)
	}
	defer s.Close()
	for i := 0; i <= last; i++ {
		if _, err := s.Document(context.Background(), fmt.Sprintf("%032d", i)); err != nil {
			t.Fatalf("document %d of %d committed before the kill: %v", i, last+1, err)
		}
	}
	t.Logf("%d documents committed before kill -9, all present", last+1)
}

// postgresURL returns a server URL without database name, or "" (the
// PostgreSQL tests are then skipped; under CI=true they fail).
func postgresURL(t *testing.T) string {
	if u := os.Getenv("SEGEL_TEST_POSTGRES"); u != "" {
		return u
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		if judge.InCI() {
			t.Fatal("no PostgreSQL: install the Debian package postgresql (required when CI=true)")
		}
		t.Log("PostgreSQL tests skipped: no /usr/lib/postgresql/*/bin/postgres and no SEGEL_TEST_POSTGRES")
		return ""
	}
	return startPostgres(t, filepath.Dir(bins[len(bins)-1]))
}

// startPostgres runs a throw-away cluster on a loopback port, data in a temporary
// folder (as the postgres user when the test runs as root, which initdb
// refuses) and returns its URL.
func startPostgres(t *testing.T, bin string) string {
	dir, err := os.MkdirTemp("", "segel-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	// As root, the cluster runs as the postgres user (initdb refuses
	// root); the process is postgres itself, so signals reach it, and it
	// dies with the test.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	run := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
		return c
	}
	if out, err := run("initdb", "-D", data, "-U", "segel", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	srv := run("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=127.0.0.1", "-p", port, "-c", "fsync=off")
	var log bytes.Buffer
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
		}
	})
	base := "postgres://segel@127.0.0.1:" + port + "/postgres?sslmode=disable"
	deadline := time.Now().Add(20 * time.Second)
	for {
		db, err := sql.Open("pgx", base)
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres did not start on 127.0.0.1:%s: %v\n%s", port, err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// withDB returns the URL u naming database name.
func withDB(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	p.Path = "/" + name
	return p.String()
}
