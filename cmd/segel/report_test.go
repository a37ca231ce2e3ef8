package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/verify"
)

// TestReportHints: the command phrases the verifier's facts as advice
// about its flags, in the text report only; the JSON report is unchanged.
func TestReportHints(t *testing.T) {
	rep := &verify.Report{File: "a.pdf", Indication: verify.Indeterminate, Signatures: []verify.Signature{
		{Field: "Sig1", Indication: verify.Indeterminate, Warnings: []string{"revocation status not checked: no embedded OCSP/CRL for CN=x; online checking is off"},
			Facts: []verify.Fact{verify.FactRevocationOffline, verify.FactNoTrustRoots}},
		{Field: "Sig2", Indication: verify.TotalPassed, Facts: []verify.Fact{verify.FactRevocationOffline}},
	}}
	var text bytes.Buffer
	writeReport(&text, rep)
	out := text.String()
	for _, want := range []string{
		"  hint: no chain can be trusted without trust roots: pass --trust ROOTS.pem\n",
		"  hint: revocation was checked only against the data in the file: --online asks",
	} {
		if strings.Count(out, want) != 1 {
			t.Errorf("text report has %q %d times:\n%s", want, strings.Count(out, want), out)
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("--")) || bytes.Contains(b, []byte("revocation-offline")) || bytes.Contains(b, []byte("facts")) {
		t.Errorf("JSON report: %s", b)
	}
	text.Reset()
	writeReport(&text, &verify.Report{File: "b.pdf", Indication: verify.TotalPassed, Signatures: []verify.Signature{{Field: "S"}}})
	if strings.Contains(text.String(), "hint:") {
		t.Errorf("hints without facts:\n%s", text.String())
	}
}

// TestLoadRoots: --trust files go through the one certificate loader,
// whose errors name the file and the block.
func TestLoadRoots(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o644)
	_, err := loadRoots([]string{key})
	if err == nil || !strings.Contains(err.Error(), "--trust: "+key+`: PEM block 1 (line 1) is a "PRIVATE KEY", not a certificate`) {
		t.Errorf("%v", err)
	}
}
