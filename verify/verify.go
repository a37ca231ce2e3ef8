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
	"hash"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"segel/pdf"
	"segel/verify/internal/changes"
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
	// HTTPClient supplies the transport of the online requests when
	// Fetcher is nil (see [Fetcher.Client]); nil means a transport of
	// package pkinet's own. Either way only public addresses are reached:
	// to allow loopback or private responders, set Fetcher.
	HTTPClient *http.Client
	// Fetcher, when set, is used for the online requests and caches their
	// results across File calls: share one for a whole run. Nil means a
	// new Fetcher (built with HTTPClient) for each File call.
	Fetcher *Fetcher
	// Cache, when set, keeps chains and revocation checks that hold for
	// other files (see [Cache]): share one for a whole run. Nil means
	// every file is verified from scratch.
	Cache *Cache
}

// crossCheckSize is the size up to which every file is compared with what
// a reader that rebuilds the cross-reference table from a scan sees;
// larger files are compared only when the reader repaired something.
const crossCheckSize = 8 << 20

// File verifies the PDF read from r (size bytes). name is used in the
// report only. A file that cannot be parsed as a PDF gives a report with
// indication TOTAL_FAILED/FORMAT_FAILURE and the reason in Errors; err is
// returned only when r cannot be read (it then wraps pdf.ErrIO: the file
// is neither valid nor invalid) and for a cancelled context.
func File(ctx context.Context, name string, r io.ReaderAt, size int64, opts Options) (*Report, error) {
	now := opts.Time
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{File: name, ValidationTime: now.UTC(), Signatures: []Signature{}}
	doc, err := pdf.Open(r, size, &pdf.Options{Limits: opts.Limits, AllowEncrypted: true})
	if err != nil {
		if errors.Is(err, pdf.ErrIO) {
			return nil, err
		}
		rep.Indication, rep.SubIndication = TotalFailed, FormatFailure
		rep.Errors = append(rep.Errors, "cannot read the file as a PDF: "+err.Error())
		return rep, nil
	}
	v := &verifier{ctx: ctx, doc: doc, opts: opts, now: now, rep: rep, size: size, r: r}
	err = v.run()
	if ioErr := doc.IOErr(); ioErr != nil {
		return nil, ioErr
	}
	var ioe *ioError
	if errors.As(err, &ioe) {
		return nil, fmt.Errorf("verify: %w", &pdf.IOError{Err: ioe.error})
	}
	if err != nil {
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
	analyzer *changes.Analyzer
	// ioErr is the first read error met while hashing.
	ioErr error
	// prefixes keep, per hash, the longest prefix of the file hashed for
	// a signature's first range (see hashRanges).
	prefixes map[crypto.Hash]hashPrefix
	// poe, while a signature is verified again, is the time a trusted
	// document timestamp over a later revision proves it existed.
	poe time.Time
}

// found is a signature dictionary found in some revision.
type found struct {
	field string
	ref   pdf.Ref
	dict  pdf.Dict
	view  *pdf.Document
	end   int64 // c+d of its ByteRange, for ordering
	// orphan: no signature field of any revision has it as its value.
	orphan bool
	// widgetOnly: its field is a widget on a page that the form's field
	// tree does not list.
	widgetOnly bool
}

func (v *verifier) run() error {
	v.revs = v.doc.Revisions()
	v.rep.Revisions = len(v.revs)
	if _, enc := v.doc.Trailer()["Encrypt"]; enc {
		v.rep.Warnings = append(v.rep.Warnings, "the file is encrypted; strings and streams were compared as stored")
	}
	sigs, err := v.collect()
	if err != nil {
		v.rep.Errors = append(v.rep.Errors, err.Error())
	}
	v.analyzer = changes.New(v.doc)
	cert := v.certification(sigs)
	for _, f := range sigs {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		s := v.signature(f, cert)
		v.rep.Signatures = append(v.rep.Signatures, s)
	}
	if v.ioErr != nil {
		return &ioError{v.ioErr}
	}
	if err := v.ctx.Err(); err != nil {
		return err
	}
	v.applyDocumentTimestamps(sigs, cert)
	if err := v.judgeStructure(); err != nil {
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

// applyDocumentTimestamps verifies again, at the time it proves, every
// signature that a trusted document timestamp over a later revision
// proves to have existed earlier than anything else did: past signature
// validation, so that a certificate that has expired (or been revoked)
// since is judged when the signature was provably made.
func (v *verifier) applyDocumentTimestamps(sigs []found, cert certInfo) {
	for i := range v.rep.Signatures {
		s := &v.rep.Signatures[i]
		if s.Revision < 0 || s.Orphan || !s.Intact {
			continue
		}
		var best *time.Time
		for _, d := range v.rep.Signatures {
			if d.Kind != "document-timestamp" || d.Revision <= s.Revision || !d.Intact || !d.Valid || !d.Trusted ||
				d.Indication == TotalFailed || d.TimestampTime == nil {
				continue
			}
			if best == nil || d.TimestampTime.Before(*best) {
				best = d.TimestampTime
			}
		}
		if best == nil || (s.ExistenceTime != nil && !best.Before(*s.ExistenceTime)) {
			continue
		}
		v.poe = *best
		*s = v.signature(sigs[i], cert)
		v.poe = time.Time{}
	}
}

// judgeStructure applies the reader's repairs and ambiguities to the
// signatures. Every file up to crossCheckSize, and every larger file the
// reader had to repair, is first compared with what a reader that rebuilds
// the cross-reference table from a scan sees (viewers rebuild files whose
// tables they cannot read). An ambiguity that decides how the signed
// revision or the final file is read fails the signature: two readers
// could show two documents. A repair with one possible reading, which the
// rebuilding reader confirms, is a warning.
func (v *verifier) judgeStructure() error {
	if len(v.doc.Issues()) > 0 || v.size <= crossCheckSize {
		if _, err := v.doc.CrossCheck(v.analyzer.Dangling); err != nil {
			return err
		}
	}
	issues := v.doc.Issues()
	for _, is := range issues {
		what := "file structure repaired: "
		if is.Ambiguous {
			what = "file structure is ambiguous: "
		}
		v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf("%s%s (revision %d)", what, is.Detail, is.Revision+1))
	}
	if len(issues) == 0 {
		return nil
	}
	final := v.doc.Ambiguities()
	for i := range v.rep.Signatures {
		s := &v.rep.Signatures[i]
		if s.Revision < 0 {
			continue
		}
		amb := final
		if view, err := v.doc.Revision(s.Revision); err == nil {
			amb = append(view.Ambiguities(), final...)
		}
		done := map[string]bool{}
		for _, is := range amb {
			if !done[is.Detail] {
				done[is.Detail] = true
				s.fail(TotalFailed, FormatFailure, "the file's structure is ambiguous, so two PDF readers can show two different documents: "+is.Detail)
			}
		}
	}
	return nil
}

// collect finds the signature dictionaries of every revision: the values
// of the signature fields of its form, of signature widgets that are on a
// page but not in the form, and — reported as orphans — signature
// dictionaries that no field of any revision has as its value. A
// signature removed from the form later is still reported.
func (v *verifier) collect() ([]found, error) {
	seen := map[pdf.Ref]bool{}
	var out []found
	var firstErr error
	add := func(view *pdf.Document, name string, fd pdf.Dict, val pdf.Object, widgetOnly bool) {
		ref, isRef := val.(pdf.Ref)
		key := ref
		if !isRef {
			// A direct signature dictionary: key it by its field.
			key = pdf.Ref{Num: 1<<32 - 1 - uint32(len(out)), Gen: 0xffff}
		}
		if isRef && seen[key] {
			return
		}
		d, err := view.GetDict(val)
		if err != nil || d == nil {
			return // an empty signature field
		}
		seen[key] = true
		f := found{field: name, ref: ref, dict: d, view: view, end: -1, widgetOnly: widgetOnly}
		if isRef {
			// Verify the version of the dictionary that was signed: the
			// one whose /Contents is the gap of its own /ByteRange. A
			// later rewrite (a spoofed /Reason or /M) is then caught as a
			// change after signing.
			if sv, sd := v.signedVersion(ref); sd != nil {
				f.dict, f.view = sd, sv
			}
		}
		out = append(out, f)
	}
	// Files up to crossCheckSize are scanned once (the scan the structure
	// cross-check uses): only objects whose bytes name /ByteRange can be
	// signature dictionaries, so when the form explains all of them, no
	// page and no object needs reading for widgets or orphans.
	var cands map[uint32]bool
	if v.size <= crossCheckSize {
		c, err := v.doc.SignatureCandidates()
		if err != nil {
			return out, err
		}
		cands = c
	}
	explained := map[uint32]bool{}
	views := make([]*pdf.Document, len(v.revs))
	inForms := make([]map[pdf.Ref]bool, len(v.revs))
	for i := len(v.revs) - 1; i >= 0; i-- {
		view, err := v.doc.Revision(i)
		if err != nil {
			return out, err
		}
		views[i] = view
		fields, err := view.Fields()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("revision %d: reading the form: %w", i+1, err)
		}
		inForm := map[pdf.Ref]bool{}
		inForms[i] = inForm
		for _, f := range fields {
			inForm[f.Ref] = true
			for _, w := range f.Widgets {
				inForm[w] = true
			}
			if f.Type == "Sig" {
				explained[f.Ref.Num] = true
				if r, ok := f.Dict["V"].(pdf.Ref); ok {
					explained[r.Num] = true
				}
				add(view, f.Name, f.Dict, f.Dict["V"], false)
			}
		}
	}
	unexplained := cands == nil
	for n := range cands {
		if !explained[n] {
			unexplained = true
			break
		}
	}
	if unexplained {
		for i := len(v.revs) - 1; i >= 0; i-- {
			for _, w := range pageSignatureWidgets(views[i], inForms[i]) {
				add(views[i], w.Name, w.Dict, w.Dict["V"], true)
			}
		}
		out = append(out, v.orphanSignatures(seen, cands)...)
	}
	for i := range out {
		if br, ok := out[i].dict["ByteRange"].(pdf.Array); ok && len(br) == 4 {
			c, _ := br[2].(pdf.Int)
			l, _ := br[3].(pdf.Int)
			out[i].end = int64(c) + int64(l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].end < out[j].end })
	return out, firstErr
}

// pageSignatureWidgets returns the signature widgets on the pages of view
// that the form's field tree does not list (viewers draw and sign them
// all the same), with their names and values inherited along /Parent.
func pageSignatureWidgets(view *pdf.Document, inForm map[pdf.Ref]bool) []pdf.Field {
	pages, err := view.Pages()
	if err != nil {
		return nil
	}
	var out []pdf.Field
	done := map[pdf.Ref]bool{}
	for _, p := range pages {
		annots, _ := view.GetArray(p.Dict["Annots"])
		for _, a := range annots {
			ref, ok := a.(pdf.Ref)
			if !ok || inForm[ref] || done[ref] {
				continue
			}
			done[ref] = true
			d, _ := view.GetDict(ref)
			if d == nil || d["Subtype"] != pdf.Name("Widget") {
				continue
			}
			var parts []string
			ft, _ := d["FT"].(pdf.Name)
			val := d["V"]
			cur := d
			for depth := 0; cur != nil && depth < 32; depth++ {
				if t := pdf.Text(cur["T"]); t != "" || cur["T"] != nil {
					parts = append([]string{t}, parts...)
				}
				if ft == "" {
					ft, _ = cur["FT"].(pdf.Name)
				}
				if val == nil {
					val = cur["V"]
				}
				cur, _ = view.GetDict(cur["Parent"])
			}
			if ft != "Sig" {
				continue
			}
			name := strings.Join(parts, ".")
			if name == "" {
				name = fmt.Sprintf("widget %d", ref.Num)
			}
			fd := pdf.Dict{}
			for k, x := range d {
				fd[k] = x
			}
			fd["V"] = val
			out = append(out, pdf.Field{Name: name, Ref: ref, Dict: fd, Type: "Sig", Widgets: []pdf.Ref{ref}})
		}
	}
	return out
}

// orphanSignatures finds signature dictionaries (dictionaries with a
// /ByteRange and a /Contents string) in any revision that no signature
// field has as its value. cands, when not nil, are the only object numbers
// that can be signature dictionaries.
func (v *verifier) orphanSignatures(seen map[pdf.Ref]bool, cands map[uint32]bool) []found {
	var out []found
	checked := map[pdf.Ref]bool{}
	for i := range v.revs {
		view, err := v.doc.Revision(i)
		if err != nil {
			continue
		}
		for _, ref := range v.revs[i].Objects {
			if seen[ref] || checked[ref] || (cands != nil && !cands[ref.Num]) {
				continue
			}
			checked[ref] = true
			o, err := view.Get(ref)
			if err != nil {
				continue
			}
			d, ok := o.(pdf.Dict)
			if !ok {
				continue
			}
			if _, hasBR := d["ByteRange"]; !hasBR {
				continue
			}
			if _, isStr := d["Contents"].(pdf.String); !isStr {
				continue
			}
			seen[ref] = true
			f := found{field: fmt.Sprintf("(no field: object %d)", ref.Num), ref: ref, dict: d, view: view, end: -1, orphan: true}
			if sv, sd := v.signedVersion(ref); sd != nil {
				f.dict, f.view = sd, sv
			}
			out = append(out, f)
		}
	}
	return out
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

// certInfo is the certification in force: the revision its signature
// covers and its DocMDP level.
type certInfo struct{ rev, p int }

// certification finds the certification signature: the catalog's
// /Perms /DocMDP in the earliest revision that has one, else the first
// signature whose own dictionary carries a DocMDP transform (the signer
// chose that level; a catalog without /Perms does not lift it).
func (v *verifier) certification(sigs []found) certInfo {
	for i := range v.revs {
		view, err := v.doc.Revision(i)
		if err != nil {
			continue
		}
		cat, err := view.Catalog()
		if err != nil {
			continue
		}
		perms, _ := view.GetDict(cat["Perms"])
		if perms == nil || perms["DocMDP"] == nil {
			continue
		}
		sig, _ := view.GetDict(perms["DocMDP"])
		if sig == nil {
			continue
		}
		p := view.DocMDPPermission(sig)
		if p == 0 {
			p = 2
		}
		return certInfo{rev: v.rangeRevision(sig), p: p}
	}
	for _, f := range sigs {
		if f.orphan {
			continue
		}
		if p := f.view.DocMDPPermission(f.dict); p > 0 {
			return certInfo{rev: v.rangeRevision(f.dict), p: p}
		}
		break // only the first signature may certify
	}
	return certInfo{rev: -1}
}

// rangeRevision is the revision a signature dictionary's /ByteRange ends
// with, or -1.
func (v *verifier) rangeRevision(sig pdf.Dict) int {
	if br, ok := sig["ByteRange"].(pdf.Array); ok && len(br) == 4 {
		c, _ := br[2].(pdf.Int)
		l, _ := br[3].(pdf.Int)
		return v.revisionEnding(int64(c) + int64(l))
	}
	return -1
}

func fieldLocks(doc *pdf.Document, sig pdf.Dict, field pdf.Dict) []changes.Lock {
	var locks []changes.Lock
	add := func(d pdf.Dict) {
		if d == nil {
			return
		}
		a, _ := d["Action"].(pdf.Name)
		if a == "" {
			return
		}
		l := changes.Lock{Action: string(a)}
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

func (v *verifier) signature(f found, cert certInfo) Signature {
	s := Signature{Field: f.field, Indication: TotalPassed, Revision: -1, Modification: changes.LevelNone, Orphan: f.orphan}
	d := f.dict
	s.SubFilter = string(nameOf(d["SubFilter"]))
	s.Reason = pdf.Text(d["Reason"])
	s.Location = pdf.Text(d["Location"])
	if t, ok := pdf.ParseDate(pdf.Text(d["M"])); ok {
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
	if f.orphan {
		s.warn("no signature field of any revision has this signature dictionary as its value: viewers do not show it, and it does not count towards the file's verdict")
	}
	if f.widgetOnly {
		s.warn("the signature's field is a widget on a page that the form's field tree (/AcroForm /Fields) does not list")
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
	if s.Revision >= 0 && !f.orphan {
		p := 0
		if cert.rev >= 0 && cert.rev <= s.Revision {
			p = cert.p
		}
		if s.Kind == "certification" && cert.rev >= 0 && cert.rev != s.Revision {
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
		mod, err := v.analyzer.After(s.Revision, changes.Policy{DocMDP: p, Locks: fieldLocks(f.view, d, fieldDict)})
		if err != nil {
			s.Modification = changes.LevelDisallowed
			s.fail(TotalFailed, FormatFailure, "cannot compare the signed revision with the final file: "+err.Error())
		} else {
			s.Modification = mod.Level
			s.Changes = mod.Changes
			s.Warnings = append(s.Warnings, mod.Warnings...)
			if mod.Level == changes.LevelDisallowed {
				var what []string
				for _, c := range mod.Changes {
					if !c.Allowed {
						what = append(what, c.Description)
					}
				}
				s.ModificationReason = mod.Reason()
				// Not FORMAT_FAILURE, which reads as a broken file: the
				// document a viewer shows is not the document that was
				// signed (ETSI EN 319 102-1's closest sub-indication).
				s.fail(TotalFailed, HashFailure, "the document was changed after this signature in a way that is not allowed: "+summarise(what))
			}
		}
		if v.trailingGarbage() {
			s.Modification = changes.LevelDisallowed
			if s.ModificationReason == "" {
				s.ModificationReason = "bytes after the last revision's %%EOF are not a valid incremental update"
			}
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

// hashBuffers hold the read buffers of hashRanges: an archive run hashes
// thousands of files, and a fresh 256 KiB buffer each time was a tenth of
// the time of verifying a small file (allocation and clearing).
var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// hashRanges hashes the two ranges with h.
func (v *verifier) hashRanges(h crypto.Hash, ranges [2][2]int64) ([]byte, error) {
	if !h.Available() {
		return nil, fmt.Errorf("hash %v unavailable", h)
	}
	bp := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(bp)
	buf := *bp
	feed := func(hh hash.Hash, from, to int64) error {
		for off := from; off < to; {
			if err := v.ctx.Err(); err != nil {
				return err
			}
			n := min(int64(len(buf)), to-off)
			m, err := v.r.ReadAt(buf[:n], off)
			hh.Write(buf[:m])
			off += int64(m)
			if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
				if v.ioErr == nil && !errors.Is(err, io.EOF) {
					v.ioErr = err
				}
				return &ioError{err}
			}
		}
		return nil
	}
	hh := h.New()
	first := 0
	if r := ranges[0]; r[0] == 0 && r[1] > 0 {
		// A signature's first range starts at 0 and ends where its
		// /Contents begins; a later signature's first range covers it.
		// Resume from the longest prefix hashed before (signatures are
		// verified in file order) and keep this one for the next.
		start := int64(0)
		if p, ok := v.prefixes[h]; ok && p.off <= r[1] {
			if c, ok := p.state.(hash.Cloner); ok {
				if cl, err := c.Clone(); err == nil {
					hh, start = cl, p.off
				}
			}
		}
		if err := feed(hh, start, r[1]); err != nil {
			return nil, err
		}
		if c, ok := hh.(hash.Cloner); ok {
			if cl, err := c.Clone(); err == nil {
				if v.prefixes == nil {
					v.prefixes = map[crypto.Hash]hashPrefix{}
				}
				v.prefixes[h] = hashPrefix{off: r[1], state: cl}
			}
		}
		first = 1
	}
	for _, rg := range ranges[first:] {
		if rg[1] <= rg[0] {
			continue
		}
		if err := feed(hh, rg[0], rg[1]); err != nil {
			return nil, err
		}
	}
	return hh.Sum(nil), nil
}

// hashPrefix is the state of a hash over the file's first off bytes.
type hashPrefix struct {
	off   int64
	state hash.Hash
}
