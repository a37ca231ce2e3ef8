package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"segel/keystore"
	"segel/official"
	"segel/pdf"
	"segel/signer"
	"segel/store"
)

// Official mode: the signing page. An official uploads a PDF, views it,
// picks the signature field and confirms with their own NIP, password and
// TOTP code; the document is signed with their key through their own Vault
// login (package official) and downloaded. Documents wait in memory for
// pendingTTL; nothing of the login is kept.

//go:embed official.html
var officialHTML string

var officialTmpl = template.Must(template.New("official").Parse(officialHTML))

const (
	csrfCookie = "segel_csrf"
	pendingTTL = 30 * time.Minute
	maxPending = 256
)

// pendingDoc is an uploaded document waiting for its signature, bound to
// the browser (CSRF cookie) that uploaded it.
type pendingDoc struct {
	ID, Name, SHA256 string
	Size             int
	Fields           []string
	data             []byte
	owner            string
	expires          time.Time
	// QueueID is the multi-party request the document belongs to ("" for
	// an upload).
	QueueID string
}

type officialState struct {
	svc *official.Service
	mu  sync.Mutex
	doc map[string]*pendingDoc
}

type officialPage struct {
	CSS            template.CSS
	CSRF           string
	Error, ErrorEN string
	Doc            *pendingDoc
	Username       string
	WaitingShown   bool
	Waiting        []*official.QueueRequest
}

func (s *Server) officialRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /official", s.handleOfficialPage)
	mux.HandleFunc("POST /official/upload", s.limited(s.handleOfficialUpload, true))
	mux.HandleFunc("GET /official/doc/{id}", s.handleOfficialDoc)
	mux.HandleFunc("POST /official/sign", s.limited(s.handleOfficialSign, true))
	mux.HandleFunc("POST /official/waiting", s.limited(s.handleOfficialWaiting, true))
	mux.HandleFunc("POST /official/queue/open", s.limited(s.handleOfficialQueueOpen, true))
	s.bsreRoutes(mux)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// csrf returns the browser's CSRF token, setting a new cookie when it has
// none.
func (s *Server) csrf(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 64 {
		return c.Value
	}
	v := randomHex(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/official", HttpOnly: true,
		Secure: s.tls != nil, SameSite: http.SameSiteStrictMode})
	return v
}

// checkCSRF accepts a form post only when its csrf field equals the
// cookie and, when the browser names an Origin, it is this host.
func checkCSRF(r *http.Request) (string, bool) {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 64 {
		return "", false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if o != "http://"+r.Host && o != "https://"+r.Host {
			return "", false
		}
	}
	if subtle.ConstantTimeCompare([]byte(r.FormValue("csrf")), []byte(c.Value)) != 1 {
		return "", false
	}
	return c.Value, true
}

func (s *Server) officialRender(w http.ResponseWriter, r *http.Request, status int, p officialPage) {
	p.CSS = template.CSS(pageCSS)
	if p.CSRF == "" {
		p.CSRF = s.csrf(w, r)
	}
	var b bytes.Buffer
	if err := officialTmpl.Execute(&b, p); err != nil {
		s.log.Error("rendering the official page", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (s *Server) handleOfficialPage(w http.ResponseWriter, r *http.Request) {
	s.officialRender(w, r, http.StatusOK, officialPage{})
}

func pageErr(id, en string) officialPage { return officialPage{Error: id, ErrorEN: en} }

var csrfRefused = pageErr("Formulir kedaluwarsa atau bukan dari halaman ini; muat ulang halaman.", "The form expired or did not come from this page; reload the page.")

func (s *Server) handleOfficialUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Limits.MaxBody)+multipartSlack)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		s.officialRender(w, r, http.StatusBadRequest, pageErr("Unggahan tidak terbaca atau terlalu besar.", "The upload could not be read or is too large."))
		return
	}
	defer r.MultipartForm.RemoveAll()
	owner, ok := checkCSRF(r)
	if !ok {
		s.officialRender(w, r, http.StatusForbidden, csrfRefused)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.officialRender(w, r, http.StatusBadRequest, pageErr("Pilih berkas PDF.", "Choose a PDF file."))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(s.cfg.Limits.MaxBody)+1))
	if err != nil || int64(len(data)) > int64(s.cfg.Limits.MaxBody) {
		s.officialRender(w, r, http.StatusRequestEntityTooLarge, pageErr("Berkas terlalu besar.", "The file is too large."))
		return
	}
	doc, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		s.officialRender(w, r, http.StatusUnprocessableEntity, pageErr("Berkas ini bukan PDF yang dapat dibaca.", "This file is not a readable PDF."))
		return
	}
	var fields []string
	if fs, err := doc.Fields(); err == nil {
		for _, fl := range fs {
			if fl.Type == "Sig" && fl.Dict["V"] == nil {
				fields = append(fields, fl.Name)
			}
		}
	}
	sum := sha256.Sum256(data)
	p := &pendingDoc{ID: randomHex(16), Name: hdr.Filename, SHA256: hex.EncodeToString(sum[:]), Size: len(data),
		Fields: fields, data: data, owner: owner, expires: time.Now().Add(pendingTTL)}
	st := s.officialState()
	st.mu.Lock()
	now := time.Now()
	for id, d := range st.doc {
		if now.After(d.expires) {
			delete(st.doc, id)
		}
	}
	if len(st.doc) >= maxPending {
		st.mu.Unlock()
		s.officialRender(w, r, http.StatusServiceUnavailable, pageErr("Terlalu banyak dokumen menunggu; coba lagi nanti.", "Too many documents are waiting; try again later."))
		return
	}
	st.doc[p.ID] = p
	st.mu.Unlock()
	s.officialRender(w, r, http.StatusOK, officialPage{CSRF: owner, Doc: p})
}

// pending returns the document id uploaded by owner, or nil.
func (s *Server) pending(id, owner string) *pendingDoc {
	st := s.officialState()
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.doc[id]
	if d == nil || time.Now().After(d.expires) || subtle.ConstantTimeCompare([]byte(d.owner), []byte(owner)) != 1 {
		return nil
	}
	return d
}

func (s *Server) handleOfficialDoc(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(csrfCookie)
	var d *pendingDoc
	if err == nil {
		d = s.pending(r.PathValue("id"), c.Value)
	}
	if d == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="`+signedName(d.Name)[:len(signedName(d.Name))-len("-signed.pdf")]+`.pdf"`)
	h.Set("Content-Length", strconv.Itoa(len(d.data)))
	w.Write(d.data)
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) handleOfficialSign(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.officialRender(w, r, http.StatusBadRequest, pageErr("Formulir tidak terbaca.", "The form could not be read."))
		return
	}
	owner, ok := checkCSRF(r)
	if !ok {
		s.officialRender(w, r, http.StatusForbidden, csrfRefused)
		return
	}
	d := s.pending(r.PostFormValue("doc"), owner)
	if d == nil {
		s.officialRender(w, r, http.StatusNotFound, pageErr("Dokumen tidak ditemukan atau kedaluwarsa; unggah lagi.", "The document was not found or expired; upload it again."))
		return
	}
	username := r.PostFormValue("username")
	field := r.PostFormValue("field")
	q := s.officialState().svc.Queue
	if d.QueueID != "" {
		qr, err := q.Get(r.Context(), d.QueueID)
		if err != nil || qr.WaitsFor() != username {
			s.officialRender(w, r, http.StatusConflict, pageErr("Dokumen ini tidak sedang menunggu tanda tangan Anda.", "This document is not waiting for your signature."))
			return
		}
		field = qr.Steps[qr.Next].Field
	}
	entry, out, err := s.officialSign(r, d, username, r.PostFormValue("password"), r.PostFormValue("totp"), signer.Options{Field: field})
	if out != nil {
		defer func() { out.Close(); os.Remove(out.Name()) }()
	}
	if err != nil {
		status, id, en := officialRefusal(err)
		s.officialRender(w, r, status, officialPage{CSRF: owner, Doc: d, Username: username, Error: id, ErrorEN: en})
		return
	}
	st := s.officialState()
	st.mu.Lock()
	delete(st.doc, d.ID)
	st.mu.Unlock()
	size, _ := out.Seek(0, io.SeekEnd)
	out.Seek(0, io.SeekStart)
	if d.QueueID != "" {
		signed, err := io.ReadAll(out)
		if err == nil {
			var werr error
			_, err, werr = q.Advance(r.Context(), d.QueueID, username, signed)
			if werr != nil {
				s.log.Warn("notifying the next official failed", "request", d.QueueID, "error", werr.Error())
			}
		}
		if err != nil {
			s.log.Error("the signature was made but the queue was not advanced", "request", d.QueueID, "error", err.Error())
		}
		out.Seek(0, io.SeekStart)
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Content-Disposition", `attachment; filename="`+signedName(d.Name)+`"`)
	h.Set("X-Segel-Audit-Seq", strconv.FormatInt(entry.Seq, 10))
	if id := state(r).document; id != "" {
		h.Set("X-Segel-Document-Id", id)
	}
	h.Set("X-Segel-Output-SHA256", entry.OutputSHA256)
	w.WriteHeader(http.StatusOK)
	io.Copy(w, out)
}

// officialSign signs d for the official and writes the audit entry, for
// refusals too. The caller closes and removes out.
func (s *Server) officialSign(r *http.Request, d *pendingDoc, username, password, code string, opts signer.Options) (*AuditEntry, *os.File, error) {
	entry := &AuditEntry{RequestID: state(r).id, Identity: username, Auth: AuthOfficial, Remote: clientAddr(r),
		Field: opts.Field, InputSHA256: d.SHA256, InputSize: int64(d.Size),
		Official: &OfficialAudit{Username: username, Documents: []string{d.SHA256}}}
	fail := func(outcome string, err error) (*AuditEntry, *os.File, error) {
		entry.Outcome, entry.Error = outcome, err.Error()
		if e := s.writeAudit(r, entry); e != nil {
			return entry, nil, errors.Join(err, errors.New(e.msg))
		}
		return entry, nil, err
	}
	if s.audit == nil {
		return entry, nil, errors.New("server: signing is not possible without an audit log")
	}
	out, err := os.CreateTemp("", "segel-official-*.pdf")
	if err != nil {
		return fail(OutcomeFailed, err)
	}
	// Official mode writes the footer with the first signature.
	if opts.Footer == "" {
		opts.Footer, opts.FooterFirstOnly = signer.DefaultFooter, true
	}
	// The official's stamp, from the profile enrolment stored: drawn when
	// the field is visible; its QR code leads to the document's page.
	state(r).document, state(r).documentNew = s.documentID(r.Context(), d.SHA256)
	if opts.Stamp == nil {
		if p, err := s.officialState().svc.Profile(r.Context(), username); err == nil && p != nil {
			opts.Stamp = &signer.Stamp{Name: p.Name, Jabatan: p.Jabatan, NIP: p.NIP, Instansi: p.Instansi,
				Zone: "WIB", VerifyURL: s.VerifyURL(state(r).document)}
			// The configured layout and seal (stamps.official, stamps.image);
			// both were checked at start.
			if e := s.stampLayout(s.officialLayout(), opts.Stamp); e != nil {
				return fail(OutcomeFailed, errors.New(e.msg))
			}
		}
	}
	res, ev, err := s.officialState().svc.Sign(r.Context(), official.Request{
		Username: username, Password: password, Code: code, ClientAddr: entry.Remote,
		Docs:    []signer.Document{signer.Doc{In: bytes.NewReader(d.data), Size: int64(d.Size), Out: out}},
		Options: signer.AllOptions{Options: opts},
	})
	if ev != nil {
		entry.Key = ev.Key
		entry.Official.EntityID, entry.Official.TokenAccessor, entry.Official.MFAMethod, entry.Official.TokenRevoked =
			ev.EntityID, ev.Accessor, ev.MFAMethod, ev.Revoked
	}
	if err == nil && (len(res) != 1 || res[0].Err != nil) {
		err = res[0].Err
	}
	if err != nil {
		out.Close()
		os.Remove(out.Name())
		outcome := OutcomeFailed
		if isRefusal(err) {
			outcome = OutcomeRefused
		}
		return fail(outcome, err)
	}
	out.Seek(0, io.SeekStart)
	h := sha256.New()
	io.Copy(h, out)
	entry.OutputSHA256 = hex.EncodeToString(h.Sum(nil))
	entry.SignedDigest = "sha256:" + hex.EncodeToString(res[0].Result.Digest)
	entry.Field = res[0].Result.Field
	entry.Outcome = OutcomeSigned
	if e := s.writeAudit(r, entry); e != nil {
		out.Close()
		os.Remove(out.Name())
		return entry, nil, errors.New(e.msg)
	}
	if s.store != nil {
		name := username
		if opts.Stamp != nil && opts.Stamp.Name != "" {
			name = opts.Stamp.Name
		}
		out.Seek(0, io.SeekStart)
		state(r).document = s.recordSigned(r.Context(), state(r).document, state(r).documentNew, d.Name, entry.InputSHA256, entry.OutputSHA256,
			store.Signature{Field: entry.Field, Signer: name, Username: username, Level: "B-B"}, out)
		out.Seek(0, io.SeekStart)
	}
	return entry, out, nil
}

func isRefusal(err error) bool {
	for _, e := range []error{official.ErrBadLogin, official.ErrBadCode, official.ErrLockedOut, official.ErrDisabled,
		official.ErrUnknown, official.ErrNoMFA, official.ErrIdentityMismatch, keystore.ErrPermissionDenied} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// officialRefusal turns a signing error into a status and the words an
// official reads, in Indonesian and English.
func officialRefusal(err error) (int, string, string) {
	switch {
	case errors.Is(err, official.ErrLockedOut):
		return http.StatusTooManyRequests, "Terlalu banyak percobaan gagal; akun dikunci sementara. Coba lagi dalam 15 menit.", "Too many failed attempts; locked for a while. Try again in 15 minutes."
	case errors.Is(err, official.ErrBadLogin), errors.Is(err, official.ErrUnknown):
		return http.StatusUnauthorized, "NIP/NIK atau kata sandi salah.", "Wrong NIP/NIK or password."
	case errors.Is(err, official.ErrBadCode):
		return http.StatusUnauthorized, "Kode TOTP salah, kedaluwarsa, atau sudah dipakai. Tunggu kode berikutnya.", "The TOTP code is wrong, expired or already used. Wait for the next code."
	case errors.Is(err, official.ErrDisabled):
		return http.StatusForbidden, "Akun pejabat ini dinonaktifkan.", "This official is disabled."
	case isRefusal(err):
		return http.StatusForbidden, "Penandatanganan ditolak.", "Signing was refused."
	default:
		return http.StatusUnprocessableEntity, "Dokumen tidak dapat ditandatangani: " + err.Error(), "The document could not be signed."
	}
}

func (s *Server) officialState() *officialState { return s.official }

// queueForm reads a small form of the queue's pages and checks its CSRF
// token and that the queue is on; otherwise it answers and returns false.
func (s *Server) queueForm(w http.ResponseWriter, r *http.Request) (owner string, st *officialState, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.officialRender(w, r, http.StatusBadRequest, pageErr("Formulir tidak terbaca.", "The form could not be read."))
		return "", nil, false
	}
	owner, ok = checkCSRF(r)
	if !ok {
		s.officialRender(w, r, http.StatusForbidden, csrfRefused)
		return "", nil, false
	}
	st = s.officialState()
	if st.svc.Queue == nil {
		s.officialRender(w, r, http.StatusNotFound, pageErr("Antrean tidak diaktifkan.", "The queue is not enabled."))
		return "", nil, false
	}
	return owner, st, true
}

// handleOfficialWaiting shows the requests waiting for an official once
// their password is accepted (no token is issued: see
// official.Service.CheckPassword).
func (s *Server) handleOfficialWaiting(w http.ResponseWriter, r *http.Request) {
	owner, st, ok := s.queueForm(w, r)
	if !ok {
		return
	}
	user := r.PostFormValue("username")
	if err := st.svc.CheckPassword(r.Context(), user, r.PostFormValue("password"), clientAddr(r)); err != nil {
		status, id, en := officialRefusal(err)
		s.officialRender(w, r, status, officialPage{CSRF: owner, Error: id, ErrorEN: en})
		return
	}
	list, err := st.svc.Queue.Waiting(r.Context(), user)
	if err != nil {
		s.officialRender(w, r, http.StatusInternalServerError, pageErr("Antrean tidak terbaca.", "The queue could not be read."))
		return
	}
	s.officialRender(w, r, http.StatusOK, officialPage{CSRF: owner, WaitingShown: true, Waiting: list, Username: user})
}

// handleOfficialQueueOpen takes a waiting request's current document
// into this browser's pending documents, for the confirm step.
func (s *Server) handleOfficialQueueOpen(w http.ResponseWriter, r *http.Request) {
	owner, st, ok := s.queueForm(w, r)
	if !ok {
		return
	}
	qr, err := st.svc.Queue.Get(r.Context(), r.PostFormValue("request"))
	if err != nil || qr.Done() {
		s.officialRender(w, r, http.StatusNotFound, pageErr("Permintaan tidak ditemukan atau sudah selesai.", "The request was not found or is complete."))
		return
	}
	data, err := st.svc.Queue.Document(r.Context(), qr)
	if err != nil {
		s.officialRender(w, r, http.StatusInternalServerError, pageErr("Dokumen tidak terbaca.", "The document could not be read."))
		return
	}
	sum := sha256.Sum256(data)
	p := &pendingDoc{ID: randomHex(16), Name: qr.Title + ".pdf", SHA256: hex.EncodeToString(sum[:]), Size: len(data),
		Fields: []string{qr.Steps[qr.Next].Field}, data: data, owner: owner, expires: time.Now().Add(pendingTTL), QueueID: qr.ID}
	st.mu.Lock()
	if len(st.doc) >= maxPending {
		st.mu.Unlock()
		s.officialRender(w, r, http.StatusServiceUnavailable, pageErr("Terlalu banyak dokumen menunggu; coba lagi nanti.", "Too many documents are waiting; try again later."))
		return
	}
	st.doc[p.ID] = p
	st.mu.Unlock()
	s.officialRender(w, r, http.StatusOK, officialPage{CSRF: owner, Doc: p, Username: qr.WaitsFor()})
}
