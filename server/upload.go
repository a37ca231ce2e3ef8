package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// options are the request options: from the query string, multipart text
// fields, or a multipart "options" JSON part (in increasing precedence).
type options struct {
	Key      string `json:"key"`
	Field    string `json:"field"`
	Reason   string `json:"reason"`
	Location string `json:"location"`
	Contact  string `json:"contact"`
	Name     string `json:"name"`
	Certify  int    `json:"certify"`
	Trust    string `json:"trust"`
	Lang     string `json:"lang"`
	Level    string `json:"level"`
	// The stamp (see signer.Stamp): layout, the signer's particulars,
	// the time zone, and for a new visible field its page and rectangle.
	Stamp         string `json:"stamp"`
	StampName     string `json:"stamp_name"`
	StampJabatan  string `json:"stamp_jabatan"`
	StampNIP      string `json:"stamp_nip"`
	StampInstansi string `json:"stamp_instansi"`
	TZ            string `json:"tz"`
	Page          int    `json:"page"`
	Rect          string `json:"rect"`
	// A new visible field at a text marker (see signer.Options.Anchor).
	Anchor      string `json:"anchor"`
	AnchorSize  string `json:"anchor_size"`
	AnchorIndex int    `json:"anchor_index"`
}

// maxOption bounds one option's length.
const maxOption = 1024

// set sets one option by name from text.
func (o *options) set(name, v string) *apiError {
	if len(v) > maxOption {
		return errorf(http.StatusBadRequest, "bad_option", "option %q is longer than %d bytes", name, maxOption)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) }) {
		return errorf(http.StatusBadRequest, "bad_option", "option %q must be UTF-8 text without control characters", name)
	}
	switch name {
	case "key":
		o.Key = v
	case "field":
		o.Field = v
	case "reason":
		o.Reason = v
	case "location":
		o.Location = v
	case "contact":
		o.Contact = v
	case "name":
		o.Name = v
	case "trust":
		o.Trust = v
	case "lang":
		o.Lang = v
	case "level":
		o.Level = strings.ToUpper(strings.TrimSpace(v))
	case "stamp":
		o.Stamp = strings.ToLower(strings.TrimSpace(v))
	case "stamp_name":
		o.StampName = v
	case "stamp_jabatan":
		o.StampJabatan = v
	case "stamp_nip":
		o.StampNIP = v
	case "stamp_instansi":
		o.StampInstansi = v
	case "tz":
		o.TZ = strings.ToUpper(strings.TrimSpace(v))
	case "rect":
		o.Rect = v
	case "anchor":
		o.Anchor = v
	case "anchor_size":
		o.AnchorSize = v
	case "anchor_index":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errorf(http.StatusBadRequest, "bad_option", "anchor_index must be a number from 1")
		}
		o.AnchorIndex = n
	case "page":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errorf(http.StatusBadRequest, "bad_option", "page must be a page number from 1")
		}
		o.Page = n
	case "certify":
		if v == "" {
			o.Certify = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3 {
			return errorf(http.StatusBadRequest, "bad_option", "certify must be 1, 2 or 3 (0 or empty: an approval signature)")
		}
		o.Certify = n
	default:
		return errorf(http.StatusBadRequest, "bad_option", "unknown option %q (known: key, field, reason, location, contact, name, certify, level, stamp, stamp_name, stamp_jabatan, stamp_nip, stamp_instansi, tz, page, rect, anchor, anchor_size, anchor_index, trust, lang)", name)
	}
	return nil
}

// fromJSON merges an "options" JSON object.
func (o *options) fromJSON(data []byte) *apiError {
	var in map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return errorf(http.StatusBadRequest, "bad_options", "the options part is not a JSON object: %v", err)
	}
	for k, raw := range in {
		var v string
		if k == "certify" || k == "anchor_index" {
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				if err := json.Unmarshal(raw, &v); err != nil {
					return errorf(http.StatusBadRequest, "bad_options", "options.%s must be a number", k)
				}
			} else {
				v = n.String()
			}
		} else if err := json.Unmarshal(raw, &v); err != nil {
			return errorf(http.StatusBadRequest, "bad_options", "options.%s must be a string", k)
		}
		if e := o.set(k, v); e != nil {
			return e
		}
	}
	return nil
}

// upload is a received document and its options.
type upload struct {
	doc      *spool
	filename string
	sha256   string
	opts     options
}

func (u *upload) Close() {
	if u.doc != nil {
		u.doc.Close()
	}
}

// readUpload reads the request's document into a spool while hashing it.
// The body is either the PDF itself (application/pdf or
// application/octet-stream, options in the query string) or
// multipart/form-data with a "file" part and options as text parts or an
// "options" JSON part. check, when not nil, is called with the options as
// soon as they are known and before the document is read when possible
// (always for a plain body; for multipart when the options come before
// the file), and again at the end; its error stops the upload.
func (s *Server) readUpload(r *http.Request, check func(*options) *apiError) (*upload, *apiError) {
	u := &upload{}
	q := r.URL.Query()
	for k, vs := range q {
		if len(vs) > 0 {
			if e := u.opts.set(k, vs[len(vs)-1]); e != nil {
				return nil, e
			}
		}
	}
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "application/pdf", nil
	}
	if err != nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "bad_content_type", "Content-Type %q is not valid: send application/pdf or multipart/form-data", ct)
	}
	switch mt {
	case "application/pdf", "application/octet-stream":
		if check != nil {
			if e := check(&u.opts); e != nil {
				return nil, e
			}
		}
		if e := s.readDocument(r, u, r.Body); e != nil {
			u.Close()
			return nil, e
		}
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, errorf(http.StatusBadRequest, "bad_multipart", "multipart/form-data without a boundary")
		}
		if e := s.readMultipart(r, u, check); e != nil {
			u.Close()
			return nil, e
		}
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, "bad_content_type", "Content-Type %s is not accepted: send the PDF as application/pdf, or as the \"file\" part of multipart/form-data", mt)
	}
	if check != nil {
		if e := check(&u.opts); e != nil {
			u.Close()
			return nil, e
		}
	}
	return u, nil
}

func (s *Server) readMultipart(r *http.Request, u *upload, check func(*options) *apiError) *apiError {
	mr, err := r.MultipartReader()
	if err != nil {
		return errorf(http.StatusBadRequest, "bad_multipart", "reading the multipart body: %v", err)
	}
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bodyError(err, s)
		}
		if parts >= 32 {
			return errorf(http.StatusBadRequest, "bad_multipart", "too many parts in the multipart body")
		}
		name := p.FormName()
		switch {
		case name == "file":
			if u.doc != nil {
				return errorf(http.StatusBadRequest, "bad_multipart", "more than one \"file\" part")
			}
			u.filename = cleanFilename(p.FileName())
			if check != nil && u.opts != (options{}) {
				if e := check(&u.opts); e != nil {
					return e
				}
			}
			if e := s.readDocument(r, u, p); e != nil {
				return e
			}
		case name == "options":
			data, e := readSmall(p, 64<<10, s)
			if e != nil {
				return e
			}
			if e := u.opts.fromJSON(data); e != nil {
				return e
			}
		case name != "":
			data, e := readSmall(p, maxOption, s)
			if e != nil {
				return e
			}
			if e := u.opts.set(name, string(data)); e != nil {
				return e
			}
		}
		p.Close()
	}
	if u.doc == nil {
		return errorf(http.StatusBadRequest, "no_file", "the multipart body has no \"file\" part with the PDF")
	}
	return nil
}

func readSmall(r io.Reader, limit int64, s *Server) ([]byte, *apiError) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, bodyError(err, s)
	}
	if int64(len(data)) > limit {
		return nil, errorf(http.StatusBadRequest, "bad_option", "a form field is longer than %d bytes", limit)
	}
	return data, nil
}

// readDocument spools the document from body, hashing it, and checks
// that it looks like a PDF.
func (s *Server) readDocument(r *http.Request, u *upload, body io.Reader) *apiError {
	sp := newSpool(s.cfg.Limits.TempDir, int64(s.cfg.Limits.MemoryBuffer))
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(sp, h), body)
	if err != nil {
		sp.Close()
		return bodyError(err, s)
	}
	if n > int64(s.cfg.Limits.MaxBody) {
		sp.Close()
		s.m.rejected.WithLabelValues("body_too_large").Inc()
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "%s", s.tooLargeMessage())
	}
	u.doc = sp
	u.sha256 = hex.EncodeToString(h.Sum(nil))
	state(r).input = u.sha256
	if n == 0 {
		return errorf(http.StatusBadRequest, "empty", "the request has no document: send the PDF as the body (application/pdf) or as the \"file\" part of multipart/form-data")
	}
	head := make([]byte, 1024)
	k, _ := sp.ReadAt(head, 0)
	if !bytes.Contains(head[:k], []byte("%PDF-")) {
		return errorf(http.StatusBadRequest, "not_pdf", "the document is not a PDF file: it has no %%PDF- header in its first 1024 bytes (send the PDF file itself, not a link, form or encoded text)")
	}
	return nil
}

// bodyError turns a body read error into an answer: 413 when the body
// limit was hit.
func bodyError(err error, s *Server) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.m.rejected.WithLabelValues("body_too_large").Inc()
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "%s", s.tooLargeMessage())
	}
	return errorf(http.StatusBadRequest, "bad_body", "reading the request body: %v", err)
}

// cleanFilename keeps the base name of an uploaded file, printable and
// short, for reports.
func cleanFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" {
		name = ""
	}
	if len(name) > 200 {
		name = name[:200]
		for !utf8.ValidString(name) {
			name = name[:len(name)-1]
		}
	}
	return name
}
