package verify

// Regression cases for CMS-level quirks of honest producers: a signature
// OID as the SignerInfo digestAlgorithm, certificates whose name strings
// crypto/x509 refuses, adbe.x509.rsa_sha1, detached signatures that also
// encapsulate the signed bytes, and several SignerInfos of one signer. The
// files are made here: a signature dictionary is written with pdf.Update
// and its /Contents filled with a CMS (or PKCS#1) built by hand.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"segel/internal/cms"
	"segel/internal/devca"
	"segel/internal/judge"
	"segel/pdf"
)

var (
	qOIDData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	qOIDSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	qOIDContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	qOIDMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	qOIDSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	qOIDSHA1          = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	qOIDSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	qOIDRSA           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	qOIDSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	qOIDSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	qOIDECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// qTLV encodes one DER element with a one-byte tag.
func qTLV(tag byte, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	n := len(body)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, body...)
}

func qSeq(parts ...[]byte) []byte { return qTLV(0x30, parts...) }

// qSetOf is a DER SET OF (members sorted).
func qSetOf(parts ...[]byte) []byte {
	s := append([][]byte(nil), parts...)
	sort.Slice(s, func(i, j int) bool { return bytes.Compare(s[i], s[j]) < 0 })
	return qTLV(0x31, s...)
}

func qOID(oid asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(oid)
	if err != nil {
		panic(err)
	}
	return b
}

// qAlg is an AlgorithmIdentifier, with NULL parameters for RSA OIDs.
func qAlg(oid asn1.ObjectIdentifier) []byte {
	if len(oid) == 7 && oid[:6].Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1}) {
		return qSeq(qOID(oid), []byte{5, 0})
	}
	return qSeq(qOID(oid))
}

func qDigest(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

// qSigner is one SignerInfo to build.
type qSigner struct {
	key       crypto.Signer
	cert      *x509.Certificate
	hash      crypto.Hash
	digestAlg asn1.ObjectIdentifier // written as digestAlgorithm
	sigAlg    asn1.ObjectIdentifier
	digest    []byte // messageDigest
}

func (q qSigner) encode(t testing.TB) []byte {
	t.Helper()
	serial, err := asn1.Marshal(q.cert.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	certHash := sha256.Sum256(q.cert.Raw)
	ess := qSeq(qSeq(qSeq(qTLV(0x04, certHash[:]))))
	attrs := qSetOf(
		qSeq(qOID(qOIDContentType), qSetOf(qOID(qOIDData))),
		qSeq(qOID(qOIDMessageDigest), qSetOf(qTLV(0x04, q.digest))),
		qSeq(qOID(qOIDSigningCertV2), qSetOf(ess)),
	)
	sig, err := q.key.Sign(rand.Reader, qDigest(q.hash, attrs), q.hash)
	if err != nil {
		t.Fatal(err)
	}
	return qSeq(
		[]byte{2, 1, 1},
		qSeq(q.cert.RawIssuer, serial),
		qAlg(q.digestAlg),
		append([]byte{0xa0}, attrs[1:]...),
		qAlg(q.sigAlg),
		qTLV(0x04, sig),
	)
}

// qSignedData encodes a ContentInfo with the given SignerInfos;
// eContent nil means detached.
func qSignedData(eContent []byte, certs []*x509.Certificate, signerInfos ...[]byte) []byte {
	encap := [][]byte{qOID(qOIDData)}
	if eContent != nil {
		encap = append(encap, qTLV(0xa0, qTLV(0x04, eContent)))
	}
	var raw [][]byte
	for _, c := range certs {
		raw = append(raw, c.Raw)
	}
	sd := qSeq(
		[]byte{2, 1, 1},
		qSetOf(qAlg(qOIDSHA256)),
		qSeq(encap...),
		qTLV(0xa0, raw...),
		qTLV(0x31, signerInfos...),
	)
	return qSeq(qOID(qOIDSignedData), qTLV(0xa0, sd))
}

// quirkPDF fills the empty signature field of in with a signature
// dictionary of the given SubFilter (plus extra entries, in PDF syntax)
// whose /Contents reserves reserve bytes, and fills /Contents with what
// contents returns for the signed bytes.
func quirkPDF(t testing.TB, in []byte, field, subFilter, extra string, reserve int, contents func(signed []byte) []byte) []byte {
	t.Helper()
	doc, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := doc.Fields()
	if err != nil {
		t.Fatal(err)
	}
	u := doc.NewUpdate()
	ref := u.Alloc()
	found := false
	for _, f := range fields {
		if f.Name == field {
			fd := pdf.Dict{}
			for k, v := range f.Dict {
				fd[k] = v
			}
			fd["V"] = ref
			u.Set(f.Ref, fd)
			found = true
		}
	}
	if !found {
		t.Fatalf("no field %s", field)
	}
	const slot = 33
	var body bytes.Buffer
	fmt.Fprintf(&body, "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /%s\n/ByteRange [0 ", subFilter)
	rangeAt := body.Len()
	body.WriteString(strings.Repeat(" ", slot) + "]\n/Contents ")
	contentsAt := body.Len()
	body.WriteString("<" + strings.Repeat("0", 2*reserve) + ">\n/M (D:20261203080000+07'00')" + extra + ">>")
	u.SetRaw(ref, body.Bytes())
	w, err := u.Write()
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(in), w.Bytes...)
	at := len(in) + w.Offsets[ref]
	gapStart, gapEnd := at+contentsAt, at+contentsAt+2+2*reserve
	br := fmt.Sprintf("%d %d %d", gapStart, gapEnd, len(out)-gapEnd)
	copy(out[at+rangeAt:], br)
	signed := append(bytes.Clone(out[:gapStart]), out[gapEnd:]...)
	c := contents(signed)
	if len(c) > reserve {
		t.Fatalf("contents of %d bytes, %d reserved", len(c), reserve)
	}
	copy(out[gapStart+1:], strings.ToUpper(hex.EncodeToString(c)))
	return out
}

// quirkCMSPDF is quirkPDF with a CMS built by build from the signed bytes.
func quirkCMSPDF(t *testing.T, subFilter string, build func(signed []byte) []byte) []byte {
	t.Helper()
	return quirkPDF(t, testdataFile(t, "pks.pdf"), "SigKabupaten", subFilter, "", 24<<10, build)
}

func quirkWarned(s Signature, sub string) bool {
	for _, w := range s.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// quirkExpect checks the one signature's verdict and, for a pass, a
// warning containing warn.
func quirkExpect(t *testing.T, name string, b []byte, roots *x509.CertPool, ind, sub, warn string) Signature {
	t.Helper()
	rep := verifyBytes(t, b, Options{Roots: roots})
	if len(rep.Signatures) != 1 {
		t.Fatalf("%s: %d signatures", name, len(rep.Signatures))
	}
	s := rep.Signatures[0]
	if s.Indication != ind || (sub != "" && s.SubIndication != sub) {
		t.Errorf("%s: %s/%s, want %s/%s; errors %q; warnings %q", name, s.Indication, s.SubIndication, ind, sub, s.Errors, s.Warnings)
	}
	if warn != "" && !quirkWarned(s, warn) {
		t.Errorf("%s: no warning with %q: %q", name, warn, s.Warnings)
	} else if warn != "" {
		t.Logf("%s: %s %q", name, s.Indication, s.Warnings)
	}
	return s
}

// TestQuirkDigestAlgorithmOID: a SignerInfo whose digestAlgorithm is a
// signature (or key) algorithm OID passes with a warning; a wrong digest
// under it still fails.
func TestQuirkDigestAlgorithmOID(t *testing.T) {
	rsaPKI := newPKI(t, devca.RSA2048)
	ecPKI := newPKI(t, devca.ECDSAP256)
	cases := []struct {
		name              string
		p                 *pki
		hash              crypto.Hash
		digestAlg, sigAlg asn1.ObjectIdentifier
	}{
		{"sha256WithRSAEncryption", rsaPKI, crypto.SHA256, qOIDSHA256WithRSA, qOIDRSA},
		{"sha1WithRSAEncryption", rsaPKI, crypto.SHA1, qOIDSHA1WithRSA, qOIDSHA1WithRSA},
		{"rsaEncryption", rsaPKI, crypto.SHA256, qOIDRSA, qOIDRSA},
		{"ecdsa-with-SHA256", ecPKI, crypto.SHA256, qOIDECDSASHA256, qOIDECDSASHA256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, wrong := range []bool{false, true} {
				b := quirkCMSPDF(t, "adbe.pkcs7.detached", func(signed []byte) []byte {
					d := qDigest(c.hash, signed)
					if wrong {
						d = qDigest(c.hash, append(signed, '!'))
					}
					si := qSigner{c.p.id.Key, c.p.id.Cert, c.hash, c.digestAlg, c.sigAlg, d}
					return qSignedData(nil, c.p.id.Chain, si.encode(t))
				})
				if wrong {
					quirkExpect(t, c.name+" with a wrong digest", b, c.p.pool(c.p.ca.Root), TotalFailed, HashFailure, "")
					continue
				}
				s := quirkExpect(t, c.name, b, c.p.pool(c.p.ca.Root), TotalPassed, "", "digestAlgorithm")
				if s.DigestAlgorithm != hashName(c.hash) || !s.Trusted {
					t.Errorf("digest %s trusted %v", s.DigestAlgorithm, s.Trusted)
				}
			}
		})
	}
}

// quirkLeaf issues, under p's intermediate, a leaf whose subject CN is a
// PrintableString holding '_' (which crypto/x509 refuses).
func quirkLeaf(t *testing.T, p *pki, key crypto.Signer) *x509.Certificate {
	t.Helper()
	name := qSeq(
		qSetOf(qSeq(qOID(asn1.ObjectIdentifier{2, 5, 4, 6}), qTLV(asn1.TagPrintableString, []byte("ID")))),
		qSetOf(qSeq(qOID(asn1.ObjectIdentifier{2, 5, 4, 10}), qTLV(asn1.TagUTF8String, []byte("Pemerintah Kabupaten Tuban")))),
		qSetOf(qSeq(qOID(asn1.ObjectIdentifier{2, 5, 4, 3}), qTLV(asn1.TagPrintableString, []byte("Kepala_Dinas_Kominfo")))),
	)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), RawSubject: name,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}, p.ca.Intermediate, key.Public(), p.ca.IntermediateKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("crypto/x509 accepts the quirky name")
	}
	c, quirks, err := cms.ParseCertificate(der)
	if err != nil || len(quirks) != 1 {
		t.Fatalf("%v %v", quirks, err)
	}
	return c
}

// TestQuirkLenientCertificate: a signer certificate whose name crypto/x509
// refuses passes, chained to the root, with a warning; signed with a key
// that is not the certificate's it fails; its name changed, it is no
// longer trusted.
func TestQuirkLenientCertificate(t *testing.T) {
	p := newPKI(t, devca.ECDSAP256)
	key, err := devca.GenerateKey(devca.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	leaf := quirkLeaf(t, p, key)
	chain := []*x509.Certificate{leaf, p.ca.Intermediate}
	build := func(k crypto.Signer) []byte {
		return quirkCMSPDF(t, "adbe.pkcs7.detached", func(signed []byte) []byte {
			si := qSigner{k, leaf, crypto.SHA256, qOIDSHA256, qOIDECDSASHA256, qDigest(crypto.SHA256, signed)}
			return qSignedData(nil, chain, si.encode(t))
		})
	}
	b := build(key)
	s := quirkExpect(t, "lenient signer certificate", b, p.pool(p.ca.Root), TotalPassed, "", "read leniently")
	if !s.Trusted || !strings.Contains(s.Signer, "Kepala_Dinas_Kominfo") || len(s.Chain) != 3 {
		t.Errorf("signer %q trusted %v chain %v", s.Signer, s.Trusted, s.Chain)
	}
	quirkExpect(t, "signed with another key", build(p.id.Key), p.pool(p.ca.Root), TotalFailed, SigCryptoFailure, "")

	// The certificate as embedded, its name changed: it is still read, but
	// it is not the certificate the intermediate signed (nor the one the
	// signing-certificate attribute names).
	i := bytes.Index(b, []byte(strings.ToUpper(hex.EncodeToString([]byte("Kepala_Dinas_Kominfo")))))
	if i < 0 {
		t.Fatal("name not found in /Contents")
	}
	bad := bytes.Clone(b)
	copy(bad[i:], strings.ToUpper(hex.EncodeToString([]byte("Kepala_Dinas_Bupati_"))))
	rep := verifyBytes(t, bad, Options{Roots: p.pool(p.ca.Root)})
	if rep.Indication == TotalPassed || rep.Signatures[0].Trusted {
		t.Errorf("a changed name: %s trusted=%v", rep.Indication, rep.Signatures[0].Trusted)
	}
}

// TestQuirkRSASHA1: adbe.x509.rsa_sha1 signatures verify (SHA-1 or the
// hash the DigestInfo names, bare or wrapped in a SEQUENCE, /Cert a string
// or an array), and fail when the bytes, the key or the certificate are
// wrong.
func TestQuirkRSASHA1(t *testing.T) {
	p := newPKI(t, devca.RSA2048)
	hexCert := func(c *x509.Certificate) string { return "<" + hex.EncodeToString(c.Raw) + ">" }
	single := "\n/Cert " + hexCert(p.id.Cert)
	array := "\n/Cert [" + hexCert(p.id.Cert) + " " + hexCert(p.ca.Intermediate) + "]"
	sign := func(key crypto.Signer, h crypto.Hash, wrap bool) func([]byte) []byte {
		return func(signed []byte) []byte {
			sig, err := key.Sign(rand.Reader, qDigest(h, signed), h)
			if err != nil {
				t.Fatal(err)
			}
			if wrap {
				return qSeq(qTLV(0x04, sig))
			}
			return qTLV(0x04, sig)
		}
	}
	in := testdataFile(t, "pks.pdf")
	mk := func(extra string, contents func([]byte) []byte) []byte {
		return quirkPDF(t, in, "SigKabupaten", "adbe.x509.rsa_sha1", extra, 1024, contents)
	}
	withRoot := p.pool(p.ca.Root)
	withInter := p.pool(p.ca.Intermediate) // /Cert without the chain

	s := quirkExpect(t, "SHA-1, /Cert array", mk(array, sign(p.id.Key, crypto.SHA1, false)), withRoot, TotalPassed, "", "")
	if !s.Intact || !s.Valid || !s.Trusted || s.DigestAlgorithm != "SHA-1" || s.SignatureAlgorithm != "RSA" || s.Level != "" {
		t.Errorf("%+v", s)
	}
	quirkExpect(t, "SHA-1, /Cert string", mk(single, sign(p.id.Key, crypto.SHA1, false)), withInter, TotalPassed, "", "")
	s = quirkExpect(t, "SHA-256", mk(array, sign(p.id.Key, crypto.SHA256, false)), withRoot, TotalPassed, "", "")
	if s.DigestAlgorithm != "SHA-256" {
		t.Errorf("digest %s", s.DigestAlgorithm)
	}
	quirkExpect(t, "wrapped in a SEQUENCE", mk(array, sign(p.id.Key, crypto.SHA1, true)), withRoot, TotalPassed, "", "SEQUENCE")
	quirkExpect(t, "without a trust root", mk(array, sign(p.id.Key, crypto.SHA1, false)), nil, Indeterminate, NoCertificateChainFound, "")

	good := mk(array, sign(p.id.Key, crypto.SHA1, false))
	bad := bytes.Clone(good)
	bad[10] ^= 0x01 // the binary comment of the header: still a PDF
	quirkExpect(t, "a changed byte", bad, withRoot, TotalFailed, HashFailure, "")
	other := newPKI(t, devca.RSA2048)
	quirkExpect(t, "another key", mk(array, sign(other.id.Key, crypto.SHA1, false)), withRoot, TotalFailed, SigCryptoFailure, "")
	quirkExpect(t, "no /Cert", mk("", sign(p.id.Key, crypto.SHA1, false)), withRoot, Indeterminate, NoSigningCertificateFound, "")
	quirkExpect(t, "a CMS instead of PKCS#1", mk(array, func(signed []byte) []byte {
		si := qSigner{p.id.Key, p.id.Cert, crypto.SHA256, qOIDSHA256, qOIDRSA, qDigest(crypto.SHA256, signed)}
		return qSignedData(nil, p.id.Chain, si.encode(t))[:1000]
	}), withRoot, TotalFailed, FormatFailure, "")
	ec := newPKI(t, devca.ECDSAP256)
	quirkExpect(t, "an ECDSA certificate", mk("\n/Cert "+hexCert(ec.id.Cert), sign(p.id.Key, crypto.SHA1, false)), withRoot, TotalFailed, SigCryptoFailure, "")
}

// TestQuirkDetachedWithEContent: a detached signature whose CMS also
// encapsulates exactly the signed bytes passes with a warning; one that
// encapsulates anything else (pyHanko's test file encapsulates an empty
// string while its messageDigest is the byte range's) fails.
func TestQuirkDetachedWithEContent(t *testing.T) {
	p := newPKI(t, devca.RSA2048)
	build := func(subFilter string, eContent func(signed []byte) []byte, mdOfEContent bool) []byte {
		return quirkCMSPDF(t, subFilter, func(signed []byte) []byte {
			ec := eContent(signed)
			md := qDigest(crypto.SHA256, signed)
			if mdOfEContent {
				md = qDigest(crypto.SHA256, ec)
			}
			si := qSigner{p.id.Key, p.id.Cert, crypto.SHA256, qOIDSHA256, qOIDRSA, md}
			return qSignedData(ec, p.id.Chain, si.encode(t))
		})
	}
	root := p.pool(p.ca.Root)
	same := func(signed []byte) []byte { return signed }
	for _, sf := range []string{"adbe.pkcs7.detached", "ETSI.CAdES.detached"} {
		s := quirkExpect(t, sf+": the signed bytes encapsulated", build(sf, same, false), root, TotalPassed, "", "also encapsulates the signed bytes")
		if !s.Intact || !s.Valid {
			t.Errorf("%+v", s)
		}
	}
	empty := func([]byte) []byte { return []byte{} }
	s := quirkExpect(t, "empty eContent, messageDigest of the byte range", build("adbe.pkcs7.detached", empty, false), root, TotalFailed, FormatFailure, "")
	if s.Intact || s.Valid {
		t.Errorf("intact %v valid %v", s.Intact, s.Valid)
	}
	quirkExpect(t, "empty eContent, messageDigest of it", build("adbe.pkcs7.detached", empty, true), root, TotalFailed, FormatFailure, "")
	other := func(signed []byte) []byte { return append(bytes.Clone(signed[:len(signed)-1]), '!') }
	quirkExpect(t, "other eContent of the same length", build("adbe.pkcs7.detached", other, true), root, TotalFailed, FormatFailure, "")
	quirkExpect(t, "the signed bytes encapsulated, messageDigest of other bytes", quirkCMSPDF(t, "adbe.pkcs7.detached", func(signed []byte) []byte {
		si := qSigner{p.id.Key, p.id.Cert, crypto.SHA256, qOIDSHA256, qOIDRSA, qDigest(crypto.SHA256, signed[1:])}
		return qSignedData(signed, p.id.Chain, si.encode(t))
	}), root, TotalFailed, HashFailure, "")
}

// TestQuirkPyHankoEContent: the corpus file with a detached SubFilter and
// encapsulated content stays TOTAL_FAILED: its eContent is an empty
// OCTET STRING while its messageDigest is the digest of the byte range.
func TestQuirkPyHankoEContent(t *testing.T) {
	path := filepath.Join(corpusDir(t), "pdfs", "pyhanko_pdf-sig-with-econtent.pdf")
	rep := verifyPath(t, path, Options{})
	if rep.Indication != TotalFailed || rep.SubIndication != FormatFailure || len(rep.Signatures) != 1 || rep.Signatures[0].Intact {
		t.Fatalf("%s/%s %+v", rep.Indication, rep.SubIndication, rep.Signatures)
	}
	t.Logf("%q", rep.Signatures[0].Errors)
	if !strings.Contains(strings.Join(rep.Signatures[0].Errors, " "), "(0 bytes) is not the signed byte range") {
		t.Errorf("errors %q", rep.Signatures[0].Errors)
	}
}

// TestQuirkSeveralSignerInfos: several SignerInfos of one certificate pass
// with a warning when each verifies; otherwise the signature fails.
func TestQuirkSeveralSignerInfos(t *testing.T) {
	p := newPKI(t, devca.ECDSAP256)
	q := newPKI(t, devca.ECDSAP256)
	root := p.pool(p.ca.Root)
	type variant func(signed []byte, si qSigner) []byte
	build := func(certs []*x509.Certificate, second variant) []byte {
		return quirkCMSPDF(t, "adbe.pkcs7.detached", func(signed []byte) []byte {
			si := qSigner{p.id.Key, p.id.Cert, crypto.SHA256, qOIDSHA256, qOIDECDSASHA256, qDigest(crypto.SHA256, signed)}
			return qSignedData(nil, certs, si.encode(t), second(signed, si))
		})
	}
	fresh := func(_ []byte, si qSigner) []byte { return si.encode(t) }
	s := quirkExpect(t, "two different SignerInfos", build(p.id.Chain, fresh), root, TotalPassed, "", "different SignerInfos of the same signer")
	if !s.Intact || !s.Valid || !s.Trusted {
		t.Errorf("%+v", s)
	}
	quirkExpect(t, "one signature broken", build(p.id.Chain, func(_ []byte, si qSigner) []byte {
		b := si.encode(t)
		b[len(b)-5] ^= 0x40
		return b
	}), root, TotalFailed, SigCryptoFailure, "")
	quirkExpect(t, "one digest wrong", build(p.id.Chain, func(signed []byte, si qSigner) []byte {
		si.digest = qDigest(crypto.SHA256, signed[1:])
		return si.encode(t)
	}), root, TotalFailed, HashFailure, "")
	quirkExpect(t, "another signer", build(append(append([]*x509.Certificate(nil), p.id.Chain...), q.id.Cert), func(signed []byte, si qSigner) []byte {
		si.key, si.cert = q.id.Key, q.id.Cert
		return si.encode(t)
	}), root, TotalFailed, FormatFailure, "")
}

// TestQuirkPodofoECDSA: podofosign (PoDoFo 0.9.8) with an ECDSA P-256 key
// writes two different SignerInfos for the one signer (it signs twice and
// ECDSA is randomised); the file passes with a warning.
func TestQuirkPodofoECDSA(t *testing.T) {
	judge.Require(t, "podofosign")
	p := newPKI(t, devca.ECDSAP256)
	key, chain := filepath.Join(p.dir, "leaf.key"), filepath.Join(p.dir, "chain.pem")
	if err := p.id.WritePEM(key, chain, false); err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(p.dir, "leaf.pem")
	if err := os.WriteFile(cert, p.id.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "x.pdf")
	// podofosign's default /Contents reservation (from the file sizes) is
	// too small for an ECDSA key: give it room.
	cmd := exec.Command("podofosign", "-in", filepath.Join("..", "testdata", "pks.pdf"), "-out", out,
		"-cert", cert, "-pkey", key, "-digest", "SHA256", "-field-name", "SigKabupaten", "-field-use-existing", "-sigsize", strconv.Itoa(4096))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("podofosign: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := File(context.Background(), "podofo.pdf", bytes.NewReader(b), int64(len(b)), Options{Roots: p.pool(p.ca.Intermediate)})
	if err != nil || len(rep.Signatures) != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	s := rep.Signatures[0]
	// What podofosign wrote: two SignerInfos, same signer and signed
	// attributes, different signature values.
	br := s.ByteRange
	raw, err := hex.DecodeString(string(b[br[0]+br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Signers) != 2 {
		t.Fatalf("%d SignerInfos", len(sd.Signers))
	}
	a, c := sd.Signers[0], sd.Signers[1]
	if !bytes.Equal(a.IssuerRaw, c.IssuerRaw) || a.SerialNumber.Cmp(c.SerialNumber) != 0 ||
		!bytes.Equal(a.RawSignedAttributes, c.RawSignedAttributes) || bytes.Equal(a.Signature, c.Signature) {
		t.Errorf("not two different SignerInfos of one signer")
	}
	if _, ok := p.id.Cert.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Fatal("not an ECDSA identity")
	}
	t.Logf("podofosign: %d SignerInfos, %d certificates, digest %v, signature %v; verdict %s %q",
		len(sd.Signers), len(sd.Certificates), a.DigestAlgorithmOID, a.SignatureAlgorithm.Algorithm, s.Indication, s.Warnings)
	if rep.Indication != TotalPassed || !s.Intact || !s.Valid || !quirkWarned(s, "different SignerInfos of the same signer") {
		t.Errorf("%s/%s %q %q", s.Indication, s.SubIndication, s.Errors, s.Warnings)
	}
}
