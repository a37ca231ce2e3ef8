package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"testing"
)

// fuzzSeeds returns CMS blobs covering the parser's main paths.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, c := range []signCase{
		{"rsa2048", crypto.SHA256, false},
		{"rsa2048", crypto.SHA384, true},
		{"p256", crypto.SHA256, false},
		{"p384", crypto.SHA512, false},
	} {
		pki := newPKI(f, c.key)
		blob, err := SignDetached(digestOf(c.hash, []byte("fuzz")), SignOptions{
			Signer: pki.leafKey, Chain: pki.chain(), Hash: c.hash, PSS: c.pss,
		})
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, blob, toBER(f, blob, 64), append(bytes.Clone(blob), 0, 0, 0, 0))
	}
	// A timestamp-token-like SignedData with eContent and unsigned
	// attributes, and one without signed attributes.
	pki := newPKI(f, "p256")
	tst := buildTSTInfo(make([]byte, 32), "20240102030405.5Z")
	q, sdp, sip := basicParts(f, pki, crypto.SHA256, nil)
	sip.signedAttrs = q.signedAttrs(OIDTSTInfo, digestOf(crypto.SHA256, tst))
	sip.sigAlg = derAlgID(oidECDSAWithSHA256)
	sip.sig = signRaw(f, pki.leafKey, crypto.SHA256, sip.signedAttrs, false)
	sdp.eContentType = OIDTSTInfo
	sdp.eContent = tst
	sdp.crls = [][]byte{derSequence(derInt(1))}
	sdp.signers = [][]byte{sip.encode()}
	token := sdp.encode()
	seeds = append(seeds, token)
	sip.unsigned = tlv(0x31, attr(OIDAttrTimeStampToken, token))
	sdp.signers = [][]byte{sip.encode()}
	seeds = append(seeds, sdp.encode(), toBER(f, sdp.encode(), 16))
	sip.signedAttrs = nil
	sip.sid = tlv(0x80, pki.leaf.SubjectKeyId)
	sdp.signers = [][]byte{sip.encode()}
	seeds = append(seeds, sdp.encode())
	return append(seeds, quirkSeeds(f)...)
}

// quirkSeeds are CMS blobs with the producer quirks the verifier accepts:
// a signature OID as digestAlgorithm, rsaEncryption in both algorithm
// fields, a signer certificate whose names crypto/x509 refuses, two
// SignerInfos of one signer, and a detached-style CMS with eContent.
func quirkSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	rsaPKI := newPKI(f, "rsa2048")
	digest := digestOf(crypto.SHA256, []byte("fuzz"))
	withNull := func(oid asn1.ObjectIdentifier) []byte { return derSequence(derOID(oid), derNull) }
	for _, algs := range [][2][]byte{
		{withNull(oidSHA256WithRSA), withNull(oidRSAEncryption)},
		{withNull(oidRSAEncryption), withNull(oidRSAEncryption)},
		{withNull(oidRSAEncryption), withNull(oidSHA256WithRSA)},
	} {
		sdp, _ := quirkSignerInfo(f, rsaPKI, crypto.SHA256, algs[0], algs[1], digest, false)
		seeds = append(seeds, sdp.encode())
	}
	// Two different SignerInfos of one ECDSA signer (as podofosign writes),
	// and the same with encapsulated content.
	p256 := newPKI(f, "p256")
	sdp, sip := quirkSignerInfo(f, p256, crypto.SHA256, derAlgID(oidSHA256), derAlgID(oidECDSAWithSHA256), digest, false)
	first := sip.encode()
	sip.sig = signRaw(f, p256.leafKey, crypto.SHA256, sip.signedAttrs, false)
	sdp.signers = [][]byte{first, sip.encode()}
	seeds = append(seeds, sdp.encode())
	sdp.eContent = []byte("fuzz")
	seeds = append(seeds, sdp.encode())
	// A signer certificate with a PrintableString crypto/x509 refuses.
	leaf := issueRaw(f, leafTemplate(quirkyName(tlv(asn1.TagPrintableString, []byte("Kepala_Dinas")))), p256.inter, p256.leafKey.Public(), p256.interKey)
	sdp, _ = quirkSignerInfo(f, p256, crypto.SHA256, derAlgID(oidSHA256), derAlgID(oidECDSAWithSHA256), digest, false)
	sdp.certs = [][]byte{leaf, p256.inter.Raw}
	return append(seeds, sdp.encode())
}

// FuzzParse checks that Parse and the verification API never panic and that
// successful parses are reproducible from the normalised bytes.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	digest := digestOf(crypto.SHA256, []byte("fuzz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		exercise(t, b, digest)
	})
}

// FuzzNormalizeBER checks the BER normaliser's invariants: its output is a
// DER fixed point, is bounded by the input size, and aliases the input when
// nothing changed.
func FuzzNormalizeBER(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0x24, 0x80, 0x24, 0x80, 0x04, 0x01, 0x61, 0, 0, 0x04, 0x01, 0x62, 0, 0})
	f.Add([]byte{0x23, 0x80, 0x03, 0x02, 0x00, 0x61, 0x03, 0x02, 0x04, 0xb0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, consumed, changed, err := normalizeBER(b)
		if err != nil {
			return
		}
		if consumed <= 0 || consumed > len(b) {
			t.Fatalf("consumed %d of %d", consumed, len(b))
		}
		if !changed && !bytes.Equal(out, b[:consumed]) {
			t.Fatal("unchanged output differs from input")
		}
		if len(out) > consumed+consumed/16+64 {
			t.Fatalf("output %d bytes for %d input bytes", len(out), consumed)
		}
		again, n, ch, err := normalizeBER(out)
		if err != nil || ch || n != len(out) || !bytes.Equal(again, out) {
			t.Fatalf("output is not a fixed point: %v changed=%v", err, ch)
		}
	})
}

// FuzzParseCertificate checks the lenient certificate parser: it never
// panics, keeps the input as Raw, reports quirks exactly when
// crypto/x509 refuses the input, and never accepts what crypto/x509
// refuses for reasons other than name values.
func FuzzParseCertificate(f *testing.F) {
	pki := newPKI(f, "p256")
	f.Add(pki.leaf.Raw)
	for _, nv := range nameValues {
		f.Add(issueRaw(f, leafTemplate(quirkyName(nv.value)), pki.inter, pki.leafKey.Public(), pki.interKey))
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, quirks, err := ParseCertificate(der)
		_, strictErr := x509.ParseCertificate(der)
		if err != nil {
			if strictErr == nil {
				t.Fatalf("refused what crypto/x509 accepts: %v", err)
			}
			return
		}
		if !bytes.Equal(cert.Raw, der) || !bytes.Contains(der, cert.RawTBSCertificate) ||
			!bytes.Contains(cert.RawTBSCertificate, cert.RawIssuer) || !bytes.Contains(cert.RawTBSCertificate, cert.RawSubject) {
			t.Fatal("raw encodings are not the input's")
		}
		if (len(quirks) > 0) != (strictErr != nil) {
			t.Fatalf("%d quirks, crypto/x509: %v", len(quirks), strictErr)
		}
	})
}
