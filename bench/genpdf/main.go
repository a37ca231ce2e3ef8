// Command genpdf writes large test PDFs for the benchmarks: pages carrying
// images of random bytes (like scanned annexes), an empty signature field
// (so that mutool, which signs only into existing fields, can be compared),
// and a classic cross-reference table. Output is streamed: memory does not
// grow with the size asked for.
//
//	go run ./bench/genpdf -size 200 -o big.pdf
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	sizeMB := flag.Int("size", 50, "approximate output size in MB")
	out := flag.String("o", "", "output file")
	seed := flag.Uint64("seed", 1, "random seed (same seed, same file)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genpdf: -o is required")
		os.Exit(2)
	}
	if err := write(*out, *sizeMB, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genpdf:", err)
		os.Exit(1)
	}
}

type writer struct {
	w       *bufio.Writer
	off     int64
	offsets map[int]int64
}

func (w *writer) printf(format string, a ...any) {
	n, _ := fmt.Fprintf(w.w, format, a...)
	w.off += int64(n)
}

func (w *writer) obj(n int) { w.offsets[n] = w.off; w.printf("%d 0 obj\n", n) }

func write(path string, sizeMB int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &writer{w: bufio.NewWriterSize(f, 1<<20), offsets: map[int]int64{}}
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	const side = 1024 // 1 MiB grey image per page
	pages := sizeMB
	if pages < 1 {
		pages = 1
	}
	// 1 catalog, 2 pages, 3 acroform, 4 sig field; then per page: page, content, image.
	w.printf("%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n")
	w.obj(1)
	w.printf("<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>\nendobj\n")
	w.obj(2)
	w.printf("<< /Type /Pages /Count %d /Kids [", pages)
	for i := 0; i < pages; i++ {
		w.printf(" %d 0 R", 5+3*i)
	}
	w.printf(" ] >>\nendobj\n")
	w.obj(3)
	w.printf("<< /Fields [4 0 R] >>\nendobj\n")
	w.obj(4)
	w.printf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [0 0 0 0] /F 132 /P 5 0 R >>\nendobj\n")
	buf := make([]byte, side*side)
	for i := 0; i < pages; i++ {
		p, c, img := 5+3*i, 6+3*i, 7+3*i
		w.obj(p)
		annots := ""
		if i == 0 {
			annots = " /Annots [4 0 R]"
		}
		w.printf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources << /XObject << /Im0 %d 0 R >> >>%s >>\nendobj\n", c, img, annots)
		content := "q 595 0 0 842 0 0 cm /Im0 Do Q\n"
		w.obj(c)
		w.printf("<< /Length %d >>\nstream\n%sendstream\nendobj\n", len(content), content)
		w.obj(img)
		w.printf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n", side, side, len(buf))
		for j := 0; j+8 <= len(buf); j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8; k++ {
				buf[j+k] = byte(v >> (8 * k))
			}
		}
		n, _ := w.w.Write(buf)
		w.off += int64(n)
		w.printf("\nendstream\nendobj\n")
	}
	total := 5 + 3*pages
	xref := w.off
	w.printf("xref\n0 %d\n0000000000 65535 f\r\n", total)
	for i := 1; i < total; i++ {
		w.printf("%010d 00000 n\r\n", w.offsets[i])
	}
	w.printf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", total, xref)
	if err := w.w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
