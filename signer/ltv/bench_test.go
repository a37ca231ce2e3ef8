package ltv_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"testing"

	"segel/internal/devca"
	"segel/signer"
	"segel/signer/ltv"
)

// BenchmarkSignLevels signs the PKS at B-B, B-T and B-LTA with a file-like
// in-memory ECDSA key; the TSA, the OCSP responder and the CRLs answer in
// this process, so the figures are segel's own work (no network).
//
//	go test ./signer/ltv -run '^$' -bench SignLevels -count 5
func BenchmarkSignLevels(b *testing.B) {
	e := newEnvB(b)
	_, key := e.keyB(b, fmt.Sprintf("bench-%d", b.N), devca.LeafRequest{CommonName: "Bupati Tuban"})
	for _, level := range []string{"B-B", "B-T", "B-LTA"} {
		b.Run(level, func(b *testing.B) {
			for range b.N {
				d := &memDoc{in: e.pks}
				o := signer.AllOptions{}
				if level != "B-B" {
					o.Timestamper = e.tsa
				}
				res, err := signer.SignAll(context.Background(), key, []signer.Document{d}, o)
				if err != nil || res[0].Err != nil {
					b.Fatal(err, res)
				}
				if level == "B-LTA" {
					var out memOut
					if _, err := ltv.Extend(context.Background(), bytes.NewReader(d.out.b), int64(len(d.out.b)), &out,
						ltv.Options{Level: ltv.LevelLTA, Fetcher: e.net, TSA: e.tsa, Certs: []*x509.Certificate{e.ca.Root}}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
