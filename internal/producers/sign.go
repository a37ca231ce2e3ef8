package producers

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"segel/internal/cms"
	"segel/pdf"
)

// brSlot is the width of the three /ByteRange numbers' slot after "0 ".
const brSlot = 3 * 11

// sigRequest describes one signature or document timestamp written by
// [signUpdate].
type sigRequest struct {
	// entries go into the signature dictionary after /ByteRange and
	// /Contents (PDF syntax, e.g. "/Type /Sig /Filter /Adobe.PPKLite").
	entries string
	// reserve is the size of the /Contents placeholder in bytes.
	reserve int
	// contents returns the DER value of /Contents for the SHA-256 digest
	// of the signed bytes.
	contents func(digest []byte) ([]byte, error)
	// place adds the objects that refer to the signature dictionary (the
	// field, the AcroForm, ...) to u; nil leaves the dictionary orphaned.
	place func(doc *pdf.Document, u *pdf.Update, sig pdf.Ref) error
	// readAs, when set, is parsed instead of the input: a repaired copy of
	// the same length (see [SignOptions.ReadAs]).
	readAs []byte
}

// signUpdate appends one incremental update holding a signature dictionary
// and whatever req.place adds, and fills in /ByteRange and /Contents.
func signUpdate(in []byte, req sigRequest) ([]byte, error) {
	src := in
	if req.readAs != nil {
		if len(req.readAs) != len(in) {
			return nil, errors.New("producers: ReadAs must have the length of the input")
		}
		src = req.readAs
	}
	doc, err := open(src)
	if err != nil {
		return nil, err
	}
	u := doc.NewUpdate()
	sig := u.Alloc()
	if req.place != nil {
		if err := req.place(doc, u, sig); err != nil {
			return nil, err
		}
	}
	var body bytes.Buffer
	body.WriteString("<</ByteRange [0 ")
	body.Write(bytes.Repeat([]byte{' '}, brSlot))
	body.WriteString("] /Contents <")
	body.Write(bytes.Repeat([]byte{'0'}, 2*req.reserve))
	body.WriteString(">\n")
	body.WriteString(req.entries)
	body.WriteString(">>")
	u.SetRaw(sig, body.Bytes())
	out, w, err := appendUpdate(in, u)
	if err != nil {
		return nil, err
	}
	at := len(in) + w.Offsets[sig]
	rangeAt := at + len("<</ByteRange [0 ")
	lt := bytes.Index(out[at:], []byte("/Contents <"))
	if lt < 0 {
		return nil, errors.New("producers: /Contents placeholder not found")
	}
	b := int64(at + lt + len("/Contents "))
	c := b + int64(2*req.reserve+2)
	d := int64(len(out)) - c
	nums := strconv.FormatInt(b, 10) + " " + strconv.FormatInt(c, 10) + " " + strconv.FormatInt(d, 10)
	if len(nums) > brSlot {
		return nil, errors.New("producers: file too large for the /ByteRange slot")
	}
	copy(out[rangeAt:], nums)
	h := sha256.New()
	h.Write(out[:b])
	h.Write(out[c:])
	der, err := req.contents(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	if len(der) > req.reserve {
		return nil, fmt.Errorf("producers: /Contents needs %d bytes, %d reserved", len(der), req.reserve)
	}
	hex.Encode(out[b+1:], der)
	return out, nil
}

// cadesContents signs the digest with id (ETSI.CAdES.detached, segel's
// own CMS builder).
func cadesContents(id Identity) func([]byte) ([]byte, error) {
	return func(digest []byte) ([]byte, error) {
		return cms.SignDetached(digest, cms.SignOptions{Signer: id.Key, Chain: id.Chain, Hash: crypto.SHA256})
	}
}

// reserveFor is a /Contents size that fits a CAdES signature by id.
func reserveFor(id Identity) (int, error) {
	n, err := cms.MaxSize(cms.SignOptions{Signer: id.Key, Chain: id.Chain, Hash: crypto.SHA256})
	return n + 64, err
}

// sigEntries are the usual entries of an approval signature dictionary.
func sigEntries(subFilter string, t time.Time, extra string) string {
	return fmt.Sprintf("/Type /Sig /Filter /Adobe.PPKLite /SubFilter /%s /M %s%s", subFilter,
		pdf.Format(pdf.String{Value: []byte(pdfDate(t))}), extra)
}

// pdfDate formats t as D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	if off == 0 {
		return t.Format("D:20060102150405") + "Z"
	}
	return fmt.Sprintf("%s%c%02d'%02d'", t.Format("D:20060102150405"), sign, off/3600, (off%3600)/60)
}

// SignOptions shape a signature made by [SignField].
type SignOptions struct {
	// Time is the claimed signing time (/M); now when zero.
	Time time.Time
	// WidgetM also writes /M on the field's widget, and an empty /AP /N
	// appearance when the widget has none, as poppler's pdfsig does (see
	// [PopplerSignField]).
	WidgetM bool
	// NoSigFlags leaves the AcroForm alone (pdfsig does not set /SigFlags).
	NoSigFlags bool
	// ReadAs, when set, is read instead of the input to plan the update: a
	// repaired copy of the same length (the input with its startxref
	// corrected), as a signer whose reader repairs a damaged file uses.
	// The update is appended to the input as it is.
	ReadAs []byte
}

// SignField signs the existing empty signature field named field with id
// (ETSI.CAdES.detached) with the smallest update a signer can write: the
// field gets /V, the AcroForm /SigFlags 3; nothing else changes (no
// appearance). Unlike segel's signer it finds a field that is reachable
// twice in the field tree, as Acrobat, pdfsig, mutool and podofosign do,
// so that the verifier can be judged on such files.
func SignField(in []byte, field string, id Identity, o SignOptions) ([]byte, error) {
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	reserve, err := reserveFor(id)
	if err != nil {
		return nil, err
	}
	return signUpdate(in, sigRequest{
		entries:  sigEntries("ETSI.CAdES.detached", o.Time, ""),
		reserve:  reserve,
		contents: cadesContents(id),
		readAs:   o.ReadAs,
		place: func(doc *pdf.Document, u *pdf.Update, sig pdf.Ref) error {
			ref, fd, err := fieldRef(doc, field)
			if err != nil {
				return err
			}
			fd["V"] = sig
			if o.WidgetM {
				fd["M"] = pdf.String{Value: []byte(pdfDate(o.Time))}
				if fd["AP"] == nil {
					rect, _ := doc.GetArray(fd["Rect"])
					ap := u.Add(pdf.NewStream(pdf.Dict{"Subtype": pdf.Name("Form"), "BBox": bboxOf(rect)}, nil))
					fd["AP"] = pdf.Dict{"N": ap}
				}
			}
			u.Set(ref, fd)
			if o.NoSigFlags {
				return nil
			}
			af, store, err := acroForm(doc, u)
			if err != nil {
				return err
			}
			af["SigFlags"] = pdf.Int(3)
			store(af)
			return nil
		},
	})
}

// PopplerSignField signs the empty signature field named field the way
// poppler's `pdfsig -sign` (22.12) does, as seen in its incremental
// update: the field/widget gets /V, a /M with the signing time and, when
// it had no appearance, /AP << /N >> pointing at a new empty form XObject
// whose /BBox is the widget's size; the AcroForm is not touched (no
// /SigFlags). The signature itself is ETSI.CAdES.detached by id instead of
// pdfsig's adbe.pkcs7.detached, which does not matter to the rule.
func PopplerSignField(in []byte, field string, id Identity, t time.Time) ([]byte, error) {
	return SignField(in, field, id, SignOptions{Time: t, WidgetM: true, NoSigFlags: true})
}

// bboxOf turns a /Rect into the /BBox of an appearance of its size.
func bboxOf(rect pdf.Array) pdf.Array {
	num := func(o pdf.Object) float64 {
		switch x := o.(type) {
		case pdf.Int:
			return float64(x)
		case pdf.Real:
			return float64(x)
		}
		return 0
	}
	if len(rect) != 4 {
		return pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}
	}
	w, h := num(rect[2])-num(rect[0]), num(rect[3])-num(rect[1])
	if w < 0 {
		w = -w
	}
	if h < 0 {
		h = -h
	}
	return pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real(w), pdf.Real(h)}
}

// addInvisibleField returns a place function that adds a new invisible
// signature field named name on the first page, listed in the page's
// /Annots and the AcroForm's /Fields, and sets /SigFlags 3.
func addInvisibleField(name string) func(doc *pdf.Document, u *pdf.Update, sig pdf.Ref) error {
	return func(doc *pdf.Document, u *pdf.Update, sig pdf.Ref) error {
		pageRef, page, err := firstPage(doc)
		if err != nil {
			return err
		}
		field := u.Add(pdf.Dict{
			"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
			"T": pdf.TextString(name), "V": sig, "F": pdf.Int(132), "P": pageRef,
			"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)},
		})
		switch a := page["Annots"].(type) {
		case pdf.Ref:
			arr, err := doc.GetArray(a)
			if err != nil {
				return err
			}
			u.Set(a, append(append(pdf.Array{}, arr...), field))
		default:
			arr, _ := a.(pdf.Array)
			page["Annots"] = append(append(pdf.Array{}, arr...), field)
			u.Set(pageRef, page)
		}
		af, store, err := acroForm(doc, u)
		if err != nil {
			return err
		}
		switch fl := af["Fields"].(type) {
		case pdf.Ref:
			arr, err := doc.GetArray(fl)
			if err != nil {
				return err
			}
			u.Set(fl, append(append(pdf.Array{}, arr...), field))
		default:
			arr, _ := fl.(pdf.Array)
			af["Fields"] = append(append(pdf.Array{}, arr...), field)
		}
		af["SigFlags"] = pdf.Int(3)
		store(af)
		return nil
	}
}

// AddDocTimeStamp adds a document timestamp (ISO 32000-2 12.8.5, PAdES
// B-LTA): a new invisible signature field named field whose /V is a
// /Type /DocTimeStamp dictionary with /SubFilter /ETSI.RFC3161 and, in
// /Contents, an RFC 3161 token by tsa over the SHA-256 of the byte range.
func AddDocTimeStamp(in []byte, field string, tsa *TSA) ([]byte, error) {
	return signUpdate(in, sigRequest{
		entries:  "/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161",
		reserve:  tsa.MaxSize() + 64,
		contents: tsa.Token,
		place:    addInvisibleField(field),
	})
}

// Orphan appends an update holding a complete, valid signature dictionary
// by id whose byte range covers the whole file up to the end of that
// update, but which no field refers to: what a signer leaves when it fails
// to hook its signature into the form (the field's /V was never written,
// or written to a field object the form does not list). Nothing else
// changes.
func Orphan(in []byte, id Identity, t time.Time) ([]byte, error) {
	reserve, err := reserveFor(id)
	if err != nil {
		return nil, err
	}
	return signUpdate(in, sigRequest{
		entries:  sigEntries("ETSI.CAdES.detached", t, ""),
		reserve:  reserve,
		contents: cadesContents(id),
	})
}
