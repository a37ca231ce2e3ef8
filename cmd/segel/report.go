package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"segel/verify"
)

// writeReport prints a report for people.
func writeReport(w io.Writer, r *verify.Report) {
	fmt.Fprintf(w, "%s: %s", r.File, r.Indication)
	if r.SubIndication != "" {
		fmt.Fprintf(w, " / %s", r.SubIndication)
	}
	fmt.Fprintf(w, " (%d signature(s), %d revision(s))\n", len(r.Signatures), r.Revisions)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", e)
	}
	for i, s := range r.Signatures {
		kind := s.Kind
		if s.DocMDP > 0 {
			kind += fmt.Sprintf(" (DocMDP P=%d: %s)", s.DocMDP, docMDPWords(s.DocMDP))
		}
		fmt.Fprintf(w, "  [%d] field %q: %s, %s", i+1, s.Field, kind, s.SubFilter)
		if s.Level != "" {
			fmt.Fprintf(w, ", PAdES %s", s.Level)
		}
		fmt.Fprintln(w)
		if s.Signer != "" {
			fmt.Fprintf(w, "      signer:   %s\n", s.Signer)
		}
		if s.TimestampTime != nil {
			fmt.Fprintf(w, "      time:     %s (proven by a verified timestamp)\n", fmtTime(*s.TimestampTime))
		} else if s.ClaimedTime != nil {
			fmt.Fprintf(w, "      time:     %s (claimed by the signer, not proven)\n", fmtTime(*s.ClaimedTime))
		}
		if s.Reason != "" || s.Location != "" {
			fmt.Fprintf(w, "      reason:   %s; location: %s\n", orDash(s.Reason), orDash(s.Location))
		}
		if len(s.Chain) > 0 {
			fmt.Fprintf(w, "      chain:    %s\n", strings.Join(s.Chain, " → "))
		}
		fmt.Fprintf(w, "      checks:   intact=%v valid=%v trusted=%v, coverage %s", s.Intact, s.Valid, s.Trusted, s.Coverage)
		if s.Revision >= 0 {
			fmt.Fprintf(w, " (revision %d of %d)", s.Revision+1, r.Revisions)
		}
		fmt.Fprintln(w)
		if s.Revocation != "" {
			src := ""
			if s.RevocationSource != "" {
				src = " (" + s.RevocationSource + ")"
			}
			fmt.Fprintf(w, "      revocation: %s%s\n", s.Revocation, src)
		}
		fmt.Fprintf(w, "      changes after signing: %s\n", s.Modification)
		for _, c := range s.Changes {
			mark := "allowed"
			if !c.Allowed {
				mark = "NOT ALLOWED"
			}
			page := ""
			if c.Page > 0 {
				page = fmt.Sprintf(" (page %d)", c.Page)
			}
			fmt.Fprintf(w, "        - %s: %s%s\n", mark, c.Description, page)
		}
		for _, e := range s.Errors {
			fmt.Fprintf(w, "      error:    %s\n", e)
		}
		for _, e := range s.Warnings {
			fmt.Fprintf(w, "      warning:  %s\n", e)
		}
		fmt.Fprintf(w, "      verdict:  %s", s.Indication)
		if s.SubIndication != "" {
			fmt.Fprintf(w, " / %s", s.SubIndication)
		}
		fmt.Fprintln(w)
	}
	for _, h := range reportHints(r) {
		fmt.Fprintf(w, "  hint: %s\n", h)
	}
}

// reportHints turns the verifier's facts into advice about this
// command's flags (the verifier itself names none).
func reportHints(r *verify.Report) []string {
	var hints []string
	if r.HasFact(verify.FactNoTrustRoots) {
		hints = append(hints, "no chain can be trusted without trust roots: pass --trust ROOTS.pem")
	}
	if r.HasFact(verify.FactRevocationOffline) {
		hints = append(hints, "revocation was checked only against the data in the file: --online asks the certificates' OCSP responders and CRL distribution points")
	}
	return hints
}

func docMDPWords(p int) string {
	switch p {
	case 1:
		return "no changes allowed"
	case 2:
		return "form filling and signing allowed"
	case 3:
		return "form filling, signing and annotations allowed"
	}
	return "?"
}

func fmtTime(t time.Time) string { return t.Format("2006-01-02 15:04:05 -07:00") }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
