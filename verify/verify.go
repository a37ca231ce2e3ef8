// Package verify checks the signatures of a PDF file the way an auditor
// would: every signature's byte range and CMS, the chain of the signer's
// certificate to the caller's trust roots, timestamps, DocMDP/FieldMDP
// permissions, and every change made to the file after each signature.
//
// # Verdicts
//
// Each signature gets an ETSI EN 319 102-1 indication (TOTAL_PASSED,
// INDETERMINATE or TOTAL_FAILED) with a sub-indication, and the file gets
// the worst of its signatures' (NO_SIGNATURE_FOUND when it has none). A
// signature that cannot be evaluated is reported, never dropped.
//
// # What is trusted
//
// Only the roots in [Options.Roots] are trust anchors; certificates carried
// by the file serve only as intermediates. The claimed signing time (/M) is
// shown but never used to judge certificates: validity is judged at
// [Options.Time] (now by default), or at the time proven by a verified
// signature timestamp.
package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"segel/pdf"
)

// Options configure verification.
type Options struct {
	// Roots are the trust anchors. Nil means none: no chain can be trusted.
	Roots *x509.CertPool
	// Time is the validation time; zero means now.
	Time time.Time
	// Limits bound the parser.
	Limits pdf.Limits
	// Online allows fetching OCSP responses and CRLs for certificates
	// without usable embedded revocation data. Without it nothing is
	// fetched.
	Online bool
	// HTTPClient makes the online requests when Fetcher is nil; nil means
	// a default client.
	HTTPClient *http.Client
	// Fetcher, when set, is used for the online requests and caches their
	// results across File calls: share one for a whole run. Nil means a
	// new Fetcher (built with HTTPClient) for each File call.
	Fetcher *Fetcher
}

// File verifies the PDF read from r (size bytes). name is used in the
// report only. A file that cannot be parsed as a PDF gives a report with
// indication TOTAL_FAILED/FORMAT_FAILURE and the reason in Errors; err is
// returned only for I/O errors and a cancelled context.
func File(ctx context.Context, name string, r io.ReaderAt, size int64, opts Options) (*Report, error) {
	now := opts.Time
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{File: name, ValidationTime: now.UTC(), Signatures: []Signature{}}
	doc, err := pdf.Open(r, size, &pdf.Options{Limits: opts.Limits, AllowEncrypted: true})
	if err != nil {
		var pe *ioError
		if errors.As(err, &pe) {
			return nil, err
		}
		rep.Indication, rep.SubIndication = TotalFailed, FormatFailure
		rep.Errors = append(rep.Errors, "cannot read the file as a PDF: "+err.Error())
		return rep, nil
	}
	v := &verifier{ctx: ctx, doc: doc, opts: opts, now: now, rep: rep, size: size, r: r}
	if err := v.run(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			// The time budget ran out: say so instead of guessing.
			rep.Errors = append(rep.Errors, "verification did not finish within its time budget")
			rep.conclude()
			rep.Indication, rep.SubIndication = Indeterminate, ""
			return rep, nil
		}
		return nil, err
	}
	rep.conclude()
	return rep, nil
}

type ioError struct{ error }

type verifier struct {
	ctx  context.Context
	doc  *pdf.Document
	opts Options
	now  time.Time
	rep  *Report
	r    io.ReaderAt
	size int64
	revs []pdf.Revision
	// dssCache is the /DSS content, read once (see dssData).
	dssCache *dss
}

// found is a signature dictionary found in the form of some revision.
type found struct {
	field string
	ref   pdf.Ref
	dict  pdf.Dict
	view  *pdf.Document
	end   int64 // c+d of its ByteRange, for ordering
}

func (v *verifier) run() error {
	v.revs = v.doc.Revisions()
	v.rep.Revisions = len(v.revs)
	for _, r := range v.doc.Repairs() {
		v.rep.Warnings = append(v.rep.Warnings, "file structure repaired: "+r)
	}
	if _, enc := v.doc.Trailer()["Encrypt"]; enc {
		v.rep.Warnings = append(v.rep.Warnings, "the file is encrypted; strings and streams were compared as stored")
	}
	sigs, err := v.collect()
	if err != nil {
		v.rep.Errors = append(v.rep.Errors, err.Error())
	}
	certRev, certP := v.certification()
	for _, f := range sigs {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		s := v.signature(f, certRev, certP)
		v.rep.Signatures = append(v.rep.Signatures, s)
	}
	if err := v.ctx.Err(); err != nil {
		return err
	}
	// B-LTA: validation data (B-LT) protected by a later document
	// timestamp that verified.
	for i := range v.rep.Signatures {
		s := &v.rep.Signatures[i]
		if s.Level != "B-LT" {
			continue
		}
		for _, ts := range v.rep.Signatures {
			if ts.Kind == "document-timestamp" && ts.Revision > s.Revision && ts.Intact && ts.Valid {
				s.Level = "B-LTA"
				break
			}
		}
	}
	if err != nil && len(sigs) == 0 {
		v.rep.Indication, v.rep.SubIndication = TotalFailed, FormatFailure
	}
	return nil
}

// collect finds the signature dictionaries of every revision's form, so
// that a signature removed from the form later is still reported.
func (v *verifier) collect() ([]found, error) {
	seen := map[pdf.Ref]bool{}
	var out []found
	var firstErr error
	for i := len(v.revs) - 1; i >= 0; i-- {
		view, err := v.doc.Revision(i)
		if err != nil {
			return out, err
		}
		fields, err := view.Fields()
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("revision %d: reading the form: %w", i, err)
			}
			continue
		}
		for _, f := range fields {
			if f.Type != "Sig" {
				continue
			}
			val := f.Dict["V"]
			ref, isRef := val.(pdf.Ref)
			key := ref
			if !isRef {
				// A direct signature dictionary: key it by its field.
				key = pdf.Ref{Num: 1<<32 - 1 - f.Ref.Num, Gen: f.Ref.Gen}
			}
			if seen[key] {
				continue
			}
			d, err := view.GetDict(val)
			if err != nil || d == nil {
				continue // an empty signature field
			}
			seen[key] = true
			fd := found{field: f.Name, ref: ref, dict: d, view: view, end: -1}
			if isRef {
				// Verify the version of the dictionary that was signed: the
				// one whose /Contents is the gap of its own /ByteRange. A
				// later rewrite (a spoofed /Reason or /M) is then caught as a
				// change after signing.
				if sv, sd := v.signedVersion(ref); sd != nil {
					fd.dict, fd.view = sd, sv
				}
			}
			if br, ok := fd.dict["ByteRange"].(pdf.Array); ok && len(br) == 4 {
				c, _ := br[2].(pdf.Int)
				l, _ := br[3].(pdf.Int)
				fd.end = int64(c) + int64(l)
			}
			out = append(out, fd)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].end < out[j].end })
	return out, firstErr
}

// signedVersion returns the oldest version of the signature dictionary
// ref whose /Contents string is exactly the gap of its own /ByteRange.
func (v *verifier) signedVersion(ref pdf.Ref) (*pdf.Document, pdf.Dict) {
	for i := range v.revs {
		view, err := v.doc.Revision(i)
		if err != nil || !view.Has(ref.Num) {
			continue
		}
		d, err := view.GetDict(ref)
		if err != nil || d == nil {
			continue
		}
		br, ok := d["ByteRange"].(pdf.Array)
		cs, ok2 := d["Contents"].(pdf.String)
		if !ok || !ok2 || len(br) != 4 || cs.Pos < 0 {
			continue
		}
		a, _ := br[0].(pdf.Int)
		b, _ := br[1].(pdf.Int)
		c, _ := br[2].(pdf.Int)
		if int64(a)+int64(b) == cs.Pos && int64(c) == cs.End {
			return view, d
		}
	}
	return nil, nil
}

// certification finds the certification signature: the catalog's
// /Perms /DocMDP in the final file (or the earliest revision that has
// one). It returns the revision it signs and its P, or -1, 0.
func (v *verifier) certification() (rev int, p int) {
	cat, err := v.doc.Catalog()
	if err != nil {
		return -1, 0
	}
	perms, _ := v.doc.GetDict(cat["Perms"])
	if perms == nil || perms["DocMDP"] == nil {
		return -1, 0
	}
	sig, _ := v.doc.GetDict(perms["DocMDP"])
	if sig == nil {
		return -1, 0
	}
	p = v.doc.DocMDPPermission(sig)
	if p == 0 {
		p = 2
	}
	rev = -1
	if br, ok := sig["ByteRange"].(pdf.Array); ok && len(br) == 4 {
		c, _ := br[2].(pdf.Int)
		l, _ := br[3].(pdf.Int)
		rev = v.revisionEnding(int64(c) + int64(l))
	}
	return rev, p
}

func fieldLocks(doc *pdf.Document, sig pdf.Dict, field pdf.Dict) []FieldLock {
	var locks []FieldLock
	add := func(d pdf.Dict) {
		if d == nil {
			return
		}
		a, _ := d["Action"].(pdf.Name)
		if a == "" {
			return
		}
		l := FieldLock{Action: string(a)}
		fs, _ := doc.GetArray(d["Fields"])
		for _, f := range fs {
			l.Fields = append(l.Fields, pdf.Text(f))
		}
		locks = append(locks, l)
	}
	if field != nil {
		lk, _ := doc.GetDict(field["Lock"])
		add(lk)
	}
	refs, _ := doc.GetArray(sig["Reference"])
	for _, r := range refs {
		rd, _ := doc.GetDict(r)
		if rd == nil {
			continue
		}
		if tm, _ := rd["TransformMethod"].(pdf.Name); tm == "FieldMDP" {
			params, _ := doc.GetDict(rd["TransformParams"])
			add(params)
		}
	}
	return locks
}

// revisionEnding returns the revision whose %%EOF ends at off (allowing
// for the end-of-line after the marker), or -1.
func (v *verifier) revisionEnding(off int64) int {
	for i, r := range v.revs {
		if r.EOF < 0 {
			continue
		}
		if off == r.EOF {
			return i
		}
		// r.EOF includes one end-of-line; a range may stop before it.
		if off < r.EOF && off >= r.EOF-2 && v.onlyEOL(off, r.EOF) {
			return i
		}
	}
	return -1
}

func (v *verifier) onlyEOL(from, to int64) bool {
	b := make([]byte, to-from)
	if _, err := v.r.ReadAt(b, from); err != nil {
		return false
	}
	return len(bytes.Trim(b, "\r\n")) == 0
}

func (v *verifier) signature(f found, certRev, certP int) Signature {
	s := Signature{Field: f.field, Indication: TotalPassed, Revision: -1, Modification: "none"}
	d := f.dict
	s.SubFilter = string(nameOf(d["SubFilter"]))
	s.Reason = pdf.Text(d["Reason"])
	s.Location = pdf.Text(d["Location"])
	if t, ok := parseDate(pdf.Text(d["M"])); ok {
		s.ClaimedTime = &t
	}
	typ := nameOf(d["Type"])
	switch {
	case typ == "DocTimeStamp" || s.SubFilter == "ETSI.RFC3161":
		s.Kind = "document-timestamp"
	case f.view.DocMDPPermission(d) > 0:
		s.Kind = "certification"
		s.DocMDP = f.view.DocMDPPermission(d)
	default:
		s.Kind = "approval"
	}

	// 1. Byte range and /Contents.
	ranges, contents, ok := v.checkCoverage(&s, d)
	if !ok {
		return s
	}
	if s.Coverage == CoverageAnomalous {
		// Say whether the bytes it names are intact, but nothing more can
		// be judged about the document.
		v.checkCMS(&s, ranges, contents)
		return s
	}
	// 2. CMS.
	v.checkCMS(&s, ranges, contents)

	// 3. Changes after the signature.
	if s.Revision >= 0 {
		p := 0
		if certRev >= 0 && certRev <= s.Revision {
			p = certP
		}
		if s.Kind == "certification" && certRev >= 0 && certRev != s.Revision {
			s.fail(TotalFailed, FormatFailure, "a certification signature that the catalog does not reference")
		}
		if s.Kind == "certification" && s.Revision > 0 && v.hasEarlierSignature(s.Revision) {
			s.fail(TotalFailed, FormatFailure, "a certification signature must be the first signature of the document")
		}
		var fieldDict pdf.Dict
		if fields, err := f.view.Fields(); err == nil {
			if fl, ok := pdf.FieldByName(fields, f.field); ok {
				fieldDict = fl.Dict
			}
		}
		mod, err := analyzeModifications(v.doc, s.Revision, p, fieldLocks(f.view, d, fieldDict))
		if err != nil {
			s.Modification = "disallowed"
			s.fail(TotalFailed, FormatFailure, "cannot compare the signed revision with the final file: "+err.Error())
		} else {
			s.Modification = mod.Level
			s.Changes = mod.Changes
			s.Warnings = append(s.Warnings, mod.Warnings...)
			if mod.Level == "disallowed" {
				var what []string
				for _, c := range mod.Changes {
					if !c.Allowed {
						what = append(what, c.Description)
					}
				}
				s.fail(TotalFailed, FormatFailure, "the document was changed after this signature in a way that is not allowed: "+summarise(what))
			}
		}
		if v.trailingGarbage() {
			s.Modification = "disallowed"
			s.fail(TotalFailed, FormatFailure, "bytes after the last revision's %%EOF are not a valid incremental update")
		}
	}
	return s
}

func summarise(items []string) string {
	if len(items) > 5 {
		return strings.Join(items[:5], "; ") + fmt.Sprintf("; and %d more", len(items)-5)
	}
	return strings.Join(items, "; ")
}

func (v *verifier) hasEarlierSignature(rev int) bool {
	for _, s := range v.rep.Signatures {
		if s.Revision >= 0 && s.Revision < rev {
			return true
		}
	}
	return false
}

// trailingGarbage reports non-whitespace bytes after the last revision.
func (v *verifier) trailingGarbage() bool {
	last := v.revs[len(v.revs)-1].EOF
	if last < 0 || last >= v.size {
		return false
	}
	n := v.size - last
	if n > 1<<16 {
		return true
	}
	b := make([]byte, n)
	v.r.ReadAt(b, last)
	return len(bytes.Trim(b, " \t\r\n\f\x00")) > 0
}

func nameOf(o pdf.Object) pdf.Name {
	n, _ := o.(pdf.Name)
	return n
}

// checkCoverage validates /ByteRange against /Contents and the revisions.
// It returns the ranges and the CMS bytes when they can be hashed and
// parsed at all (hashable), even if the coverage is anomalous.
func (v *verifier) checkCoverage(s *Signature, d pdf.Dict) (ranges [2][2]int64, contents []byte, hashable bool) {
	anomalous := func(msg string) {
		s.Coverage = CoverageAnomalous
		s.fail(TotalFailed, FormatFailure, msg)
	}
	cs, isStr := d["Contents"].(pdf.String)
	if isStr {
		contents = cs.Value
	}
	arr, isArr := d["ByteRange"].(pdf.Array)
	if !isArr || len(arr) != 4 {
		anomalous("/ByteRange is missing or does not have exactly four numbers")
		// Hash what it names anyway (pairs of offset and length), so the
		// report says whether those bytes are intact.
		if isArr && len(arr)%2 == 0 && len(arr) >= 2 && len(arr) <= 4 {
			var nums []int64
			for _, x := range arr {
				n, ok := x.(pdf.Int)
				if !ok || n < 0 {
					return ranges, nil, false
				}
				nums = append(nums, int64(n))
			}
			if len(nums) == 2 && nums[0]+nums[1] <= v.size {
				ranges = [2][2]int64{{nums[0], nums[0] + nums[1]}, {0, 0}}
				return ranges, contents, isStr
			}
		}
		return ranges, nil, false
	}
	var br [4]int64
	for i, x := range arr {
		n, isInt := x.(pdf.Int)
		if !isInt || n < 0 {
			anomalous("/ByteRange holds a value that is not a non-negative integer")
			return ranges, nil, false
		}
		br[i] = int64(n)
	}
	s.ByteRange = br[:]
	a, b, c, l := br[0], br[1], br[2], br[3]
	if a+b > v.size || c+l > v.size || c+l < c || a+b < a {
		msg := fmt.Sprintf("/ByteRange ends at %d, beyond the end of the file (%d bytes)", max(a+b, c+l), v.size)
		if c+l < c || a+b < a {
			msg = "/ByteRange offsets overflow"
		}
		anomalous(msg)
		s.fail(TotalFailed, HashFailure, "")
		return ranges, nil, false
	}
	ranges = [2][2]int64{{a, a + b}, {c, c + l}}
	if !isStr {
		anomalous("/Contents is missing or not a string")
		return ranges, nil, false
	}
	if c < a+b {
		anomalous("the two ranges of /ByteRange overlap")
		return ranges, contents, true
	}
	if !cs.Hex {
		anomalous("/Contents is a literal string; a signature's /Contents must be a hexadecimal string")
		return ranges, contents, true
	}
	if a != 0 {
		anomalous("/ByteRange does not start at the beginning of the file")
		return ranges, contents, true
	}
	if cs.Pos < 0 {
		anomalous("the signature dictionary is inside an object stream, so its /Contents cannot be located in the file")
		return ranges, contents, true
	}
	if cs.Pos != a+b || cs.End != c {
		anomalous(fmt.Sprintf("the gap in /ByteRange (%d–%d) is not exactly the /Contents string of this signature (%d–%d)", a+b, c, cs.Pos, cs.End))
		return ranges, contents, true
	}
	rev := v.revisionEnding(c + l)
	if rev < 0 {
		anomalous(fmt.Sprintf("the signed bytes end at %d, which is not the end of a revision (%%%%EOF)", c+l))
		return ranges, contents, true
	}
	s.Revision = rev
	if rev == len(v.revs)-1 && (c+l == v.size || v.onlyEOLOrSpace(c+l, v.size)) {
		s.Coverage = CoverageWholeFile
	} else {
		s.Coverage = CoverageRevision
	}
	return ranges, contents, true
}

func (v *verifier) onlyEOLOrSpace(from, to int64) bool {
	if to-from > 64 {
		return false
	}
	b := make([]byte, to-from)
	if _, err := v.r.ReadAt(b, from); err != nil {
		return false
	}
	return len(bytes.Trim(b, " \t\r\n\x00")) == 0
}

// hashRanges hashes the two ranges with h.
func (v *verifier) hashRanges(h crypto.Hash, ranges [2][2]int64) ([]byte, error) {
	if !h.Available() {
		return nil, fmt.Errorf("hash %v unavailable", h)
	}
	hh := h.New()
	buf := make([]byte, 256<<10)
	for _, rg := range ranges {
		if rg[1] <= rg[0] {
			continue
		}
		for off := rg[0]; off < rg[1]; {
			if err := v.ctx.Err(); err != nil {
				return nil, err
			}
			n := int64(len(buf))
			if rg[1]-off < n {
				n = rg[1] - off
			}
			m, err := v.r.ReadAt(buf[:n], off)
			hh.Write(buf[:m])
			off += int64(m)
			if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
				return nil, &ioError{err}
			}
		}
	}
	return hh.Sum(nil), nil
}
