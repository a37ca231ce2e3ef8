package judge

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// qpdfClean is what qpdf --check prints for a file without syntax errors.
const qpdfClean = "No syntax or stream encoding errors found"

// QPDFCheck runs `qpdf --check path`. It returns nil when qpdf exits 0, or
// 3 (warnings), and its output says "No syntax or stream encoding errors
// found"; otherwise an error carrying qpdf's output.
func QPDFCheck(t testing.TB, path string) error {
	t.Helper()
	r := run(t, "qpdf", "--check", path)
	if r.err != nil {
		return r.err
	}
	if (r.code == 0 || r.code == 3) && strings.Contains(r.stdout, qpdfClean) {
		return nil
	}
	return fmt.Errorf("qpdf --check %s: exit %d:\n%s", path, r.code, r.combined())
}

// MutoolVerify runs `mutool sign -v path` and returns its report. MuPDF
// 1.21 prints, per signature field:
//
//	Verifying signature 16:
//		Distinguished name: cn=Budi Santoso, o=..., ou=, email=, c=ID
//		Certificate error: Unknown error.
//		The document is unchanged since signing.
//
// or "\tSignature is not signed." for an empty field. The last line of a
// signed field is one of "The document is unchanged since signing.", "The
// signature is valid but there have been edits since signing." or "Digest
// error: ...". MuPDF has no trust store for our development root, so its
// certificate line is not meaningful here.
func MutoolVerify(t testing.TB, path string) (string, error) {
	t.Helper()
	r := run(t, "mutool", "sign", "-v", path)
	if r.err != nil {
		return r.combined(), r.err
	}
	if r.code != 0 {
		return r.combined(), fmt.Errorf("mutool sign -v %s: exit %d:\n%s", path, r.code, r.combined())
	}
	return r.stdout, nil
}

// MutoolResult is one "Verifying signature N:" block of `mutool sign -v`.
type MutoolResult struct {
	Object    int    // object number of the signature field
	Signed    bool   // false for "Signature is not signed."
	DN        string // "Distinguished name: ..."
	CertError string // text after "Certificate error: ", if any
	// Unchanged: "The document is unchanged since signing."
	Unchanged bool
	// EditedAfter: "The signature is valid but there have been edits since signing."
	EditedAfter bool
	// DigestError: text after "Digest error: ", if any (e.g. "Signature
	// invalidated by change to document.").
	DigestError string
	Raw         string
}

var mutoolHeader = regexp.MustCompile(`(?m)^Verifying signature (\d+):[ \t]*$`)

// ParseMutoolVerify parses the output of `mutool sign -v` (see
// [MutoolVerify]) into one result per signature field, in mutool's order.
func ParseMutoolVerify(text string) []MutoolResult {
	locs := mutoolHeader.FindAllStringSubmatchIndex(text, -1)
	var res []MutoolResult
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		n, _ := strconv.Atoi(text[loc[2]:loc[3]])
		block := text[loc[0]:end]
		r := MutoolResult{Object: n, Signed: true, Raw: strings.TrimRight(block, "\n")}
		for _, line := range strings.Split(block, "\n")[1:] {
			line = strings.TrimSpace(line)
			switch {
			case line == "Signature is not signed.":
				r.Signed = false
			case strings.HasPrefix(line, "Distinguished name: "):
				r.DN = strings.TrimPrefix(line, "Distinguished name: ")
			case strings.HasPrefix(line, "Certificate error: "):
				r.CertError = strings.TrimPrefix(line, "Certificate error: ")
			case strings.HasPrefix(line, "Digest error: "):
				r.DigestError = strings.TrimPrefix(line, "Digest error: ")
			case strings.Contains(line, "unchanged since signing"):
				r.Unchanged = true
			case strings.Contains(line, "edits since signing"):
				r.EditedAfter = true
			}
		}
		res = append(res, r)
	}
	return res
}

// MutoolUnchanged reports whether a `mutool sign -v` report says that the
// document is unchanged since its last signature: the last signed field
// reads "The document is unchanged since signing." and no signed field has
// a digest error.
func MutoolUnchanged(text string) bool {
	var last *MutoolResult
	res := ParseMutoolVerify(text)
	for i := range res {
		if !res[i].Signed {
			continue
		}
		if res[i].DigestError != "" {
			return false
		}
		last = &res[i]
	}
	return last != nil && last.Unchanged
}

// MutoolField is a signature field as listed by `mutool sign FILE`.
type MutoolField struct {
	Object int    // object number
	Name   string // partial field name (/T)
	Signed bool
}

var mutoolListLine = regexp.MustCompile(`(?m)^\s*(\d+):\s*(.*)$`)

// MutoolSigFields lists the signature fields of path with `mutool sign`
// (which prints "   15: Signature is not signed." or "   16: Distinguished
// name: ..." per field) and looks up each field's /T with `mutool show`.
func MutoolSigFields(t testing.TB, path string) []MutoolField {
	t.Helper()
	r := mustRun(t, "mutool", "sign", path)
	var out []MutoolField
	for _, m := range mutoolListLine.FindAllStringSubmatch(r.stdout, -1) {
		n, _ := strconv.Atoi(m[1])
		f := MutoolField{Object: n, Signed: !strings.Contains(m[2], "not signed")}
		s := run(t, "mutool", "show", path, m[1]+"/T")
		if s.err == nil && s.code == 0 {
			f.Name = unparen(strings.TrimSpace(s.stdout))
		}
		out = append(out, f)
	}
	return out
}

// unparen turns mutool's rendering of a literal string "(abc)" into abc,
// undoing the common backslash escapes.
func unparen(s string) string {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return s
	}
	s = s[1 : len(s)-1]
	return strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(s)
}

// MutoolSign signs the first empty signature field of in with the PKCS#12
// identity p12 (MuPDF makes an adbe.pkcs7.detached signature with SHA-1
// and a visible appearance) and writes out.
func MutoolSign(t testing.TB, in, out, p12, password string) {
	t.Helper()
	MutoolSignField(t, in, out, p12, password, "")
}

// MutoolSignField is [MutoolSign] into the empty signature field named
// field (the first empty one when field is "").
func MutoolSignField(t testing.TB, in, out, p12, password, field string) {
	t.Helper()
	fields := MutoolSigFields(t, in)
	for _, f := range fields {
		if f.Signed || (field != "" && f.Name != field) {
			continue
		}
		mustRun(t, "mutool", "sign", "-s", p12, "-P", password, "-o", out, in, strconv.Itoa(f.Object))
		return
	}
	t.Fatalf("mutool: no empty signature field %q in %s (fields: %+v)", field, in, fields)
}

// PodofoSign signs in with podofosign, adding a new (invisible) signature
// field, using the first certificate of certPEM and the PKCS#8/PEM key
// keyPEM, with SHA-256, and writes out. podofosign puts only that
// certificate in the CMS, not the chain.
func PodofoSign(t testing.TB, in, out, certPEM, keyPEM string) {
	t.Helper()
	mustRun(t, "podofosign", "-in", in, "-out", out, "-cert", certPEM, "-pkey", keyPEM, "-digest", "SHA256")
}

// PodofoSignField is [PodofoSign] into the existing signature field named
// field.
func PodofoSignField(t testing.TB, in, out, certPEM, keyPEM, field string) {
	t.Helper()
	mustRun(t, "podofosign", "-in", in, "-out", out, "-cert", certPEM, "-pkey", keyPEM, "-digest", "SHA256",
		"-field-name", field, "-field-use-existing")
}
