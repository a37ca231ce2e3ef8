package tsa

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"segel/internal/cms"
	"segel/internal/devca"
)

// craft answers a request with a token built by hand, changed by mod.
func craft(t *testing.T, id *devca.Identity, mod func(h *crypto.Hash, imprint *[]byte, nonce **big.Int)) Poster {
	return func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
		r, err := timestamp.ParseRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		h, imprint, nonce := r.HashAlgorithm, r.HashedMessage, r.Nonce
		if mod != nil {
			mod(&h, &imprint, &nonce)
		}
		info, err := marshalTSTInfo(DefaultPolicy, h, imprint, big.NewInt(7), time.Now(), time.Second, nonce, id.Cert.RawSubject)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := cms.PrepareEncapsulated(cms.OIDTSTInfo, info, cms.SignOptions{Signer: id.Key, Chain: id.Chain})
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := id.Key.Sign(rand.Reader, pr.Digest(), pr.SignerOpts())
		pr.Accept(sig)
		tok, _ := pr.Complete()
		return marshalResponse(tok, 0, "")
	}
}

func TestClientChecks(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	a, err := New(Config{Signer: f.id.Key, Chain: f.id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	honest := a.Poster()
	digest := sha256.Sum256([]byte("tanda tangan"))
	c := &Client{URL: "http://tsa.test/", Post: honest, Roots: f.ca.RootPool()}
	tok, info, err := c.Stamp(context.Background(), digest[:])
	if err != nil || len(tok) == 0 || info.Serial == nil || len(info.Chain) < 2 {
		t.Fatalf("honest TSA: %v %+v", err, info)
	}

	notTSA, _ := f.ca.Issue(devca.LeafRequest{CommonName: "document signer", KeyType: devca.ECDSAP256})
	other, _ := devca.New(devca.Options{})
	for _, tc := range []struct {
		name string
		c    *Client
		want error
	}{
		{"wrong imprint", &Client{Post: craft(t, f.id, func(h *crypto.Hash, im *[]byte, n **big.Int) {
			*im = append([]byte{^(*im)[0]}, (*im)[1:]...)
		}), Roots: f.ca.RootPool()}, ErrImprint},
		{"wrong nonce", &Client{Post: craft(t, f.id, func(h *crypto.Hash, im *[]byte, n **big.Int) {
			*n = new(big.Int).Add(*n, big.NewInt(1))
		}), Roots: f.ca.RootPool()}, ErrNonce},
		{"no nonce", &Client{Post: craft(t, f.id, func(h *crypto.Hash, im *[]byte, n **big.Int) { *n = nil }), Roots: f.ca.RootPool()}, ErrNonce},
		{"untrusted TSA", &Client{Post: honest, Roots: other.RootPool()}, ErrUntrusted},
		{"no trust set", &Client{Post: honest}, ErrUntrusted},
		{"no timeStamping EKU", &Client{Post: craft(t, notTSA, nil), Roots: f.ca.RootPool()}, ErrUntrusted},
		{"unsigned token", &Client{Post: func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
			return marshalResponse(unsignedToken(t), 0, "")
		}, Roots: f.ca.RootPool()}, ErrToken},
		{"rejected", &Client{Post: func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
			return marshalResponse(nil, failSystemFailure, "the clock is not synchronised")
		}, Roots: f.ca.RootPool()}, ErrRejected},
		{"not a response", &Client{Post: func(ctx context.Context, url, ct string, body []byte) ([]byte, error) {
			return []byte("<html>"), nil
		}, Roots: f.ca.RootPool()}, ErrToken},
		{"clock far off", &Client{Post: honest, Roots: f.ca.RootPool(), Now: func() time.Time { return time.Now().Add(time.Hour) }}, ErrTime},
	} {
		_, _, err := tc.c.Stamp(context.Background(), digest[:])
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// unsignedToken is a SignedData with a TSTInfo and no SignerInfo.
func unsignedToken(t *testing.T) []byte {
	inner, _ := asn1.Marshal(struct {
		Version int
		Digests asn1.RawValue
		Encap   struct {
			Type    asn1.ObjectIdentifier
			Content asn1.RawValue `asn1:"explicit,tag:0"`
		}
		Signers asn1.RawValue
	}{Version: 3, Digests: asn1.RawValue{Tag: 17, IsCompound: true}, Encap: struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}{Type: cms.OIDTSTInfo, Content: asn1.RawValue{Tag: 4, Bytes: []byte{0x30, 0}}}, Signers: asn1.RawValue{Tag: 17, IsCompound: true}})
	ci, err := asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}{Type: cms.OIDSignedData, Content: asn1.RawValue{FullBytes: inner}})
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

var _ x509.Certificate
