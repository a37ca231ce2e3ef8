package judge_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/sample"
)

// samplePdfsig is real pdfsig 22.12.0 output (a PKS fixture with
// SigKabupaten signed by mutool) — kept so the parser is tested even where
// pdfsig is missing.
const samplePdfsig = `Digital Signature Info of: pks-signed.pdf
Signature #1:
  - Signature Field Name: SigProvinsi
  The signature form field is not signed.
Signature #2:
  - Signature Field Name: SigKabupaten
  - Signer Certificate Common Name: Budi Santoso
  - Signer full Distinguished Name: CN=Budi Santoso,O=Pemerintah Kabupaten Tuban,C=ID
  - Signing Time: Nov 27 2026 17:18:47
  - Signing Hash Algorithm: SHA1
  - Signature Type: adbe.pkcs7.detached
  - Signed Ranges: [0 - 53861], [56599 - 57189]
  - Total document signed
  - Signature Validation: Signature is Valid.
  - Certificate Validation: Certificate is Trusted.
`

// sampleTampered is real pdfsig output after one byte of the signed range
// was changed: no certificate line follows a digest mismatch.
const sampleTampered = `Digital Signature Info of: tampered.pdf
Signature #1:
  - Signature Field Name: SigKabupaten
  - Signer Certificate Common Name: Budi Santoso
  - Signer full Distinguished Name: CN=Budi Santoso,O=Pemerintah Kabupaten Tuban,C=ID
  - Signing Time: Nov 27 2026 17:18:47
  - Signing Hash Algorithm: SHA1
  - Signature Type: adbe.pkcs7.detached
  - Signed Ranges: [0 - 53861], [56599 - 57189]
  - Not total document signed
  - Signature Validation: Digest Mismatch.
`

func TestParsePdfsig(t *testing.T) {
	res := judge.ParsePdfsig(samplePdfsig)
	if len(res) != 2 {
		t.Fatalf("got %d results, want 2: %+v", len(res), res)
	}
	if r := res[0]; r.Index != 1 || r.Field != "SigProvinsi" || r.Signed || r.SignatureValid {
		t.Errorf("unsigned field parsed as %+v", r)
	}
	r := res[1]
	want := judge.PdfsigResult{Index: 2, Field: "SigKabupaten", Signed: true, SignerName: "Budi Santoso",
		SignerDN: "CN=Budi Santoso,O=Pemerintah Kabupaten Tuban,C=ID", SigningTime: "Nov 27 2026 17:18:47",
		HashAlgorithm: "SHA1", SubFilter: "adbe.pkcs7.detached", SignedRanges: "[0 - 53861], [56599 - 57189]",
		TotalDocumentSigned: true, SignatureValidation: "Signature is Valid.", SignatureValid: true,
		CertificateValidation: "Certificate is Trusted.", CertTrusted: true}
	r.Fields, r.Raw = nil, ""
	if r.String() != want.String() || r.SignerDN != want.SignerDN || r.SigningTime != want.SigningTime || r.SignedRanges != want.SignedRanges {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}

	bad := judge.ParsePdfsig(sampleTampered)
	if len(bad) != 1 || bad[0].SignatureValid || bad[0].SignatureValidation != "Digest Mismatch." ||
		bad[0].TotalDocumentSigned || bad[0].CertTrusted || bad[0].CertificateValidation != "" {
		t.Errorf("tampered parsed as %+v", bad)
	}
}

const sampleMutool = `Verifying signature 15:
	Signature is not signed.
Verifying signature 16:
	Distinguished name: cn=Budi Santoso, o=Pemerintah Kabupaten Tuban, ou=, email=, c=ID
	Certificate error: Unknown error.
	The document is unchanged since signing.
`

func TestParseMutoolVerify(t *testing.T) {
	res := judge.ParseMutoolVerify(sampleMutool)
	if len(res) != 2 || res[0].Object != 15 || res[0].Signed || res[1].Object != 16 || !res[1].Signed ||
		!res[1].Unchanged || res[1].CertError != "Unknown error." || !strings.HasPrefix(res[1].DN, "cn=Budi Santoso") {
		t.Fatalf("parsed %+v", res)
	}
	if !judge.MutoolUnchanged(sampleMutool) {
		t.Error("MutoolUnchanged(unchanged report) = false")
	}
	edited := strings.Replace(sampleMutool, "The document is unchanged since signing.",
		"The signature is valid but there have been edits since signing.", 1)
	if judge.MutoolUnchanged(edited) {
		t.Error("MutoolUnchanged(edited report) = true")
	}
	digest := strings.Replace(sampleMutool, "The document is unchanged since signing.",
		"Digest error: Signature invalidated by change to document.", 1)
	if judge.MutoolUnchanged(digest) || judge.ParseMutoolVerify(digest)[1].DigestError == "" {
		t.Error("digest error not recognised")
	}
	if judge.MutoolUnchanged("Verifying signature 15:\n\tSignature is not signed.\n") {
		t.Error("MutoolUnchanged(no signed field) = true")
	}
}

func TestExtractSignaturesPadding(t *testing.T) {
	// A fake file: /ByteRange around a padded hex string holding a tiny
	// DER SEQUENCE (30 03 02 01 05).
	prefix := "%PDF-1.7\n<< /ByteRange [0 AAAA BBBB CCCC] /Contents "
	hexs := "<3003020105" + strings.Repeat("0", 21) + ">"
	suffix := " >>\n%%EOF\n"
	a, b := 0, len(prefix)
	c := b + len(hexs)
	d := len(suffix)
	header := strings.NewReplacer("AAAA", pad4(b), "BBBB", pad4(c), "CCCC", pad4(d)).Replace(prefix)
	file := []byte(header + hexs + suffix)
	sigs, err := judge.ExtractSignatures(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || !bytes.Equal(sigs[0].CMS, []byte{0x30, 3, 2, 1, 5}) {
		t.Fatalf("got %+v", sigs)
	}
	if want := header + suffix; string(sigs[0].Signed) != want || sigs[0].ByteRange[0] != int64(a) {
		t.Errorf("signed bytes %q, want %q", sigs[0].Signed, want)
	}
}

func pad4(n int) string { return fmt.Sprintf("%04d", n) }

// setup makes a development CA, a signer identity (files in dir) and the
// PKS sample.
type setup struct {
	dir, root, inter, p12, key, chain, pks string
	ca                                     *devca.CA
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{dir: t.TempDir()}
	var err error
	s.ca, err = devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.ca.Issue(devca.LeafRequest{CommonName: "Budi Santoso", Organization: "Pemerintah Kabupaten Tuban",
		OrganizationalUnit: "Dinas Komunikasi dan Informatika", Email: "budi.santoso@example.go.id"})
	if err != nil {
		t.Fatal(err)
	}
	s.root = filepath.Join(s.dir, "root.pem")
	s.inter = filepath.Join(s.dir, "intermediate.pem")
	s.p12 = filepath.Join(s.dir, "signer.p12")
	s.key = filepath.Join(s.dir, "signer.key")
	s.chain = filepath.Join(s.dir, "signer-chain.pem")
	s.pks = filepath.Join(s.dir, "pks.pdf")
	if err := s.ca.WriteRootPEM(s.root); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.inter, s.ca.IntermediatePEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := id.WriteP12(s.p12, "rahasia", false, false); err != nil {
		t.Fatal(err)
	}
	if err := id.WritePEM(s.key, s.chain, false); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sample.PKS(&buf, sample.PKSOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.pks, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

func find(t *testing.T, res []judge.PdfsigResult, field string) judge.PdfsigResult {
	t.Helper()
	for _, r := range res {
		if r.Field == field {
			return r
		}
	}
	t.Fatalf("no pdfsig result for field %s in %v", field, res)
	return judge.PdfsigResult{}
}

// TestJudgesAcceptAndReject signs the PKS fixture with mutool and checks
// that every judge accepts it, then breaks it in several ways and checks
// that the judges notice: the judges can fail.
func TestJudgesAcceptAndReject(t *testing.T) {
	for _, tool := range []string{"mutool", "pdfsig", "certutil", "openssl", "qpdf"} {
		judge.Require(t, tool)
	}
	s := newSetup(t)
	signed := filepath.Join(s.dir, "pks-signed.pdf")
	judge.MutoolSignField(t, s.pks, signed, s.p12, "rahasia", "SigKabupaten")

	// mutool 1.21 embeds only the signer certificate: NSS needs the
	// (untrusted) intermediate to build the chain.
	nss := judge.NewNSSDB(t, s.root)
	judge.AddNSSIntermediate(t, nss, s.inter)
	res := judge.Pdfsig(t, nss, signed)
	if len(res) != 2 {
		t.Fatalf("pdfsig: %d results, want 2: %v", len(res), res)
	}
	if p := find(t, res, "SigProvinsi"); p.Signed {
		t.Errorf("SigProvinsi should be unsigned: %v", p)
	}
	k := find(t, res, "SigKabupaten")
	if !k.Signed || !k.SignatureValid || !k.CertTrusted || !k.TotalDocumentSigned || k.SignerName != "Budi Santoso" ||
		k.SubFilter != "adbe.pkcs7.detached" {
		t.Errorf("SigKabupaten: %v\n%s", k, k.Raw)
	}
	if err := judge.OpenSSLCMSVerify(t, signed, 0, s.root, s.inter); err != nil {
		t.Errorf("openssl rejects a good signature: %v", err)
	}
	if err := judge.QPDFCheck(t, signed); err != nil {
		t.Error(err)
	}
	text, err := judge.MutoolVerify(t, signed)
	if err != nil || !judge.MutoolUnchanged(text) {
		t.Errorf("mutool verify: %v\n%s", err, text)
	}

	t.Run("tampered", func(t *testing.T) {
		data, err := os.ReadFile(signed)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(data, []byte("Biro Hukum"))
		if i < 0 {
			t.Fatal("no /Author text to tamper with")
		}
		data[i] = 'b' // still inside the first signed range
		bad := filepath.Join(t.TempDir(), "tampered.pdf")
		if err := os.WriteFile(bad, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := find(t, judge.Pdfsig(t, nss, bad), "SigKabupaten")
		if r.SignatureValid || r.SignatureValidation != "Digest Mismatch." {
			t.Errorf("pdfsig accepts a tampered file: %v", r)
		}
		if err := judge.OpenSSLCMSVerify(t, bad, 0, s.root, s.inter); err == nil {
			t.Error("openssl accepts a tampered file")
		} else {
			t.Logf("openssl says (as expected): %.200s", err)
		}
		text, err := judge.MutoolVerify(t, bad)
		if err != nil || judge.MutoolUnchanged(text) {
			t.Errorf("mutool: %v\n%s", err, text)
		}
	})

	t.Run("untrusted root", func(t *testing.T) {
		other, err := devca.New(devca.Options{})
		if err != nil {
			t.Fatal(err)
		}
		otherRoot := filepath.Join(t.TempDir(), "other-root.pem")
		if err := other.WriteRootPEM(otherRoot); err != nil {
			t.Fatal(err)
		}
		db := judge.NewNSSDB(t, otherRoot)
		judge.AddNSSIntermediate(t, db, s.inter)
		r := find(t, judge.Pdfsig(t, db, signed), "SigKabupaten")
		if !r.SignatureValid || r.CertTrusted {
			t.Errorf("pdfsig with a foreign root: %v", r)
		}
		if err := judge.OpenSSLCMSVerify(t, signed, 0, otherRoot, s.inter); err == nil {
			t.Error("openssl accepts a signature that does not chain to the given root")
		}
	})

	t.Run("appended bytes", func(t *testing.T) {
		data, err := os.ReadFile(signed)
		if err != nil {
			t.Fatal(err)
		}
		more := filepath.Join(t.TempDir(), "appended.pdf")
		if err := os.WriteFile(more, append(data, "% appended after signing\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		r := find(t, judge.Pdfsig(t, nss, more), "SigKabupaten")
		if !r.SignatureValid || r.TotalDocumentSigned {
			t.Errorf("pdfsig on appended file: %v", r)
		}
		text, err := judge.MutoolVerify(t, more)
		if err != nil || judge.MutoolUnchanged(text) {
			t.Errorf("mutool on appended file: %v\n%s", err, text)
		}
	})

	t.Run("second signature by pdfsig", func(t *testing.T) {
		judge.Require(t, "pk12util")
		db := judge.NewNSSDB(t, s.root)
		nick := judge.ImportP12(t, db, s.p12, "rahasia")
		if nick == "" {
			t.Fatal("no nickname")
		}
		both := filepath.Join(t.TempDir(), "pks-both.pdf")
		judge.PdfsigSignField(t, db, nick, "SigProvinsi", signed, both)
		res := judge.Pdfsig(t, nss, both)
		p, k := find(t, res, "SigProvinsi"), find(t, res, "SigKabupaten")
		if !p.SignatureValid || !p.CertTrusted || !p.TotalDocumentSigned || p.HashAlgorithm != "SHA-256" {
			t.Errorf("pdfsig's own signature: %v", p)
		}
		if !k.SignatureValid || k.TotalDocumentSigned {
			t.Errorf("first signature after a second one: %v", k)
		}
		if err := judge.OpenSSLCMSVerify(t, both, 0, s.root, s.inter); err != nil {
			t.Errorf("mutool's signature: %v", err)
		}
		// NSS embeds the chain, so the one-step verification applies.
		if err := judge.OpenSSLCMSVerify(t, both, 1, s.root); err != nil {
			t.Errorf("pdfsig's signature: %v", err)
		}
		if err := judge.OpenSSLCMSVerify(t, both, 2, s.root); err == nil {
			t.Error("no error for a signature index out of range")
		}
		added := filepath.Join(t.TempDir(), "pks-added.pdf")
		judge.PdfsigSign(t, db, nick, s.pks, added)
		if got := judge.Pdfsig(t, nss, added); len(got) != 3 {
			t.Errorf("after -add-signature: %v", got)
		}
	})

	t.Run("podofosign", func(t *testing.T) {
		judge.Require(t, "podofosign")
		out := filepath.Join(t.TempDir(), "pks-podofo.pdf")
		judge.PodofoSignField(t, s.pks, out, s.chain, s.key, "SigProvinsi")
		// podofosign embeds only the leaf.
		r := find(t, judge.Pdfsig(t, nss, out), "SigProvinsi")
		if !r.SignatureValid || !r.CertTrusted || !r.TotalDocumentSigned || r.HashAlgorithm != "SHA-256" {
			t.Errorf("podofosign signature: %v", r)
		}
		if err := judge.OpenSSLCMSVerify(t, out, 0, s.root, s.inter); err != nil {
			t.Error(err)
		}
		added := filepath.Join(t.TempDir(), "pks-podofo-new.pdf")
		judge.PodofoSign(t, s.pks, added, s.chain, s.key)
		if got := judge.Pdfsig(t, nss, added); len(got) != 3 {
			t.Errorf("podofosign new field: %v", got)
		}
	})

	t.Run("mutool first empty field", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "pks-first.pdf")
		judge.MutoolSign(t, s.pks, out, s.p12, "rahasia")
		res := judge.Pdfsig(t, nss, out)
		if p, k := find(t, res, "SigProvinsi"), find(t, res, "SigKabupaten"); !p.Signed || !p.SignatureValid || k.Signed {
			t.Errorf("MutoolSign: %v", res)
		}
		fields := judge.MutoolSigFields(t, out)
		if len(fields) != 2 || fields[0].Name != "SigProvinsi" || !fields[0].Signed || fields[1].Name != "SigKabupaten" || fields[1].Signed {
			t.Errorf("MutoolSigFields: %+v", fields)
		}
	})

	t.Run("no signatures", func(t *testing.T) {
		var buf bytes.Buffer
		if err := sample.Minimal(&buf); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "minimal.pdf")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := judge.Pdfsig(t, nss, p); len(got) != 0 {
			t.Errorf("pdfsig on an unsigned file: %v", got)
		}
		if err := judge.OpenSSLCMSVerify(t, p, 0, s.root); err == nil {
			t.Error("openssl judge found a signature in an unsigned file")
		}
	})
}

func TestQPDFCheckFails(t *testing.T) {
	judge.Require(t, "qpdf")
	p := filepath.Join(t.TempDir(), "broken.pdf")
	if err := os.WriteFile(p, []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := judge.QPDFCheck(t, p); err == nil {
		t.Error("qpdf --check accepted a file without xref and pages")
	}
}
