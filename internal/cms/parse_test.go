package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"
)

func mustSign(t testing.TB, key string, h crypto.Hash, pss bool) (*testPKI, []byte, []byte) {
	t.Helper()
	pki := newPKI(t, key)
	digest := digestOf(h, []byte("content for "+key))
	blob, err := SignDetached(digest, SignOptions{Signer: pki.leafKey, Chain: pki.chain(), Hash: h, PSS: pss})
	if err != nil {
		t.Fatal(err)
	}
	return pki, digest, blob
}

// verifyAll runs the full verification of signer 0 and fails on any error.
func verifyAll(t *testing.T, sd *SignedData, digest []byte, want *x509.Certificate) {
	t.Helper()
	if len(sd.Signers) != 1 {
		t.Fatalf("%d signers", len(sd.Signers))
	}
	si := sd.Signers[0]
	cert, err := sd.SignerCertificate(si)
	if err != nil {
		t.Fatal(err)
	}
	if want != nil && !cert.Equal(want) {
		t.Fatal("wrong signer certificate")
	}
	if err := si.CheckDigest(digest); err != nil {
		t.Errorf("CheckDigest: %v", err)
	}
	if err := si.VerifySignature(cert, digest); err != nil {
		t.Errorf("VerifySignature: %v", err)
	}
	if err := si.CheckSigningCertificate(cert); err != nil {
		t.Errorf("CheckSigningCertificate: %v", err)
	}
}

func TestBERIndefinite(t *testing.T) {
	for _, key := range []string{"rsa2048", "p256"} {
		pki, digest, blob := mustSign(t, key, crypto.SHA256, false)
		for _, chunk := range []int{1, 7, 1000} {
			ber := toBER(t, blob, chunk)
			if bytes.Equal(ber, blob) || !bytes.HasPrefix(ber, []byte{0x30, 0x80}) {
				t.Fatal("toBER did not produce indefinite lengths")
			}
			sd, err := Parse(ber)
			if err != nil {
				t.Fatalf("%s chunk %d: %v", key, chunk, err)
			}
			if !sd.BER {
				t.Error("BER input not reported")
			}
			if !bytes.Equal(sd.Raw, blob) {
				t.Fatalf("%s chunk %d: normalised BER differs from the original DER", key, chunk)
			}
			verifyAll(t, sd, digest, pki.leaf)
			// With padding too.
			if _, err := Parse(append(ber, make([]byte, 500)...)); err != nil {
				t.Errorf("padded BER: %v", err)
			}
		}
	}
}

func TestBEREContent(t *testing.T) {
	// Attached content as a constructed, indefinite OCTET STRING with
	// nested segments, as streamed by some producers.
	pki := newPKI(t, "p256")
	content := bytes.Repeat([]byte("segel"), 300)
	p, sdp, sip := basicParts(t, pki, crypto.SHA256, digestOf(crypto.SHA256, content))
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = signRaw(t, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)
	sdp.eContent = content
	sdp.signers = [][]byte{sip.encode()}
	der := sdp.encode()
	ber := toBER(t, der, 100)
	sd, err := Parse(ber)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.EContent, content) || !sd.BER {
		t.Fatal("eContent not reassembled")
	}
	verifyAll(t, sd, digestOf(crypto.SHA256, sd.EContent), pki.leaf)
	_ = p
}

func TestNormalizeBER(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0400", "0400"},
		{"3000", "3000"},
		{"04810161", "040161"},                         // non-minimal length
		{"0482000161", "040161"},                       // leading zero length octet
		{"30800400000000", "30020400"},                 // indefinite
		{"248004016104016200000000", "04026162"},       // constructed OCTET STRING, trailing padding
		{"2480248004016100000401620000", "04026162"},   // nested segments
		{"240604016104016200", "04026162"},             // definite constructed
		{"238003020061030204b00000", "03030461b0"},     // constructed BIT STRING
		{"2380030100030100030204b00000", "030204b0"},   // empty segments
		{"2380000000", "0300"},                         // hmm: empty constructed BIT STRING -> 03 01 00
		{"0c80", ""},                                   // primitive indefinite: error
		{"3080040100", ""},                             // missing EOC
		{"30040000", ""},                               // EOC in definite content
		{"2480030100000000", ""},                       // wrong segment type
		{"238003020461030100000000", ""},               // segment after non-zero padding bits
		{"30", ""},                                     // truncated
		{"3005", ""},                                   // length beyond input
		{"30ff", ""},                                   // reserved length octet
		{"1f0100", ""},                                 // non-minimal high tag
		{"3f8001000000", ""},                           // non-minimal high tag
		{"0489ffffffffffffffffff", ""},                 // length of length too large
		{"0484ffffffff", ""},                           // length beyond input
		{"9f1f0100", "9f1f0100"},                       // high tag number
		{"3080bf8123800400000000", "3004bf812300"[:0]}, // placeholder replaced below
	}
	cases[10].want = "030100"
	cases[len(cases)-1] = struct{ in, want string }{"3080bf81238004000000000000", "3006bf8123020400"}
	for _, c := range cases {
		in, _ := hex.DecodeString(c.in)
		out, consumed, changed, err := normalizeBER(in)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: expected error, got %x", c.in, out)
			} else if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: error %v does not wrap ErrMalformed", c.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := hex.EncodeToString(out); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
		if changed != (c.in[:min(len(c.in), 2*consumed)] != c.want) {
			t.Errorf("%s: changed = %v", c.in, changed)
		}
		// DER is a fixed point.
		again, _, ch2, err := normalizeBER(out)
		if err != nil || ch2 || !bytes.Equal(again, out) {
			t.Errorf("%s: normalised output is not a fixed point", c.in)
		}
	}
}

func nested(depth int, indefinite bool) []byte {
	if indefinite {
		b := bytes.Repeat([]byte{0x30, 0x80}, depth)
		return append(b, bytes.Repeat([]byte{0, 0}, depth)...)
	}
	b := []byte{0x05, 0x00}
	for i := 0; i < depth; i++ {
		b = tlv(0x30, b)
	}
	return b
}

func TestDeepNesting(t *testing.T) {
	for _, indefinite := range []bool{true, false} {
		for _, depth := range []int{65, 1000, 10000} {
			_, err := Parse(nested(depth, indefinite))
			if err == nil || !errors.Is(err, ErrMalformed) || !errors.Is(err, errTooDeep) {
				t.Errorf("depth %d indefinite %v: %v", depth, indefinite, err)
			}
		}
		// Nesting within the limit is fine for the normaliser (Parse then
		// rejects it as not being a ContentInfo).
		if _, _, _, err := normalizeBER(nested(maxBERDepth, indefinite)); err != nil {
			t.Errorf("depth %d: %v", maxBERDepth, err)
		}
	}
	// Deeply nested constructed OCTET STRING segments.
	deep := append(bytes.Repeat([]byte{0x24, 0x80}, 10000), bytes.Repeat([]byte{0, 0}, 10000)...)
	if _, err := Parse(deep); !errors.Is(err, errTooDeep) {
		t.Errorf("deep string segments: %v", err)
	}
}

func TestPaddingAndTrailingData(t *testing.T) {
	pki, digest, blob := mustSign(t, "p256", crypto.SHA256, false)
	padded := append(bytes.Clone(blob), make([]byte, 8192-len(blob))...)
	sd, err := Parse(padded)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sd.Raw, blob) {
		t.Error("Raw includes padding")
	}
	verifyAll(t, sd, digest, pki.leaf)

	bad := bytes.Clone(padded)
	bad[len(bad)-1] = 1
	if _, err := Parse(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing garbage: %v", err)
	}
	if _, err := Parse(append(bytes.Clone(blob), 0x30, 0x00)); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing element: %v", err)
	}
	if _, err := Parse(nil); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := Parse(make([]byte, 100)); err == nil {
		t.Error("all-zero input accepted")
	}
}

func TestTruncatedAndGarbage(t *testing.T) {
	_, digest, blob := mustSign(t, "rsa2048", crypto.SHA256, false)
	ber := toBER(t, blob, 50)
	for _, b := range [][]byte{blob, ber} {
		for n := 0; n < len(b); n++ {
			if _, err := Parse(b[:n]); err == nil {
				t.Fatalf("truncated input of %d/%d bytes accepted", n, len(b))
			}
		}
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		g := make([]byte, rng.IntN(300))
		for j := range g {
			g[j] = byte(rng.Uint32())
		}
		if _, err := Parse(g); err == nil {
			t.Fatalf("garbage accepted: %x", g)
		}
	}
	// Single-byte mutations of a valid blob: no panics, and whatever
	// parses can be run through the verification API.
	for i := 0; i < 3000; i++ {
		m := bytes.Clone(blob)
		if rng.IntN(2) == 0 {
			m = bytes.Clone(ber)
		}
		m[rng.IntN(len(m))] ^= byte(1 + rng.IntN(255))
		exercise(t, m, digest)
	}
}

// exercise parses b and calls every verification method on the result; it
// must never panic, and a successful parse must be reproducible from Raw.
func exercise(t testing.TB, b, digest []byte) {
	sd, err := Parse(b)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "cms: ") {
			t.Fatalf("error without cms prefix: %v", err)
		}
		return
	}
	if _, _, ch, err := normalizeBER(sd.Raw); err != nil || ch {
		t.Fatalf("parsed Raw is not a DER fixed point: %v", err)
	}
	again, err := Parse(sd.Raw)
	if err != nil || len(again.Signers) != len(sd.Signers) || again.BER {
		t.Fatalf("re-parsing Raw: %v", err)
	}
	for _, si := range sd.Signers {
		cert, err := sd.SignerCertificate(si)
		if err != nil && len(sd.Certificates) > 0 {
			cert = sd.Certificates[0]
		}
		_ = si.CheckDigest(digest)
		if si.DigestAlgorithm != 0 {
			_ = si.CheckDigest(digestOf(si.DigestAlgorithm, sd.EContent))
		}
		if cert != nil {
			_ = si.ResolveDigestAlgorithm(cert)
			_ = si.VerifySignature(cert, digest)
			_ = si.CheckSigningCertificate(cert)
		}
		for _, tok := range si.TimestampTokens {
			if ts, err := Parse(tok); err == nil {
				_, _ = ParseTSTInfo(ts.EContent)
			}
		}
	}
	if sd.EContent != nil {
		_, _ = ParseTSTInfo(sd.EContent)
	}
}

func TestLimits(t *testing.T) {
	if _, err := Parse(make([]byte, MaxInputSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized input: %v", err)
	}
	pki := newPKI(t, "p256")
	_, sdp, sip := basicParts(t, pki, crypto.SHA256, make([]byte, 32))
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = signRaw(t, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)

	many := sdp
	many.signers = [][]byte{sip.encode()}
	many.certs = nil
	for i := 0; i <= MaxCertificates; i++ {
		many.certs = append(many.certs, pki.leaf.Raw)
	}
	if _, err := Parse(many.encode()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d certificates: %v", len(many.certs), err)
	}
	many.certs = many.certs[:MaxCertificates]
	if sd, err := Parse(many.encode()); err != nil || len(sd.Certificates) != MaxCertificates {
		t.Errorf("%d certificates: %v", MaxCertificates, err)
	}

	many = sdp
	for i := 0; i <= MaxSigners; i++ {
		many.signers = append(many.signers, sip.encode())
	}
	if _, err := Parse(many.encode()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d signers: %v", len(many.signers), err)
	}
}

func TestCertificateErrorsAndCRLs(t *testing.T) {
	pki := newPKI(t, "p256")
	digest := make([]byte, 32)
	_, sdp, sip := basicParts(t, pki, crypto.SHA256, digest)
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = signRaw(t, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)
	sdp.signers = [][]byte{sip.encode()}
	garbageCert := derSequence(derInt(1), derInt(2))
	attrCert := tlv(0xa1, derInt(1)) // v1AttrCert choice
	sdp.certs = append([][]byte{garbageCert, attrCert}, sdp.certs...)
	crl := derSequence(derSequence(derInt(1)), derAlgID(oidSHA256WithRSA), tlv(0x03, []byte{0}))
	other := tlv(0xa1, derOID(asn1.ObjectIdentifier{1, 2, 3}), derInt(1))
	sdp.crls = [][]byte{crl, other}
	sd, err := Parse(sdp.encode())
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.CertificateErrors) != 2 || len(sd.Certificates) != 2 {
		t.Fatalf("certificates %d, errors %v", len(sd.Certificates), sd.CertificateErrors)
	}
	for _, e := range sd.CertificateErrors {
		if !strings.HasPrefix(e.Error(), "cms: certificate") {
			t.Errorf("error text %q", e)
		}
	}
	if len(sd.CRLs) != 2 || !bytes.Equal(sd.CRLs[0], crl) || !bytes.Equal(sd.CRLs[1], other) {
		t.Error("CRLs not kept raw")
	}
	verifyAll(t, sd, digest, pki.leaf)
}

func TestSignerIdentifiers(t *testing.T) {
	pki := newPKI(t, "p256")
	digest := make([]byte, 32)
	_, sdp, sip := basicParts(t, pki, crypto.SHA256, digest)
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = signRaw(t, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)

	// subjectKeyIdentifier form.
	if len(pki.leaf.SubjectKeyId) == 0 {
		t.Fatal("test leaf has no SKI")
	}
	ski := sip
	ski.version = 3
	ski.sid = tlv(0x80, pki.leaf.SubjectKeyId)
	sdp.signers = [][]byte{ski.encode()}
	sd, err := Parse(sdp.encode())
	if err != nil {
		t.Fatal(err)
	}
	if si := sd.Signers[0]; si.Version != 3 || !bytes.Equal(si.SubjectKeyID, pki.leaf.SubjectKeyId) || si.IssuerRaw != nil {
		t.Errorf("SKI signer identifier: %+v", si)
	}
	verifyAll(t, sd, digest, pki.leaf)

	// No matching certificate.
	noCert := sdp
	noCert.signers = [][]byte{sip.encode()}
	noCert.certs = [][]byte{pki.inter.Raw}
	sd, err = Parse(noCert.encode())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.SignerCertificate(sd.Signers[0]); !errors.Is(err, ErrNoSignerCertificate) {
		t.Errorf("missing certificate: %v", err)
	}
	noCert.certs = nil
	sd, err = Parse(noCert.encode())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.SignerCertificate(sd.Signers[0]); !errors.Is(err, ErrNoSignerCertificate) {
		t.Errorf("no certificates field: %v", err)
	}

	// A decoy certificate with the same issuer and serial number but
	// another key, placed first: the ESS attribute picks the real one.
	decoyKey := testKey(t, "p256#decoy")
	tmpl := &x509.Certificate{
		SerialNumber: pki.leaf.SerialNumber,
		Subject:      pkix.Name{CommonName: "decoy"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pki.inter, decoyKey.Public(), pki.interKey)
	if err != nil {
		t.Fatal(err)
	}
	decoy := sdp
	decoy.signers = [][]byte{sip.encode()}
	decoy.certs = append([][]byte{der}, sdp.certs...)
	sd, err = Parse(decoy.encode())
	if err != nil {
		t.Fatal(err)
	}
	verifyAll(t, sd, digest, pki.leaf)
}

func TestSignedAttributeRules(t *testing.T) {
	pki := newPKI(t, "p256")
	content := []byte("content")
	digest := digestOf(crypto.SHA256, content)
	p, sdp, sip := basicParts(t, pki, crypto.SHA256, digest)
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	ct := attr(OIDAttrContentType, derOID(OIDData))
	md := attr(OIDAttrMessageDigest, derOctetString(digest))

	build := func(attrs []byte, signOver []byte) (*SignedData, error) {
		s := sip
		s.signedAttrs = attrs
		if signOver == nil {
			signOver = attrs
		}
		s.sig = signRaw(t, pki.leafKey, crypto.SHA256, signOver, false)
		d := sdp
		d.signers = [][]byte{s.encode()}
		return Parse(d.encode())
	}

	// Unsorted attributes, signed as written (what OpenSSL verifies).
	unsorted := tlv(0x31, p.essAttr, md, ct)
	sd, err := build(unsorted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Signers[0].sortedAttrs == nil {
		t.Fatal("test attributes unexpectedly sorted")
	}
	verifyAll(t, sd, digest, pki.leaf)
	// Unsorted attributes, signed in DER (sorted) form.
	sd, err = build(unsorted, derSetOf(p.essAttr, md, ct))
	if err != nil {
		t.Fatal(err)
	}
	verifyAll(t, sd, digest, pki.leaf)
	// Signed over something else.
	sd, err = build(unsorted, derSetOf(p.essAttr, ct))
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := sd.SignerCertificate(sd.Signers[0])
	if err := sd.Signers[0].VerifySignature(cert, digest); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("signature over other attributes: %v", err)
	}

	// signingTime and adbe-revocationInfoArchival are parsed.
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	st, _ := asn1.Marshal(when)
	ria := derSequence(tlv(0xa0, derSequence()))
	sd, err = build(derSetOf(ct, md, p.essAttr, attr(OIDAttrSigningTime, st), attr(OIDAttrAdbeRevocationInfoArchival, ria)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if si := sd.Signers[0]; si.SigningTime == nil || !si.SigningTime.Equal(when) || !bytes.Equal(si.RevocationInfoArchival, ria) {
		t.Errorf("signingTime %v, revocationInfoArchival %x", si.SigningTime, si.RevocationInfoArchival)
	}
	verifyAll(t, sd, digest, pki.leaf)

	// Missing or wrong mandatory attributes.
	sd, err = build(derSetOf(ct, p.essAttr), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Signers[0].CheckDigest(digest); !errors.Is(err, ErrMissingAttribute) {
		t.Errorf("no messageDigest: %v", err)
	}
	sd, err = build(derSetOf(md, p.essAttr), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Signers[0].CheckDigest(digest); !errors.Is(err, ErrMissingAttribute) {
		t.Errorf("no contentType: %v", err)
	}
	sd, err = build(derSetOf(attr(OIDAttrContentType, derOID(OIDTSTInfo)), md, p.essAttr), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Signers[0].CheckDigest(digest); !errors.Is(err, ErrContentTypeMismatch) {
		t.Errorf("wrong contentType: %v", err)
	}
	if err := sd.Signers[0].CheckDigest(digest[:16]); err == nil {
		t.Error("short digest accepted")
	}

	// Ambiguous attributes are rejected outright.
	md2 := attr(OIDAttrMessageDigest, derOctetString(make([]byte, 32)))
	for name, attrs := range map[string][]byte{
		"duplicate messageDigest": derSetOf(ct, md, md2, p.essAttr),
		"two messageDigest values": derSetOf(ct, p.essAttr,
			attr(OIDAttrMessageDigest, derOctetString(digest), derOctetString(make([]byte, 32)))),
		"two contentType values":         derSetOf(md, p.essAttr, attr(OIDAttrContentType, derOID(OIDData), derOID(OIDTSTInfo))),
		"duplicate signingCertificateV2": derSetOf(ct, md, p.essAttr, p.essAttr[:len(p.essAttr):len(p.essAttr)]),
		"messageDigest not OCTET STRING": derSetOf(ct, p.essAttr, attr(OIDAttrMessageDigest, derInt(5))),
		"bad ESS":                        derSetOf(ct, md, attr(OIDAttrSigningCertificateV2, derSequence(derInt(1)))),
		"attribute without SET":          tlv(0x31, derSequence(derOID(OIDAttrContentType), derOID(OIDData))),
	} {
		if name == "duplicate signingCertificateV2" {
			attrs = tlv(0x31, ct, md, p.essAttr, p.essAttr)
		}
		if _, err := build(attrs, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// ESS attribute naming another certificate.
	q := &plan{}
	if err := q.setLeaf([]*x509.Certificate{pki.inter}); err != nil {
		t.Fatal(err)
	}
	sd, err = build(derSetOf(ct, md, q.essAttr), nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = sd.SignerCertificate(sd.Signers[0])
	if err := sd.Signers[0].CheckSigningCertificate(cert); !errors.Is(err, ErrSigningCertificateMismatch) {
		t.Errorf("ESS for another certificate: %v", err)
	}
	// ESS v1 (SHA-1) with explicit hash and without issuerSerial;
	// ESS v2 with an explicit SHA-512 hash algorithm.
	h1 := digestOf(crypto.SHA1, pki.leaf.Raw)
	v1 := attr(OIDAttrSigningCertificate, derSequence(derSequence(derSequence(derOctetString(h1)))))
	h512 := digestOf(crypto.SHA512, pki.leaf.Raw)
	v2 := attr(OIDAttrSigningCertificateV2, derSequence(derSequence(derSequence(derAlgID(oidSHA512), derOctetString(h512)))))
	sd, err = build(derSetOf(ct, md, v1, v2), nil)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	if len(si.SigningCertificateV1) != 1 || si.SigningCertificateV1[0].HashAlgorithm != crypto.SHA1 ||
		len(si.SigningCertificateV2) != 1 || si.SigningCertificateV2[0].HashAlgorithm != crypto.SHA512 {
		t.Errorf("ESS parse: %+v %+v", si.SigningCertificateV1, si.SigningCertificateV2)
	}
	verifyAll(t, sd, digest, pki.leaf)
	// ESS issuerSerial with a wrong serial number.
	wrongSerial := derSequence(derSequence(derSequence(derOctetString(digestOf(crypto.SHA256, pki.leaf.Raw)),
		derSequence(derSequence(tlv(0xa4, pki.leaf.RawIssuer)), derInt(1)))))
	sd, err = build(derSetOf(ct, md, attr(OIDAttrSigningCertificateV2, wrongSerial)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Signers[0].CheckSigningCertificate(pki.leaf); !errors.Is(err, ErrSigningCertificateMismatch) {
		t.Errorf("ESS wrong serial: %v", err)
	}
	// ESS with an unknown hash algorithm.
	unk := attr(OIDAttrSigningCertificateV2, derSequence(derSequence(derSequence(derAlgID(asn1.ObjectIdentifier{1, 2, 3, 4}), derOctetString(h1)))))
	sd, err = build(derSetOf(ct, md, unk), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Signers[0].CheckSigningCertificate(pki.leaf); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("ESS unknown hash: %v", err)
	}
}

func TestSignatureAlgorithms(t *testing.T) {
	digest := digestOf(crypto.SHA256, []byte("content"))
	type variant struct {
		name    string
		key     string
		hash    crypto.Hash
		sigAlg  []byte
		pss     bool
		noAttrs bool
		want    error // nil, ErrUnsupportedAlgorithm or ErrSignatureInvalid
	}
	pssParams := func(h asn1.ObjectIdentifier, salt int64) []byte {
		return derSequence(derOID(oidRSAPSS), derSequence(
			tlv(0xa0, derAlgID(h)), tlv(0xa1, derSequence(derOID(oidMGF1), derAlgID(h))), tlv(0xa2, derInt(salt))))
	}
	variants := []variant{
		{"ecdsa id-ecPublicKey", "p256", crypto.SHA256, derAlgID(oidECPublicKey), false, false, nil},
		{"ecdsa-with-SHA256", "p256", crypto.SHA256, derAlgID(oidECDSAWithSHA256), false, false, nil},
		{"ecdsa no attributes", "p384", crypto.SHA256, derAlgID(oidECDSAWithSHA256), false, true, nil},
		{"ecdsa-with-SHA384 vs SHA-256 digest", "p256", crypto.SHA256, derAlgID(oidECDSAWithSHA384), false, false, ErrUnsupportedAlgorithm},
		{"sha256WithRSAEncryption", "rsa2048", crypto.SHA256, derSequence(derOID(oidSHA256WithRSA), derNull), false, false, nil},
		{"sha384WithRSA vs SHA-256 digest", "rsa2048", crypto.SHA256, derSequence(derOID(oidSHA384WithRSA), derNull), false, false, ErrUnsupportedAlgorithm},
		{"rsa no attributes", "rsa2048", crypto.SHA256, derSequence(derOID(oidRSAEncryption), derNull), false, true, nil},
		{"sha1 digest", "rsa2048", crypto.SHA1, derSequence(derOID(oidRSAEncryption), derNull), false, false, nil},
		{"sha3-256 digest", "p256", crypto.SHA3_256, derAlgID(oidECDSAWithSHA3_256), false, false, nil},
		{"sha3-384 rsa", "rsa2048", crypto.SHA3_384, derAlgID(oidSHA3_384WithRSA), false, false, nil},
		{"pss sha256", "rsa2048", crypto.SHA256, pssParams(oidSHA256, 32), true, false, nil},
		{"pss declared wrong salt", "rsa2048", crypto.SHA256, pssParams(oidSHA256, 20), true, false, ErrSignatureInvalid},
		{"pss hash vs digest", "rsa2048", crypto.SHA256, pssParams(oidSHA384, 32), true, false, ErrUnsupportedAlgorithm},
		{"pss default params (sha1)", "rsa2048", crypto.SHA1, derSequence(derOID(oidRSAPSS)), true, false, nil},
		{"pss NULL params (sha1)", "rsa2048", crypto.SHA1, derSequence(derOID(oidRSAPSS), derNull), true, false, nil},
		{"pss mgf1 hash differs", "rsa2048", crypto.SHA256, derSequence(derOID(oidRSAPSS), derSequence(
			tlv(0xa0, derAlgID(oidSHA256)), tlv(0xa1, derSequence(derOID(oidMGF1), derAlgID(oidSHA1))))), true, false, ErrUnsupportedAlgorithm},
		{"pss bad trailer", "rsa2048", crypto.SHA256, derSequence(derOID(oidRSAPSS), derSequence(
			tlv(0xa0, derAlgID(oidSHA256)), tlv(0xa1, derSequence(derOID(oidMGF1), derAlgID(oidSHA256))),
			tlv(0xa2, derInt(32)), tlv(0xa3, derInt(2)))), true, false, ErrUnsupportedAlgorithm},
		{"ed25519", "ed25519", crypto.SHA512, derAlgID(oidEd25519), false, false, nil},
		{"ed25519 no attributes", "ed25519", crypto.SHA512, derAlgID(oidEd25519), false, true, ErrUnsupportedAlgorithm},
		{"dsa", "p256", crypto.SHA256, derAlgID(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 2}), false, false, ErrUnsupportedAlgorithm},
		{"rsa oid with ecdsa key", "p256", crypto.SHA256, derSequence(derOID(oidRSAEncryption), derNull), false, false, ErrSignatureInvalid},
		{"ecdsa oid with rsa key", "rsa2048", crypto.SHA256, derAlgID(oidECDSAWithSHA256), false, false, ErrSignatureInvalid},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			pki := newPKI(t, v.key)
			d := digest
			if v.hash != crypto.SHA256 {
				d = digestOf(v.hash, []byte("content"))
			}
			_, sdp, sip := basicParts(t, pki, v.hash, d)
			sip.sigAlg = v.sigAlg
			var sig []byte
			if v.noAttrs {
				sip.signedAttrs = nil
				var err error
				if _, ok := pki.leafKey.(*ecdsa.PrivateKey); ok || v.key[0] == 'r' {
					sig, err = pki.leafKey.Sign(rand.Reader, d, v.hash)
				} else {
					sig, err = pki.leafKey.Sign(rand.Reader, []byte("content"), crypto.Hash(0))
				}
				if err != nil {
					t.Fatal(err)
				}
			} else {
				signKey := pki.leafKey
				sig = signRaw(t, signKey, v.hash, sip.signedAttrs, v.pss)
			}
			sip.sig = sig
			sdp.signers = [][]byte{sip.encode()}
			sd, err := Parse(sdp.encode())
			if err != nil {
				t.Fatal(err)
			}
			si := sd.Signers[0]
			if si.DigestAlgorithm != v.hash {
				t.Fatalf("digest algorithm %v", si.DigestAlgorithm)
			}
			cert, err := sd.SignerCertificate(si)
			if err != nil {
				t.Fatal(err)
			}
			if err := si.CheckDigest(d); err != nil {
				t.Errorf("CheckDigest: %v", err)
			}
			err = si.VerifySignature(cert, d)
			switch {
			case v.want == nil && err != nil:
				t.Errorf("VerifySignature: %v", err)
			case v.want != nil && !errors.Is(err, v.want):
				t.Errorf("VerifySignature = %v, want %v", err, v.want)
			}
			if v.want == nil && v.noAttrs {
				bad := bytes.Clone(d)
				bad[3] ^= 4
				if err := si.VerifySignature(cert, bad); !errors.Is(err, ErrSignatureInvalid) {
					t.Errorf("no attributes, wrong digest: %v", err)
				}
			}
			if errors.Is(v.want, ErrUnsupportedAlgorithm) && errors.Is(err, ErrSignatureInvalid) {
				t.Error("unsupported reported as invalid")
			}
		})
	}
	// Unknown digest algorithm.
	pki := newPKI(t, "p256")
	_, sdp, sip := basicParts(t, pki, crypto.SHA256, digest)
	sip.digestAlg = derAlgID(asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}) // MD5
	sip.sigAlg = derAlgID(oidECPublicKey)
	sip.sig = signRaw(t, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)
	sdp.signers = [][]byte{sip.encode()}
	sd, err := Parse(sdp.encode())
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	if si.DigestAlgorithm != 0 || si.DigestAlgorithmOID.String() != "1.2.840.113549.2.5" {
		t.Errorf("MD5 digest: %v %v", si.DigestAlgorithm, si.DigestAlgorithmOID)
	}
	if err := si.VerifySignature(pki.leaf, digest); !errors.Is(err, ErrUnsupportedAlgorithm) ||
		!strings.Contains(err.Error(), "1.2.840.113549.2.5") {
		t.Errorf("MD5: %v", err)
	}
}

// buildTSTInfo encodes a TSTInfo for imprint.
func buildTSTInfo(imprint []byte, genTime string) []byte {
	return derSequence(
		derInt(1),
		derOID(asn1.ObjectIdentifier{1, 2, 3, 4, 5}),
		derSequence(derAlgID(oidSHA256), derOctetString(imprint)),
		mustMarshal(big.NewInt(0x1234567890)),
		tlv(0x18, []byte(genTime)),
		derSequence(derInt(1), tlv(0x80, []byte{0x01, 0xf4}), tlv(0x81, []byte{7})),
		mustMarshal(true),
		mustMarshal(big.NewInt(42)),
		tlv(0xa0, tlv(0xa4, derSequence(tlv(0x31, derSequence(derOID(asn1.ObjectIdentifier{2, 5, 4, 3}), tlv(0x0c, []byte("TSA"))))))),
	)
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestTimestampToken(t *testing.T) {
	pki, digest, blob := mustSign(t, "p256", crypto.SHA256, false)
	sd, err := Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	imprint := sha256.Sum256(sd.Signers[0].Signature)
	tst := buildTSTInfo(imprint[:], "20240229123456.125Z")

	// The token: SignedData over id-ct-TSTInfo, signed by a TSA.
	tsaCert, tsaKey := pki.newTSA(t, "rsa2048#tsa")
	tsaPKI := &testPKI{leaf: tsaCert, inter: pki.inter}
	_, tp, tsi := basicParts(t, tsaPKI, crypto.SHA256, nil)
	q := &plan{hash: crypto.SHA256}
	if err := q.setLeaf(tsaPKI.chain()); err != nil {
		t.Fatal(err)
	}
	tsi.signedAttrs = q.signedAttrs(OIDTSTInfo, digestOf(crypto.SHA256, tst))
	tsi.sigAlg = derSequence(derOID(oidSHA256WithRSA), derNull)
	tsi.sig = signRaw(t, tsaKey, crypto.SHA256, tsi.signedAttrs, false)
	tp.eContentType = OIDTSTInfo
	tp.eContent = tst
	tp.signers = [][]byte{tsi.encode()}
	token := tp.encode()

	// Attach it as an unsigned attribute of the PDF signature.
	p, sdp, sip := basicParts(t, pki, crypto.SHA256, digest)
	_ = p
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = sd.Signers[0].Signature
	sip.signedAttrs = sd.Signers[0].RawSignedAttributes
	sip.unsigned = tlv(0x31, attr(OIDAttrTimeStampToken, token), attr(asn1.ObjectIdentifier{1, 2, 3}, derNull))
	sdp.signers = [][]byte{sip.encode()}
	withTS, err := Parse(toBER(t, sdp.encode(), 64))
	if err != nil {
		t.Fatal(err)
	}
	verifyAll(t, withTS, digest, pki.leaf)
	si := withTS.Signers[0]
	if len(si.UnsignedAttributes) != 2 || len(si.TimestampTokens) != 1 || !bytes.Equal(si.TimestampTokens[0], token) {
		t.Fatalf("timestamp tokens not exposed: %d attrs, %d tokens", len(si.UnsignedAttributes), len(si.TimestampTokens))
	}

	ts, err := Parse(si.TimestampTokens[0])
	if err != nil {
		t.Fatal(err)
	}
	if !ts.EContentType.Equal(OIDTSTInfo) || !bytes.Equal(ts.EContent, tst) {
		t.Fatal("token content")
	}
	tsSigner := ts.Signers[0]
	if err := tsSigner.CheckDigest(digestOf(tsSigner.DigestAlgorithm, ts.EContent)); err != nil {
		t.Errorf("token CheckDigest: %v", err)
	}
	tsCert, err := ts.SignerCertificate(tsSigner)
	if err != nil || !tsCert.Equal(tsaCert) {
		t.Fatalf("token signer certificate: %v", err)
	}
	if err := tsSigner.VerifySignature(tsCert, nil); err != nil {
		t.Errorf("token VerifySignature: %v", err)
	}
	if err := tsSigner.CheckSigningCertificate(tsCert); err != nil {
		t.Errorf("token CheckSigningCertificate: %v", err)
	}
	// Modified TSTInfo: digest mismatch.
	bad := bytes.Clone(ts.EContent)
	bad[len(bad)-1] ^= 1
	if err := tsSigner.CheckDigest(digestOf(tsSigner.DigestAlgorithm, bad)); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("modified TSTInfo: %v", err)
	}

	info, err := ParseTSTInfo(ts.EContent)
	if err != nil {
		t.Fatal(err)
	}
	wantTime := time.Date(2024, 2, 29, 12, 34, 56, 125e6, time.UTC)
	if info.Version != 1 || info.Policy.String() != "1.2.3.4.5" ||
		info.MessageImprint.HashAlgorithm != crypto.SHA256 ||
		!bytes.Equal(info.MessageImprint.HashedMessage, imprint[:]) ||
		info.SerialNumber.Int64() != 0x1234567890 || !info.GenTime.Equal(wantTime) ||
		info.Accuracy != time.Second+500*time.Millisecond+7*time.Microsecond ||
		!info.Ordering || info.Nonce.Int64() != 42 || len(info.TSARaw) == 0 || info.TSARaw[0] != 0xa4 {
		t.Errorf("TSTInfo = %+v", info)
	}
	// A BER-encoded TSTInfo parses too.
	if info2, err := ParseTSTInfo(toBER(t, tst, 8)); err != nil || !info2.GenTime.Equal(wantTime) {
		t.Errorf("BER TSTInfo: %v", err)
	}
	if _, err := ParseTSTInfo(append(bytes.Clone(tst), 0)); err == nil {
		t.Error("TSTInfo with trailing data accepted")
	}
}

func TestGeneralizedTime(t *testing.T) {
	good := map[string]time.Time{
		"20240229123456Z":           time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC),
		"20240229123456.5Z":         time.Date(2024, 2, 29, 12, 34, 56, 5e8, time.UTC),
		"20240229123456.120Z":       time.Date(2024, 2, 29, 12, 34, 56, 12e7, time.UTC),
		"19991231235959.123456789Z": time.Date(1999, 12, 31, 23, 59, 59, 123456789, time.UTC),
	}
	for s, want := range good {
		got, err := parseGeneralizedTime([]byte(s))
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Z", "2024022912345Z", "20240229123456", "20240230123456Z",
		"20241301000000Z", "20240229123456.Z", "20240229123456.1234567890Z", "2024022912345aZ",
		"20240229123456+0100", "20240229246000Z", "20240229123456.1x2Z"} {
		if _, err := parseGeneralizedTime([]byte(s)); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	if err == nil || !strings.HasPrefix(err.Error(), "cms: ") {
		t.Errorf("error %q", err)
	}
	for _, e := range []error{ErrTooLarge, ErrMalformed, ErrUnsupportedAlgorithm, ErrSignatureInvalid,
		ErrDigestMismatch, ErrContentTypeMismatch, ErrMissingAttribute, ErrNoSignerCertificate,
		ErrSigningCertificateMismatch, ErrSignatureMismatch, ErrInvalidOptions} {
		if !strings.HasPrefix(e.Error(), "cms: ") || strings.ToLower(e.Error()) != e.Error() {
			t.Errorf("sentinel %q", e)
		}
	}
}

// reencodeUTF8 re-encodes a DER Name with every string value as UTF8String.
func reencodeUTF8(t *testing.T, name []byte) []byte {
	t.Helper()
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(name, &rdns); err != nil {
		t.Fatal(err)
	}
	for i := range rdns {
		for j := range rdns[i] {
			if s, ok := rdns[i][j].Value.(string); ok {
				rdns[i][j].Value = asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(s)}
			}
		}
	}
	out, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out, name) {
		t.Fatal("re-encoding did not change the name")
	}
	return out
}

func TestReencodedIssuerName(t *testing.T) {
	pki := newPKI(t, "p256")
	digest := make([]byte, 32)
	_, sdp, sip := basicParts(t, pki, crypto.SHA256, digest)
	issuer := reencodeUTF8(t, pki.leaf.RawIssuer)
	serial, _ := derBigInt(pki.leaf.SerialNumber)
	sip.sid = derSequence(issuer, serial)
	// ESS issuerSerial with the re-encoded name too.
	certHash := sha256.Sum256(pki.leaf.Raw)
	ess := attr(OIDAttrSigningCertificateV2, derSequence(derSequence(derSequence(
		derOctetString(certHash[:]), derSequence(derSequence(tlv(0xa4, issuer)), serial)))))
	sip.signedAttrs = derSetOf(attr(OIDAttrContentType, derOID(OIDData)), attr(OIDAttrMessageDigest, derOctetString(digest)), ess)
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = signRaw(t, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)
	sdp.signers = [][]byte{sip.encode()}
	sd, err := Parse(sdp.encode())
	if err != nil {
		t.Fatal(err)
	}
	verifyAll(t, sd, digest, pki.leaf)
	// A different serial must still not match.
	sip.sid = derSequence(issuer, derInt(1))
	sdp.signers = [][]byte{sip.encode()}
	sd, err = Parse(sdp.encode())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.SignerCertificate(sd.Signers[0]); !errors.Is(err, ErrNoSignerCertificate) {
		t.Errorf("wrong serial: %v", err)
	}
}
