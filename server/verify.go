package server

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"

	"segel/verify"
)

// authoriseVerify checks that the request may verify: anyone when
// verification is public, otherwise any configured identity.
func (s *Server) authoriseVerify(r *http.Request) *apiError {
	if s.cfg.VerifyPublic() {
		return nil
	}
	id, _, err := authenticate(s.ids, r)
	if err != nil {
		s.m.rejected.WithLabelValues("unauthenticated").Inc()
		return errorf(http.StatusUnauthorized, "unauthenticated", "verification on this server needs authentication: %v", err)
	}
	state(r).identity = id.name
	return nil
}

// trustPool resolves a trust set name ("" is the default set).
func (s *Server) trustPool(name string) (*x509.CertPool, string, *apiError) {
	if name == "" {
		name = s.cfg.Verify.DefaultTrust
		if name == "" {
			return nil, "", nil // no trust sets: no chain can be trusted
		}
	}
	pool, ok := s.trust[name]
	if !ok {
		known := "none are configured"
		if len(s.trustList) > 0 {
			known = "known: " + strings.Join(s.trustList, ", ")
		}
		return nil, "", errorf(http.StatusBadRequest, "unknown_trust", "no trust set %q (%s)", name, known)
	}
	return pool, name, nil
}

// verifyUpload reads the document and verifies it.
func (s *Server) verifyUpload(r *http.Request) (*verify.Report, *upload, *apiError) {
	if e := s.authoriseVerify(r); e != nil {
		return nil, nil, e
	}
	var pool *x509.CertPool
	up, e := s.readUpload(r, func(o *options) *apiError {
		var e *apiError
		pool, _, e = s.trustPool(o.Trust)
		return e
	})
	if e != nil {
		return nil, up, e
	}
	if s.testHook != nil {
		s.testHook("verify:input")
	}
	name := up.filename
	if name == "" {
		name = "document.pdf"
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Limits.VerifyTimeout)
	defer cancel()
	rep, err := verify.File(ctx, name, up.doc, up.doc.Size(), verify.Options{Roots: pool, Cache: s.vcache})
	if err != nil {
		up.Close()
		if r.Context().Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, errorf(http.StatusServiceUnavailable, "verify_timeout", "verifying this document took longer than this service allows (%s)", s.cfg.Limits.VerifyTimeout)
		}
		if r.Context().Err() != nil {
			return nil, nil, errorf(http.StatusServiceUnavailable, "cancelled", "the request was cancelled")
		}
		return nil, nil, errorf(http.StatusInternalServerError, "internal", "verification failed: internal error")
	}
	s.m.verifications.WithLabelValues(rep.Indication).Inc()
	return rep, up, nil
}

// handleVerify is POST /v1/verify: the JSON report of `segel verify
// --json` for the uploaded document.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	rep, up, e := s.verifyUpload(r)
	if up != nil {
		defer up.Close()
	}
	if e != nil {
		if e.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="segel"`)
		}
		if e.status == http.StatusInternalServerError && state(r).input != "" {
			e.extra = map[string]any{"input_sha256": state(r).input}
		}
		s.sendError(w, r, e)
		return
	}
	w.Header().Set("X-Segel-Input-SHA256", up.sha256)
	writeJSON(w, http.StatusOK, rep)
}
