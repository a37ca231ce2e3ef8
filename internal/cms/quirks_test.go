package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	_ "crypto/md5" // register MD5 for the unsupported-DigestInfo case
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// quirkSignerInfo encodes a SignerInfo over digest whose digestAlgorithm
// field is digestAlg and whose signatureAlgorithm is sigAlg, signed with
// hash h by pki's leaf key (PSS when pss).
func quirkSignerInfo(t testing.TB, pki *testPKI, h crypto.Hash, digestAlg, sigAlg []byte, digest []byte, pss bool) (sdParts, siParts) {
	t.Helper()
	_, sd, si := basicParts(t, pki, h, digest)
	si.digestAlg = digestAlg
	si.sigAlg = sigAlg
	si.sig = signRaw(t, pki.leafKey, h, si.signedAttrs, pss)
	sd.signers = [][]byte{si.encode()}
	return sd, si
}

func pssAlgID(t testing.TB, pki *testPKI, h crypto.Hash) []byte {
	t.Helper()
	p, err := newPlan(SignOptions{Signer: pki.leafKey, Chain: pki.chain(), Hash: h, PSS: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.sigAlg
}

// TestDigestAlgorithmSignatureOID: a digestAlgorithm that names a
// signature or key algorithm is read as the hash it (or the signature
// algorithm, or the signature value) names; the digest and the signature
// are then checked as usual.
func TestDigestAlgorithmSignatureOID(t *testing.T) {
	withNull := func(oid asn1.ObjectIdentifier) []byte { return derSequence(derOID(oid), derNull) }
	rsa := newPKI(t, "rsa2048")
	p256 := newPKI(t, "p256")
	p384 := newPKI(t, "p384")
	cases := []struct {
		name              string
		pki               *testPKI
		hash              crypto.Hash
		digestAlg, sigAlg []byte
		pss               bool
		source            DigestSource
	}{
		{"sha256WithRSA", rsa, crypto.SHA256, withNull(oidSHA256WithRSA), withNull(oidRSAEncryption), false, DigestFromSignatureOID},
		{"sha1WithRSA", rsa, crypto.SHA1, withNull(oidSHA1WithRSA), withNull(oidSHA1WithRSA), false, DigestFromSignatureOID},
		{"sha1WithRSA-OIW", rsa, crypto.SHA1, derAlgID(oidSHA1WithRSAOIW), withNull(oidRSAEncryption), false, DigestFromSignatureOID},
		{"sha512WithRSA", rsa, crypto.SHA512, withNull(oidSHA512WithRSA), withNull(oidSHA512WithRSA), false, DigestFromSignatureOID},
		{"ecdsa-with-SHA256", p256, crypto.SHA256, derAlgID(oidECDSAWithSHA256), derAlgID(oidECDSAWithSHA256), false, DigestFromSignatureOID},
		{"ecdsa-with-SHA384/id-ecPublicKey", p384, crypto.SHA384, derAlgID(oidECDSAWithSHA384), derAlgID(oidECPublicKey), false, DigestFromSignatureOID},
		{"rsaEncryption/sha384WithRSA", rsa, crypto.SHA384, withNull(oidRSAEncryption), withNull(oidSHA384WithRSA), false, DigestFromSignatureAlgorithm},
		{"rsaEncryption/PSS", rsa, crypto.SHA256, withNull(oidRSAEncryption), pssAlgID(t, rsa, crypto.SHA256), true, DigestFromSignatureAlgorithm},
		{"id-ecPublicKey/ecdsa-with-SHA256", p256, crypto.SHA256, derAlgID(oidECPublicKey), derAlgID(oidECDSAWithSHA256), false, DigestFromSignatureAlgorithm},
		{"rsaEncryption/rsaEncryption", rsa, crypto.SHA512, withNull(oidRSAEncryption), withNull(oidRSAEncryption), false, DigestFromSignatureValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			digest := digestOf(c.hash, []byte("signed bytes"))
			sdp, _ := quirkSignerInfo(t, c.pki, c.hash, c.digestAlg, c.sigAlg, digest, c.pss)
			sd, err := Parse(sdp.encode())
			if err != nil {
				t.Fatal(err)
			}
			si := sd.Signers[0]
			if si.DigestSource != c.source {
				t.Fatalf("source %v, want %v", si.DigestSource, c.source)
			}
			cert, err := sd.SignerCertificate(si)
			if err != nil {
				t.Fatal(err)
			}
			if c.source == DigestFromSignatureValue {
				if si.DigestAlgorithm != 0 {
					t.Fatalf("digest %v before ResolveDigestAlgorithm", si.DigestAlgorithm)
				}
				if err := si.ResolveDigestAlgorithm(cert); err != nil {
					t.Fatal(err)
				}
			}
			if si.DigestAlgorithm != c.hash {
				t.Fatalf("digest %v, want %v", si.DigestAlgorithm, c.hash)
			}
			if err := si.CheckDigest(digest); err != nil {
				t.Fatal(err)
			}
			if err := si.VerifySignature(cert, digest); err != nil {
				t.Fatal(err)
			}
			// A wrong digest still fails.
			bad := digestOf(c.hash, []byte("other bytes"))
			if err := si.CheckDigest(bad); !errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("wrong digest: %v", err)
			}
		})
	}

	// Unknown OIDs and impossible combinations stay unsupported.
	digest := digestOf(crypto.SHA256, []byte("x"))
	for name, alg := range map[string][]byte{
		"md5WithRSA":      withNull(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}),
		"id-ecPublicKey":  derAlgID(oidECPublicKey),
		"unknown":         derAlgID(asn1.ObjectIdentifier{1, 2, 3, 4}),
		"ecdsa/RSA value": derAlgID(oidECDSAWithSHA256), // maps, but the signature is RSA with rsaEncryption: verified as such
	} {
		sdp, _ := quirkSignerInfo(t, rsa, crypto.SHA256, alg, withNull(oidRSAEncryption), digest, false)
		sd, err := Parse(sdp.encode())
		if err != nil {
			t.Fatal(err)
		}
		si := sd.Signers[0]
		cert, _ := sd.SignerCertificate(si)
		if name == "ecdsa/RSA value" {
			if si.DigestAlgorithm != crypto.SHA256 || si.VerifySignature(cert, digest) != nil {
				t.Errorf("%s: %v", name, si.VerifySignature(cert, digest))
			}
			continue
		}
		if si.DigestAlgorithm != 0 {
			t.Errorf("%s: digest %v", name, si.DigestAlgorithm)
		}
		if err := si.ResolveDigestAlgorithm(cert); !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Errorf("%s: resolve: %v", name, err)
		}
	}

	// rsaEncryption in both fields: the signature value is read with the
	// signer's key; another key or an ECDSA key fails.
	sdp, _ := quirkSignerInfo(t, rsa, crypto.SHA256, withNull(oidRSAEncryption), withNull(oidRSAEncryption), digest, false)
	sd, err := Parse(sdp.encode())
	if err != nil {
		t.Fatal(err)
	}
	other := newPKI(t, "rsa2048#other")
	if err := sd.Signers[0].ResolveDigestAlgorithm(other.leaf); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("other RSA key: %v", err)
	}
	if err := sd.Signers[0].ResolveDigestAlgorithm(p256.leaf); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("ECDSA key: %v", err)
	}
}

// TestRecoverDigestInfo reads the hash and digest out of PKCS#1 v1.5
// signatures and refuses anything else.
func TestRecoverDigestInfo(t *testing.T) {
	key := testKey(t, "rsa2048").(*rsa.PrivateKey)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		d := digestOf(h, []byte("abc"))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, d)
		if err != nil {
			t.Fatal(err)
		}
		gh, gd, err := RecoverDigestInfo(&key.PublicKey, sig)
		if err != nil || gh != h || !bytes.Equal(gd, d) {
			t.Errorf("%v: %v %x %v", h, gh, gd, err)
		}
		other := testKey(t, "rsa2048#other").(*rsa.PrivateKey)
		if _, _, err := RecoverDigestInfo(&other.PublicKey, sig); !errors.Is(err, ErrSignatureInvalid) {
			t.Errorf("%v, other key: %v", h, err)
		}
		if _, _, err := RecoverDigestInfo(&key.PublicKey, sig[1:]); !errors.Is(err, ErrSignatureInvalid) {
			t.Errorf("%v, short: %v", h, err)
		}
	}
	// MD5: a DigestInfo this package does not support.
	md5sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := RecoverDigestInfo(&key.PublicKey, md5sig); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("MD5: %v", err)
	}
	// No DigestInfo at all (a raw PKCS#1 signature of 20 bytes).
	raw, err := rsa.SignPKCS1v15(rand.Reader, key, 0, make([]byte, 20))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := RecoverDigestInfo(&key.PublicKey, raw); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("raw: %v", err)
	}
	// A value not below the modulus.
	big := bytes.Repeat([]byte{0xff}, key.Size())
	if _, _, err := RecoverDigestInfo(&key.PublicKey, big); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("0xff…: %v", err)
	}
}

// quirkyName is C=ID, O=…, CN=<value>, with value the DER attribute
// value as given.
func quirkyName(value []byte) []byte {
	atv := func(oid asn1.ObjectIdentifier, v []byte) []byte { return tlv(0x31, derSequence(derOID(oid), v)) }
	return derSequence(
		atv(asn1.ObjectIdentifier{2, 5, 4, 6}, tlv(asn1.TagPrintableString, []byte("ID"))),
		atv(asn1.ObjectIdentifier{2, 5, 4, 10}, tlv(asn1.TagUTF8String, []byte("Pemerintah Kabupaten Tuban"))),
		atv(asn1.ObjectIdentifier{2, 5, 4, 3}, value),
	)
}

// issueRaw signs a certificate and returns its DER without parsing it.
func issueRaw(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) []byte {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(5000 + serialCtr.Add(1))
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func leafTemplate(rawSubject []byte) *x509.Certificate {
	return &x509.Certificate{
		RawSubject:  rawSubject,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
}

// nameValues are CN values crypto/x509 refuses (shown is the text they
// are read as) or, with refused false, reads as they are.
var nameValues = []struct {
	name    string
	value   []byte
	refused bool
	shown   string
}{
	{"PrintableString-underscore", tlv(asn1.TagPrintableString, []byte("Kepala_Dinas@Tuban")), true, "Kepala_Dinas@Tuban"},
	{"PrintableString-latin1", tlv(asn1.TagPrintableString, []byte("M\xfcller")), true, "Müller"},
	{"PrintableString-utf8", tlv(asn1.TagPrintableString, []byte("Müller")), true, "Müller"},
	{"UTF8String-invalid", tlv(asn1.TagUTF8String, []byte("Bud\xffi")), true, "Bud\uFFFDi"},
	{"BMPString-surrogates", tlv(asn1.TagBMPString, []byte{0, 'A', 0xd8, 0x3d, 0xde, 0x00}), true, "A😀"},
	{"BMPString-odd", tlv(asn1.TagBMPString, []byte{0, 'A', 0}), true, "A\uFFFD"},
	{"IA5String-latin1", tlv(asn1.TagIA5String, []byte("Jos\xe9")), true, "José"},
	{"NumericString", tlv(asn1.TagNumericString, []byte("12-34")), true, "12-34"},
	{"UniversalString", tlv(tagUniversalString, []byte{0, 0, 0, 'A', 0, 0, 0, 'b'}), true, "Ab"},
	{"VisibleString", tlv(tagVisibleString, []byte("Budi")), true, "Budi"},
	{"INTEGER", []byte{0x02, 0x01, 0x05}, true, "#020105"},
	{"TeletexString", tlv(asn1.TagT61String, []byte("M\xfcller")), false, "Müller"},
	{"PrintableString-ok", tlv(asn1.TagPrintableString, []byte("Budi Santoso")), false, "Budi Santoso"},
}

// TestLenientCertificate: certificates crypto/x509 refuses only for their
// name strings are read with those values re-encoded, keep their original
// bytes, and still verify under their issuer.
func TestLenientCertificate(t *testing.T) {
	pki := newPKI(t, "p256")
	for _, nv := range nameValues {
		t.Run(nv.name, func(t *testing.T) {
			der := issueRaw(t, leafTemplate(quirkyName(nv.value)), pki.inter, pki.leafKey.Public(), pki.interKey)
			_, strictErr := x509.ParseCertificate(der)
			if (strictErr != nil) != nv.refused {
				t.Fatalf("crypto/x509: %v, want refused=%v (the emulation in refusedValue has drifted)", strictErr, nv.refused)
			}
			cert, quirks, err := ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			if (len(quirks) > 0) != nv.refused {
				t.Fatalf("quirks %v", quirks)
			}
			if cert.Subject.CommonName != nv.shown {
				t.Errorf("CN %q, want %q", cert.Subject.CommonName, nv.shown)
			}
			if !nv.refused {
				return
			}
			q := quirks[0]
			if len(quirks) != 1 || q.Field != "subject" || !q.Type.Equal(asn1.ObjectIdentifier{2, 5, 4, 3}) || q.Shown != nv.shown || q.Problem == "" {
				t.Errorf("quirks %+v", quirks)
			}
			t.Logf("%s", q)
			if !bytes.Equal(cert.Raw, der) || !bytes.Equal(cert.RawSubject, quirkyName(nv.value)) || !bytes.Contains(der, cert.RawTBSCertificate) {
				t.Error("raw encodings not restored")
			}
			if err := cert.CheckSignatureFrom(pki.inter); err != nil {
				t.Errorf("issuer signature: %v", err)
			}
			if !cert.PublicKey.(*ecdsa.PublicKey).Equal(pki.leafKey.Public()) {
				t.Error("public key differs")
			}
			// A changed byte in the refused value: still readable, but the
			// issuer's signature no longer verifies.
			bad := bytes.Clone(der)
			i := bytes.Index(bad, nv.value) + len(nv.value) - 1
			bad[i] ^= 0x01
			if c, _, err := ParseCertificate(bad); err == nil && c.CheckSignatureFrom(pki.inter) == nil {
				t.Error("a tampered name still verifies")
			}
		})
	}
}

// TestLenientChain: a CA whose subject crypto/x509 refuses still chains
// (by its raw subject) and verifies its leaves, whose issuer name carries
// the same quirk.
func TestLenientChain(t *testing.T) {
	pki := newPKI(t, "p256")
	caKey := testKey(t, "p256#lenient-ca")
	caDER := issueRaw(t, &x509.Certificate{
		RawSubject: quirkyName(tlv(asn1.TagPrintableString, []byte("CA_Daerah"))), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}, pki.root, caKey.Public(), pki.rootKey)
	ca, quirks, err := ParseCertificate(caDER)
	if err != nil || len(quirks) != 1 {
		t.Fatalf("%v %v", quirks, err)
	}
	leafDER := issueRaw(t, leafTemplate(quirkyName(tlv(asn1.TagPrintableString, []byte("Budi_Santoso")))), ca, pki.leafKey.Public(), caKey)
	leaf, quirks, err := ParseCertificate(leafDER)
	if err != nil || len(quirks) != 2 || quirks[0].Field != "issuer" || quirks[1].Field != "subject" {
		t.Fatalf("%v %v", quirks, err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(pki.root)
	inter.AddCert(ca)
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains[0]) != 3 {
		t.Fatalf("chain: %v", err)
	}
}

// TestLenientRefusals: only name values are forgiven.
func TestLenientRefusals(t *testing.T) {
	pki := newPKI(t, "p256")
	quirky := quirkyName(tlv(asn1.TagPrintableString, []byte("Budi_Santoso")))
	// A quirky name and a malformed extension: refused.
	tmpl := leafTemplate(quirky)
	tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: []byte{0x01, 0x00}}}
	der := issueRaw(t, tmpl, pki.inter, pki.leafKey.Public(), pki.interKey)
	if _, _, err := ParseCertificate(der); err == nil {
		t.Error("a certificate with a malformed extension was accepted")
	}
	// A quirky name in a certificate whose outer length is not DER.
	der = issueRaw(t, leafTemplate(quirky), pki.inter, pki.leafKey.Public(), pki.interKey)
	if der[1] != 0x82 {
		t.Fatalf("unexpected header % x", der[:4])
	}
	nonDER := append([]byte{0x30, 0x83, 0x00}, der[2:]...)
	if _, _, err := ParseCertificate(nonDER); err == nil {
		t.Error("a non-DER certificate was accepted")
	}
	// Garbage and truncation.
	for _, b := range [][]byte{nil, {0x30, 0x00}, der[:len(der)/2], append(bytes.Clone(der), 0)} {
		if _, _, err := ParseCertificate(b); err == nil {
			t.Errorf("% x… accepted", b[:min(len(b), 8)])
		}
	}
}

// TestParseLenientSignedData: a CMS whose signer certificate has a quirky
// subject and issuer is parsed, matched and verified.
func TestParseLenientSignedData(t *testing.T) {
	pki := newPKI(t, "rsa2048")
	caKey := testKey(t, "p256#lenient-ca")
	ca, _, err := ParseCertificate(issueRaw(t, &x509.Certificate{
		RawSubject: quirkyName(tlv(asn1.TagT61String, []byte("CA"))), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, pki.root, caKey.Public(), pki.rootKey))
	if err != nil {
		t.Fatal(err)
	}
	leafDER := issueRaw(t, leafTemplate(quirkyName(tlv(asn1.TagPrintableString, []byte("Kepala_Dinas")))), ca, pki.leafKey.Public(), caKey)
	leaf, _, err := ParseCertificate(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	lp := &testPKI{root: pki.root, inter: ca, leaf: leaf, leafKey: pki.leafKey}
	digest := digestOf(crypto.SHA256, []byte("document"))
	blob, err := SignDetached(digest, SignOptions{Signer: pki.leafKey, Chain: lp.chain()})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.Certificates) != 2 || len(sd.LenientCertificates) != 1 || sd.LenientCertificates[0].Index != 0 || len(sd.CertificateErrors) != 0 {
		t.Fatalf("certificates %d, lenient %+v, errors %v", len(sd.Certificates), sd.LenientCertificates, sd.CertificateErrors)
	}
	si := sd.Signers[0]
	cert, err := sd.SignerCertificate(si)
	if err != nil || !bytes.Equal(cert.Raw, leafDER) || sd.Quirks(cert) == nil {
		t.Fatalf("signer certificate: %v", err)
	}
	if err := si.CheckDigest(digest); err != nil {
		t.Fatal(err)
	}
	if err := si.VerifySignature(cert, digest); err != nil {
		t.Fatal(err)
	}
	if err := si.CheckSigningCertificate(cert); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sd.Quirks(cert)[0].String(), "PrintableString") {
		t.Error(sd.Quirks(cert))
	}
}
