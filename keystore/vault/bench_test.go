package vault_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"segel/keystore/vault"
	"segel/signer"
)

// memOut is an in-memory signer.Output.
type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("write outside the output")
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// BenchmarkTransitSign measures documents signed per second through
// Transit: the sample PKS (testdata/pks.pdf), one Transit request per
// document and batched (one request per 64 documents), for the ECDSA
// P-256 and the RSA-3072 key. The server runs on this machine, so the
// figures are Vault's signing cost plus segel's, without network latency.
//
//	go test ./keystore/vault -run '^$' -bench . -benchtime 200x
func BenchmarkTransitSign(b *testing.B) {
	s := setup(b)
	pks, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pks.pdf"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tok := s.SignerToken()
	for _, k := range []struct {
		name string
		key  vault.KeyName
	}{{"ecdsa-p256", tuban}, {"rsa-3072", jatim}} {
		key := open(b, s, tok, k.key)
		opts := signer.Options{Signer: key.Signer(), Chain: key.Chain(), Field: "SigKabupaten", Time: time.Now()}
		b.Run(k.name+"/one-by-one", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := signer.Sign(ctx, bytes.NewReader(pks), int64(len(pks)), &memOut{}, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
		b.Run(k.name+"/batch-64", func(b *testing.B) {
			ts := key.TransitSigner()
			for done := 0; done < b.N; {
				n := min(vault.MaxBatch, b.N-done)
				ps := make([]*signer.Prepared, n)
				ds := make([][]byte, n)
				for i := range ps {
					p, err := signer.Prepare(ctx, bytes.NewReader(pks), int64(len(pks)), &memOut{}, opts)
					if err != nil {
						b.Fatal(err)
					}
					ps[i], ds[i] = p, p.Digest()
				}
				sigs, err := ts.SignBatch(ctx, ds, ps[0].SignerOpts())
				if err != nil {
					b.Fatal(err)
				}
				for i, p := range ps {
					if _, err := p.Finish(sigs[i]); err != nil {
						b.Fatal(err)
					}
				}
				done += n
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
