package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"errors"
	"testing"
)

// TestPrepareMatchesSignDetached checks that the two-phase API produces
// byte for byte what SignDetached produces (RSA PKCS#1 v1.5 signatures are
// deterministic), and that it parses and verifies for every key type.
func TestPrepareMatchesSignDetached(t *testing.T) {
	pki := newPKI(t, "rsa2048")
	content := randomContent(t)
	digest := digestOf(crypto.SHA256, content)
	opts := SignOptions{Signer: pki.leafKey, Chain: pki.chain(), Hash: crypto.SHA256}
	want, err := SignDetached(digest, opts)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := PrepareDetached(digest, opts)
	if err != nil {
		t.Fatal(err)
	}
	if pr.SignerOpts() != crypto.SHA256 {
		t.Fatalf("signer opts %v", pr.SignerOpts())
	}
	sig, err := pki.leafKey.Sign(rand.Reader, pr.Digest(), pr.SignerOpts())
	if err != nil {
		t.Fatal(err)
	}
	got, err := pr.Finish(sig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("PrepareDetached+Finish differs from SignDetached")
	}
	if _, err := pr.Finish(sig); err == nil {
		t.Fatal("Finish succeeded twice")
	}
}

func TestPrepareRoundTrip(t *testing.T) {
	for _, tc := range signCases {
		t.Run(tc.String(), func(t *testing.T) {
			pki := newPKI(t, tc.key)
			content := randomContent(t)
			opts := SignOptions{Signer: errSigner{pki.leafKey}, Chain: pki.chain(), Hash: tc.hash, PSS: tc.pss}
			pr, err := PrepareDetached(digestOf(tc.hash, content), opts)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := pki.leafKey.Sign(rand.Reader, pr.Digest(), pr.SignerOpts())
			if err != nil {
				t.Fatal(err)
			}
			der, err := pr.Finish(sig)
			if err != nil {
				t.Fatal(err)
			}
			max, err := MaxSize(opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(der) > max {
				t.Fatalf("CMS of %d bytes exceeds MaxSize %d", len(der), max)
			}
			sd, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if len(sd.Signers) != 1 {
				t.Fatalf("%d signers", len(sd.Signers))
			}
			if err := sd.Signers[0].VerifySignature(pki.leaf, digestOf(tc.hash, content)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPrepareMismatch(t *testing.T) {
	pki := newPKI(t, "p256")
	other := testKey(t, "p256#other")
	opts := SignOptions{Signer: pki.leafKey, Chain: pki.chain()}
	pr, err := PrepareDetached(make([]byte, 32), opts)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := other.Sign(rand.Reader, pr.Digest(), pr.SignerOpts())
	if _, err := pr.Finish(sig); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("got %v, want ErrSignatureMismatch", err)
	}
	if _, err := PrepareDetached(make([]byte, 20), opts); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("short digest: %v", err)
	}
}
