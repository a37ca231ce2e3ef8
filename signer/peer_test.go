package signer_test

import (
	"bytes"
	"testing"

	pdfsignverify "github.com/digitorus/pdfsign/verify"

	"segel/internal/devca"
	"segel/signer"
)

// TestPeerDigitorusVerify: digitorus/pdfsign, another Go implementation,
// finds every signature segel writes and calls it valid. (Its trust and
// modification checks are not used: its verifier is known to accept
// changes made after signing, see the verify package's tests.)
func TestPeerDigitorusVerify(t *testing.T) {
	in := readTestdata(t, "pks.pdf")
	kab := identity(t, devca.ECDSAP256, "Bupati Tuban")
	prov := identity(t, devca.RSA3072, "Gubernur Jawa Timur")
	b1, _, _ := sign(t, in, kab, signer.Options{Field: "SigKabupaten", Certify: 2})
	b2, _, _ := sign(t, b1, prov, signer.Options{Field: "SigProvinsi"})
	resp, err := pdfsignverify.Verify(bytes.NewReader(b2), int64(len(b2)))
	if err != nil {
		t.Fatalf("digitorus/pdfsign verify: %v", err)
	}
	if len(resp.Signers) != 2 {
		t.Fatalf("digitorus/pdfsign sees %d signatures, want 2", len(resp.Signers))
	}
	for _, s := range resp.Signers {
		if !s.ValidSignature {
			t.Errorf("digitorus/pdfsign: signature of %q not valid", s.Name)
		}
	}
	// The peer can say no: a changed byte inside the signed range.
	bad := bytes.Clone(b2)
	bad[len(in)/2] ^= 0x01
	resp, err = pdfsignverify.Verify(bytes.NewReader(bad), int64(len(bad)))
	if err == nil {
		for _, s := range resp.Signers {
			if s.ValidSignature {
				t.Errorf("digitorus/pdfsign calls a tampered signature of %q valid", s.Name)
			}
		}
	}
}
