package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"segel/keystore"
	"segel/pdf"
	"segel/signer"
	"segel/store"
)

// handleSign is POST /v1/sign: authenticate, authorise the key, read the
// PDF, sign it, write the audit entry, and send the signed PDF.
func (s *Server) handleSign(w http.ResponseWriter, r *http.Request) {
	st := state(r)
	id, method, err := authenticate(s.ids, r)
	if err != nil {
		s.m.rejected.WithLabelValues("unauthenticated").Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="segel"`)
		msg := err.Error()
		if len(s.ids) == 0 {
			msg = "signing is not configured on this server: no identities are defined"
		}
		s.writeError(w, r, http.StatusUnauthorized, "unauthenticated", msg)
		return
	}
	st.identity = id.name
	entry := AuditEntry{RequestID: st.id, Identity: id.name, Auth: method, Remote: r.RemoteAddr}

	// Authorisation, as soon as the key is known.
	authorise := func(o *options) *apiError {
		if o.Key == "" {
			if len(id.keys) == 1 {
				for k := range id.keys {
					o.Key = k
				}
			} else {
				return errorf(http.StatusBadRequest, "no_key", "name the signing key with key=NAME (identity %q may use: %s)", id.name, keyList(id))
			}
		}
		// Known from here on: whatever fails later is audited under it.
		entry.Key = o.Key
		if !id.keys[o.Key] || s.keys[o.Key] == nil {
			return errorf(http.StatusForbidden, "forbidden", "identity %q may not sign with key %q", id.name, o.Key)
		}
		return nil
	}
	up, e := s.readUpload(r, authorise)
	if e != nil {
		if entry.Key == "" {
			// The options failed before the key was checked: the
			// request still names one (docs/server.md, the audit log).
			entry.Key = requestedKey(r, id)
		}
		s.signFailed(w, r, &entry, up, e)
		return
	}
	defer up.Close()
	if s.testHook != nil {
		s.testHook("sign:input")
	}
	res, out, e := s.sign(r.Context(), up, &entry)
	if out != nil {
		defer out.Close()
	}
	if e != nil {
		s.signFailed(w, r, &entry, up, e)
		return
	}
	entry.Outcome = OutcomeSigned
	if e := s.writeAudit(r, &entry); e != nil {
		s.sendError(w, r, e)
		return
	}
	s.m.signatures.WithLabelValues(entry.Key, OutcomeSigned).Inc()
	docID := s.recordSigned(r.Context(), st.document, st.documentNew, up.filename, entry.InputSHA256, entry.OutputSHA256,
		store.Signature{Field: res.Field, Signer: st.signer, Level: cmp.Or(st.level, "B-B")}, out.Reader())

	h := w.Header()
	if docID != "" {
		h.Set("X-Segel-Document-Id", docID)
		if u := s.VerifyURL(docID); u != "" {
			h.Set("X-Segel-Verify-URL", u)
		}
	}
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.FormatInt(out.Size(), 10))
	h.Set("Content-Disposition", `attachment; filename="`+signedName(up.filename)+`"`)
	h.Set("X-Segel-Digest", entry.SignedDigest)
	h.Set("X-Segel-Input-SHA256", entry.InputSHA256)
	h.Set("X-Segel-Output-SHA256", entry.OutputSHA256)
	h.Set("X-Segel-Key", entry.Key)
	if entry.KeyVersion > 0 {
		h.Set("X-Segel-Key-Version", strconv.Itoa(entry.KeyVersion))
	}
	h.Set("X-Segel-Field", res.Field)
	h.Set("X-Segel-Level", res.Level)
	h.Set("X-Segel-Audit-Seq", strconv.FormatInt(entry.Seq, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, out.Reader()); err != nil {
		s.log.Warn("sending the signed document failed", "request_id", st.id, "error", err.Error())
	}
}

// requestedKey is the key a signing request names in its query, else the
// identity's only key, else "".
func requestedKey(r *http.Request, id *identity) string {
	if vs := r.URL.Query()["key"]; len(vs) > 0 {
		return vs[len(vs)-1]
	}
	if len(id.keys) == 1 {
		for k := range id.keys {
			return k
		}
	}
	return ""
}

func keyList(id *identity) string {
	var ks []string
	for k := range id.keys {
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return "none"
	}
	// Stable order for messages.
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return strings.Join(ks, ", ")
}

// signedName derives the download name from the uploaded one.
func signedName(name string) string {
	base := strings.TrimSuffix(name, ".pdf")
	base = strings.TrimSuffix(base, ".PDF")
	base = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '_'
		}
		return r
	}, base)
	if base == "" {
		base = "document"
	}
	return base + "-signed.pdf"
}

// sign signs the uploaded document with its key, filling entry. The
// caller closes the returned spool.
func (s *Server) sign(ctx context.Context, up *upload, entry *AuditEntry) (*signer.Result, *spool, *apiError) {
	st := stateFromCtx(ctx)
	slot := s.keys[up.opts.Key]
	entry.Key = up.opts.Key
	entry.Field = up.opts.Field
	entry.Certify = up.opts.Certify
	entry.InputSHA256 = up.sha256
	entry.InputSize = up.doc.Size()
	if st != nil {
		st.key = slot.name
	}
	if s.audit == nil || s.audit.Err() != nil {
		return nil, nil, errorf(http.StatusServiceUnavailable, "audit_unavailable", "signing is stopped: the audit log cannot be written; the operator must fix it and restart the service")
	}
	level, ts, e := s.levelOf(up.opts.Level)
	if e != nil {
		return nil, nil, e
	}
	h, err := slot.acquire(ctx)
	if err != nil {
		return nil, nil, s.keyError(slot.name, err)
	}
	defer slot.release(h)
	if st != nil && len(h.key.Chain()) > 0 {
		st.signer = h.key.Chain()[0].Subject.CommonName
	}
	entry.KeyVersion = keyVersion(h.key)
	entry.Certificate = certFingerprint(h.key)
	opts := signer.AllOptions{
		Options: signer.Options{
			Hash: slot.hash, PSS: slot.cfg.PSS,
			Field: up.opts.Field, Certify: up.opts.Certify,
			Reason: up.opts.Reason, Location: up.opts.Location, ContactInfo: up.opts.Contact,
			Name: up.opts.Name, Time: time.Now(),
		},
		Timestamper: ts,
		// The backend call is timed, and its error remembered: it tells a
		// fault of the key from a problem of the document.
		AfterCall: func(c signer.Call) {
			slot.m.backend.WithLabelValues(slot.name, "sign").Observe(c.Took.Seconds())
			if c.Err != nil {
				slot.m.backendErrors.WithLabelValues(slot.name, "sign").Inc()
			}
		},
	}
	if opts.Name == "" {
		opts.Name = slot.cfg.SignerName
	}
	if e := s.stampOptions(ctx, up, &opts.Options); e != nil {
		return nil, nil, e
	}
	out := newSpool(s.cfg.Limits.TempDir, int64(s.cfg.Limits.MemoryBuffer))
	results, err := signer.SignAll(ctx, h.key, []signer.Document{signer.Doc{In: up.doc, Size: up.doc.Size(), Out: out}}, opts)
	if err == nil {
		err = results[0].Err
	}
	if err != nil {
		out.Close()
		var ce *keystore.CertificateError
		switch {
		case errors.As(err, &ce):
			return nil, nil, errorf(http.StatusServiceUnavailable, "key_certificate_invalid", "key %q cannot sign: its certificate is not usable for signing now (%s); the operator must renew it", slot.name, certReason(err))
		case errors.Is(err, signer.ErrTimestamp) && ctx.Err() == nil:
			s.log.Warn("the signature time-stamp failed", "error", err.Error())
			return nil, nil, errorf(http.StatusServiceUnavailable, "tsa_unavailable", "the time-stamping authority did not give a valid time-stamp, so nothing was signed; try again, or ask for level=B-B")
		case errors.Is(err, signer.ErrKey) && ctx.Err() == nil:
			slot.fault(h, err)
			return nil, nil, s.keyError(slot.name, &KeyUnavailableError{Key: slot.name, Reason: reasonOf(err), RetryAfter: backoff(1), Err: err})
		}
		return nil, nil, s.signError(err, ctx)
	}
	res := results[0].Result
	if level == "B-LT" || level == "B-LTA" {
		x, _, err := s.extendLTV(ctx, level, out)
		if err != nil {
			out.Close()
			s.log.Warn("validation data could not be added", "level", level, "error", err.Error())
			return nil, nil, errorf(http.StatusServiceUnavailable, "ltv_unavailable", "the signature was made, but the validation data for %s could not be obtained (%v), so no document is returned; try again, or ask for level=B-T", level, err)
		}
		r := *res
		r.Level, r.Size = level, x.Size()
		res, out = &r, x
	}
	if st != nil {
		st.level = res.Level
	}
	entry.Level = res.Level
	sum := sha256.New()
	if _, err := io.Copy(sum, out.Reader()); err != nil {
		out.Close()
		return nil, nil, errorf(http.StatusInternalServerError, "internal", "reading back the signed document: %v", err)
	}
	entry.OutputSHA256 = hex.EncodeToString(sum.Sum(nil))
	entry.SignedDigest = keystore.HashName(slot.hash) + ":" + hex.EncodeToString(res.Digest)
	entry.Field = res.Field
	return res, out, nil
}

func stateFromCtx(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

func certReason(err error) string {
	var ce *keystore.CertificateError
	if errors.As(err, &ce) {
		switch ce.Reason {
		case keystore.Expired:
			return "expired"
		case keystore.NotYetValid:
			return "not yet valid"
		case keystore.KeyUsage, keystore.ExtKeyUsage:
			return "its key usage does not allow signing documents"
		}
	}
	return "rejected"
}

// keyError answers a key backend failure: 503 with Retry-After.
func (s *Server) keyError(name string, err error) *apiError {
	var ke *KeyUnavailableError
	if !errors.As(err, &ke) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return errorf(http.StatusServiceUnavailable, "cancelled", "the request was cancelled while waiting for key %q", name)
		}
		ke = &KeyUnavailableError{Key: name, Reason: reasonOf(err), Err: err}
	}
	retry := max(int(ke.RetryAfter.Round(time.Second)/time.Second), 1)
	e := errorf(http.StatusServiceUnavailable, "key_unavailable",
		"signing key %q is not available right now (%s); the service retries by itself, try again in %d s", name, ke.Reason, retry)
	e.extra = map[string]any{"key": name, "reason": ke.Reason, "retry_after_seconds": retry}
	return e
}

// signError maps signer errors to answers for the client.
func (s *Server) signError(err error, ctx context.Context) *apiError {
	unproc := func(code, msg string) *apiError { return errorf(http.StatusUnprocessableEntity, code, "%s", msg) }
	switch {
	case ctx.Err() != nil:
		return errorf(http.StatusServiceUnavailable, "cancelled", "the request was cancelled")
	case errors.Is(err, pdf.ErrNotPDF):
		return errorf(http.StatusBadRequest, "not_pdf", "the document is not a PDF file")
	case errors.Is(err, pdf.ErrEncrypted):
		return unproc("encrypted", "the PDF is encrypted; segel signs only unencrypted PDFs (remove the encryption first)")
	case errors.Is(err, signer.ErrFieldNotFound):
		return unproc("field_not_found", "the document has no signature field of that name; omit field to add a new invisible signature field")
	case errors.Is(err, signer.ErrAnchorNotFound):
		return unproc("anchor_not_found", strings.TrimPrefix(err.Error(), "signer: ")+"; the marker must be text on the page, written exactly")
	case errors.Is(err, signer.ErrFieldSigned):
		return unproc("field_signed", "that signature field is already signed")
	case errors.Is(err, signer.ErrNotSignatureField):
		return unproc("not_signature_field", "that field is not a signature field")
	case errors.Is(err, signer.ErrCertifyNotFirst):
		return unproc("certify_not_first", "a certification signature must be the first signature; the document is already signed")
	case errors.Is(err, signer.ErrNoChangesAllowed):
		return unproc("no_changes_allowed", "the document is certified with no changes allowed (DocMDP P=1); it cannot be signed again")
	case errors.Is(err, signer.ErrStampTooSmall):
		return unproc("stamp_too_small", strings.TrimPrefix(err.Error(), "signer: "))
	case errors.Is(err, signer.ErrBadOptions):
		return errorf(http.StatusBadRequest, "bad_option", "%v", strings.TrimPrefix(err.Error(), "signer: "))
	case errors.Is(err, pdf.ErrMalformed), errors.Is(err, pdf.ErrLimit), errors.Is(err, pdf.ErrCycle):
		return errorf(http.StatusBadRequest, "bad_pdf", "the PDF cannot be read: %v", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "signer: "), "pdf: "))
	}
	return errorf(http.StatusInternalServerError, "internal", "signing failed: internal error")
}

// signFailed answers a failed signing request and records it in the audit
// log (when the caller was authenticated and a key was involved).
func (s *Server) signFailed(w http.ResponseWriter, r *http.Request, entry *AuditEntry, up *upload, e *apiError) {
	st := state(r)
	if e.status == http.StatusInternalServerError && st.input != "" {
		if e.extra == nil {
			e.extra = map[string]any{}
		}
		e.extra["input_sha256"] = st.input
		s.log.Error("signing failed", "request_id", st.id, "error", e.msg, "input_sha256", st.input)
	}
	if entry.Key == "" && up != nil {
		entry.Key = up.opts.Key
	}
	if entry.InputSHA256 == "" {
		entry.InputSHA256 = st.input
	}
	if entry.Key != "" && s.audit != nil && s.audit.Err() == nil {
		switch {
		case e.status == http.StatusForbidden:
			entry.Outcome = OutcomeDenied
		case e.status >= 500:
			entry.Outcome = OutcomeFailed
		default:
			entry.Outcome = OutcomeRefused
		}
		entry.Error = e.code
		if ae := s.writeAudit(r, entry); ae != nil {
			e = ae
		}
		label := entry.Key
		if s.keys[label] == nil {
			label = "unknown"
		}
		s.m.signatures.WithLabelValues(label, entry.Outcome).Inc()
	}
	if e.status == http.StatusForbidden {
		s.m.rejected.WithLabelValues("forbidden").Inc()
	}
	if e.status == http.StatusServiceUnavailable {
		if ra, ok := e.extra["retry_after_seconds"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(ra))
		}
	}
	if e.status == http.StatusRequestEntityTooLarge {
		w.Header().Set("Connection", "close")
	}
	s.sendError(w, r, e)
}

// writeAudit appends the entry; a failure withholds the answer.
func (s *Server) writeAudit(r *http.Request, entry *AuditEntry) *apiError {
	if s.audit == nil {
		return errorf(http.StatusServiceUnavailable, "audit_unavailable", "signing is not possible without an audit log")
	}
	entry.Time = time.Now()
	written, hash, err := s.audit.Append(*entry)
	if err != nil {
		s.m.auditErrors.Inc()
		s.log.Error("audit log write failed; signing is stopped", "error", err.Error())
		return errorf(http.StatusInternalServerError, "audit_failed", "the signing could not be recorded in the audit log, so the signed document is withheld; signing is stopped until the operator fixes the audit log")
	}
	*entry = written
	s.m.auditEntries.Inc()
	st := state(r)
	st.audit = hash
	return nil
}
