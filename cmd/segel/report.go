package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"segel/verify"
)

// writeReport prints a report for people, its labels in the user's
// language (tr); the verifier's own errors and warnings stay as written.
func writeReport(w io.Writer, r *verify.Report) {
	fmt.Fprintf(w, "%s: %s", r.File, r.Indication)
	if r.SubIndication != "" {
		fmt.Fprintf(w, " / %s", r.SubIndication)
	}
	fmt.Fprintf(w, " ("+tr("%d signature(s), %d revision(s)")+")\n", len(r.Signatures), r.Revisions)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  %s: %s\n", tr("error"), e)
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(w, "  %s: %s\n", tr("warning"), e)
	}
	// label prints "      NAME:   value" with the values aligned.
	label := func(name, format string, args ...any) {
		fmt.Fprintf(w, "      %-9s "+format+"\n", append([]any{tr(name) + ":"}, args...)...)
	}
	for i, s := range r.Signatures {
		kind := s.Kind
		if s.DocMDP > 0 {
			kind += fmt.Sprintf(" (DocMDP P=%d: %s)", s.DocMDP, docMDPWords(s.DocMDP))
		}
		fmt.Fprintf(w, "  [%d] %s %q: %s, %s", i+1, tr("field"), s.Field, kind, s.SubFilter)
		if s.Level != "" {
			fmt.Fprintf(w, ", PAdES %s", s.Level)
		}
		fmt.Fprintln(w)
		if s.Signer != "" {
			label("signer", "%s", s.Signer)
		}
		if s.TimestampTime != nil {
			label("time", "%s %s", fmtTime(*s.TimestampTime), tr("(proven by a verified timestamp)"))
		} else if s.ClaimedTime != nil {
			label("time", "%s %s", fmtTime(*s.ClaimedTime), tr("(claimed by the signer, not proven)"))
		}
		if s.Reason != "" || s.Location != "" {
			label("reason", "%s; %s: %s", orDash(s.Reason), tr("location"), orDash(s.Location))
		}
		if len(s.Chain) > 0 {
			label("chain", "%s", strings.Join(s.Chain, " → "))
		}
		checks := fmt.Sprintf("intact=%v valid=%v trusted=%v, coverage %s", s.Intact, s.Valid, s.Trusted, s.Coverage)
		if s.Revision >= 0 {
			checks += " (" + fmt.Sprintf(tr("revision %d of %d"), s.Revision+1, r.Revisions) + ")"
		}
		label("checks", "%s", checks)
		if s.Revocation != "" {
			src := ""
			if s.RevocationSource != "" {
				src = " (" + s.RevocationSource + ")"
			}
			fmt.Fprintf(w, "      %s: %s%s\n", tr("revocation"), s.Revocation, src)
		}
		fmt.Fprintf(w, "      %s: %s\n", tr("changes after signing"), s.Modification)
		for _, c := range s.Changes {
			mark := tr("allowed")
			if !c.Allowed {
				mark = tr("NOT ALLOWED")
			}
			page := ""
			if c.Page > 0 {
				page = " (" + fmt.Sprintf(tr("page %d"), c.Page) + ")"
			}
			fmt.Fprintf(w, "        - %s: %s%s\n", mark, c.Description, page)
		}
		for _, e := range s.Errors {
			label("error", "%s", e)
		}
		for _, e := range s.Warnings {
			label("warning", "%s", e)
		}
		verdict := s.Indication
		if s.SubIndication != "" {
			verdict += " / " + s.SubIndication
		}
		label("verdict", "%s", verdict)
	}
	for _, h := range reportHints(r) {
		fmt.Fprintf(w, "  %s: %s\n", tr("hint"), h)
	}
}

// reportHints turns the verifier's facts into advice about this
// command's flags (the verifier itself names none).
func reportHints(r *verify.Report) []string {
	var hints []string
	if r.HasFact(verify.FactNoTrustRoots) {
		hints = append(hints, tr("no chain can be trusted without trust roots: pass --trust ROOTS.pem"))
	}
	if r.HasFact(verify.FactRevocationOffline) {
		hints = append(hints, tr("revocation was checked only against the data in the file: --online asks the certificates' OCSP responders and CRL distribution points"))
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
