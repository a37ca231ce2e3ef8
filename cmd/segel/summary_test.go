package main

import (
	"strings"
	"testing"
	"time"

	"segel/verify"
)

// TestForSummaryKeepsSummary: the summary of slimmed reports (a run
// without --report) is the summary of the full ones.
func TestForSummaryKeepsSummary(t *testing.T) {
	soon := time.Now().AddDate(0, 3, 0)
	later := time.Now().AddDate(3, 0, 0)
	full := []archiveResult{
		{File: "a.pdf", Rep: &verify.Report{Indication: verify.TotalPassed, Signatures: []verify.Signature{
			{Kind: "certification", Level: "B-T", SignerOrganization: "Pemerintah Kabupaten Tuban", CertificateNotAfter: &soon, Chain: []string{"x", "y"}},
			{Kind: "approval", Level: "B-B", SignerOrganization: "Pemerintah Provinsi Jawa Timur", CertificateNotAfter: &later},
		}}},
		{File: "b.pdf", Rep: &verify.Report{Indication: "TOTAL_FAILED", Signatures: []verify.Signature{
			{Kind: "approval", Level: "B-LTA", CertificateNotAfter: &later},
			{Kind: "document-timestamp", Level: "B-LTA"},
		}}},
		{File: "c.pdf", Err: "unreadable"},
	}
	slim := make([]archiveResult, len(full))
	for i, r := range full {
		slim[i] = archiveResult{File: r.File, Err: r.Err, Brief: forSummary(r.Rep)}
	}
	now := time.Now()
	var a, b strings.Builder
	summary(&a, full, now)
	summary(&b, slim, now)
	if a.String() != b.String() {
		t.Errorf("full:\n%s\nslim:\n%s", a.String(), b.String())
	}
	for _, want := range []string{"B-B 1", "Pemerintah Provinsi Jawa Timur 1", "a.pdf"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
