// Package bench holds the Go benchmarks of segel's hot paths. The
// side-by-side comparison with other tools is run.sh.
//
//	go test -run=^$ -bench=. -benchmem ./bench/ | tee new.txt
//	benchstat old.txt new.txt     # before/after a change
package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"segel/internal/cms"
	"segel/internal/devca"
	"segel/pdf"
	"segel/signer"
	"segel/verify"
)

var ident *devca.Identity

func identity(b *testing.B) *devca.Identity {
	if ident == nil {
		ca, err := devca.New(devca.Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchRoots = ca.RootPool()
		ident, err = ca.Issue(devca.LeafRequest{CommonName: "Bench", KeyType: devca.ECDSAP256})
		if err != nil {
			b.Fatal(err)
		}
	}
	return ident
}

func testdata(b *testing.B, name string) []byte {
	d, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	copy(m.b[off:], p)
	return len(p), nil
}

// bigPDF is a PDF with one stream of n bytes (the signer hashes it all).
func bigPDF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	off := []int{}
	obj := func(s string) { off = append(off, b.Len()); b.WriteString(s) }
	obj("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	obj("2 0 obj\n<< /Type /Pages /Count 1 /Kids [3 0 R] >>\nendobj\n")
	obj("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>\nendobj\n")
	obj(fmt.Sprintf("4 0 obj\n<< /Length %d >>\nstream\n", n))
	b.Write(bytes.Repeat([]byte{'x'}, n))
	b.WriteString("\nendstream\nendobj\n")
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 5\n0000000000 65535 f\r\n")
	for _, o := range off {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", x)
	return b.Bytes()
}

func BenchmarkOpenXRefTable(b *testing.B)  { benchOpen(b, "pks.pdf") }
func BenchmarkOpenXRefStream(b *testing.B) { benchOpen(b, "pks-xrefstream.pdf") }

func benchOpen(b *testing.B, name string) {
	in := testdata(b, name)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		d, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Pages(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign signs the sample PKS: parsing, the update, CMS, hashing.
func BenchmarkSign(b *testing.B) {
	in := testdata(b, "pks.pdf")
	id := identity(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		out := &memOut{b: make([]byte, 0, len(in)+32<<10)}
		if _, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out,
			signer.Options{Signer: id.Key, Chain: id.Chain, Field: "SigKabupaten", Time: time.Unix(1_800_000_000, 0)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign50MB is dominated by hashing the byte ranges while copying.
func BenchmarkSign50MB(b *testing.B) {
	in := bigPDF(50 << 20)
	id := identity(b)
	out := &memOut{b: make([]byte, 0, len(in)+64<<10)}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		out.b = out.b[:0]
		if _, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out,
			signer.Options{Signer: id.Key, Chain: id.Chain}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHA256Floor is the hash alone over the same 50 MB.
func BenchmarkSHA256Floor(b *testing.B) {
	in := bigPDF(50 << 20)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		sha256.Sum256(in)
	}
}

func BenchmarkCMSSignDetached(b *testing.B) {
	id := identity(b)
	d := sha256.Sum256([]byte("x"))
	for b.Loop() {
		if _, err := cms.SignDetached(d[:], cms.SignOptions{Signer: id.Key, Chain: id.Chain}); err != nil {
			b.Fatal(err)
		}
	}
}

// threeSignatures is the PKS signed three times by identity (two fields,
// then a new one).
func threeSignatures(b *testing.B) []byte {
	in := testdata(b, "pks.pdf")
	id := identity(b)
	for _, f := range []string{"SigKabupaten", "SigProvinsi", ""} {
		out := &memOut{}
		if _, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out,
			signer.Options{Signer: id.Key, Chain: id.Chain, Field: f}); err != nil {
			b.Fatal(err)
		}
		in = out.b
	}
	return in
}

// benchRoots trusts identity's CA.
var benchRoots *x509.CertPool

// BenchmarkVerifyTrusted verifies the three-signature PKS against its
// root, each time from scratch and with one verify.Cache for all
// iterations (as segel verify DIR and segel serve share one): the chain
// checks are what the cache saves; every signature value and byte range
// is still checked.
func BenchmarkVerifyTrusted(b *testing.B) {
	in := threeSignatures(b)
	for _, c := range []struct {
		name  string
		cache *verify.Cache
	}{{"no-cache", nil}, {"cache", verify.NewCache()}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				rep, err := verify.File(context.Background(), "pks.pdf", bytes.NewReader(in), int64(len(in)), verify.Options{Roots: benchRoots, Cache: c.cache})
				if err != nil || rep.Indication != verify.TotalPassed {
					b.Fatalf("%v %+v", err, rep)
				}
			}
		})
	}
}

// BenchmarkVerifyThreeSignatures verifies a PKS signed three times: three
// CMS checks and three diffs of a signed revision against the final file.
func BenchmarkVerifyThreeSignatures(b *testing.B) {
	in := threeSignatures(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		rep, err := verify.File(context.Background(), "pks.pdf", bytes.NewReader(in), int64(len(in)), verify.Options{})
		if err != nil || len(rep.Signatures) != 3 {
			b.Fatalf("%v %+v", err, rep)
		}
	}
}
