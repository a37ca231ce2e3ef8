//go:build ignore

// Command gen writes the hostile PDFs of testdata/hostile/ (see README.md
// there). Run it from the module root:
//
//	go run ./testdata/hostile/gen.go
//
// The files that need no signature are deterministic. The signed ones
// (truncated-cms.pdf, cert-chain-1000.pdf, byterange-*.pdf) hold fresh keys
// and signatures each time, so they change on every run; what they attack
// does not.
package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"segel/internal/devca"
	"segel/pdf"
	"segel/signer"
)

var dir = flag.String("dir", "testdata/hostile", "output directory")

func main() {
	flag.Parse()
	log.SetFlags(0)
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	write("page-tree-cycle.pdf", pageTreeCycle())
	write("xref-prev-loop.pdf", prevLoop())
	write("objstm-self.pdf", objStmSelf())
	write("deflate-bomb.pdf", deflateBomb())
	write("nested-arrays.pdf", nestedArrays())
	write("huge-length.pdf", hugeLength())
	write("page-tree-deep.pdf", deepPageTree())
	write("ref-cycle.pdf", refCycle())

	base, err := os.ReadFile("testdata/pks.pdf")
	if err != nil {
		log.Fatalf("%v (run from the module root)", err)
	}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		log.Fatal(err)
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Penguji Berkas Berbahaya", Organization: "segel hostile test", KeyType: devca.ECDSAP256})
	if err != nil {
		log.Fatal(err)
	}
	signed := sign(base, id.Key, id.Chain)

	neg := patchByteRange(signed, func(br [4]int64) string {
		return fmt.Sprintf("-%d %d -%d", br[1], br[2], br[3])
	})
	write("byterange-negative.pdf", neg)
	write("byterange-enormous.pdf", patchByteRange(signed, func([4]int64) string {
		return "9999999999 9999999999 9999999999"
	}))
	// c + d overflows int64.
	write("byterange-overflow.pdf", patchByteRange(signed, func(br [4]int64) string {
		return fmt.Sprintf("%d 9223372036854775807 9", br[1])
	}))
	write("truncated-cms.pdf", truncateCMS(signed))
	write("cert-chain-1000.pdf", certChain1000(base))
}

func write(name string, b []byte) {
	if len(b) > 2<<20 {
		log.Fatalf("%s is %d bytes, more than 2 MB", name, len(b))
	}
	p := filepath.Join(*dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%-26s %9d bytes\n", name, len(b))
}

// writer assembles a PDF by hand with correct offsets.
type writer struct {
	b    bytes.Buffer
	offs map[int]int64
}

func newWriter() *writer {
	w := &writer{offs: map[int]int64{}}
	w.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

func (w *writer) obj(num int, body string) {
	w.offs[num] = int64(w.b.Len())
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", num, body)
}

func (w *writer) stream(num int, dict string, data []byte) {
	w.offs[num] = int64(w.b.Len())
	fmt.Fprintf(&w.b, "%d 0 obj\n<<%s /Length %d>>\nstream\n", num, dict, len(data))
	w.b.Write(data)
	w.b.WriteString("\nendstream\nendobj\n")
}

// table writes a classic xref table of every object written so far and
// the trailer; it returns the table's offset.
func (w *writer) table(trailer string) int64 {
	var nums []int
	for n := range w.offs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	start := int64(w.b.Len())
	size := nums[len(nums)-1] + 1
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f\r\n", size)
	for n := 1; n < size; n++ {
		if off, ok := w.offs[n]; ok {
			fmt.Fprintf(&w.b, "%010d 00000 n\r\n", off)
		} else {
			w.b.WriteString("0000000000 65535 f\r\n")
		}
	}
	fmt.Fprintf(&w.b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", size, trailer, start)
	return start
}

const info = "<< /Title (Berkas uji berbahaya - segel) /Producer (segel testdata/hostile/gen.go) >>"

func content(text string) []byte {
	return []byte("BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET")
}

// page writes objects 3 (page), 4 (font) and 5 (contents) of a normal page
// whose parent is 2.
func (w *writer) page(text string) {
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	w.obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	w.stream(5, "", content(text))
}

func pageTreeCycle() []byte {
	w := newWriter()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	// The page tree root lists itself among its kids, before the page.
	w.obj(2, "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>")
	w.page("page-tree-cycle.pdf: /Pages 2 0 R has itself as a kid")
	w.obj(6, info)
	w.table("/Root 1 0 R /Info 6 0 R")
	return w.b.Bytes()
}

func prevLoop() []byte {
	// Revision 1 redefines the page; its /Prev points at revision 0's
	// table, whose /Prev points back at revision 1's.
	w := newWriter()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.page("xref-prev-loop.pdf: the /Prev chain is a loop")
	w.obj(6, info)
	body := bytes.Clone(w.b.Bytes())
	x0 := int64(len(body))
	sec0 := func(prev int64) string {
		var s strings.Builder
		s.WriteString("xref\n0 7\n0000000000 65535 f\r\n")
		for n := 1; n <= 6; n++ {
			fmt.Fprintf(&s, "%010d 00000 n\r\n", w.offs[n])
		}
		fmt.Fprintf(&s, "trailer\n<< /Size 7 /Root 1 0 R /Info 6 0 R /Prev %010d >>\nstartxref\n%d\n%%%%EOF\n", prev, x0)
		return s.String()
	}
	// Revision 1: a new page dictionary (object 3) and its table.
	rev1obj := "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>\nendobj\n"
	off3 := x0 + int64(len(sec0(0)))
	x1 := off3 + int64(len(rev1obj))
	sec1 := fmt.Sprintf("xref\n3 1\n%010d 00000 n\r\ntrailer\n<< /Size 7 /Root 1 0 R /Info 6 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off3, x0, x1)
	out := string(body) + sec0(x1) + rev1obj + sec1
	if !strings.HasPrefix(out[x0:], "xref") || !strings.HasPrefix(out[x1:], "xref") || !strings.HasPrefix(out[off3:], "3 0 obj") {
		log.Fatal("xref-prev-loop.pdf: offsets are wrong")
	}
	return []byte(out)
}

func objStmSelf() []byte {
	// Object stream 7 holds objects 2 (the page tree), 6 (Info) — and,
	// says the cross-reference stream, itself.
	w := newWriter()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.page("objstm-self.pdf: object stream 7 is listed as compressed in itself")
	objs := []struct {
		num  int
		body string
	}{
		{2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{6, info},
		{7, "<< /Type /ObjStm /N 3 /First 0 >>"},
	}
	var head, data bytes.Buffer
	for _, o := range objs {
		fmt.Fprintf(&head, "%d %d ", o.num, data.Len())
		data.WriteString(o.body + "\n")
	}
	head.WriteString("\n")
	first := head.Len()
	w.stream(7, fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(objs), first), zlibData(append(head.Bytes(), data.Bytes()...)))
	// The cross-reference stream: 1, 3, 4, 5 at offsets; 2, 6 and 7 in
	// object stream 7 (at indices 0, 1, 2); 8 is the xref stream.
	xoff := int64(w.b.Len())
	type row struct {
		typ byte
		a   int64
		b   int
	}
	rows := []row{
		{typ: 0, b: 65535},
		{typ: 1, a: w.offs[1]},
		{typ: 2, a: 7, b: 0},
		{typ: 1, a: w.offs[3]},
		{typ: 1, a: w.offs[4]},
		{typ: 1, a: w.offs[5]},
		{typ: 2, a: 7, b: 1},
		{typ: 2, a: 7, b: 2},
		{typ: 1, a: xoff},
	}
	var raw []byte
	for _, r := range rows {
		raw = append(raw, r.typ, byte(r.a>>24), byte(r.a>>16), byte(r.a>>8), byte(r.a), byte(r.b>>8), byte(r.b))
	}
	w.stream(8, fmt.Sprintf("/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Info 6 0 R /Filter /FlateDecode", len(rows)), zlibData(raw))
	fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", xoff)
	return w.b.Bytes()
}

func zlibData(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func deflateBomb() []byte {
	// 1 GiB of zeros compressed at the best level: about 1 MB.
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 1024; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	w := newWriter()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	// The page's content stream is the bomb.
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	w.stream(4, " /Filter /FlateDecode", buf.Bytes())
	w.obj(5, info)
	w.table("/Root 1 0 R /Info 5 0 R")
	return w.b.Bytes()
}

func nestedArrays() []byte {
	w := newWriter()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R /Deep 7 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.page("nested-arrays.pdf: object 7 is 10,000 nested arrays")
	w.obj(6, info)
	w.obj(7, strings.Repeat("[", 10000)+strings.Repeat("]", 10000))
	w.table("/Root 1 0 R /Info 6 0 R")
	return w.b.Bytes()
}

func hugeLength() []byte {
	w := newWriter()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	w.obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	w.offs[5] = int64(w.b.Len())
	fmt.Fprintf(&w.b, "5 0 obj\n<< /Length 99999999999 >>\nstream\n%s\nendstream\nendobj\n", content("huge-length.pdf: /Length 99999999999"))
	w.obj(6, info)
	w.table("/Root 1 0 R /Info 6 0 R")
	return w.b.Bytes()
}

func deepPageTree() []byte {
	const depth = 10000
	w := newWriter()
	w.obj(1, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", 10))
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>")
	w.obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	w.stream(5, "", content("page-tree-deep.pdf: the page tree is 10,000 levels deep"))
	w.obj(6, info)
	// Nodes 10 .. 10+depth-1, each the only kid of the one before; the
	// last one's kid is object 2, whose kid is the page.
	for i := 0; i < depth; i++ {
		kid := 10 + i + 1
		if i == depth-1 {
			kid = 2
		}
		w.obj(10+i, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", kid))
	}
	w.obj(2, fmt.Sprintf("<< /Type /Pages /Parent %d 0 R /Kids [3 0 R] /Count 1 >>", 10+depth-1))
	w.table("/Root 1 0 R /Info 6 0 R")
	return w.b.Bytes()
}

func refCycle() []byte {
	w := newWriter()
	// The catalog's /Pages is 7 0 R, which is 8 0 R, which is 7 0 R; the
	// /Info is a reference to itself.
	w.obj(1, "<< /Type /Catalog /Pages 7 0 R >>")
	w.obj(6, "6 0 R")
	w.obj(7, "8 0 R")
	w.obj(8, "7 0 R")
	w.table("/Root 1 0 R /Info 6 0 R")
	return w.b.Bytes()
}

type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("write outside the output")
	}
	copy(m.b[off:], p)
	return len(p), nil
}

var signTime = time.Date(2025, 8, 17, 10, 0, 0, 0, time.FixedZone("WIB", 7*3600))

func sign(in []byte, key crypto.Signer, chain []*x509.Certificate) []byte {
	out := &memOut{}
	_, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, signer.Options{
		Signer: key, Chain: chain, Field: "SigProvinsi", Time: signTime,
		Name: "Penguji Berkas Berbahaya", Reason: "testdata/hostile", Location: "Surabaya",
	})
	if err != nil {
		log.Fatal(err)
	}
	return out.b
}

// sigDict returns the newest signature dictionary of a file signed once
// by sign, and its /ByteRange.
func sigDict(b []byte) (pdf.Dict, [4]int64) {
	d, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		log.Fatal(err)
	}
	fields, err := d.Fields()
	if err != nil {
		log.Fatal(err)
	}
	f, ok := pdf.FieldByName(fields, "SigProvinsi")
	if !ok {
		log.Fatal("no field SigProvinsi")
	}
	sd, err := d.GetDict(f.Dict["V"])
	if err != nil || sd == nil {
		log.Fatalf("signature dictionary: %v", err)
	}
	var br [4]int64
	arr, _ := sd["ByteRange"].(pdf.Array)
	for i := range br {
		v, _ := arr[i].(pdf.Int)
		br[i] = int64(v)
	}
	return sd, br
}

// patchByteRange rewrites the last three numbers of the signature's
// /ByteRange in place (the signer leaves a fixed-width slot), so that no
// offset in the file moves.
func patchByteRange(signed []byte, nums func([4]int64) string) []byte {
	_, br := sigDict(signed)
	old := fmt.Sprintf("/ByteRange [0 %d %d %d", br[1], br[2], br[3])
	i := bytes.Index(signed, []byte(old))
	if i < 0 {
		log.Fatal("ByteRange not found")
	}
	slot := i + len("/ByteRange [0 ")
	end := bytes.IndexByte(signed[slot:], ']') + slot
	repl := nums(br)
	if len(repl) > end-slot {
		log.Fatalf("ByteRange %q does not fit in %d bytes", repl, end-slot)
	}
	out := bytes.Clone(signed)
	copy(out[slot:end], repl+strings.Repeat(" ", end-slot-len(repl)))
	return out
}

// truncateCMS keeps the first half of the signature's DER CMS and
// overwrites the rest with the zero padding of the placeholder.
func truncateCMS(signed []byte) []byte {
	sd, _ := sigDict(signed)
	cs := sd["Contents"].(pdf.String)
	der := cs.Value
	if len(der) < 4 || der[0] != 0x30 || der[1] != 0x82 {
		log.Fatal("unexpected CMS encoding")
	}
	n := 4 + (int(der[2])<<8 | int(der[3]))
	keep := n / 2
	out := bytes.Clone(signed)
	// Hex digits of the CMS start at Pos+1.
	for i := cs.Pos + 1 + int64(2*keep); i < cs.End-1; i++ {
		out[i] = '0'
	}
	return out
}

// certChain1000 signs with a leaf followed by 999 CA certificates, each
// issued by the next; the last is self-signed. The CMS embeds all 1,000.
func certChain1000(base []byte) []byte {
	const n = 1000
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			log.Fatal(err)
		}
		keys[i] = k
	}
	now := time.Now().UTC().Truncate(time.Hour)
	certs := make([]*x509.Certificate, n)
	// From the top (self-signed, index n-1) down to the leaf (index 0).
	for i := n - 1; i >= 0; i-- {
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(int64(i + 1)),
			Subject:               pkix.Name{CommonName: fmt.Sprintf("HOSTILE CHAIN CA %d - NOT FOR PRODUCTION", i), Organization: []string{"segel hostile test"}, Country: []string{"ID"}},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.AddDate(20, 0, 0),
			KeyUsage:              x509.KeyUsageCertSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		if i == 0 {
			tmpl.Subject.CommonName = "Penguji Rantai Seribu Sertifikat - NOT FOR PRODUCTION"
			tmpl.KeyUsage = devca.DefaultLeafKeyUsage
			tmpl.ExtKeyUsage = devca.DefaultLeafExtKeyUsage
			tmpl.IsCA = false
		}
		parent, parentKey := tmpl, keys[i]
		if i < n-1 {
			parent, parentKey = certs[i+1], keys[i+1]
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &keys[i].PublicKey, parentKey)
		if err != nil {
			log.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			log.Fatal(err)
		}
		certs[i] = c
	}
	return sign(base, keys[0], certs)
}
