package server

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"segel/verify"
)

// The verify page: a plain HTML form (no JavaScript, no outside assets)
// that posts the PDF to /v1/verify/page, which answers with the same page
// and the result. Both Indonesian and English; the language comes from
// ?lang=id|en, else Accept-Language, else Indonesian.

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

var (
	pageTmpl = template.Must(template.New("page").Parse(pageHTML))
	// pageCSP allows nothing but the page's own inline style and form.
	pageCSP = func() string {
		sum := sha256.Sum256([]byte(pageCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	}()
)

// texts are the words of the page in one language.
type texts struct {
	Lang, OtherLang, OtherLangName          string
	Title, Intro, FileLabel, FileHint       string
	TrustLabel, NoTrust, Submit             string
	ResultHeading, SigHeading, Field, Kind  string
	SignedBy, When, Changed, Trusted        string
	Reason, Location, Verdict, Details      string
	FileName, Digest, Indication, Revisions string
	Errors, Warnings, ChangesList, Footer   string
	NoSigner, LanguageNav, TrustSet         string

	headline, explain               map[string]string
	claimed, proven, notStated      string
	changedAltered, changedBad      string
	changedAllowed, changedNone     string
	changedUnknown, trustedYes      string
	trustedNo, trustedUnchecked     string
	allowedChange, signerBroken     string
	notAllowedChange                string
	kindApproval, kindCertify       string
	kindTimestamp, months           string
	noteOffline                     string
	errBusy, errTooLarge, errNotPDF string
	errEmpty, errNoFile, errAuth    string
	errGeneric                      string
}

var pageTexts = map[string]*texts{
	"id": {
		Lang: "id", OtherLang: "en", OtherLangName: "English",
		Title:         "Periksa tanda tangan elektronik PDF",
		Intro:         "Unggah dokumen PDF untuk memeriksa setiap tanda tangan elektroniknya: siapa yang menandatangani, kapan, apakah dokumen berubah setelah ditandatangani, dan apakah sertifikatnya tepercaya.",
		FileLabel:     "Dokumen PDF",
		FileHint:      "Paling besar %s. Dokumen hanya diperiksa dan tidak disimpan.",
		TrustLabel:    "Daftar sertifikat akar tepercaya",
		NoTrust:       "Server ini tidak memiliki sertifikat akar tepercaya, sehingga tidak ada tanda tangan yang dapat dinyatakan tepercaya.",
		Submit:        "Periksa dokumen",
		ResultHeading: "Hasil pemeriksaan",
		SigHeading:    "Tanda tangan %d dari %d",
		Field:         "Kolom tanda tangan",
		Kind:          "Jenis",
		SignedBy:      "Ditandatangani oleh",
		When:          "Waktu penandatanganan",
		Changed:       "Dokumen berubah setelah ditandatangani?",
		Trusted:       "Rantai sertifikat tepercaya?",
		Reason:        "Alasan",
		Location:      "Lokasi",
		Verdict:       "Hasil",
		Details:       "Rincian teknis",
		FileName:      "Berkas",
		Digest:        "SHA-256 berkas",
		Indication:    "Indikasi (ETSI EN 319 102-1)",
		Revisions:     "Jumlah revisi",
		Errors:        "Kesalahan",
		Warnings:      "Peringatan",
		ChangesList:   "Perubahan setelah tanda tangan ini",
		Footer:        "Diperiksa oleh segel. Hasil ini adalah pemeriksaan teknis, bukan keputusan hukum.",
		NoSigner:      "tidak diketahui",
		LanguageNav:   "Bahasa",
		TrustSet:      "Akar tepercaya yang dipakai",
		headline: map[string]string{
			verify.TotalPassed:      "Semua tanda tangan sah",
			verify.Indeterminate:    "Keabsahan belum dapat dipastikan",
			verify.TotalFailed:      "Tanda tangan TIDAK sah",
			verify.NoSignatureFound: "Tidak ada tanda tangan",
		},
		explain: map[string]string{
			verify.TotalPassed:      "Setiap tanda tangan utuh, cocok dengan sertifikat penanda tangan, dan rantai sertifikatnya tepercaya. Dokumen tidak diubah setelah ditandatangani, kecuali perubahan yang diizinkan.",
			verify.Indeterminate:    "Tanda tangan tidak terbukti rusak, tetapi keabsahannya belum dapat dipastikan — biasanya karena sertifikat penanda tangan tidak berantai ke akar tepercaya, atau sudah kedaluwarsa.",
			verify.TotalFailed:      "Dokumen telah diubah setelah ditandatangani, atau ada tanda tangan yang rusak. Jangan mengandalkan dokumen ini.",
			verify.NoSignatureFound: "Dokumen ini tidak memuat tanda tangan elektronik.",
		},
		claimed:          "menurut penanda tangan; tidak dibuktikan",
		proven:           "dibuktikan oleh cap waktu yang terverifikasi",
		notStated:        "tidak tercantum",
		changedAltered:   "Ya — isi yang ditandatangani telah diubah",
		changedBad:       "Ya — ada perubahan yang tidak diizinkan",
		changedAllowed:   "Hanya perubahan yang diizinkan (misalnya tanda tangan berikutnya)",
		changedNone:      "Tidak",
		changedUnknown:   "Tidak dapat ditentukan",
		trustedYes:       "Ya",
		trustedNo:        "Tidak — sertifikat tidak berantai ke akar tepercaya",
		trustedUnchecked: "Tidak diperiksa — tanda tangannya sendiri rusak",
		signerBroken:     "tidak diketahui — tanda tangan rusak, sehingga penanda tangan tidak dapat dipastikan",
		allowedChange:    "diizinkan",
		notAllowedChange: "TIDAK diizinkan",
		kindApproval:     "persetujuan",
		kindCertify:      "sertifikasi (DocMDP P=%d)",
		kindTimestamp:    "cap waktu dokumen",
		months:           "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
		noteOffline:      "Status pencabutan sertifikat hanya diperiksa dengan data yang tersimpan di dalam dokumen; layanan ini tidak menghubungi server OCSP atau CRL.",
		errBusy:          "Server sedang memeriksa banyak dokumen. Silakan coba lagi sebentar lagi.",
		errTooLarge:      "Dokumen terlalu besar (paling besar %s).",
		errNotPDF:        "Berkas yang diunggah bukan dokumen PDF.",
		errEmpty:         "Tidak ada dokumen yang diunggah. Pilih berkas PDF terlebih dahulu.",
		errNoFile:        "Tidak ada dokumen yang diunggah. Pilih berkas PDF terlebih dahulu.",
		errAuth:          "Pemeriksaan di server ini memerlukan autentikasi (sertifikat klien).",
		errGeneric:       "Dokumen tidak dapat diperiksa: %s",
	},
	"en": {
		Lang: "en", OtherLang: "id", OtherLangName: "Bahasa Indonesia",
		Title:         "Check the electronic signatures of a PDF",
		Intro:         "Upload a PDF document to check each of its electronic signatures: who signed, when, whether the document changed after signing, and whether the certificate is trusted.",
		FileLabel:     "PDF document",
		FileHint:      "At most %s. The document is only checked, never stored.",
		TrustLabel:    "Trusted root certificates",
		NoTrust:       "This server has no trusted root certificates, so no signature can be shown as trusted.",
		Submit:        "Check document",
		ResultHeading: "Result",
		SigHeading:    "Signature %d of %d",
		Field:         "Signature field",
		Kind:          "Kind",
		SignedBy:      "Signed by",
		When:          "Signing time",
		Changed:       "Document changed after signing?",
		Trusted:       "Certificate chain trusted?",
		Reason:        "Reason",
		Location:      "Location",
		Verdict:       "Result",
		Details:       "Technical details",
		FileName:      "File",
		Digest:        "File SHA-256",
		Indication:    "Indication (ETSI EN 319 102-1)",
		Revisions:     "Revisions",
		Errors:        "Errors",
		Warnings:      "Warnings",
		ChangesList:   "Changes after this signature",
		Footer:        "Checked by segel. This is a technical check, not a legal decision.",
		NoSigner:      "unknown",
		LanguageNav:   "Language",
		TrustSet:      "Trusted roots used",
		headline: map[string]string{
			verify.TotalPassed:      "All signatures are valid",
			verify.Indeterminate:    "Validity cannot be confirmed",
			verify.TotalFailed:      "Signature NOT valid",
			verify.NoSignatureFound: "No signature found",
		},
		explain: map[string]string{
			verify.TotalPassed:      "Every signature is intact, matches the signer's certificate, and its certificate chain is trusted. The document was not changed after signing, except in allowed ways.",
			verify.Indeterminate:    "No signature is shown to be broken, but validity cannot be confirmed — usually because the signer's certificate does not chain to a trusted root, or has expired.",
			verify.TotalFailed:      "The document was changed after it was signed, or a signature is broken. Do not rely on this document.",
			verify.NoSignatureFound: "This document carries no electronic signature.",
		},
		claimed:          "as claimed by the signer; not proven",
		proven:           "proven by a verified timestamp",
		notStated:        "not stated",
		changedAltered:   "Yes — the signed content was altered",
		changedBad:       "Yes — changes that are not allowed",
		changedAllowed:   "Only allowed changes (such as later signatures)",
		changedNone:      "No",
		changedUnknown:   "Cannot be determined",
		trustedYes:       "Yes",
		trustedNo:        "No — the certificate does not chain to a trusted root",
		trustedUnchecked: "Not checked — the signature itself is broken",
		signerBroken:     "unknown — the signature is broken, so its signer cannot be established",
		allowedChange:    "allowed",
		notAllowedChange: "NOT allowed",
		kindApproval:     "approval",
		kindCertify:      "certification (DocMDP P=%d)",
		kindTimestamp:    "document timestamp",
		months:           "January February March April May June July August September October November December",
		noteOffline:      "Certificate revocation is checked only against the data stored in the document; this service does not contact OCSP or CRL servers.",
		errBusy:          "The server is checking many documents right now. Please try again in a moment.",
		errTooLarge:      "The document is too large (at most %s).",
		errNotPDF:        "The uploaded file is not a PDF document.",
		errEmpty:         "No document was uploaded. Choose a PDF file first.",
		errNoFile:        "No document was uploaded. Choose a PDF file first.",
		errAuth:          "Verification on this server needs authentication (a client certificate).",
		errGeneric:       "The document cannot be checked: %s",
	},
}

// pageData is what the template shows.
type pageData struct {
	T         *texts
	CSS       template.CSS
	FileHint  string
	TrustSets []string
	Trust     string
	Error     string
	Result    *pageResult
	// Action is where the form posts (the verify page's own when empty);
	// Doc, on /v/{id}, the recorded document.
	Action string
	Doc    *docView
}

type pageResult struct {
	File, SHA256, TrustSet       string
	Indication, SubIndication    string
	Class, Icon, Headline        string
	Explanation, ValidationTime  string
	Revisions                    int
	Errors, Warnings             []string
	Signatures                   []pageSig
	HasSignatures, ManySignature bool
}

type pageSig struct {
	Heading, Field, Kind, Signer string
	SignerName, SignerOrg        string
	When, WhenNote               string
	Changed, ChangedClass        string
	Changes                      []string
	Trusted, TrustedClass, Chain string
	Reason, Location             string
	Indication, Class, Icon      string
	Errors, Warnings             []string
	// Notes are the page's words for the verifier's facts.
	Notes []string
}

// pickLang chooses the page language.
func pickLang(r *http.Request) string {
	switch l := strings.ToLower(r.URL.Query().Get("lang")); l {
	case "id", "en":
		return l
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "id"), strings.HasPrefix(tag, "in"):
			return "id"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "id"
}

func (s *Server) newPageData(r *http.Request) *pageData {
	t := pageTexts[pickLang(r)]
	d := &pageData{
		T:         t,
		CSS:       template.CSS(pageCSS),
		FileHint:  fmt.Sprintf(t.FileHint, humanSize(int64(s.cfg.Limits.MaxBody))),
		TrustSets: s.trustList,
		Trust:     r.URL.Query().Get("trust"),
	}
	if d.Trust == "" {
		d.Trust = s.cfg.Verify.DefaultTrust
	}
	return d
}

// renderPage writes the page with the given status.
func (s *Server) renderPage(w http.ResponseWriter, status int, d *pageData) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		s.log.Error("rendering the verify page failed", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Language", d.T.Lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// handlePage is GET /v1/verify: the upload form.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, s.newPageData(r))
}

// pageError renders the page with an error message instead of JSON.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	state(r).code = code
	d := s.newPageData(r)
	t := d.T
	switch code {
	case "busy":
		d.Error = t.errBusy
	case "too_large":
		d.Error = fmt.Sprintf(t.errTooLarge, humanSize(int64(s.cfg.Limits.MaxBody)))
	case "not_pdf":
		d.Error = t.errNotPDF
	case "empty":
		d.Error = t.errEmpty
	case "no_file":
		d.Error = t.errNoFile
	case "unauthenticated":
		d.Error = t.errAuth
	default:
		d.Error = fmt.Sprintf(t.errGeneric, msg)
	}
	s.renderPage(w, status, d)
}

// handlePagePost is POST /v1/verify/page: verify the uploaded PDF and
// show the result.
func (s *Server) handlePagePost(w http.ResponseWriter, r *http.Request) {
	rep, up, e := s.verifyUpload(r)
	if up != nil {
		defer up.Close()
	}
	if e != nil {
		s.pageError(w, r, e.status, e.code, e.msg)
		return
	}
	d := s.newPageData(r)
	if up.opts.Trust != "" {
		d.Trust = up.opts.Trust
	}
	d.Result = pageReport(d.T, rep, up, d.Trust)
	s.renderPage(w, http.StatusOK, d)
}

func verdictStyle(ind string) (class, icon string) {
	switch ind {
	case verify.TotalPassed:
		return "ok", "✓"
	case verify.TotalFailed:
		return "bad", "✗"
	case verify.NoSignatureFound:
		return "none", "–"
	}
	return "warn", "?"
}

// pageReport turns a verification report into the page's words.
func pageReport(t *texts, rep *verify.Report, up *upload, trust string) *pageResult {
	res := &pageResult{
		File: rep.File, SHA256: up.sha256, TrustSet: trust,
		Indication: rep.Indication, SubIndication: rep.SubIndication,
		Headline: t.headline[rep.Indication], Explanation: t.explain[rep.Indication],
		ValidationTime: t.formatTime(rep.ValidationTime),
		Revisions:      rep.Revisions, Errors: rep.Errors, Warnings: rep.Warnings,
		HasSignatures: len(rep.Signatures) > 0,
	}
	if res.Headline == "" {
		res.Headline = rep.Indication
	}
	res.Class, res.Icon = verdictStyle(rep.Indication)
	for i, sg := range rep.Signatures {
		ps := pageSig{
			Heading: fmt.Sprintf(t.SigHeading, i+1, len(rep.Signatures)),
			Field:   sg.Field, Signer: sg.Signer, Reason: sg.Reason, Location: sg.Location,
			Indication: sg.Indication, Errors: sg.Errors, Warnings: sg.Warnings,
		}
		if sg.SubIndication != "" {
			ps.Indication += " / " + sg.SubIndication
		}
		if ps.Signer == "" {
			ps.SignerName = t.NoSigner
			if !sg.Intact || !sg.Valid {
				ps.Signer = t.signerBroken
			} else {
				ps.Signer = t.NoSigner
			}
		} else {
			dn := parseDN(sg.Signer)
			ps.SignerName, ps.SignerOrg = dn["CN"], dn["O"]
			if ps.SignerName == "" {
				ps.SignerName = sg.Signer
			}
		}
		ps.Class, ps.Icon = verdictStyle(sg.Indication)
		switch sg.Kind {
		case "certification":
			ps.Kind = fmt.Sprintf(t.kindCertify, sg.DocMDP)
		case "document-timestamp":
			ps.Kind = t.kindTimestamp
		default:
			ps.Kind = t.kindApproval
		}
		switch {
		case sg.TimestampTime != nil:
			ps.When, ps.WhenNote = t.formatTime(*sg.TimestampTime), t.proven
		case sg.ClaimedTime != nil:
			ps.When, ps.WhenNote = t.formatTime(*sg.ClaimedTime), t.claimed
		default:
			ps.When = t.notStated
		}
		switch {
		case !sg.Intact:
			ps.Changed, ps.ChangedClass = t.changedAltered, "bad"
		case sg.Coverage == verify.CoverageAnomalous:
			ps.Changed, ps.ChangedClass = t.changedUnknown, "warn"
		case sg.Modification == "disallowed":
			ps.Changed, ps.ChangedClass = t.changedBad, "bad"
		case sg.Modification == "allowed":
			ps.Changed, ps.ChangedClass = t.changedAllowed, "ok"
		default:
			ps.Changed, ps.ChangedClass = t.changedNone, "ok"
		}
		for _, c := range sg.Changes {
			ps.Changes = append(ps.Changes, changeText(t, c))
		}
		switch {
		case sg.Trusted:
			ps.Trusted, ps.TrustedClass = t.trustedYes, "ok"
		case len(sg.Chain) == 0 && (!sg.Intact || !sg.Valid):
			ps.Trusted, ps.TrustedClass = t.trustedUnchecked, "warn"
		default:
			ps.Trusted, ps.TrustedClass = t.trustedNo, "bad"
		}
		var chain []string
		for _, c := range sg.Chain {
			if cn := parseDN(c)["CN"]; cn != "" {
				c = cn
			}
			chain = append(chain, c)
		}
		ps.Chain = strings.Join(chain, " → ")
		if sg.HasFact(verify.FactNoTrustRoots) {
			ps.Notes = append(ps.Notes, t.NoTrust)
		}
		if sg.HasFact(verify.FactRevocationOffline) {
			ps.Notes = append(ps.Notes, t.noteOffline)
		}
		res.Signatures = append(res.Signatures, ps)
	}
	res.ManySignature = len(res.Signatures) > 1
	return res
}

// formatTime writes a time in the page's language, in the time's own
// zone: "27 November 2026, 10:00:00 UTC+07:00".
func (t *texts) formatTime(tm time.Time) string {
	months := strings.Fields(t.months)
	_, off := tm.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%d %s %d, %s UTC%s%02d:%02d", tm.Day(), months[tm.Month()-1], tm.Year(),
		tm.Format("15:04:05"), sign, off/3600, off%3600/60)
}

// parseDN splits an RFC 4514 distinguished name ("CN=a,O=b\\,c,C=ID")
// into its attributes, keeping the first value of each type.
func parseDN(dn string) map[string]string {
	out := map[string]string{}
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(dn); i++ {
		switch c := dn[i]; {
		case c == '\\' && i+1 < len(dn):
			cur.WriteByte(dn[i+1])
			i++
		case c == ',' || c == '+':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if k = strings.ToUpper(strings.TrimSpace(k)); ok && out[k] == "" {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// changeKindsID says in Indonesian what each kind of change is; the
// English page shows the verifier's own sentence.
var changeKindsID = map[string]string{
	verify.ChangeSignature:   "tanda tangan ditambahkan atau kolom tanda tangan diubah",
	verify.ChangeTimestamp:   "cap waktu dokumen ditambahkan",
	verify.ChangeDSS:         "data validasi jangka panjang (/DSS) diubah",
	verify.ChangeMetadata:    "metadata dokumen diperbarui",
	verify.ChangeFormFill:    "isian atau tampilan kolom formulir diubah",
	verify.ChangeAnnotation:  "anotasi ditambahkan, diubah atau dihapus",
	verify.ChangePageContent: "isi halaman diubah",
	verify.ChangePageTree:    "susunan halaman diubah (halaman ditambah, dihapus atau diganti)",
	verify.ChangeResources:   "sumber daya halaman (huruf, gambar, objek gambar) diubah",
	verify.ChangeSigDict:     "tanda tangan yang sudah ada diubah",
	verify.ChangeCatalog:     "katalog dokumen diubah",
	verify.ChangeAcroForm:    "pengaturan formulir diubah",
	verify.ChangeFreed:       "objek yang dipakai dokumen dihapus",
	verify.ChangeStructure:   "struktur logis dokumen diperbarui",
	verify.ChangeHiddenRef:   "rujukan tersembunyi diaktifkan",
}

// changeText writes one change after a signature in the page's language.
func changeText(t *texts, c verify.Change) string {
	mark := t.allowedChange
	if !c.Allowed {
		mark = t.notAllowedChange
	}
	if t.Lang != "id" {
		return mark + ": " + c.Description
	}
	what, ok := changeKindsID[c.Kind]
	if !ok {
		what = "bagian lain dokumen diubah"
	}
	where := []string{fmt.Sprintf("revisi %d", c.Revision+1)}
	if c.Page > 0 {
		where = append(where, fmt.Sprintf("halaman %d", c.Page))
	}
	if c.Object != "" && c.Object != "document" && c.Object != "trailer" {
		where = append(where, "objek "+c.Object)
	}
	return mark + ": " + what + " (" + strings.Join(where, ", ") + ")"
}
