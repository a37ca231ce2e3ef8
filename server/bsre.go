package server

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"segel/pdf"
	"segel/signer"
	"segel/verify"
)

// A subset of the BSrE Esign Client API, so that applications already
// integrated with BSrE can point at segel in official mode: nik,
// passphrase and totp are the official's own Vault login. The mapping and
// every difference are in docs/bsre-compat.md.

func (s *Server) bsreRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/sign/pdf", s.limited(s.handleBSrESignV1, false))
	mux.HandleFunc("POST /api/v2/sign/pdf", s.limited(s.handleBSrESignV2, false))
	mux.HandleFunc("POST /api/v2/verify/pdf", s.limited(s.handleBSrEVerifyV2, false))
}

// bsreError answers in BSrE's error shape: {"error": ..., "status_code": ...}.
func bsreError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": msg, "status_code": status})
}

// bsreSign signs data for the official and returns the signed bytes and
// the document ID (the audit entry's request ID and sequence).
func (s *Server) bsreSign(r *http.Request, name string, data []byte, nik, passphrase, code string, opts signer.Options) ([]byte, string, int, error) {
	if _, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil); err != nil {
		return nil, "", http.StatusBadRequest, errors.New("the file is not a readable PDF")
	}
	sum := sha256.Sum256(data)
	d := &pendingDoc{ID: randomHex(16), Name: name, SHA256: hex.EncodeToString(sum[:]), Size: len(data), data: data}
	entry, out, err := s.officialSign(r, d, nik, passphrase, code, opts)
	if err != nil {
		status, _, en := officialRefusal(err)
		return nil, "", status, errors.New(en)
	}
	defer func() { out.Close(); os.Remove(out.Name()) }()
	out.Seek(0, io.SeekStart)
	signed, err := io.ReadAll(out)
	if err != nil {
		return nil, "", http.StatusInternalServerError, err
	}
	// id_dokumen: the document store's ID when documents are recorded
	// (its page is /v/ID), else the request's ID (in the audit log).
	return signed, cmp.Or(state(r).document, entry.RequestID), http.StatusOK, nil
}

// bsreAppearance refuses what segel cannot do yet: a visible signature
// drawn at coordinates (segel signs existing fields, visible or not).
func bsreAppearance(tampilan, field string) error {
	switch strings.ToLower(tampilan) {
	case "", "invisible":
		return nil
	case "visible":
		if field != "" {
			return nil
		}
		return errors.New("tampilan=visible at page/xAxis/yAxis is not supported: name an existing signature field (field), or use tampilan=invisible")
	default:
		return errors.New("tampilan must be visible or invisible")
	}
}

func (s *Server) handleBSrESignV1(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Limits.MaxBody)+multipartSlack)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		bsreError(w, http.StatusBadRequest, "the multipart form could not be read or is too large")
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("file")
	if err != nil {
		bsreError(w, http.StatusBadRequest, "file is required")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(s.cfg.Limits.MaxBody)+1))
	if err != nil || len(data) > int(s.cfg.Limits.MaxBody) {
		bsreError(w, http.StatusRequestEntityTooLarge, "file is too large")
		return
	}
	field := r.FormValue("field")
	if err := bsreAppearance(r.FormValue("tampilan"), field); err != nil {
		bsreError(w, http.StatusBadRequest, err.Error())
		return
	}
	signed, id, status, err := s.bsreSign(r, hdr.Filename, data, r.FormValue("nik"), r.FormValue("passphrase"), r.FormValue("totp"),
		signer.Options{Field: field, Reason: r.FormValue("reason"), Location: r.FormValue("location")})
	if err != nil {
		bsreError(w, status, err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("id_dokumen", id)
	h.Set("Content-Disposition", `attachment; filename="`+signedName(hdr.Filename)+`"`)
	w.WriteHeader(http.StatusOK)
	w.Write(signed)
}

// bsreV2Sign is the JSON body of POST /api/v2/sign/pdf.
type bsreV2Sign struct {
	NIK                 string           `json:"nik"`
	Email               string           `json:"email"`
	Passphrase          string           `json:"passphrase"`
	TOTP                string           `json:"totp"`
	File                []string         `json:"file"`
	SignatureProperties []bsreV2SigProps `json:"signatureProperties"`
}

type bsreV2SigProps struct {
	Tampilan string `json:"tampilan"`
	Field    string `json:"field"`
	Reason   string `json:"reason"`
	Location string `json:"location"`
}

func (s *Server) handleBSrESignV2(w http.ResponseWriter, r *http.Request) {
	// base64 makes the body 4/3 of the documents.
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Limits.MaxBody)*4/3+64<<10)
	var req bsreV2Sign
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		bsreError(w, http.StatusBadRequest, "the JSON body could not be read or is too large")
		return
	}
	user := req.NIK
	if user == "" {
		user = req.Email
	}
	if len(req.File) != 1 {
		bsreError(w, http.StatusBadRequest, "file must hold exactly one base64 PDF (one signing request per document)")
		return
	}
	var props bsreV2SigProps
	if len(req.SignatureProperties) > 0 {
		props = req.SignatureProperties[0]
	}
	if err := bsreAppearance(props.Tampilan, props.Field); err != nil {
		bsreError(w, http.StatusBadRequest, err.Error())
		return
	}
	data, err := base64.StdEncoding.DecodeString(req.File[0])
	if err != nil {
		bsreError(w, http.StatusBadRequest, "file is not base64")
		return
	}
	signed, id, status, err := s.bsreSign(r, "document.pdf", data, user, req.Passphrase, req.TOTP,
		signer.Options{Field: props.Field, Reason: props.Reason, Location: props.Location})
	if err != nil {
		bsreError(w, status, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("id_dokumen", id)
	json.NewEncoder(w).Encode(map[string]any{
		"file": []string{base64.StdEncoding.EncodeToString(signed)}, "id_dokumen": []string{id},
		"time": time.Now().UnixMilli(),
	})
}

// bsreV2Verify is the JSON body of POST /api/v2/verify/pdf.
type bsreV2Verify struct {
	File     string `json:"file"`
	Password string `json:"password"`
}

func (s *Server) handleBSrEVerifyV2(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, int64(s.cfg.Limits.MaxBody)*4/3+64<<10)
	var req bsreV2Verify
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		bsreError(w, http.StatusBadRequest, "the JSON body could not be read or is too large")
		return
	}
	data, err := base64.StdEncoding.DecodeString(req.File)
	if err != nil {
		bsreError(w, http.StatusBadRequest, "file is not base64")
		return
	}
	pool, _, e := s.trustPool("")
	if e != nil {
		bsreError(w, e.status, e.msg)
		return
	}
	rep, err := verify.File(r.Context(), "document.pdf", bytes.NewReader(data), int64(len(data)), verify.Options{Roots: pool, Cache: s.vcache})
	if err != nil {
		bsreError(w, http.StatusBadRequest, "the file could not be verified: "+err.Error())
		return
	}
	type sigInfo struct {
		ID                 int        `json:"id"`
		SignatureFormat    string     `json:"signatureFormat"`
		SignerName         string     `json:"signerName"`
		SignatureDate      *time.Time `json:"signatureDate,omitempty"`
		FieldName          string     `json:"fieldName"`
		IntegrityValid     bool       `json:"integrityValid"`
		CertificateTrusted bool       `json:"certificateTrusted"`
		Indication         string     `json:"indication"`
	}
	infos := []sigInfo{}
	for i, sg := range rep.Signatures {
		infos = append(infos, sigInfo{ID: i + 1, SignatureFormat: "PAdES-BASELINE-" + strings.TrimPrefix(sg.Level, "B-"), SignerName: sg.Signer,
			SignatureDate: sg.ClaimedTime, FieldName: sg.Field, IntegrityValid: sg.Intact && sg.Valid, CertificateTrusted: sg.Trusted, Indication: sg.Indication})
	}
	conclusion := "INVALID"
	switch {
	case len(rep.Signatures) == 0:
		conclusion = "NO_SIGNATURE"
	case rep.Indication == verify.TotalPassed:
		conclusion = "VALID"
	case rep.Indication == verify.Indeterminate:
		conclusion = "WARNING"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"conclusion": conclusion, "description": rep.Indication, "signatureCount": len(rep.Signatures),
		"signatureInformations": infos, "report": rep,
	})
}
