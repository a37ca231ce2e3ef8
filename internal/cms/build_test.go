package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"testing"
)

type signCase struct {
	key  string
	hash crypto.Hash
	pss  bool
}

func (c signCase) String() string {
	s := fmt.Sprintf("%s/%v", c.key, c.hash)
	if c.pss {
		s += "/pss"
	}
	return s
}

var signCases = []signCase{
	{"rsa2048", crypto.SHA256, false},
	{"rsa2048", crypto.SHA256, true},
	{"rsa2048", crypto.SHA512, false},
	{"rsa3072", crypto.SHA256, false},
	{"rsa3072", crypto.SHA384, true},
	{"rsa3072", crypto.SHA512, true},
	{"p256", crypto.SHA256, false},
	{"p256", crypto.SHA384, false},
	{"p256", crypto.SHA512, false},
	{"p384", crypto.SHA256, false},
	{"p384", crypto.SHA384, false},
	{"p384", crypto.SHA512, false},
	{"p521", crypto.SHA512, false},
}

func digestOf(h crypto.Hash, data []byte) []byte {
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil)
}

func randomContent(t testing.TB) []byte {
	b := make([]byte, 1000)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range signCases {
		t.Run(tc.String(), func(t *testing.T) {
			pki := newPKI(t, tc.key)
			content := randomContent(t)
			digest := digestOf(tc.hash, content)
			opts := SignOptions{Signer: pki.leafKey, Chain: pki.chain(), Hash: tc.hash, PSS: tc.pss}
			blob, err := SignDetached(digest, opts)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			if sd.BER {
				t.Error("builder output reported as BER")
			}
			if !bytes.Equal(sd.Raw, blob) {
				t.Error("Raw differs from the DER input")
			}
			if sd.Version != 1 || !sd.EContentType.Equal(OIDData) || sd.EContent != nil {
				t.Errorf("version %d, eContentType %v, eContent %v", sd.Version, sd.EContentType, sd.EContent != nil)
			}
			hashOID, _ := oidFromHash(tc.hash)
			if len(sd.DigestAlgorithms) != 1 || !sd.DigestAlgorithms[0].Algorithm.Equal(hashOID) ||
				len(sd.DigestAlgorithms[0].Parameters.FullBytes) != 0 {
				t.Errorf("digestAlgorithms = %+v", sd.DigestAlgorithms)
			}
			if len(sd.Certificates) != 2 || !sd.Certificates[0].Equal(pki.leaf) || !sd.Certificates[1].Equal(pki.inter) {
				t.Errorf("certificates not embedded as given")
			}
			if len(sd.CertificateErrors) != 0 || len(sd.CRLs) != 0 {
				t.Errorf("unexpected certificate errors/CRLs: %v %d", sd.CertificateErrors, len(sd.CRLs))
			}
			if len(sd.Signers) != 1 {
				t.Fatalf("%d signers", len(sd.Signers))
			}
			si := sd.Signers[0]
			if si.Version != 1 || si.DigestAlgorithm != tc.hash || si.SubjectKeyID != nil {
				t.Errorf("signer version %d digest %v ski %x", si.Version, si.DigestAlgorithm, si.SubjectKeyID)
			}
			checkSigAlg(t, si, tc)

			// Signed attributes are exactly {contentType, messageDigest,
			// signingCertificateV2}, DER-sorted, with no signingTime.
			want := map[string]bool{
				OIDAttrContentType.String():          true,
				OIDAttrMessageDigest.String():        true,
				OIDAttrSigningCertificateV2.String(): true,
			}
			if len(si.SignedAttributes) != len(want) {
				t.Errorf("%d signed attributes, want %d", len(si.SignedAttributes), len(want))
			}
			for i, a := range si.SignedAttributes {
				if !want[a.Type.String()] {
					t.Errorf("unexpected signed attribute %v", a.Type)
				}
				delete(want, a.Type.String())
				if i > 0 && bytes.Compare(si.SignedAttributes[i-1].Raw, a.Raw) >= 0 {
					t.Errorf("signed attributes not DER-sorted")
				}
			}
			if len(want) != 0 {
				t.Errorf("missing signed attributes %v", want)
			}
			if si.SigningTime != nil {
				t.Error("signingTime present")
			}
			for _, a := range si.SignedAttributes {
				if a.Type.Equal(OIDAttrSigningTime) {
					t.Error("signingTime attribute present")
				}
			}
			if si.sortedAttrs != nil || si.RawSignedAttributes[0] != 0x31 {
				t.Error("signed attributes not in DER SET form")
			}
			if len(si.UnsignedAttributes) != 0 || si.TimestampTokens != nil {
				t.Error("unexpected unsigned attributes")
			}
			if !si.ContentType.Equal(OIDData) || !bytes.Equal(si.MessageDigest, digest) {
				t.Error("contentType/messageDigest attributes wrong")
			}
			if len(si.SigningCertificateV2) != 1 || si.SigningCertificateV1 != nil {
				t.Fatalf("signing certificate attributes: v2 %d, v1 %v", len(si.SigningCertificateV2), si.SigningCertificateV1)
			}
			ess := si.SigningCertificateV2[0]
			if ess.HashAlgorithm != crypto.SHA256 || ess.IssuerSerial == nil ||
				ess.IssuerSerial.SerialNumber.Cmp(pki.leaf.SerialNumber) != 0 ||
				len(ess.IssuerSerial.DirectoryNames) != 1 || !bytes.Equal(ess.IssuerSerial.DirectoryNames[0], pki.leaf.RawIssuer) {
				t.Errorf("ESSCertIDv2 = %+v", ess)
			}
			// hashAlgorithm must be omitted (DEFAULT sha256): the
			// ESSCertIDv2 starts with the certHash OCTET STRING.
			if bytes.Contains(si.SignedAttributes[essIndex(si)].Raw, derAlgID(oidSHA256)) {
				t.Error("ESSCertIDv2 encodes the DEFAULT hashAlgorithm")
			}

			cert, err := sd.SignerCertificate(si)
			if err != nil {
				t.Fatal(err)
			}
			if !cert.Equal(pki.leaf) {
				t.Fatal("SignerCertificate returned the wrong certificate")
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
			if err := si.CheckSigningCertificate(pki.inter); !errors.Is(err, ErrSigningCertificateMismatch) {
				t.Errorf("CheckSigningCertificate(intermediate) = %v", err)
			}
			if err := si.VerifySignature(pki.inter, digest); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("VerifySignature with the wrong key = %v", err)
			}

			// One flipped bit in the content digest.
			bad := bytes.Clone(digest)
			bad[len(bad)-1] ^= 1
			if err := si.CheckDigest(bad); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("CheckDigest(flipped) = %v", err)
			}

			// One flipped byte in the encoded signature value.
			at := bytes.Index(blob, si.Signature)
			if at < 0 {
				t.Fatal("signature not found in blob")
			}
			tampered := bytes.Clone(blob)
			tampered[at+len(si.Signature)/2] ^= 0x40
			sd2, err := Parse(tampered)
			if err != nil {
				t.Fatal(err)
			}
			if err := sd2.Signers[0].VerifySignature(cert, digest); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("VerifySignature(tampered) = %v", err)
			}

			// A tampered signed attribute (the digest inside messageDigest).
			at = bytes.Index(blob, digest)
			tampered = bytes.Clone(blob)
			tampered[at] ^= 1
			sd3, err := Parse(tampered)
			if err != nil {
				t.Fatal(err)
			}
			if err := sd3.Signers[0].VerifySignature(cert, digest); !errors.Is(err, ErrSignatureInvalid) {
				t.Errorf("VerifySignature(tampered attributes) = %v", err)
			}
			if err := sd3.Signers[0].CheckDigest(digest); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("CheckDigest(tampered attributes) = %v", err)
			}

			max, err := MaxSize(opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(blob) > max || max-len(blob) > 64 {
				t.Errorf("len %d, MaxSize %d", len(blob), max)
			}
		})
	}
}

func essIndex(si *SignerInfo) int {
	for i, a := range si.SignedAttributes {
		if a.Type.Equal(OIDAttrSigningCertificateV2) {
			return i
		}
	}
	return 0
}

// checkSigAlg checks the encoding of signatureAlgorithm.
func checkSigAlg(t *testing.T, si *SignerInfo, tc signCase) {
	t.Helper()
	alg := si.SignatureAlgorithm
	switch {
	case tc.pss:
		if !alg.Algorithm.Equal(oidRSAPSS) {
			t.Fatalf("signatureAlgorithm %v", alg.Algorithm)
		}
		h, salt, err := parsePSS(alg.Parameters)
		if err != nil || h != tc.hash || salt != tc.hash.Size() {
			t.Errorf("PSS params: %v %d %v", h, salt, err)
		}
	case tc.key[0] == 'r':
		if !alg.Algorithm.Equal(oidRSAEncryption) || !bytes.Equal(alg.Parameters.FullBytes, derNull) {
			t.Errorf("signatureAlgorithm %v params %x", alg.Algorithm, alg.Parameters.FullBytes)
		}
	default:
		kind, h := signatureKind(alg.Algorithm)
		if kind != sigECDSA || h != tc.hash || len(alg.Parameters.FullBytes) != 0 {
			t.Errorf("signatureAlgorithm %v params %x", alg.Algorithm, alg.Parameters.FullBytes)
		}
	}
}

func TestMaxSizeBound(t *testing.T) {
	for _, tc := range signCases {
		t.Run(tc.String(), func(t *testing.T) {
			pki := newPKI(t, tc.key)
			opts := SignOptions{Signer: pki.leafKey, Chain: pki.chain(), Hash: tc.hash, PSS: tc.pss}
			max, err := MaxSize(opts)
			if err != nil {
				t.Fatal(err)
			}
			iters := 3
			if tc.key[0] == 'p' {
				iters = 300
			}
			minLen := max
			for i := 0; i < iters; i++ {
				digest := digestOf(tc.hash, []byte{byte(i), byte(i >> 8)})
				blob, err := SignDetached(digest, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(blob) > max {
					t.Fatalf("iteration %d: len %d > MaxSize %d", i, len(blob), max)
				}
				if max-len(blob) > 64 {
					t.Fatalf("iteration %d: MaxSize %d not tight for len %d", i, max, len(blob))
				}
				if tc.key[0] == 'r' && len(blob) != max {
					t.Fatalf("RSA: len %d != MaxSize %d", len(blob), max)
				}
				minLen = min(minLen, len(blob))
			}
			t.Logf("MaxSize %d, smallest %d", max, minLen)
		})
	}
}

func TestSignCalledOnce(t *testing.T) {
	for _, key := range []string{"rsa2048", "p256"} {
		for _, pss := range []bool{false, true} {
			if pss && key != "rsa2048" {
				continue
			}
			pki := newPKI(t, key)
			cs := &countingSigner{Signer: pki.leafKey}
			opts := SignOptions{Signer: cs, Chain: pki.chain(), PSS: pss}
			if _, err := MaxSize(opts); err != nil {
				t.Fatal(err)
			}
			if n := cs.calls.Load(); n != 0 {
				t.Fatalf("MaxSize called Sign %d times", n)
			}
			if _, err := SignDetached(make([]byte, 32), opts); err != nil {
				t.Fatal(err)
			}
			if n := cs.calls.Load(); n != 1 {
				t.Fatalf("%s pss=%v: Sign called %d times", key, pss, n)
			}
		}
	}
}

func TestSignerKeyMismatch(t *testing.T) {
	for _, key := range []string{"rsa2048", "p256"} {
		pki := newPKI(t, key)
		other := testKey(t, key+"#other")
		// A remote signer that claims the leaf key but signs with another.
		ws := wrongKeySigner{pub: pki.leafKey.Public(), sign: other}
		_, err := SignDetached(make([]byte, 32), SignOptions{Signer: ws, Chain: pki.chain()})
		if !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("%s: wrong-key signer: %v", key, err)
		}
		// A signer whose public key is not the leaf's.
		_, err = SignDetached(make([]byte, 32), SignOptions{Signer: other, Chain: pki.chain()})
		if !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: mismatched public key: %v", key, err)
		}
	}
}

func TestSignOptionErrors(t *testing.T) {
	rsaPKI := newPKI(t, "rsa2048")
	ecPKI := newPKI(t, "p256")
	edPKI := newPKI(t, "ed25519")
	cases := []struct {
		name   string
		digest []byte
		opts   SignOptions
	}{
		{"no signer", make([]byte, 32), SignOptions{Chain: rsaPKI.chain()}},
		{"no chain", make([]byte, 32), SignOptions{Signer: rsaPKI.leafKey}},
		{"sha1", make([]byte, 20), SignOptions{Signer: rsaPKI.leafKey, Chain: rsaPKI.chain(), Hash: crypto.SHA1}},
		{"digest length", make([]byte, 20), SignOptions{Signer: rsaPKI.leafKey, Chain: rsaPKI.chain()}},
		{"digest length sha384", make([]byte, 32), SignOptions{Signer: rsaPKI.leafKey, Chain: rsaPKI.chain(), Hash: crypto.SHA384}},
		{"pss ecdsa", make([]byte, 32), SignOptions{Signer: ecPKI.leafKey, Chain: ecPKI.chain(), PSS: true}},
		{"ed25519", make([]byte, 32), SignOptions{Signer: edPKI.leafKey, Chain: edPKI.chain()}},
		{"wrong leaf", make([]byte, 32), SignOptions{Signer: rsaPKI.leafKey, Chain: ecPKI.chain()}},
	}
	for _, c := range cases {
		if _, err := SignDetached(c.digest, c.opts); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: SignDetached error %v", c.name, err)
		}
	}
	// Signer errors are wrapped.
	_, err := SignDetached(make([]byte, 32), SignOptions{Signer: errSigner{rsaPKI.leafKey}, Chain: rsaPKI.chain()})
	if err == nil || !errors.Is(err, errTokenRemoved) {
		t.Errorf("signer failure: %v", err)
	}
}

var errTokenRemoved = errors.New("token removed")

type errSigner struct{ crypto.Signer }

func (e errSigner) Sign(_ io.Reader, _ []byte, _ crypto.SignerOpts) ([]byte, error) {
	return nil, errTokenRemoved
}

// Signatures produced by the standard library key types directly (not via
// the Signer interface) verify too; this guards against the builder and
// verifier sharing a mistake in how the signed attributes are hashed.
func TestIndependentSignatureCheck(t *testing.T) {
	pki := newPKI(t, "p384")
	digest := digestOf(crypto.SHA384, []byte("x"))
	blob, err := SignDetached(digest, SignOptions{Signer: pki.leafKey, Chain: pki.chain(), Hash: crypto.SHA384})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	// Re-encode the attributes independently with encoding/asn1.
	var attrs []asn1.RawValue
	if _, err := asn1.UnmarshalWithParams(si.RawSignedAttributes, &attrs, "set"); err != nil {
		t.Fatal(err)
	}
	reenc, err := asn1.MarshalWithParams(attrs, "set")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reenc, si.RawSignedAttributes) {
		t.Fatal("signed attributes are not a plain DER SET")
	}
	sum := digestOf(crypto.SHA384, reenc)
	if !ecdsa.VerifyASN1(pki.leaf.PublicKey.(*ecdsa.PublicKey), sum, si.Signature) {
		t.Fatal("signature does not verify over the DER SET of signed attributes")
	}
}

// strippingSigner drops leading zero octets from RSA signatures, like some
// hardware tokens; it records whether it did.
type strippingSigner struct {
	crypto.Signer
	stripped bool
}

func (s *strippingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	sig, err := s.Signer.Sign(r, d, o)
	if err == nil && len(sig) > 0 && sig[0] == 0 {
		s.stripped = true
		sig = bytes.TrimLeft(sig, "\x00")
	}
	return sig, err
}

// p1363Signer returns ECDSA signatures as raw r||s, like PKCS#11 CKM_ECDSA.
type p1363Signer struct{ crypto.Signer }

func (s p1363Signer) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	der, err := s.Signer.Sign(r, d, o)
	if err != nil {
		return nil, err
	}
	var v struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &v); err != nil {
		return nil, err
	}
	n := (s.Public().(*ecdsa.PublicKey).Curve.Params().N.BitLen() + 7) / 8
	out := make([]byte, 2*n)
	v.R.FillBytes(out[:n])
	v.S.FillBytes(out[n:])
	return out, nil
}

func TestHardwareSignerQuirks(t *testing.T) {
	pki := newPKI(t, "rsa2048")
	ss := &strippingSigner{Signer: pki.leafKey}
	opts := SignOptions{Signer: ss, Chain: pki.chain()}
	max, _ := MaxSize(opts)
	for i := 0; i < 5000 && !ss.stripped; i++ {
		digest := digestOf(crypto.SHA256, []byte{byte(i), byte(i >> 8)})
		blob, err := SignDetached(digest, opts)
		if err != nil {
			t.Fatal(err)
		}
		if ss.stripped {
			if len(blob) != max {
				t.Errorf("padded RSA signature: len %d, MaxSize %d", len(blob), max)
			}
			sd, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			verifyAll(t, sd, digest, pki.leaf)
		}
	}
	if !ss.stripped {
		t.Fatal("no RSA signature with a leading zero octet in 5000 tries")
	}

	for _, key := range []string{"p256", "p384", "p521"} {
		pki := newPKI(t, key)
		h := map[string]crypto.Hash{"p256": crypto.SHA256, "p384": crypto.SHA384, "p521": crypto.SHA512}[key]
		opts := SignOptions{Signer: p1363Signer{pki.leafKey}, Chain: pki.chain(), Hash: h}
		max, _ := MaxSize(opts)
		for i := 0; i < 20; i++ {
			digest := digestOf(h, []byte{byte(i)})
			blob, err := SignDetached(digest, opts)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if len(blob) > max {
				t.Fatalf("%s: len %d > MaxSize %d", key, len(blob), max)
			}
			sd, err := Parse(blob)
			if err != nil {
				t.Fatal(err)
			}
			verifyAll(t, sd, digest, pki.leaf)
		}
	}
}
