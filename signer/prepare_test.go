package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"segel/internal/cms"
	"segel/internal/devca"
	"segel/signer"
)

func prepare(t *testing.T, in []byte, id *devca.Identity, o signer.Options) (*signer.Prepared, *memOut) {
	t.Helper()
	o.Signer, o.Chain = noSign{id.Key}, id.Chain
	if o.Time.IsZero() {
		o.Time = time.Date(2026, 11, 27, 15, 30, 0, 0, time.FixedZone("WIB", 7*3600))
	}
	out := &memOut{}
	p, err := signer.Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), out, o)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return p, out
}

// noSign hides the Sign method of a key, so that a call to it would not
// compile into a signature: Prepare may use only Public.
type noSign struct{ k crypto.Signer }

func (n noSign) Public() crypto.PublicKey { return n.k.Public() }
func (n noSign) Sign(_ io.Reader, _ []byte, _ crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("Sign must not be called by Prepare")
}

func TestPrepareFinish(t *testing.T) {
	in := readTestdata(t, "pks.pdf")
	for _, tc := range []struct {
		kt  devca.KeyType
		pss bool
		h   crypto.Hash
	}{
		{devca.ECDSAP256, false, crypto.SHA256},
		{devca.ECDSAP384, false, crypto.SHA384},
		{devca.RSA2048, false, crypto.SHA256},
		{devca.RSA2048, true, crypto.SHA512},
	} {
		t.Run(string(tc.kt), func(t *testing.T) {
			id := identity(t, tc.kt, "Bupati Tuban")
			p, out := prepare(t, in, id, signer.Options{Hash: tc.h, PSS: tc.pss, Field: "SigKabupaten"})
			if got := len(p.Digest()); got != tc.h.Size() {
				t.Fatalf("digest of %d bytes, want %d", got, tc.h.Size())
			}
			sig, err := id.Key.Sign(rand.Reader, p.Digest(), p.SignerOpts())
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Finish(sig)
			if err != nil {
				t.Fatalf("finish: %v", err)
			}
			if res.CMSSize == 0 || res.CMSSize > res.Reserved || res.Field != "SigKabupaten" {
				t.Fatalf("result %+v", res)
			}
			if _, err := p.Finish(sig); err == nil {
				t.Fatal("a second Finish succeeded")
			}
			judgeWith(t, out.b, 1, !tc.pss)
		})
	}
}

func TestPrepareFinishMismatch(t *testing.T) {
	in := readTestdata(t, "pks.pdf")
	id := identity(t, devca.ECDSAP256, "Bupati Tuban")
	other := identity(t, devca.ECDSAP256, "Orang Lain")
	p, out := prepare(t, in, id, signer.Options{})
	before := bytes.Clone(out.b)
	sig, err := other.Key.Sign(rand.Reader, p.Digest(), p.SignerOpts())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Finish(sig); !errors.Is(err, cms.ErrSignatureMismatch) {
		t.Fatalf("finish with another key's signature: %v, want ErrSignatureMismatch", err)
	}
	if !bytes.Equal(before, out.b) {
		t.Fatal("a refused signature was written")
	}
	// The right value is still accepted afterwards.
	sig, _ = id.Key.Sign(rand.Reader, p.Digest(), p.SignerOpts())
	if _, err := p.Finish(sig); err != nil {
		t.Fatal(err)
	}
}
