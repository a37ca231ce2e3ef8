package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLog appends n entries to a fresh log and returns its path.
func writeLog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for i := range n {
		if _, _, err := a.Append(AuditEntry{Identity: "aplikasi", Key: "kepala-dinas", Outcome: OutcomeSigned,
			InputSHA256: strings.Repeat("ab", 32), Field: "Sig" + string(rune('A'+i)), Time: time.Unix(int64(1_800_000_000+i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func verifyFile(t *testing.T, path string) (AuditResult, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return VerifyAuditLog(f)
}

func chainErr(t *testing.T, err error) *AuditChainError {
	t.Helper()
	var ce *AuditChainError
	if !errors.As(err, &ce) {
		t.Fatalf("want an *AuditChainError, got %v", err)
	}
	return ce
}

func rewrite(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAuditChain(t *testing.T) {
	path := writeLog(t, 5)
	res, err := verifyFile(t, path)
	if err != nil || res.Entries != 5 {
		t.Fatalf("intact log: %d entries, %v", res.Entries, err)
	}
	lines := auditLines(t, path)
	// Each line's hash is over the line without its hash field, and the
	// next line's prev is that hash.
	for i, l := range lines {
		body := l[:strings.LastIndex(l, `,"hash":"`)] + "}"
		sum := sha256.Sum256([]byte(body))
		h := hex.EncodeToString(sum[:])
		if !strings.HasSuffix(l, `,"hash":"`+h+`"}`) {
			t.Fatalf("line %d: hash is not over the rest of the line", i+1)
		}
		if i+1 < len(lines) && !strings.Contains(lines[i+1], `"prev":"`+h+`"`) {
			t.Fatalf("line %d does not chain to line %d", i+2, i+1)
		}
	}
	if !strings.Contains(lines[0], `"prev":"`+genesis+`"`) {
		t.Error("the first entry's prev is not the start-of-log value")
	}

	// Reopening continues the chain.
	a, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := a.Append(AuditEntry{Identity: "x", Key: "k", Outcome: OutcomeRefused})
	a.Close()
	if err != nil || e.Seq != 6 {
		t.Fatalf("append after reopening: seq %d, %v", e.Seq, err)
	}
	if res, err := verifyFile(t, path); err != nil || res.Entries != 6 {
		t.Fatalf("after reopening: %d, %v", res.Entries, err)
	}
}

func TestAuditTamperingDetected(t *testing.T) {
	cases := []struct {
		name     string
		change   func([]string) []string
		wantLine int64
		wantText string
	}{
		{"edited line", func(l []string) []string {
			l[2] = strings.Replace(l[2], `"identity":"aplikasi"`, `"identity":"penyusup"`, 1)
			return l
		}, 3, "changed after it was written"},
		{"deleted line", func(l []string) []string { return append(l[:2], l[3:]...) }, 3, "1 entry is missing"},
		{"deleted first line", func(l []string) []string { return l[1:] }, 1, "missing"},
		{"swapped lines", func(l []string) []string { l[1], l[2] = l[2], l[1]; return l }, 2, "reordered"},
		{"duplicated line", func(l []string) []string { return append(l[:3], l[2:]...) }, 4, "duplicated"},
		{"garbage line", func(l []string) []string { l[1] = "hello"; return l }, 2, "not an audit entry"},
		// An edit whose own hash was recomputed is caught by the next line.
		{"edited and rehashed", func(l []string) []string {
			body := strings.Replace(l[1][:strings.LastIndex(l[1], `,"hash":"`)]+"}", `"outcome":"signed"`, `"outcome":"denied"`, 1)
			sum := sha256.Sum256([]byte(body))
			l[1] = body[:len(body)-1] + `,"hash":"` + hex.EncodeToString(sum[:]) + `"}`
			return l
		}, 3, "line 2 was changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeLog(t, 5)
			rewrite(t, path, c.change(auditLines(t, path)))
			_, err := verifyFile(t, path)
			ce := chainErr(t, err)
			if ce.Line != c.wantLine || !strings.Contains(ce.Reason, c.wantText) {
				t.Errorf("got %v; want line %d with %q", ce, c.wantLine, c.wantText)
			}
			// The server refuses to extend a damaged log.
			if _, err := OpenAuditLog(path); err == nil || !strings.Contains(err.Error(), "segel audit verify") {
				t.Errorf("OpenAuditLog on a damaged log: %v", err)
			}
		})
	}
}

func TestAuditTornLastLine(t *testing.T) {
	path := writeLog(t, 3)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-20], 0o600)
	_, err := verifyFile(t, path)
	if ce := chainErr(t, err); ce.Line != 3 || !strings.Contains(ce.Reason, "incomplete") {
		t.Errorf("got %v", ce)
	}
	if _, err := OpenAuditLog(path); err == nil {
		t.Error("OpenAuditLog accepted a log with a torn last line")
	}
}

func TestAuditSecondWriterRefused(t *testing.T) {
	path := writeLog(t, 1)
	a, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if b, err := OpenAuditLog(path); err == nil {
		b.Close()
		t.Error("a second writer could open the same audit log")
	}
}

func TestAuditEmptyLog(t *testing.T) {
	res, err := VerifyAuditLog(strings.NewReader(""))
	if err != nil || res.Entries != 0 || res.Head != genesis {
		t.Errorf("empty log: %+v %v", res, err)
	}
}
