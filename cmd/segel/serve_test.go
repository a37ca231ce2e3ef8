package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/server"
)

// serveLogBuffer is a goroutine-safe bytes.Buffer.
type serveLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *serveLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *serveLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeAndAuditVerify runs `segel serve` from a configuration file,
// signs through it, stops it as SIGTERM would, and checks the audit log
// with `segel audit verify`, also after an edited and a deleted line.
func TestServeAndAuditVerify(t *testing.T) {
	dir := t.TempDir()
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Bupati Tuban", KeyType: devca.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	serveMust(t, id.WriteP12(filepath.Join(dir, "bupati.p12"), "rahasia", false, true))
	serveMust(t, os.WriteFile(filepath.Join(dir, "bupati.pass"), []byte("rahasia\n"), 0o600))
	serveMust(t, ca.WriteRootPEM(filepath.Join(dir, "root.pem")))
	token, hash, err := server.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
keys:
  bupati:
    ref: file:bupati.p12
    password_file: bupati.pass
identities:
  - name: aplikasi
    token_sha256: %s
    keys: [bupati]
audit:
  file: ignored-because-of-the-environment.jsonl
`, hash)
	serveMust(t, os.WriteFile(filepath.Join(dir, "segel.yaml"), []byte(cfg), 0o600))
	logPath := filepath.Join(dir, "audit.jsonl")
	t.Setenv("SEGEL_AUDIT_LOG", logPath)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr serveLogBuffer
	done := make(chan error, 1)
	go func() {
		done <- newApp(&stdout, &stderr).RunContext(ctx, []string{"segel", "serve", "--config", filepath.Join(dir, "segel.yaml"), "--trust", filepath.Join(dir, "root.pem")})
	}()
	addr := serveWaitListening(t, &stderr, done)

	pdf, err := os.ReadFile(filepath.Join("..", "..", "testdata", "minimal.pdf"))
	serveMust(t, err)
	for i := range 3 {
		hr, _ := http.NewRequest("POST", "http://"+addr+"/v1/sign?reason="+fmt.Sprint(i), bytes.NewReader(pdf))
		hr.Header.Set("Authorization", "Bearer "+token)
		hr.Header.Set("Content-Type", "application/pdf")
		resp, err := http.DefaultClient.Do(hr)
		serveMust(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("sign %d: %s %s", i, resp.Status, body)
		}
		if i == 0 {
			// The trust set from --trust verifies it.
			resp, err := http.Post("http://"+addr+"/v1/verify", "application/pdf", bytes.NewReader(body))
			serveMust(t, err)
			var rep struct{ Indication string }
			json.NewDecoder(resp.Body).Decode(&rep)
			resp.Body.Close()
			if rep.Indication != "TOTAL_PASSED" {
				t.Errorf("verify through segel serve: %s", rep.Indication)
			}
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("segel serve: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("segel serve did not stop")
	}
	if strings.Contains(stderr.String(), token) {
		t.Error("the log contains the token")
	}

	// The chain is intact.
	code, out, errOut := serveRun(t, "audit", "verify", logPath)
	if code != 0 || !strings.Contains(out, "intact, 3 entries, head ") {
		t.Fatalf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	head := strings.TrimSpace(out[strings.LastIndex(out, "head ")+5:])
	if code, _, errOut := serveRun(t, "audit", "verify", "--head", head, logPath); code != 0 {
		t.Fatalf("audit verify --head: exit %d %s", code, errOut)
	}
	orig, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(orig), "\n")

	// An edited line.
	edited := strings.Replace(lines[1], `"outcome":"signed"`, `"outcome":"denied"`, 1)
	serveMust(t, os.WriteFile(logPath, []byte(lines[0]+edited+lines[2]), 0o600))
	code, _, errOut = serveRun(t, "audit", "verify", logPath)
	if code != 1 || !strings.Contains(errOut, "BROKEN at line 2") {
		t.Errorf("edited line: exit %d %s", code, errOut)
	}
	// A deleted line.
	serveMust(t, os.WriteFile(logPath, []byte(lines[0]+lines[2]), 0o600))
	code, _, errOut = serveRun(t, "audit", "verify", logPath)
	if code != 1 || !strings.Contains(errOut, "BROKEN at line 2") {
		t.Errorf("deleted line: exit %d %s", code, errOut)
	}
	// The last line cut off: only the recorded head notices.
	serveMust(t, os.WriteFile(logPath, []byte(lines[0]+lines[1]), 0o600))
	if code, _, _ := serveRun(t, "audit", "verify", logPath); code != 0 {
		t.Errorf("truncated log without --head: exit %d", code)
	}
	code, _, errOut = serveRun(t, "audit", "verify", "--head", head, logPath)
	if code != 1 || !strings.Contains(errOut, "not in the log") {
		t.Errorf("truncated log with --head: exit %d %s", code, errOut)
	}
	// Usage errors.
	if code, _, _ := serveRun(t, "audit", "verify", filepath.Join(dir, "nope.jsonl")); code != exitUsage {
		t.Errorf("missing log: exit %d", code)
	}
}

func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	serveMust(t, os.WriteFile(bad, []byte("listen: 127.0.0.1:0\nkeyz: {}\n"), 0o600))
	code, _, errOut := serveRun(t, "serve", "--config", bad)
	if code == 0 || !strings.Contains(errOut, "keyz") {
		t.Errorf("unknown field: exit %d %s", code, errOut)
	}
	noAudit := filepath.Join(dir, "noaudit.yaml")
	serveMust(t, os.WriteFile(noAudit, []byte("keys:\n  k:\n    ref: file:k.p12\n"), 0o600))
	code, _, errOut = serveRun(t, "serve", "--config", noAudit)
	if code == 0 || !strings.Contains(errOut, "audit.file is required") {
		t.Errorf("keys without audit log: exit %d %s", code, errOut)
	}
	code, out, errOut := serveRun(t, "serve", "new-token", "--name", "aplikasi")
	tok := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(tok, "sgl_") || !strings.Contains(errOut, server.TokenHash(tok)) {
		t.Errorf("new-token: exit %d %q %s", code, out, errOut)
	}
}

func serveRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"segel"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// waitListening reads the server's JSON log until it says where it
// listens.
func serveWaitListening(t *testing.T, logs *serveLogBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				return rec.Addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("segel serve exited: %v\n%s", err, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("segel serve did not start listening:\n%s", logs.String())
	return ""
}

func serveMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
