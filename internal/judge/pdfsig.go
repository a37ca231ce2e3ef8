package judge

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// NewNSSDB makes a fresh, password-less NSS database in a temporary
// directory and adds each root certificate (PEM files) as a trusted CA
// ("CT,C,C"). It returns the database name in "sql:DIR" form, as pdfsig's
// -nssdir and certutil's -d expect.
func NewNSSDB(t testing.TB, rootPEMs ...string) string {
	t.Helper()
	db := "sql:" + t.TempDir()
	mustRun(t, "certutil", "-N", "-d", db, "--empty-password")
	for i, root := range rootPEMs {
		mustRun(t, "certutil", "-A", "-d", db, "-n", fmt.Sprintf("segel-test-root-%d", i+1), "-t", "CT,C,C", "-i", root)
	}
	return db
}

// AddNSSIntermediate adds a CA certificate (PEM file) to the NSS database
// without trust (",,"), so that NSS can build chains through it for
// signatures whose CMS carries only the signer certificate (mutool 1.21,
// podofosign) without making it a trust anchor.
func AddNSSIntermediate(t testing.TB, nssdb, certPEM string) {
	t.Helper()
	nick := "segel-test-intermediate-" + strings.TrimSuffix(filepath.Base(certPEM), filepath.Ext(certPEM))
	mustRun(t, "certutil", "-A", "-d", nssdb, "-n", nick, "-t", ",,", "-i", certPEM)
}

// ImportP12 imports a PKCS#12 file (key, certificate and CA certificates)
// into the NSS database with pk12util and returns the nickname NSS gave the
// new signer certificate, for [PdfsigSign].
func ImportP12(t testing.TB, nssdb, p12Path, password string) string {
	t.Helper()
	before := nssUserCerts(t, nssdb)
	mustRun(t, "pk12util", "-i", p12Path, "-d", nssdb, "-W", password)
	for _, n := range nssUserCerts(t, nssdb) {
		if !contains(before, n) {
			return n
		}
	}
	t.Fatalf("pk12util imported %s but no new user certificate appeared in %s", p12Path, nssdb)
	return ""
}

// nssUserCerts lists the nicknames of certificates with a private key
// (trust "u,u,u") in the database.
func nssUserCerts(t testing.TB, nssdb string) []string {
	t.Helper()
	r := mustRun(t, "certutil", "-L", "-d", nssdb)
	var out []string
	for _, line := range strings.Split(r.stdout, "\n") {
		line = strings.TrimRight(line, " \t\r")
		i := strings.LastIndexAny(line, " \t")
		if i < 0 || !strings.Contains(line[i+1:], "u") {
			continue
		}
		if name := strings.TrimSpace(line[:i]); name != "" && name != "Certificate Nickname" {
			out = append(out, name)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PdfsigResult is one "Signature #N:" block of pdfsig's report.
type PdfsigResult struct {
	// Index is N of "Signature #N" (1-based, in pdfsig's order).
	Index int
	// Field is the "Signature Field Name".
	Field string
	// Signed is false for an empty field ("The signature form field is
	// not signed.").
	Signed bool
	// SignerName is the "Signer Certificate Common Name"; SignerDN the
	// "Signer full Distinguished Name".
	SignerName, SignerDN string
	// SigningTime and HashAlgorithm as printed ("SHA-256", "SHA1", ...).
	SigningTime, HashAlgorithm string
	// SubFilter is pdfsig's "Signature Type", e.g. "adbe.pkcs7.detached" or
	// "ETSI.CAdES.detached".
	SubFilter string
	// SignedRanges as printed, e.g. "[0 - 8146], [13992 - 14289]".
	SignedRanges string
	// TotalDocumentSigned is true for "Total document signed", false for
	// "Not total document signed".
	TotalDocumentSigned bool
	// SignatureValidation is the text after "Signature Validation: ", e.g.
	// "Signature is Valid." or "Digest Mismatch."; SignatureValid is true
	// only for "Signature is Valid.".
	SignatureValidation string
	SignatureValid      bool
	// CertificateValidation is the text after "Certificate Validation: ",
	// e.g. "Certificate is Trusted." or "Certificate issuer is unknown.";
	// empty when pdfsig printed none (it skips it after a failed signature
	// check, and with -nocert). CertTrusted is true only for "Certificate is
	// Trusted.".
	CertificateValidation string
	CertTrusted           bool
	// Fields holds every "- Key: Value" line of the block.
	Fields map[string]string
	// Raw is the block's text.
	Raw string
}

// String summarises the result on one line.
func (r PdfsigResult) String() string {
	if !r.Signed {
		return fmt.Sprintf("#%d %s: not signed", r.Index, r.Field)
	}
	return fmt.Sprintf("#%d %s: %s signer=%q %s %q %q total=%v", r.Index, r.Field, r.SubFilter, r.SignerName,
		r.HashAlgorithm, r.SignatureValidation, r.CertificateValidation, r.TotalDocumentSigned)
}

var sigHeader = regexp.MustCompile(`(?m)^Signature #(\d+):[ \t]*$`)

// ParsePdfsig parses the text pdfsig prints when verifying (stdout). The
// format (poppler 22.12) is:
//
//	Digital Signature Info of: file.pdf
//	Signature #1:
//	  - Signature Field Name: SigProvinsi
//	  The signature form field is not signed.
//	Signature #2:
//	  - Signature Field Name: SigKabupaten
//	  - Signer Certificate Common Name: Budi Santoso
//	  - Signer full Distinguished Name: CN=Budi Santoso,O=...,C=ID
//	  - Signing Time: Nov 27 2026 17:18:47
//	  - Signing Hash Algorithm: SHA-256
//	  - Signature Type: adbe.pkcs7.detached
//	  - Signed Ranges: [0 - 53861], [56599 - 57189]
//	  - Total document signed
//	  - Signature Validation: Signature is Valid.
//	  - Certificate Validation: Certificate is Trusted.
func ParsePdfsig(out string) []PdfsigResult {
	locs := sigHeader.FindAllStringSubmatchIndex(out, -1)
	var res []PdfsigResult
	for i, loc := range locs {
		end := len(out)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		block := out[loc[0]:end]
		n, _ := strconv.Atoi(out[loc[2]:loc[3]])
		r := PdfsigResult{Index: n, Signed: true, Fields: map[string]string{}, Raw: strings.TrimRight(block, "\n")}
		for _, line := range strings.Split(block, "\n")[1:] {
			line = strings.TrimSpace(line)
			if strings.Contains(line, "not signed.") && !strings.HasPrefix(line, "-") {
				r.Signed = false
				continue
			}
			if !strings.HasPrefix(line, "- ") {
				continue
			}
			line = strings.TrimPrefix(line, "- ")
			switch line {
			case "Total document signed":
				r.TotalDocumentSigned = true
				continue
			case "Not total document signed":
				r.TotalDocumentSigned = false
				continue
			}
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				k, v = strings.TrimSuffix(line, ":"), ""
			}
			r.Fields[k] = v
			switch k {
			case "Signature Field Name":
				r.Field = v
			case "Signer Certificate Common Name":
				r.SignerName = v
			case "Signer full Distinguished Name":
				r.SignerDN = v
			case "Signing Time":
				r.SigningTime = v
			case "Signing Hash Algorithm":
				r.HashAlgorithm = v
			case "Signature Type":
				r.SubFilter = v
			case "Signed Ranges":
				r.SignedRanges = v
			case "Signature Validation":
				r.SignatureValidation = v
				r.SignatureValid = v == "Signature is Valid."
			case "Certificate Validation":
				r.CertificateValidation = v
				r.CertTrusted = v == "Certificate is Trusted."
			}
		}
		res = append(res, r)
	}
	return res
}

// Pdfsig verifies every signature of pdfPath with poppler's pdfsig, using
// the NSS database nssdb ("sql:DIR", see [NewNSSDB]) as trust store, and
// returns one result per signature field (empty fields included). pdfsig
// exits 0 even for invalid signatures: judge by the results. A file without
// signatures gives an empty slice; any other pdfsig failure fails the test.
func Pdfsig(t testing.TB, nssdb, pdfPath string) []PdfsigResult {
	t.Helper()
	r := run(t, "pdfsig", "-nssdir", nssdb, pdfPath)
	if r.err == nil && r.code == 2 && strings.Contains(r.stdout, "does not contain any signatures") {
		return nil
	}
	if r.err != nil || r.code != 0 {
		t.Fatalf("pdfsig %s: exit %d %v\n%s", pdfPath, r.code, r.err, r.combined())
	}
	res := ParsePdfsig(r.stdout)
	if len(res) == 0 {
		t.Fatalf("pdfsig %s: no signature blocks in output:\n%s", pdfPath, r.stdout)
	}
	return res
}

// PdfsigSign adds a new signature (with a new, invisible field) to in and
// writes out, signing with the NSS certificate nick (see [ImportP12]).
// pdfsig makes an adbe.pkcs7.detached signature with SHA-256.
func PdfsigSign(t testing.TB, nssdb, nick, in, out string) {
	t.Helper()
	mustRun(t, "pdfsig", "-nssdir", nssdb, "-nick", nick, "-add-signature", in, out)
}

// PdfsigSignField signs the existing, empty signature field named field.
func PdfsigSignField(t testing.TB, nssdb, nick, field, in, out string) {
	t.Helper()
	mustRun(t, "pdfsig", "-nssdir", nssdb, "-nick", nick, "-sign", field, in, out)
}

// PdfsigValid runs pdfsig on pdfPath with the NSS database (and args such
// as -no-ocsp) and wants exactly n signatures, each "Signature is Valid."
// with a trusted certificate.
func PdfsigValid(t testing.TB, nssdb, pdfPath string, n int, args ...string) {
	t.Helper()
	out, err := Command(t, "pdfsig", append(append([]string{"-nssdir", nssdb}, args...), pdfPath)...)
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	got := 0
	for _, r := range ParsePdfsig(out) {
		if r.Signed {
			got++
			if !r.SignatureValid || !r.CertTrusted {
				t.Errorf("pdfsig %s: %s", pdfPath, r.Raw)
			}
		}
	}
	if got != n {
		t.Errorf("pdfsig sees %d signatures in %s, want %d", got, pdfPath, n)
	}
}
