// Command genfields writes a form-heavy PDF for the verifier's benchmarks:
// by default 50 pages with 20 filled text fields each (1,000 fields, each
// merged with its widget and with its own appearance stream) and 360 small
// form XObjects drawn on each page, about 20,000 objects in all.
//
//	go run ./bench/genfields -o bench/out/in/fields.pdf
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	out := flag.String("o", "", "output file")
	pages := flag.Int("pages", 50, "number of pages")
	fields := flag.Int("fields", 20, "text fields per page")
	xobjs := flag.Int("xobjects", 360, "form XObjects per page")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genfields: -o is required")
		os.Exit(3)
	}
	b := build(*pages, *fields, *xobjs)
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genfields:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "genfields: %s: %d bytes\n", *out, len(b))
}

func build(pages, fieldsPerPage, xobjsPerPage int) []byte {
	var objs []string // objs[i] is object i+1
	reserve := func() int { objs = append(objs, ""); return len(objs) }
	set := func(n int, s string) { objs[n-1] = s }
	stream := func(dict, data string) string {
		return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
	}
	catalog, pageTree, acro, font := reserve(), reserve(), reserve(), reserve()
	set(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var kids, fieldRefs []string
	for p := 0; p < pages; p++ {
		page := reserve()
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
		var xres, draw strings.Builder
		for x := 0; x < xobjsPerPage; x++ {
			n := reserve()
			set(n, stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10]", fmt.Sprintf("0 0 %d %d re f", 1+x%9, 1+x%7)))
			fmt.Fprintf(&xres, "/X%d %d 0 R ", x, n)
			fmt.Fprintf(&draw, "q 1 0 0 1 %d %d cm /X%d Do Q\n", 20+(x%30)*18, 40+(x/30)*20, x)
		}
		content := reserve()
		text := fmt.Sprintf("BT /F1 12 Tf 40 800 Td (Halaman %d: formulir uji) Tj ET\n", p+1)
		set(content, stream("", text+draw.String()))
		var annots []string
		for f := 0; f < fieldsPerPage; f++ {
			ap, field := reserve(), reserve()
			val := fmt.Sprintf("Nilai %d-%d", p+1, f+1)
			set(ap, stream("/Type /XObject /Subtype /Form /BBox [0 0 200 14] /Resources << /Font << /Helv "+fmt.Sprintf("%d 0 R", font)+" >> >>",
				"/Tx BMC BT /Helv 10 Tf 2 3 Td ("+val+") Tj ET EMC"))
			y := 760 - f*30
			set(field, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (f%d_%d) /V (%s) /Rect [300 %d 500 %d] /F 4 /P %d 0 R /DA (/Helv 10 Tf 0 g) /AP << /N %d 0 R >> >>",
				p, f, val, y, y+14, page, ap))
			annots = append(annots, fmt.Sprintf("%d 0 R", field))
			fieldRefs = append(fieldRefs, fmt.Sprintf("%d 0 R", field))
		}
		set(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> /XObject << %s>> >> /Contents %d 0 R /Annots [%s] >>",
			pageTree, font, xres.String(), content, strings.Join(annots, " ")))
	}
	sig := reserve()
	set(sig, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [0 0 0 0] /F 132 /P %s >>", kids[0]))
	fieldRefs = append(fieldRefs, fmt.Sprintf("%d 0 R", sig))
	set(pageTree, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages))
	set(acro, fmt.Sprintf("<< /Fields [%s] /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv %d 0 R >> >> >>", strings.Join(fieldRefs, " "), font))
	set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /AcroForm %d 0 R >>", pageTree, acro))
	// The signature field must be on a page: add it to the first page's
	// annotations.
	objs[parseNum(kids[0])-1] = strings.Replace(objs[parseNum(kids[0])-1], "/Annots [", fmt.Sprintf("/Annots [%d 0 R ", sig), 1)

	var buf bytes.Buffer
	buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, off := range offs {
		fmt.Fprintf(&buf, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, catalog, x)
	return buf.Bytes()
}

func parseNum(ref string) int {
	var n int
	fmt.Sscanf(ref, "%d", &n)
	return n
}
