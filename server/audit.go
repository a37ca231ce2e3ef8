package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// AuditEntry is one line of the audit log. Seq, Prev and the line's hash
// are filled in by [AuditLog.Append].
type AuditEntry struct {
	// Seq numbers the entries from 1 without gaps.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// RequestID is the X-Request-Id the server gave the request.
	RequestID string `json:"request_id,omitempty"`
	// Identity is the configured name of the caller; Auth how it proved
	// it ("token" or "mtls").
	Identity string `json:"identity"`
	Auth     string `json:"auth,omitempty"`
	Remote   string `json:"remote,omitempty"`
	// Key is the configured key name, KeyVersion its version when the
	// backend reports one, Certificate the SHA-256 of the signer
	// certificate.
	Key         string `json:"key"`
	KeyVersion  int    `json:"key_version,omitempty"`
	Certificate string `json:"certificate_sha256,omitempty"`
	Field       string `json:"field,omitempty"`
	Certify     int    `json:"certify,omitempty"`
	// Level is the PAdES level of the signature made (B-B, B-T).
	Level string `json:"level,omitempty"`
	// InputSHA256 and OutputSHA256 are the hex SHA-256 of the document
	// received and of the signed document returned.
	InputSHA256  string `json:"input_sha256,omitempty"`
	InputSize    int64  `json:"input_size,omitempty"`
	OutputSHA256 string `json:"output_sha256,omitempty"`
	// SignedDigest is the digest of the signed byte ranges, "sha256:HEX".
	SignedDigest string `json:"signed_digest,omitempty"`
	// Outcome is "signed", "denied" (identity not allowed the key),
	// "refused" (the document or options were rejected) or "failed" (the
	// key backend or the server failed).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// Timestamp describes a time-stamp token the authority issued
	// (outcome "timestamped").
	Timestamp *TimestampAudit `json:"timestamp,omitempty"`
	// Official is the evidence of sole control of a signing in official
	// mode (Auth "official"): the official's own Vault login.
	Official *OfficialAudit `json:"official,omitempty"`
	// Prev is the hash of the previous entry (64 zeros for the first).
	Prev string `json:"prev"`
}

// AuthOfficial is the Auth of entries of official mode.
const AuthOfficial = "official"

// OfficialAudit is the evidence that an official authorised a signing
// (or tried to) with their own Vault login: password and TOTP code.
type OfficialAudit struct {
	// Username is the login name (NIP or NIK).
	Username string `json:"username"`
	// EntityID is the official's Vault identity, TokenAccessor the
	// accessor of the short-lived token of the login (empty when the
	// login failed), MFAMethod the Vault MFA method validated.
	EntityID      string `json:"entity_id,omitempty"`
	TokenAccessor string `json:"token_accessor,omitempty"`
	MFAMethod     string `json:"mfa_method,omitempty"`
	// TokenRevoked is true when the token was revoked after signing.
	TokenRevoked bool `json:"token_revoked,omitempty"`
	// Documents are the hex SHA-256 of every document of the request.
	Documents []string `json:"documents,omitempty"`
}

// TimestampAudit is what the audit log keeps of one time-stamp token.
type TimestampAudit struct {
	Serial      string `json:"serial"`
	Hash        string `json:"hash"`
	Imprint     string `json:"imprint"`
	Nonce       string `json:"nonce,omitempty"`
	Policy      string `json:"policy"`
	TokenSHA256 string `json:"token_sha256"`
}

// Audit outcomes.
const (
	// OutcomeTimestamped: the time-stamping authority issued a token.
	OutcomeTimestamped = "timestamped"
	OutcomeSigned      = "signed"
	OutcomeDenied      = "denied"
	OutcomeRefused     = "refused"
	OutcomeFailed      = "failed"
)

// genesis is the Prev of the first entry.
var genesis = hex.EncodeToString(make([]byte, sha256.Size))

// maxAuditLine bounds one line when reading a log.
const maxAuditLine = 1 << 20

// AuditLog is an append-only JSON Lines file in which every entry carries
// the hash of the previous one, so that an edited, removed, inserted or
// reordered line is detected by [VerifyAuditLog].
//
// # Line format
//
// An entry is serialised as a JSON object B (the fields of [AuditEntry],
// "prev" last). Its hash is H = hex(SHA-256(B)), and the line written is B
// with `,"hash":"H"` inserted before the closing brace. The next entry's
// "prev" is H. The hash is taken over the exact bytes, so no JSON
// canonicalisation is needed to check it. Each line is fsynced before
// Append returns.
//
// Only the file itself is protected: whoever can rewrite the whole file
// can rebuild the chain from the edited line on. Compare the head hash
// (logged by the server after every entry, and printed by `segel audit
// verify`) with a copy kept elsewhere to detect that, and truncation.
type AuditLog struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	seq    int64
	head   string
	broken error // set after a failed write: the log refuses further entries
	unlock func()
}

// OpenAuditLog opens (or creates, mode 0600) the audit log at path for
// appending. An existing log is verified first; a broken chain or an
// incomplete last line is an error, so that the server never extends a
// damaged log. The file is locked against a second writer.
func OpenAuditLog(path string) (*AuditLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server: audit log: %w", err)
	}
	unlock, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("server: audit log %s: %w (is another segel serve using it?)", path, err)
	}
	fail := func(err error) (*AuditLog, error) {
		unlock()
		f.Close()
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("server: audit log: %w", err))
	}
	a := &AuditLog{f: f, path: path, head: genesis, unlock: unlock}
	if st.Size() == 0 {
		// A new log: make its directory entry durable.
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			d.Sync()
			d.Close()
		}
		return a, nil
	}
	res, err := VerifyAuditLog(io.NewSectionReader(f, 0, st.Size()))
	if err != nil {
		return fail(fmt.Errorf("server: audit log %s: %w; check it with `segel audit verify %s` and start a new log after saving this one", path, err, path))
	}
	a.seq, a.head = res.Entries, res.Head
	return a, nil
}

// Append writes e as the next entry (setting Seq and Prev), fsyncs it and
// returns the entry as written and its hash.
func (a *AuditLog) Append(e AuditEntry) (AuditEntry, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.broken != nil {
		return e, "", fmt.Errorf("server: audit log is unusable after an earlier write error: %w", a.broken)
	}
	if a.f == nil {
		return e, "", errors.New("server: audit log is closed")
	}
	e.Seq = a.seq + 1
	e.Prev = a.head
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	body, err := json.Marshal(e)
	if err != nil {
		return e, "", fmt.Errorf("server: audit entry: %w", err)
	}
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	line := make([]byte, 0, len(body)+len(h)+12)
	line = append(line, body[:len(body)-1]...)
	line = append(line, `,"hash":"`...)
	line = append(line, h...)
	line = append(line, "\"}\n"...)
	if _, err := a.f.Write(line); err != nil {
		a.broken = err
		return e, "", fmt.Errorf("server: audit log write: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		a.broken = err
		return e, "", fmt.Errorf("server: audit log fsync: %w", err)
	}
	a.seq, a.head = e.Seq, h
	return e, h, nil
}

// Head returns the number of entries and the hash of the last one.
func (a *AuditLog) Head() (int64, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seq, a.head
}

// Err returns the write error that made the log unusable, or nil.
func (a *AuditLog) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.broken
}

// Close closes the log.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	a.unlock()
	err := a.f.Close()
	a.f = nil
	return err
}

// AuditResult is what [VerifyAuditLog] found in an intact log.
type AuditResult struct {
	// Entries is the number of entries; Head the hash of the last one
	// (64 zeros for an empty log).
	Entries int64
	Head    string
	// Hashes holds every entry's hash when collected (see
	// VerifyAuditLogHashes); nil otherwise.
	Hashes map[string]int64
}

// AuditChainError says where and how an audit log's chain is broken.
type AuditChainError struct {
	// Line is the 1-based line number of the first line that is wrong.
	Line   int64
	Reason string
}

// Error implements error.
func (e *AuditChainError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

var hashSuffix = regexp.MustCompile(`,"hash":"([0-9a-f]{64})"\}$`)

// VerifyAuditLog reads an audit log and checks every line: that it is a
// complete JSON entry whose hash matches its content, that its sequence
// number follows the previous one, and that its "prev" is the previous
// line's hash. It returns an *AuditChainError naming the first bad line,
// or another error for I/O failures.
func VerifyAuditLog(r io.Reader) (AuditResult, error) {
	return verifyAudit(r, false)
}

// VerifyAuditLogHashes is VerifyAuditLog that also returns every entry's
// hash (hash → seq), to check an anchored head.
func VerifyAuditLogHashes(r io.Reader) (AuditResult, error) {
	return verifyAudit(r, true)
}

func verifyAudit(r io.Reader, collect bool) (AuditResult, error) {
	res := AuditResult{Head: genesis}
	if collect {
		res.Hashes = map[string]int64{}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var lineNo int64
	for {
		line, err := readLine(br)
		if err == io.EOF && line == nil {
			return res, nil
		}
		lineNo++
		if err == io.EOF {
			return res, &AuditChainError{lineNo, "the last line is incomplete (no newline at its end): a write was interrupted or the line was cut"}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return res, &AuditChainError{lineNo, fmt.Sprintf("the line is longer than %d bytes", maxAuditLine)}
		}
		if err != nil {
			return res, fmt.Errorf("reading line %d: %w", lineNo, err)
		}
		m := hashSuffix.FindSubmatchIndex(line)
		if m == nil {
			return res, &AuditChainError{lineNo, `not an audit entry: it does not end with a "hash" field`}
		}
		h := string(line[m[2]:m[3]])
		body := append(line[:m[0]:m[0]], '}')
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != h {
			return res, &AuditChainError{lineNo, "the entry's hash does not match its content: the line was changed after it was written"}
		}
		var e struct {
			Seq      *int64         `json:"seq"`
			Prev     *string        `json:"prev"`
			Auth     string         `json:"auth"`
			Outcome  string         `json:"outcome"`
			Official *OfficialAudit `json:"official"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Seq == nil || e.Prev == nil {
			return res, &AuditChainError{lineNo, `not an audit entry: invalid JSON or no "seq" and "prev"`}
		}
		if msg := checkOfficial(e.Auth, e.Outcome, e.Official); msg != "" {
			return res, &AuditChainError{lineNo, msg}
		}
		want := res.Entries + 1
		switch {
		case *e.Seq > want:
			return res, &AuditChainError{lineNo, fmt.Sprintf("entry %d follows entry %d: %d entr%s missing before this line (removed, or lines were reordered)", *e.Seq, res.Entries, *e.Seq-want, plural(*e.Seq-want, "y is", "ies are"))}
		case *e.Seq < want:
			return res, &AuditChainError{lineNo, fmt.Sprintf("entry %d follows entry %d: lines were duplicated, reordered or inserted", *e.Seq, res.Entries)}
		case *e.Prev != res.Head && lineNo == 1:
			return res, &AuditChainError{lineNo, `the first entry's "prev" is not the start-of-log value: the entry was replaced`}
		case *e.Prev != res.Head:
			return res, &AuditChainError{lineNo, fmt.Sprintf(`its "prev" hash does not match line %d: line %d was changed or replaced`, lineNo-1, lineNo-1)}
		}
		res.Entries, res.Head = *e.Seq, h
		if collect {
			res.Hashes[h] = *e.Seq
		}
	}
}

// checkOfficial checks that an official-mode signing records its
// evidence of sole control: who logged in, with which token and MFA
// method, over which documents, and that the token was revoked.
func checkOfficial(auth, outcome string, o *OfficialAudit) string {
	if auth != AuthOfficial {
		if o != nil {
			return `an entry with official evidence but auth "` + auth + `"`
		}
		return ""
	}
	if o == nil || o.Username == "" {
		return "an official-mode entry without the official's login"
	}
	if outcome != OutcomeSigned {
		return ""
	}
	switch {
	case o.EntityID == "":
		return "an official-mode signing without the official's Vault entity ID"
	case o.TokenAccessor == "":
		return "an official-mode signing without the login token's accessor"
	case o.MFAMethod == "":
		return "an official-mode signing without the MFA method: no proof of the TOTP code"
	case len(o.Documents) == 0:
		return "an official-mode signing without the documents' hashes"
	}
	return ""
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readLine returns the next line without its newline. It returns the
// partial line and io.EOF when the input ends without a newline, (nil,
// io.EOF) at a clean end, and bufio.ErrBufferFull for an overlong line.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxAuditLine {
			return line, bufio.ErrBufferFull
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) == 0:
			return nil, io.EOF
		default:
			return line, err
		}
	}
}
