package verify_test

// Benign workflows and honest-producer quirks: files that real, honest
// multi-party workflows and other producers make, which the verifier must
// pass (TOTAL_PASSED, every signature intact and valid, modifications
// "none" or "allowed"). They are the regression net for the rewrite of the
// modification analysis and of the PDF reader: a failure here is a false
// alarm that would make a regional government's valid agreement look
// tampered with.
//
// Each case logs what the outside tool changed in its incremental update
// (producers.Describe), so the rules can be written from facts.

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"segel/internal/devca"
	"segel/internal/judge"
	"segel/internal/producers"
	"segel/signer"
	"segel/verify"
)

// benignPKI is one development CA with the identities of both parties of
// an agreement and a time-stamping authority.
type benignPKI struct {
	ca       *devca.CA
	rootPEM  string
	kab      *devca.Identity // Pemerintah Kabupaten Tuban: signs with segel
	tsa      *producers.TSA
	allRoots *x509.CertPool // root and intermediate
}

func newBenignPKI(t *testing.T) *benignPKI {
	t.Helper()
	ca, err := devca.New(devca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kab, err := ca.Issue(devca.LeafRequest{CommonName: "Bupati Tuban", Organization: "Pemerintah Kabupaten Tuban", KeyType: devca.RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	tsaID, err := ca.Issue(devca.LeafRequest{CommonName: "SEGEL TEST TSA", Organization: "segel development",
		KeyType: devca.ECDSAP256, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &benignPKI{ca: ca, rootPEM: filepath.Join(dir, "root.pem"), kab: kab,
		tsa: &producers.TSA{ID: producers.Identity{Key: tsaID.Key, Chain: tsaID.Chain}}}
	if err := ca.WriteRootPEM(p.rootPEM); err != nil {
		t.Fatal(err)
	}
	p.allRoots = x509.NewCertPool()
	p.allRoots.AddCert(ca.Root)
	// mutool and podofosign embed only the signer's certificate: the
	// issuing CA must be given as a root for their chains to be built.
	p.allRoots.AddCert(ca.Intermediate)
	return p
}

// party issues the other party's identity (Pemerintah Provinsi Jawa
// Timur) and writes it for the outside tools.
func (p *benignPKI) party(t *testing.T, kt devca.KeyType) *benignParty {
	t.Helper()
	id, err := p.ca.Issue(devca.LeafRequest{CommonName: "Gubernur Jawa Timur", Organization: "Pemerintah Provinsi Jawa Timur", KeyType: kt})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	q := &benignParty{id: id, p12: filepath.Join(dir, "id.p12"), key: filepath.Join(dir, "id.key"),
		chain: filepath.Join(dir, "chain.pem"), cert: filepath.Join(dir, "leaf.pem")}
	if err := id.WriteP12(q.p12, "rahasia", false, false); err != nil {
		t.Fatal(err)
	}
	if err := id.WritePEM(q.key, q.chain, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(q.cert, id.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return q
}

type benignParty struct {
	id                    *devca.Identity
	p12, key, chain, cert string
}

func (q *benignParty) producer() producers.Identity {
	return producers.Identity{Key: q.id.Key, Chain: q.id.Chain}
}

func benignTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// benignOut is an in-memory signer.Output.
type benignOut struct{ b []byte }

func (m *benignOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *benignOut) WriteAt(p []byte, off int64) (int, error) {
	copy(m.b[off:], p)
	return len(p), nil
}

func benignSegel(t *testing.T, in []byte, id *devca.Identity, o signer.Options) []byte {
	t.Helper()
	o.Signer, o.Chain = id.Key, id.Chain
	out := &benignOut{}
	if _, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, o); err != nil {
		t.Fatalf("segel cannot sign: %v", err)
	}
	return out.b
}

// benignTool runs an outside tool on in (written to a file) and returns
// the file it wrote.
func benignTool(t *testing.T, in []byte, run func(in, out string)) []byte {
	t.Helper()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(src, in, 0o644); err != nil {
		t.Fatal(err)
	}
	run(src, dst)
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, in) {
		t.Fatalf("the tool did not write an incremental update: its output does not start with its input")
	}
	return b
}

// benignLogUpdate logs what the updates after revision from changed.
func benignLogUpdate(t *testing.T, what string, b []byte, from int) {
	t.Helper()
	lines, err := producers.Describe(b, from)
	if err != nil {
		t.Logf("%s: cannot describe the update: %v", what, err)
	}
	t.Logf("%s changed:\n\t%s", what, strings.Join(lines, "\n\t"))
}

func benignRevisions(t *testing.T, b []byte) int {
	t.Helper()
	rep := benignVerify(t, b, nil)
	return rep.Revisions
}

func benignVerify(t *testing.T, b []byte, roots *x509.CertPool) *verify.Report {
	t.Helper()
	rep, err := verify.File(context.Background(), "benign.pdf", bytes.NewReader(b), int64(len(b)), verify.Options{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// benignExpect verifies b and requires TOTAL_PASSED with want signatures,
// each intact and valid with modifications "none" or "allowed". On
// failure it reports everything the verifier said.
func benignExpect(t *testing.T, step string, b []byte, roots *x509.CertPool, want int) *verify.Report {
	t.Helper()
	rep := benignVerify(t, b, roots)
	ok := rep.Indication == verify.TotalPassed && len(rep.Signatures) == want
	for _, s := range rep.Signatures {
		if !s.Intact || !s.Valid || (s.Modification != "none" && s.Modification != "allowed") {
			ok = false
		}
	}
	if !ok {
		t.Errorf("%s: want TOTAL_PASSED with %d signatures, got %s", step, want, benignSummary(rep))
	} else if len(rep.Warnings) > 0 || benignHasWarnings(rep) {
		t.Logf("%s: TOTAL_PASSED with warnings: %s", step, benignSummary(rep))
	}
	return rep
}

// benignHasWarnings reports warnings other than the one every signature
// without revocation data gets.
func benignHasWarnings(rep *verify.Report) bool {
	for _, s := range rep.Signatures {
		for _, w := range s.Warnings {
			if !strings.HasPrefix(w, "revocation status not checked") {
				return true
			}
		}
	}
	return false
}

// benignSummary renders a report for a failure message.
func benignSummary(rep *verify.Report) string {
	var b strings.Builder
	b.WriteString(rep.Indication)
	if rep.SubIndication != "" {
		b.WriteString("/" + rep.SubIndication)
	}
	b.WriteString(", " + strconv.Itoa(len(rep.Signatures)) + " signature(s), " + strconv.Itoa(rep.Revisions) + " revisions")
	for _, e := range rep.Errors {
		b.WriteString("\n\tfile error: " + e)
	}
	for _, w := range rep.Warnings {
		b.WriteString("\n\tfile warning: " + w)
	}
	for _, s := range rep.Signatures {
		b.WriteString("\n\t" + s.Field + " (" + s.Kind + ", rev " + strconv.Itoa(s.Revision) + "): " + s.Indication)
		if s.SubIndication != "" {
			b.WriteString("/" + s.SubIndication)
		}
		b.WriteString(" intact=" + strconv.FormatBool(s.Intact) + " valid=" + strconv.FormatBool(s.Valid) + " trusted=" + strconv.FormatBool(s.Trusted) + " modification=" + s.Modification)
		for _, e := range s.Errors {
			b.WriteString("\n\t\terror: " + e)
		}
		for _, w := range s.Warnings {
			b.WriteString("\n\t\twarning: " + w)
		}
		for _, c := range s.Changes {
			verdict := "allowed"
			if !c.Allowed {
				verdict = "DISALLOWED"
			}
			b.WriteString("\n\t\tchange " + verdict + " [" + c.Kind + "] " + c.Object + ": " + c.Description)
		}
	}
	return b.String()
}

// TestBenignWorkflows: multi-party workflows with segel and the outside
// tools installed here; every result must be TOTAL_PASSED.
func TestBenignWorkflows(t *testing.T) {
	p := newBenignPKI(t)
	t.Run("mutool-fill", func(t *testing.T) { benignMutoolFill(t, p) })
	t.Run("countersign", func(t *testing.T) { benignCountersign(t, p) })
	t.Run("ltv", func(t *testing.T) { benignLTV(t, p) })
}

// benignMutoolFill: segel signs SigPemohon of the form (certifying with
// P=2, or as an approval), MuPDF fills the fields and saves incrementally,
// then segel adds another signature.
func benignMutoolFill(t *testing.T, p *benignPKI) {
	for _, doc := range []string{"form.pdf", "form-xrefstream.pdf"} {
		for _, certify := range []int{2, 0} {
			name := strings.TrimSuffix(doc, ".pdf") + "/approval"
			if certify > 0 {
				name = strings.TrimSuffix(doc, ".pdf") + "/certified-P2"
			}
			t.Run(name, func(t *testing.T) {
				judge.Require(t, "mutool")
				in := benignTestdata(t, doc)
				b1 := benignSegel(t, in, p.kab, signer.Options{Field: "SigPemohon", Certify: certify})
				benignExpect(t, "signed", b1, p.allRoots, 1)
				revs := benignRevisions(t, b1)
				b2 := benignTool(t, b1, func(in, out string) {
					judge.MutoolFill(t, in, out, map[string]string{
						"Nama": "Budi Santoso, S.T.", "Instansi": "Dinas Kominfo Kabupaten Tuban", "Pernyataan": "off",
					})
				})
				benignLogUpdate(t, "mutool run (fill, save incremental)", b2, revs-1)
				benignExpect(t, "after mutool filled the form", b2, p.allRoots, 1)
				b3 := benignSegel(t, b2, p.kab, signer.Options{Reason: "Verifikasi"})
				benignExpect(t, "after another segel signature", b3, p.allRoots, 2)
			})
		}
	}
}

// benignCountersign: the two parties sign the two empty fields of the
// PKS, one with segel and one with an outside tool, in both orders.
func benignCountersign(t *testing.T, p *benignPKI) {
	type tool struct {
		name, bin string
		kt        devca.KeyType
		sign      func(t *testing.T, q *benignParty, field string, in []byte) []byte
	}
	tools := []tool{
		{"pdfsig", "pdfsig", devca.RSA2048, func(t *testing.T, q *benignParty, field string, in []byte) []byte {
			judge.Require(t, "certutil")
			db := judge.NewNSSDB(t, p.rootPEM)
			nick := judge.ImportP12(t, db, q.p12, "rahasia")
			return benignTool(t, in, func(i, o string) { judge.PdfsigSignField(t, db, nick, field, i, o) })
		}},
		{"mutool", "mutool", devca.RSA2048, func(t *testing.T, q *benignParty, field string, in []byte) []byte {
			return benignTool(t, in, func(i, o string) { judge.MutoolSignField(t, i, o, q.p12, "rahasia", field) })
		}},
		{"podofosign-rsa", "podofosign", devca.RSA2048, func(t *testing.T, q *benignParty, field string, in []byte) []byte {
			return benignTool(t, in, func(i, o string) { judge.PodofoSignField(t, i, o, q.cert, q.key, field) })
		}},
		{"podofosign-p256", "podofosign", devca.ECDSAP256, func(t *testing.T, q *benignParty, field string, in []byte) []byte {
			// The default reservation is too small for an ECDSA key.
			return benignTool(t, in, func(i, o string) { judge.PodofoSignFieldSized(t, i, o, q.cert, q.key, field, 4096) })
		}},
	}
	for _, tl := range tools {
		for _, order := range []string{"segel-first", "segel-first-certified-P2", "tool-first"} {
			t.Run(tl.name+"/"+order, func(t *testing.T) {
				judge.Require(t, tl.bin)
				q := p.party(t, tl.kt)
				in := benignTestdata(t, "pks.pdf")
				if order == "tool-first" {
					b1 := tl.sign(t, q, "SigProvinsi", in)
					benignLogUpdate(t, tl.name+" -sign SigProvinsi", b1, 0)
					benignExpect(t, tl.name+" signed", b1, p.allRoots, 1)
					b2 := benignSegel(t, b1, p.kab, signer.Options{Field: "SigKabupaten"})
					benignExpect(t, "segel countersigned", b2, p.allRoots, 2)
					return
				}
				certify := 0
				if strings.HasSuffix(order, "P2") {
					certify = 2
				}
				b1 := benignSegel(t, in, p.kab, signer.Options{Field: "SigKabupaten", Certify: certify})
				benignExpect(t, "segel signed", b1, p.allRoots, 1)
				b2 := tl.sign(t, q, "SigProvinsi", b1)
				benignLogUpdate(t, tl.name+" signing SigProvinsi", b2, 1)
				benignExpect(t, tl.name+" countersigned", b2, p.allRoots, 2)
			})
		}
	}
}

// benignLTV: after the signatures, validation data, metadata and a
// document timestamp are added, as PAdES-LT/LTA extension does.
func benignLTV(t *testing.T, p *benignPKI) {
	for _, c := range []struct {
		doc     string
		certify int
	}{{"pks.pdf", 2}, {"pks.pdf", 0}, {"pks-xrefstream.pdf", 2}} {
		name := strings.TrimSuffix(c.doc, ".pdf") + "/approval"
		if c.certify > 0 {
			name = strings.TrimSuffix(c.doc, ".pdf") + "/certified-P2"
		}
		certify := c.certify
		t.Run(name, func(t *testing.T) {
			now := time.Now()
			in := benignTestdata(t, c.doc)
			b := benignSegel(t, in, p.kab, signer.Options{Field: "SigKabupaten", Certify: certify})
			q := p.party(t, devca.RSA2048)
			b = benignSegel(t, b, q.id, signer.Options{Field: "SigProvinsi"})
			benignExpect(t, "two signatures", b, p.allRoots, 2)

			ocspKab, err := producers.GoodOCSP(p.kab.Cert, p.ca.Intermediate, p.ca.IntermediateKey, now)
			if err != nil {
				t.Fatal(err)
			}
			ocspProv, err := producers.GoodOCSP(q.id.Cert, p.ca.Intermediate, p.ca.IntermediateKey, now)
			if err != nil {
				t.Fatal(err)
			}
			crl, err := producers.EmptyCRL(p.ca.Root, p.ca.RootKey, now)
			if err != nil {
				t.Fatal(err)
			}
			want := 2
			step := func(what string, next []byte, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				revs := benignRevisions(t, b)
				b = next
				benignLogUpdate(t, what, b, revs-1)
				benignExpect(t, "after "+what, b, p.allRoots, want)
			}
			next, err := producers.AddDSS(b, producers.DSS{
				Certs: []*x509.Certificate{p.kab.Cert, q.id.Cert, p.ca.Intermediate, p.ca.Root},
				OCSPs: [][]byte{ocspKab, ocspProv}, CRLs: [][]byte{crl}, VRI: true,
			}, now)
			step("/DSS with /Certs, /OCSPs, /CRLs and /VRI", next, err)
			next, err = producers.SetInfo(b, map[string]string{
				"ModDate": "D:" + now.UTC().Format("20060102150405") + "Z", "Producer": "Adobe Acrobat Pro 2024",
			})
			step("/Info /ModDate updated", next, err)
			next, err = producers.SetMetadata(b, producers.XMP("Perjanjian Kerja Sama", "segel", now))
			step("XMP /Metadata added", next, err)
			next, err = producers.SetMetadata(b, producers.XMP("Perjanjian Kerja Sama", "Adobe Acrobat Pro 2024", now.Add(time.Minute)))
			step("XMP /Metadata replaced", next, err)
			next, err = producers.AddDocTimeStamp(b, "DocTimeStamp1", p.tsa)
			want = 3
			step("document timestamp in a new invisible field", next, err)
			ocspTSA, err := producers.GoodOCSP(p.tsa.ID.Chain[0], p.ca.Intermediate, p.ca.IntermediateKey, now)
			if err != nil {
				t.Fatal(err)
			}
			next, err = producers.AddDSS(b, producers.DSS{Certs: []*x509.Certificate{p.tsa.ID.Chain[0]}, OCSPs: [][]byte{ocspTSA}, VRI: true}, now)
			step("a second /DSS update for the timestamp", next, err)
			rep := benignVerify(t, b, p.allRoots)
			for _, s := range rep.Signatures {
				t.Logf("%s: kind %s level %q revocation %q (%s)", s.Field, s.Kind, s.Level, s.Revocation, s.RevocationSource)
			}
		})
	}
}

// benignSegelErr is benignSegel that returns segel's refusal instead of
// failing the test.
func benignSegelErr(in []byte, id *devca.Identity, o signer.Options) ([]byte, error) {
	o.Signer, o.Chain = id.Key, id.Chain
	out := &benignOut{}
	_, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, o)
	return out.b, err
}

// TestBenignProducerQuirks: files with the quirks of honest producers,
// generated by internal/producers, must pass (possibly with a warning).
func TestBenignProducerQuirks(t *testing.T) {
	p := newBenignPKI(t)
	q := p.party(t, devca.RSA2048)
	kab := producers.Identity{Key: p.kab.Key, Chain: p.kab.Chain}
	pks := benignTestdata(t, "pks.pdf")

	// A field reachable twice in the field tree of the unsigned document;
	// both parties sign. The signatures are made by producers.SignField
	// (which, like Acrobat and the other tools, tolerates the quirk) so
	// that the verifier is judged even where segel's signer refuses.
	for _, mode := range []producers.DupMode{producers.ListedTwice, producers.RootAndKid, producers.TwoParents} {
		t.Run("duplicate-field/"+mode.String(), func(t *testing.T) {
			in, err := producers.DuplicateField(pks, "SigKabupaten", mode)
			if err != nil {
				t.Fatal(err)
			}
			benignLogUpdate(t, "the form tool", in, 0)
			b1, err := producers.SignField(in, "SigKabupaten", kab, producers.SignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			benignExpect(t, "first signature", b1, p.allRoots, 1)
			b2, err := producers.SignField(b1, "SigProvinsi", q.producer(), producers.SignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			benignExpect(t, "second signature", b2, p.allRoots, 2)
			if _, err := benignSegelErr(in, p.kab, signer.Options{Field: "SigKabupaten"}); err != nil {
				t.Errorf("segel refuses to sign the field: %v", err)
			}
		})
	}

	// An original whose last cross-reference offset is a few bytes off,
	// then signed by segel; if segel refuses, by producers.SignField
	// reading a repaired copy (as a repairing signer would) so that the
	// verifier is still judged.
	type shifted struct {
		name  string
		doc   string
		shift func([]byte) (sloppy, repaired []byte, err error)
	}
	var cases []shifted
	for _, doc := range []string{"pks.pdf", "pks-xrefstream.pdf"} {
		for _, d := range []int{-3, 2} {
			cases = append(cases, shifted{fmt.Sprintf("startxref%+d/%s", d, strings.TrimSuffix(doc, ".pdf")), doc,
				func(b []byte) ([]byte, []byte, error) {
					s, err := producers.ShiftStartXref(b, d)
					return s, b, err
				}})
		}
		cases = append(cases, shifted{"prev-2/" + strings.TrimSuffix(doc, ".pdf"), doc, func(b []byte) ([]byte, []byte, error) {
			// A second, unsigned revision (a producer saving the /Info)
			// whose /Prev is two bytes before the first section.
			b, err := producers.SetInfo(b, map[string]string{"Title": "Perjanjian Kerja Sama (final)"})
			if err != nil {
				return nil, nil, err
			}
			s, err := producers.ShiftPrev(b, -2)
			return s, b, err
		}})
	}
	for _, c := range cases {
		t.Run("xref-offset/"+c.name, func(t *testing.T) {
			orig, repaired, err := c.shift(benignTestdata(t, c.doc))
			if err != nil {
				t.Fatal(err)
			}
			benignJudges(t, orig)
			if rep := benignVerify(t, orig, p.allRoots); rep.Indication != verify.NoSignatureFound {
				t.Errorf("the unsigned original: want %s, got %s", verify.NoSignatureFound, benignSummary(rep))
			}
			b, err := benignSegelErr(orig, p.kab, signer.Options{Field: "SigKabupaten"})
			if err != nil {
				t.Errorf("segel's signer refuses the original (same pdf reader): %v", err)
				if len(repaired) != len(orig) {
					t.FailNow()
				}
				b, err = producers.SignField(orig, "SigKabupaten", kab, producers.SignOptions{ReadAs: repaired})
				if err != nil {
					t.Fatalf("producers.SignField: %v", err)
				}
			}
			benignExpect(t, "signed", b, p.allRoots, 1)
		})
	}

	// poppler's pdfsig -sign into an existing empty field writes /M (and
	// an empty /AP /N) on the widget; imitated by PopplerSignField and,
	// where pdfsig is installed, compared with what pdfsig really writes.
	for _, certify := range []int{0, 2} {
		t.Run("poppler-widget-M/certify-"+strconv.Itoa(certify), func(t *testing.T) {
			b1 := benignSegel(t, pks, p.kab, signer.Options{Field: "SigKabupaten", Certify: certify})
			b2, err := producers.PopplerSignField(b1, "SigProvinsi", q.producer(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			benignLogUpdate(t, "PopplerSignField", b2, 1)
			benignExpect(t, "countersigned the poppler way", b2, p.allRoots, 2)
			benignComparePdfsig(t, p, q, b1, b2)
		})
	}

	// A complete signature dictionary that no field refers to, appended to
	// an honestly signed document: reported as an orphan signature with a
	// warning, not counted in the file's indication (viewers do not show
	// it), and the honest signature keeps its verdict.
	t.Run("orphan-signature", func(t *testing.T) {
		b1 := benignSegel(t, pks, p.kab, signer.Options{Field: "SigKabupaten"})
		b2, err := producers.Orphan(b1, q.producer(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		benignLogUpdate(t, "Orphan", b2, 1)
		rep := benignVerify(t, b2, p.allRoots)
		t.Logf("verifier: %s", benignSummary(rep))
		orphans := 0
		for _, s := range rep.Signatures {
			if s.Orphan {
				orphans++
				if len(s.Warnings) == 0 {
					t.Errorf("the orphan signature carries no warning: %s", benignSummary(rep))
				}
			}
		}
		if orphans != 1 || len(rep.Signatures) != 2 || rep.Indication != verify.TotalPassed {
			t.Errorf("want the honest signature TOTAL_PASSED and one orphan reported: %s", benignSummary(rep))
		}
		for _, s := range rep.Signatures {
			if s.Field == "SigKabupaten" && (!s.Intact || !s.Valid) {
				t.Errorf("the honest signature is no longer intact and valid: %s", benignSummary(rep))
			}
		}
	})
}

// benignJudges logs what qpdf, mutool and pdfsig say about a sloppy
// original (the tools that are installed).
func benignJudges(t *testing.T, b []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orig.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{{"qpdf", "--check", path}, {"mutool", "info", path}} {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		out, err := judge.Command(t, c[0], c[1:]...)
		t.Logf("%s: err=%v\n%s", strings.Join(c[:2], " "), err, benignFirstLines(out, 6))
	}
}

func benignFirstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return "\t" + strings.Join(lines, "\n\t")
}

// benignComparePdfsig signs SigProvinsi of b1 with the real pdfsig and
// checks that it changes the same keys of the field as the imitation b2.
func benignComparePdfsig(t *testing.T, p *benignPKI, q *benignParty, b1, b2 []byte) {
	t.Helper()
	for _, tool := range []string{"pdfsig", "certutil", "pk12util"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Logf("%s not installed: the imitation is not compared with poppler", tool)
			return
		}
	}
	db := judge.NewNSSDB(t, p.rootPEM)
	nick := judge.ImportP12(t, db, q.p12, "rahasia")
	real := benignTool(t, b1, func(i, o string) { judge.PdfsigSignField(t, db, nick, "SigProvinsi", i, o) })
	want := benignFieldKeys(t, real, "SigProvinsi")
	got := benignFieldKeys(t, b2, "SigProvinsi")
	if want == got {
		t.Logf("pdfsig and the imitation both change: %s", want)
	}
	if want != got {
		t.Errorf("pdfsig changes the keys %q of the field, the imitation %q", want, got)
	}
	benignLogUpdate(t, "pdfsig -sign SigProvinsi (the real one)", real, 1)
}

// benignFieldKeys returns the changed keys ("+AP +M +V") of the field
// named field in the last update of b, and the kinds of the new objects.
func benignFieldKeys(t *testing.T, b []byte, field string) string {
	t.Helper()
	lines, err := producers.Describe(b, benignRevisions(t, b)-2)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, l := range lines {
		if !strings.Contains(l, `"`+field+`"`) {
			if i := strings.Index(l, " new "); i >= 0 {
				keys = append(keys, "new "+strings.Fields(l[i+5:])[0])
			}
			continue
		}
		for _, f := range strings.Fields(l) {
			if len(f) > 1 && strings.ContainsRune("+-~", rune(f[0])) && f[1] >= 'A' && f[1] <= 'Z' {
				keys = append(keys, f)
			}
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}
