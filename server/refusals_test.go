package server

import (
	"bytes"
	"net/http"
	"testing"
)

// TestRefusalsAudited: as docs/server.md says, every signing request that
// names a key appends one audit line, whatever its end — signed; denied
// (403: a key the identity may not use, or one that does not exist);
// refused (4xx: not a PDF, an unknown field, an already signed field, a bad
// option) — with the identity, the key and, once the body was read, the
// input's hash. A request without an identity names no one and is not
// audited (it is counted in segel_http_rejected_total).
func TestRefusalsAudited(t *testing.T) {
	cfg := baseConfig(t)
	s := start(t, cfg)
	pdf := readTestdata(t, "pks.pdf")
	_, signed := s.sign(t, tokenApp, "field=SigKabupaten", pdf)

	type attempt struct {
		name, query, token string
		body               []byte
		status             int
		outcome            string
		hashed             bool // the entry carries the input's hash
	}
	attempts := []attempt{
		{"other identity's key", "key=sekretaris-daerah", tokenApp, pdf, http.StatusForbidden, OutcomeDenied, false},
		{"key that does not exist", "key=bupati-palsu", tokenApp, pdf, http.StatusForbidden, OutcomeDenied, false},
		{"not a PDF", "key=kepala-dinas", tokenApp, []byte("bukan PDF, hanya teks"), 0, OutcomeRefused, true},
		{"unknown field", "key=kepala-dinas&field=TidakAda", tokenApp, pdf, 0, OutcomeRefused, true},
		{"field already signed", "key=kepala-dinas&field=SigKabupaten", tokenApp, signed, 0, OutcomeRefused, true},
		{"bad certify level", "key=kepala-dinas&certify=9", tokenApp, pdf, 0, OutcomeRefused, false},
	}
	for _, a := range attempts {
		resp, b := s.do(t, req{path: "/v1/sign?" + a.query, token: a.token, contentType: "application/pdf", body: bytes.NewReader(a.body)})
		switch {
		case a.status != 0 && resp.StatusCode != a.status,
			a.status == 0 && (resp.StatusCode < 400 || resp.StatusCode >= 500):
			t.Errorf("%s: %s %s", a.name, resp.Status, b)
		}
	}
	// No identity: 401, nobody to audit.
	if resp, b := s.do(t, req{path: "/v1/sign?key=kepala-dinas", token: "salah", contentType: "application/pdf", body: bytes.NewReader(pdf)}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %s %s", resp.Status, b)
	}

	entries := auditEntries(t, cfg.Audit.File)
	if len(entries) != 1+len(attempts) {
		t.Fatalf("%d audit entries, want %d (one signing, %d refusals): %+v", len(entries), 1+len(attempts), len(attempts), entries)
	}
	if entries[0].Outcome != OutcomeSigned {
		t.Errorf("first entry: %+v", entries[0])
	}
	for i, a := range attempts {
		e := entries[i+1]
		wantKey := a.query[len("key="):]
		if j := bytes.IndexByte([]byte(wantKey), '&'); j >= 0 {
			wantKey = wantKey[:j]
		}
		if e.Outcome != a.outcome || e.Identity != "aplikasi-persuratan" || e.Key != wantKey || e.Error == "" || e.OutputSHA256 != "" {
			t.Errorf("%s: audit entry %+v, want outcome %s for key %s with the error", a.name, e, a.outcome, wantKey)
		}
		if a.hashed && e.InputSHA256 != sha256hex(a.body) {
			t.Errorf("%s: input hash %q, want %s", a.name, e.InputSHA256, sha256hex(a.body))
		}
		if e.Seq != int64(i+2) {
			t.Errorf("%s: seq %d, want %d", a.name, e.Seq, i+2)
		}
	}
}

// TestRectOptions: a rect or anchor_size that is not finite numbers of a
// size a viewer shows is a 400 bad_option, never a signed document.
func TestRectOptions(t *testing.T) {
	s := start(t, baseConfig(t))
	pdf := readTestdata(t, "pks.pdf")
	for _, q := range []string{
		"page=1&rect=NaN,10,200,80",
		"page=1&rect=10,Inf,200,80",
		"page=1&rect=10,10,1e308,80",
		"page=1&rect=10,10,5,80",
		"anchor=PERJANJIAN&anchor_size=NaN,60",
		"anchor=PERJANJIAN&anchor_size=1e308,60",
	} {
		resp, b := s.do(t, req{path: "/v1/sign?" + q, token: tokenApp, contentType: "application/pdf", body: bytes.NewReader(pdf)})
		wantError(t, resp, b, http.StatusBadRequest, "bad_option")
	}
}
