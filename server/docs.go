package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"segel/store"
	"segel/verify"
)

// DocumentsConfig turns on the document store: every document the server
// signs is recorded (a random ID, input and output hashes, signers,
// times, levels, and the signed file itself when KeepFiles is set), and
// GET /v/{id} shows it to whoever scans the QR code of a printed copy.
type DocumentsConfig struct {
	// Store is sqlite:PATH (or a PATH; relative to the config file) or a
	// postgres:// URL for several replicas.
	Store string `yaml:"store"`
	// KeepFiles keeps each signed file, so that /v/{id} recomputes the
	// verdict from it.
	KeepFiles bool `yaml:"keep_files"`
	// AllowDownload serves the kept file at /v/{id}/file.
	AllowDownload bool `yaml:"allow_download"`
	// BaseURL is the public address of the server: QR codes encode
	// BaseURL/v/ID. Default: none (the page is still served).
	BaseURL string `yaml:"base_url"`
	// RatePerMinute bounds /v/ requests per client address (default 30).
	RatePerMinute int `yaml:"rate_per_minute"`
}

// validateDocuments adds the problems of c.Documents to bad.
func (c *Config) validateDocuments(bad func(string, ...any)) {
	d := c.Documents
	if d == nil {
		return
	}
	if strings.TrimSpace(d.Store) == "" {
		bad("documents.store is empty (write sqlite:PATH or a postgres:// URL)")
	}
	if d.BaseURL != "" {
		u, err := url.Parse(d.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("documents.base_url %q: write the server's public address, e.g. https://ttd.jatimprov.go.id", d.BaseURL)
		}
	}
	if d.AllowDownload && !d.KeepFiles {
		bad("documents.allow_download needs keep_files: true")
	}
	if d.RatePerMinute < 0 {
		bad("documents.rate_per_minute must not be negative")
	}
}

// storeAddr resolves a relative SQLite path against the config's folder.
func (c *Config) storeAddr() string {
	a := c.Documents.Store
	if strings.Contains(a, "://") {
		return a
	}
	return "sqlite:" + c.path(strings.TrimPrefix(a, "sqlite:"))
}

// VerifyURL is the address of document id's page, or "" without a
// base URL.
func (s *Server) VerifyURL(id string) string {
	if s.cfg.Documents == nil || s.cfg.Documents.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(s.cfg.Documents.BaseURL, "/") + "/v/" + id
}

// documentID is the ID the document with input hash inSHA will have in
// the store: the ID of the document it is a signed version of, or a new
// random one (isNew). It is known before signing, so that a stamp's QR
// code can lead to the document's page.
func (s *Server) documentID(ctx context.Context, inSHA string) (id string, isNew bool) {
	if s.store == nil {
		return "", false
	}
	if prev, err := s.store.DocumentsByHash(ctx, inSHA); err == nil && len(prev) == 1 && prev[0].OutputSHA256 == inSHA {
		return prev[0].ID, false
	}
	return store.NewID(), true
}

// recordSigned records a signature the server made: a new document, or
// one more signature of a document it signed before (the input is one of
// its signed versions). id and isNew, when id is not empty, are what
// documentID said; else the store is asked. It returns the document's ID;
// failures are logged and do not withhold the signed file (it is already
// in the audit log).
func (s *Server) recordSigned(ctx context.Context, id string, isNew bool, name, inSHA, outSHA string, sig store.Signature, out io.Reader) string {
	if s.store == nil {
		return ""
	}
	var file []byte
	if s.cfg.Documents.KeepFiles {
		b, err := io.ReadAll(out)
		if err != nil {
			s.log.Error("reading the signed file for the document store failed", "error", err.Error())
			return ""
		}
		file = b
	}
	sig.OutputSHA256 = outSHA
	if sig.Time.IsZero() {
		sig.Time = time.Now().UTC()
	}
	if id == "" {
		id, isNew = s.documentID(ctx, inSHA)
	}
	if !isNew {
		if err := s.store.AddSignature(ctx, id, sig, file); err != nil {
			s.log.Error("recording a signature in the document store failed", "document", id, "error", err.Error())
			return ""
		}
		return id
	}
	d := &store.Document{ID: id, Title: name, InputSHA256: inSHA, OutputSHA256: outSHA,
		Created: sig.Time, Updated: sig.Time, Signatures: []store.Signature{sig}}
	if err := s.store.PutDocument(ctx, d, file); err != nil {
		s.log.Error("recording a document in the document store failed", "error", err.Error())
		return ""
	}
	return d.ID
}

// docTexts are the words of the document page.
type docTexts struct {
	Heading, Intro, Registered, Signers, NoFile          string
	Same, Different, Compare, CompareHint, Download, Ver string
	NotFound, Busy                                       string
}

var docWords = map[string]*docTexts{
	"id": {
		Heading:     "Dokumen yang ditandatangani",
		Intro:       "Halaman ini menunjukkan dokumen yang ditandatangani secara elektronik melalui layanan ini, sebagaimana dirujuk kode QR pada salinannya.",
		Registered:  "Tercatat",
		Signers:     "Penanda tangan",
		NoFile:      "Berkasnya tidak disimpan oleh layanan ini; unggah salinan Anda untuk memeriksanya.",
		Same:        "Salinan ini sama persis dengan dokumen yang ditandatangani.",
		Different:   "Salinan ini BUKAN dokumen yang tercatat di sini (isinya berbeda). Hasil pemeriksaan salinan itu sendiri ada di bawah.",
		Compare:     "Bandingkan salinan Anda",
		CompareHint: "Unggah PDF yang Anda terima untuk memastikan isinya sama dengan dokumen yang ditandatangani.",
		Download:    "Unduh dokumen yang ditandatangani",
		Ver:         "Pemeriksaan dokumen yang tersimpan",
		NotFound:    "Dokumen tidak ditemukan. Periksa kembali alamatnya.",
		Busy:        "Terlalu banyak permintaan dari alamat Anda; coba lagi sebentar lagi.",
	},
	"en": {
		Heading:     "Signed document",
		Intro:       "This page shows a document signed electronically through this service, as the QR code on its copy refers to it.",
		Registered:  "Recorded",
		Signers:     "Signers",
		NoFile:      "This service does not keep the file; upload your copy to check it.",
		Same:        "This copy is exactly the document that was signed.",
		Different:   "This copy is NOT the document recorded here (its content differs). The check of the copy itself is below.",
		Compare:     "Compare your copy",
		CompareHint: "Upload the PDF you received to make sure it is the document that was signed.",
		Download:    "Download the signed document",
		Ver:         "Check of the stored document",
		NotFound:    "Document not found. Check the address.",
		Busy:        "Too many requests from your address; try again in a moment.",
	},
}

// docView is what the template shows of a recorded document.
type docView struct {
	W                *docTexts
	ID, Title        string
	Registered       string
	Signers          []docSigner
	HasFile, CanLoad bool
	Match, MatchBad  string
}

type docSigner struct{ Name, Field, When, Level string }

// rateLimiter allows n requests per minute per key.
type rateLimiter struct {
	mu   sync.Mutex
	n    int
	seen map[string][]time.Time
}

func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 10000 { // forget everyone rather than grow without bound
		l.seen = map[string][]time.Time{}
	}
	ts := l.seen[key]
	cut := 0
	for cut < len(ts) && now.Sub(ts[cut]) >= time.Minute {
		cut++
	}
	ts = ts[cut:]
	if len(ts) >= l.n {
		l.seen[key] = ts
		return false
	}
	l.seen[key] = append(ts, now)
	return true
}

// docPage loads document id for its page, answering 404 or 429 itself.
func (s *Server) docPage(w http.ResponseWriter, r *http.Request) (*store.Document, *pageData, bool) {
	d := s.newPageData(r)
	dw := docWords[d.T.Lang]
	if !s.docRate.allow(clientAddr(r), time.Now()) {
		w.Header().Set("Retry-After", "60")
		d.Error = dw.Busy
		s.renderPage(w, http.StatusTooManyRequests, d)
		return nil, nil, false
	}
	id := r.PathValue("id")
	var doc *store.Document
	err := store.ErrNotFound
	if store.ValidID(id) {
		doc, err = s.store.Document(r.Context(), id)
	}
	if err != nil {
		status := http.StatusNotFound
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("reading the document store failed", "error", err.Error())
			status = http.StatusInternalServerError
		}
		d.Error = dw.NotFound
		d.Action = "/v1/verify/page?lang=" + d.T.Lang
		s.renderPage(w, status, d)
		return nil, nil, false
	}
	v := &docView{W: dw, ID: doc.ID, Title: doc.Title, Registered: d.T.formatTime(doc.Created), HasFile: doc.HasFile,
		CanLoad: doc.HasFile && s.cfg.Documents.AllowDownload}
	for _, sg := range doc.Signatures {
		v.Signers = append(v.Signers, docSigner{Name: sg.Signer, Field: sg.Field, When: d.T.formatTime(sg.Time), Level: sg.Level})
	}
	d.Doc = v
	d.Action = "/v/" + doc.ID + "?lang=" + d.T.Lang
	return doc, d, true
}

// handleDocPage is GET /v/{id}: the recorded document, its signers and
// the verdict recomputed from the stored file (when kept).
func (s *Server) handleDocPage(w http.ResponseWriter, r *http.Request) {
	doc, d, ok := s.docPage(w, r)
	if !ok {
		return
	}
	if doc.HasFile {
		if file, err := s.store.DocumentFile(r.Context(), doc.ID); err == nil {
			rep, err := s.verifyBytes(r.Context(), doc.Title, file, d.Trust)
			if err == nil {
				sum := sha256.Sum256(file)
				d.Result = pageReport(d.T, rep, &upload{filename: doc.Title, sha256: hex.EncodeToString(sum[:])}, d.Trust)
			}
		}
	}
	s.renderPage(w, http.StatusOK, d)
}

// handleDocCompare is POST /v/{id}: an uploaded copy compared with the
// recorded document (same hash: it is the document signed), else
// verified on its own.
func (s *Server) handleDocCompare(w http.ResponseWriter, r *http.Request) {
	doc, d, ok := s.docPage(w, r)
	if !ok {
		return
	}
	rep, up, e := s.verifyUpload(r)
	if up != nil {
		defer up.Close()
	}
	if e != nil {
		d.Error = fmt.Sprintf(d.T.errGeneric, e.msg)
		s.renderPage(w, e.status, d)
		return
	}
	same := up.sha256 == doc.OutputSHA256
	for _, sg := range doc.Signatures {
		same = same || up.sha256 == sg.OutputSHA256
	}
	if same {
		d.Doc.Match = d.Doc.W.Same
	} else {
		d.Doc.MatchBad = d.Doc.W.Different
	}
	d.Result = pageReport(d.T, rep, up, d.Trust)
	s.renderPage(w, http.StatusOK, d)
}

// handleDocFile is GET /v/{id}/file, when downloads are allowed.
func (s *Server) handleDocFile(w http.ResponseWriter, r *http.Request) {
	doc, _, ok := s.docPage(w, r)
	if !ok {
		return
	}
	file, err := s.store.DocumentFile(r.Context(), doc.ID)
	if !s.cfg.Documents.AllowDownload || err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+signedName(doc.Title)+`"`)
	w.Write(file)
}

// verifyBytes verifies a stored file with the named trust set.
func (s *Server) verifyBytes(ctx context.Context, name string, b []byte, trust string) (*verify.Report, error) {
	pool, _, e := s.trustPool(trust)
	if e != nil {
		return nil, errors.New(e.msg)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Limits.VerifyTimeout)
	defer cancel()
	return verify.File(ctx, name, bytes.NewReader(b), int64(len(b)), verify.Options{Roots: pool, Cache: s.vcache})
}
