package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestEncapsulatedTSTInfo: a SignedData that encapsulates a TSTInfo (as a
// time-stamping authority signs it) parses back with its content, verifies,
// and openssl cms -verify gives the content back.
func TestEncapsulatedTSTInfo(t *testing.T) {
	pki := newPKI(t, "p256")
	tsaCert, tsaKey := pki.newTSA(t, "p256#tsa")
	content := []byte{0x30, 0x03, 0x02, 0x01, 0x01} // a stand-in DER value
	pr, err := PrepareEncapsulated(OIDTSTInfo, content, SignOptions{Signer: tsaKey, Chain: []*x509.Certificate{tsaCert, pki.inter}})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := tsaKey.Sign(rand.Reader, pr.Digest(), pr.SignerOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pr.Accept(sig); err != nil {
		t.Fatal(err)
	}
	der, err := pr.Complete()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if !sd.EContentType.Equal(OIDTSTInfo) || !bytes.Equal(sd.EContent, content) {
		t.Fatalf("content %v %x", sd.EContentType, sd.EContent)
	}
	si := sd.Signers[0]
	sum := sha256.Sum256(content)
	if err := si.CheckDigest(sum[:]); err != nil {
		t.Fatal(err)
	}
	if err := si.VerifySignature(tsaCert, sum[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		return
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "tok.der", der)
	out := filepath.Join(dir, "content")
	if b, err := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", in, "-noverify", "-binary", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v: %s", err, b)
	}
}

// TestUnsignedTimestampAndRevocationInfo: a detached signature with the
// adbe-revocationInfoArchival signed attribute and a signature time-stamp
// unsigned attribute; MaxSizeExtra bounds it.
func TestUnsignedTimestampAndRevocationInfo(t *testing.T) {
	for _, key := range []string{"p256", "rsa2048"} {
		pki := newPKI(t, key)
		content := randomContent(t)
		digest := digestOf(crypto.SHA256, content)
		ri := &RevocationInfo{CRLs: [][]byte{{0x30, 0x00}}, OCSPs: [][]byte{{0x30, 0x02, 0x05, 0x00}}}
		token := append(derSequence(bytes.Repeat([]byte{0x05, 0x00}, 700)), nil...)
		x := Extra{RevocationInfo: ri, UnsignedReserve: len(token)}
		opts := SignOptions{Signer: pki.leafKey, Chain: pki.chain()}
		max, err := MaxSizeExtra(opts, x)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := PrepareDetachedExtra(digest, opts, x)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := pki.leafKey.Sign(rand.Reader, pr.Digest(), pr.SignerOpts())
		value, err := pr.Accept(sig)
		if err != nil {
			t.Fatal(err)
		}
		der, err := pr.Complete(SignatureTimeStamp(token))
		if err != nil {
			t.Fatal(err)
		}
		if len(der) > max {
			t.Errorf("%s: %d bytes, MaxSizeExtra said %d", key, len(der), max)
		}
		sd, err := Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		si := sd.Signers[0]
		if !bytes.Equal(si.Signature, value) || len(si.TimestampTokens) != 1 || !bytes.Equal(si.TimestampTokens[0], token) {
			t.Errorf("%s: signature or token not kept", key)
		}
		if len(si.RevocationInfoArchival) == 0 {
			t.Errorf("%s: no revocation info archival", key)
		}
		var rv asn1.RawValue
		if _, err := asn1.Unmarshal(si.RevocationInfoArchival, &rv); err != nil || !bytes.Contains(rv.Bytes, []byte{0x30, 0x02, 0x05, 0x00}) {
			t.Errorf("%s: revocation info %x %v", key, si.RevocationInfoArchival, err)
		}
		if err := si.CheckDigest(digest); err != nil {
			t.Fatal(err)
		}
		if err := si.VerifySignature(pki.leaf, digest); err != nil {
			t.Fatal(err)
		}
	}
}
