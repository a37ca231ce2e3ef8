package pdf_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/cms"
	"segel/pdf"
	"segel/verify"
)

// The hostile files are made by testdata/hostile/gen.go and described in
// testdata/hostile/README.md.
const hostileDir = "../testdata/hostile"

func readHostile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hostileDir, name))
	if err != nil {
		t.Fatalf("%v (make the files with: go run ./testdata/hostile/gen.go)", err)
	}
	return b
}

func openHostile(t *testing.T, name string, opts *pdf.Options) (*pdf.Document, []byte, error) {
	t.Helper()
	b := readHostile(t, name)
	d, err := pdf.Open(bytes.NewReader(b), int64(len(b)), opts)
	return d, b, err
}

func mustOpen(t *testing.T, name string) *pdf.Document {
	t.Helper()
	d, _, err := openHostile(t, name, nil)
	if err != nil {
		t.Fatalf("%s: Open: %v", name, err)
	}
	return d
}

// hostileChecks holds, for each file, what reading it with package pdf
// must give.
var hostileChecks = map[string]func(t *testing.T){
	"page-tree-cycle.pdf": func(t *testing.T) {
		d := mustOpen(t, "page-tree-cycle.pdf")
		if _, err := d.Pages(); !errors.Is(err, pdf.ErrCycle) {
			t.Errorf("Pages: err = %v, want ErrCycle", err)
		}
	},
	"xref-prev-loop.pdf": func(t *testing.T) {
		_, _, err := openHostile(t, "xref-prev-loop.pdf", nil)
		if !errors.Is(err, pdf.ErrCycle) {
			t.Errorf("Open: err = %v, want ErrCycle", err)
		}
	},
	"objstm-self.pdf": func(t *testing.T) {
		d := mustOpen(t, "objstm-self.pdf")
		for _, num := range []uint32{2, 6, 7} {
			if _, err := d.Get(pdf.Ref{Num: num}); !errors.Is(err, pdf.ErrMalformed) {
				t.Errorf("Get(%d): err = %v, want ErrMalformed", num, err)
			}
		}
		if _, err := d.Pages(); !errors.Is(err, pdf.ErrMalformed) {
			t.Errorf("Pages: err = %v, want ErrMalformed", err)
		}
	},
	"deflate-bomb.pdf": func(t *testing.T) {
		d := mustOpen(t, "deflate-bomb.pdf")
		pages, err := d.Pages()
		if err != nil || len(pages) != 1 {
			t.Fatalf("Pages: %d %v", len(pages), err)
		}
		co, err := d.Resolve(pages[0].Dict["Contents"])
		if err != nil {
			t.Fatal(err)
		}
		st := co.(*pdf.Stream)
		if st.Length > 2<<20 {
			t.Errorf("the bomb's raw length is %d", st.Length)
		}
		data, err := d.StreamData(st)
		var le *pdf.LimitError
		if !errors.Is(err, pdf.ErrLimit) || !errors.As(err, &le) || le.What != "decoded stream size" {
			t.Errorf("StreamData: %d bytes, err = %v; want the decoded-size ErrLimit", len(data), err)
		}
		// With a lower ratio limit, the ratio stops it.
		d2, _, err := openHostile(t, "deflate-bomb.pdf", &pdf.Options{Limits: pdf.Limits{MaxDecoded: 1 << 40, MaxRatio: 50}})
		if err != nil {
			t.Fatal(err)
		}
		o2, _ := d2.Get(pages[0].Ref)
		co2, _ := d2.Resolve(o2.(pdf.Dict)["Contents"])
		if _, err := d2.StreamData(co2.(*pdf.Stream)); !errors.As(err, &le) || le.What != "stream compression ratio" {
			t.Errorf("MaxRatio 50: err = %v, want the ratio ErrLimit", err)
		}
	},
	"nested-arrays.pdf": func(t *testing.T) {
		d := mustOpen(t, "nested-arrays.pdf")
		if p, err := d.Pages(); err != nil || len(p) != 1 {
			t.Errorf("Pages: %d %v", len(p), err)
		}
		cat, err := d.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Resolve(cat["Deep"]); !errors.Is(err, pdf.ErrLimit) {
			t.Errorf("/Deep: err = %v, want ErrLimit", err)
		}
	},
	"huge-length.pdf": func(t *testing.T) {
		d := mustOpen(t, "huge-length.pdf")
		pages, err := d.Pages()
		if err != nil || len(pages) != 1 {
			t.Fatalf("Pages: %d %v", len(pages), err)
		}
		co, err := d.Resolve(pages[0].Dict["Contents"])
		if err != nil {
			t.Fatal(err)
		}
		st := co.(*pdf.Stream)
		data, err := d.StreamData(st)
		if err != nil || !strings.HasPrefix(string(data), "BT ") || !strings.HasSuffix(string(data), " ET") {
			t.Errorf("recovered stream: %q %v", data, err)
		}
		// 67 bytes of content; qpdf's recovery keeps the end-of-line
		// before endstream and says 68.
		if st.Length != int64(len(data)) || st.Length != 67 {
			t.Errorf("recovered length %d, want 67", st.Length)
		}
	},
	"page-tree-deep.pdf": func(t *testing.T) {
		d := mustOpen(t, "page-tree-deep.pdf")
		if _, err := d.Pages(); !errors.Is(err, pdf.ErrLimit) {
			t.Errorf("Pages: err = %v, want ErrLimit", err)
		}
	},
	"ref-cycle.pdf": func(t *testing.T) {
		d := mustOpen(t, "ref-cycle.pdf")
		if _, err := d.Pages(); !errors.Is(err, pdf.ErrCycle) {
			t.Errorf("Pages: err = %v, want ErrCycle", err)
		}
		if _, err := d.GetDict(d.Trailer()["Info"]); !errors.Is(err, pdf.ErrCycle) {
			t.Errorf("/Info: err = %v, want ErrCycle", err)
		}
	},
	"byterange-negative.pdf": func(t *testing.T) {
		checkSignatureFile(t, "byterange-negative.pdf", func(br pdf.Array) bool {
			return br[1].(pdf.Int) < 0 && br[3].(pdf.Int) < 0
		})
		rep := verifyHostile(t, "byterange-negative.pdf", nil)
		wantVerdict(t, rep, verify.TotalFailed, verify.FormatFailure, "not a non-negative integer")
		if s := rep.Signatures[0]; s.Coverage != verify.CoverageAnomalous || s.Intact || s.Valid {
			t.Errorf("signature: coverage %s intact %v valid %v", s.Coverage, s.Intact, s.Valid)
		}
	},
	"byterange-enormous.pdf": func(t *testing.T) {
		checkSignatureFile(t, "byterange-enormous.pdf", func(br pdf.Array) bool {
			return br[1].(pdf.Int) == 9999999999 && br[3].(pdf.Int) == 9999999999
		})
		rep := verifyHostile(t, "byterange-enormous.pdf", nil)
		wantVerdict(t, rep, verify.TotalFailed, verify.FormatFailure, "beyond the end of the file")
		if s := rep.Signatures[0]; s.Coverage != verify.CoverageAnomalous || s.Intact || s.Valid {
			t.Errorf("signature: coverage %s intact %v valid %v", s.Coverage, s.Intact, s.Valid)
		}
	},
	"byterange-overflow.pdf": func(t *testing.T) {
		checkSignatureFile(t, "byterange-overflow.pdf", func(br pdf.Array) bool {
			return br[2].(pdf.Int) == 9223372036854775807
		})
		rep := verifyHostile(t, "byterange-overflow.pdf", nil)
		wantVerdict(t, rep, verify.TotalFailed, verify.FormatFailure, "/ByteRange")
		if s := rep.Signatures[0]; s.Coverage != verify.CoverageAnomalous || s.Intact || s.Valid {
			t.Errorf("signature: coverage %s intact %v valid %v", s.Coverage, s.Intact, s.Valid)
		}
	},
	"truncated-cms.pdf": func(t *testing.T) {
		d := checkSignatureFile(t, "truncated-cms.pdf", func(pdf.Array) bool { return true })
		// The CMS really is cut: the parser rejects it.
		sd := signatureDict(t, d)
		if _, err := cms.Parse(sd["Contents"].(pdf.String).Value); err == nil {
			t.Error("the truncated CMS parses")
		}
		rep := verifyHostile(t, "truncated-cms.pdf", nil)
		wantVerdict(t, rep, verify.TotalFailed, verify.FormatFailure, "CMS")
		// The byte range itself is fine: it is the CMS that fails.
		if s := rep.Signatures[0]; s.Coverage != verify.CoverageWholeFile || s.Valid {
			t.Errorf("signature: coverage %s valid %v", s.Coverage, s.Valid)
		}
	},
	"cert-chain-1000.pdf": func(t *testing.T) {
		d := checkSignatureFile(t, "cert-chain-1000.pdf", func(pdf.Array) bool { return true })
		sd, err := cms.Parse(signatureDict(t, d)["Contents"].(pdf.String).Value)
		if err != nil {
			t.Fatalf("the CMS does not parse: %v", err)
		}
		if n := len(sd.Certificates); n != 1000 {
			t.Fatalf("%d certificates in the CMS, want 1000", n)
		}
		// Without trust roots: the signature itself is intact and valid,
		// the chain cannot be trusted.
		rep := verifyHostile(t, "cert-chain-1000.pdf", nil)
		wantVerdict(t, rep, verify.Indeterminate, verify.NoCertificateChainFound, "")
		s := rep.Signatures[0]
		if !s.Intact || !s.Valid || s.Trusted || !strings.Contains(s.Signer, "Seribu") {
			t.Errorf("signature: intact %v valid %v trusted %v signer %q", s.Intact, s.Valid, s.Trusted, s.Signer)
		}
		// Even with the top of the 1,000-certificate chain as a trust
		// root the chain is not built (path building is bounded).
		var top *x509.Certificate
		for _, c := range sd.Certificates {
			if bytes.Equal(c.RawIssuer, c.RawSubject) {
				top = c
			}
		}
		if top == nil {
			t.Fatal("no self-signed certificate in the chain")
		}
		roots := x509.NewCertPool()
		roots.AddCert(top)
		rep = verifyHostile(t, "cert-chain-1000.pdf", roots)
		if rep.Indication == verify.TotalPassed || rep.Signatures[0].Trusted {
			t.Errorf("a 1,000-certificate chain was trusted: %s", rep.Indication)
		}
		if rep.Indication != verify.Indeterminate {
			t.Errorf("with the top CA as root: %s %s %v", rep.Indication, rep.SubIndication, rep.Signatures[0].Errors)
		}
	},
}

func TestHostileFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(hostileDir, "*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no hostile files (make them with: go run ./testdata/hostile/gen.go)")
	}
	readme, err := os.ReadFile(filepath.Join(hostileDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			b := readHostile(t, name)
			if len(b) > 2<<20 {
				t.Errorf("%d bytes: hostile files must stay small", len(b))
			}
			if !bytes.Contains(readme, []byte("`"+name+"`")) {
				t.Errorf("README.md does not describe %s", name)
			}
			check, ok := hostileChecks[name]
			if !ok {
				t.Fatalf("no expectation for %s in hostileChecks", name)
			}
			check(t)
			// Whatever opens survives every call (default limits but
			// MaxDecoded: the bomb's own check inflates 256 MiB already).
			if d, err := pdf.Open(bytes.NewReader(b), int64(len(b)), &pdf.Options{Limits: pdf.Limits{MaxDecoded: 32 << 20}, AllowEncrypted: true}); err == nil {
				walkAll(d)
			}
			// And the verifier gives a report, never an error or a pass.
			rep := verifyHostile(t, name, nil)
			if rep.Indication == verify.TotalPassed {
				t.Errorf("verify: %s", rep.Indication)
			}
		})
	}
	for name := range hostileChecks {
		if !seen[name] {
			t.Errorf("%s is missing from %s", name, hostileDir)
		}
	}
}

func verifyHostile(t *testing.T, name string, roots *x509.CertPool) *verify.Report {
	t.Helper()
	b := readHostile(t, name)
	rep, err := verify.File(context.Background(), name, bytes.NewReader(b), int64(len(b)), verify.Options{Roots: roots})
	if err != nil {
		t.Fatalf("verify.File: %v", err)
	}
	return rep
}

func wantVerdict(t *testing.T, rep *verify.Report, ind, sub, errPart string) {
	t.Helper()
	if rep.Indication != ind || rep.SubIndication != sub {
		t.Errorf("verify: %s/%s, want %s/%s (errors %v)", rep.Indication, rep.SubIndication, ind, sub, rep.Errors)
	}
	if len(rep.Signatures) != 1 {
		t.Fatalf("verify found %d signatures, want 1", len(rep.Signatures))
	}
	s := rep.Signatures[0]
	if s.Indication != ind || s.SubIndication != sub {
		t.Errorf("signature: %s/%s, want %s/%s", s.Indication, s.SubIndication, ind, sub)
	}
	if errPart != "" && !strings.Contains(strings.Join(s.Errors, "\n"), errPart) {
		t.Errorf("signature errors %q do not mention %q", s.Errors, errPart)
	}
}

// checkSignatureFile opens a signed hostile file: the PDF structure itself
// is clean; the signature field SigProvinsi holds a signature dictionary
// whose /ByteRange satisfies ok.
func checkSignatureFile(t *testing.T, name string, ok func(pdf.Array) bool) *pdf.Document {
	t.Helper()
	d := mustOpen(t, name)
	if n := len(d.Revisions()); n != 2 {
		t.Errorf("%d revisions, want 2 (the original and the signature)", n)
	}
	if p, err := d.Pages(); err != nil || len(p) != 3 {
		t.Errorf("Pages: %d %v", len(p), err)
	}
	sd := signatureDict(t, d)
	br, isArr := sd["ByteRange"].(pdf.Array)
	if !isArr || len(br) != 4 || !ok(br) {
		t.Errorf("/ByteRange = %s", pdf.Format(sd["ByteRange"]))
	}
	return d
}

func signatureDict(t *testing.T, d *pdf.Document) pdf.Dict {
	t.Helper()
	fields, err := d.Fields()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := pdf.FieldByName(fields, "SigProvinsi")
	if !ok || f.Type != "Sig" {
		t.Fatalf("no signature field SigProvinsi in %v", fields)
	}
	sd, err := d.GetDict(f.Dict["V"])
	if err != nil || sd == nil {
		t.Fatalf("signature dictionary: %v", err)
	}
	return sd
}

// walkAll does everything a caller may do with a document, ignoring errors.
func walkAll(d *pdf.Document) {
	d.Pages()
	d.Fields()
	d.Issues()
	for _, r := range d.Revisions() {
		v, err := d.Revision(r.Index)
		if err != nil {
			continue
		}
		v.Catalog()
		v.Pages()
		v.Fields()
		for _, ref := range r.Objects {
			o, err := v.Get(ref)
			if err != nil {
				continue
			}
			if st, ok := o.(*pdf.Stream); ok {
				v.StreamData(st)
			}
		}
	}
}
