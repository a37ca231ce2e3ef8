// Package producers generates PDF files that imitate what honest producers
// other than segel write — quirks of form tools and signers (a field
// reachable twice in the field tree, cross-reference offsets a few bytes
// off, poppler's pdfsig writing /M on the widget it signs, a signature
// dictionary no field refers to) — and the honest steps of long-term
// validation workflows (a /DSS, an updated /Info, XMP metadata, a document
// timestamp). The verifier must accept all of them.
//
// Each generator's documentation says which behaviour it imitates and
// whether that behaviour was confirmed with a tool installed here (pdfsig,
// mutool, podofosign, qpdf) or is only reported for producers that are not
// (iText, Acrobat, Nitro, national CA services).
//
// Every function takes the bytes of a PDF and returns new bytes; nothing is
// copied from other projects: the files are built with segel's own pdf and
// cms packages. [Describe] says, key by key, what an incremental update
// changed, so that tests can record what outside tools write.
//
// The package is meant to be imported only from _test.go files.
package producers

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"segel/pdf"
)

// Identity is a signer: a key and its certificate chain, leaf first.
type Identity struct {
	Key   crypto.Signer
	Chain []*x509.Certificate
}

// open parses b.
func open(b []byte) (*pdf.Document, error) {
	return pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
}

// appendUpdate serialises u and appends it to b.
func appendUpdate(b []byte, u *pdf.Update) ([]byte, *pdf.Written, error) {
	w, err := u.Write()
	if err != nil {
		return nil, nil, err
	}
	out := make([]byte, 0, len(b)+len(w.Bytes))
	out = append(out, b...)
	return append(out, w.Bytes...), w, nil
}

// clone copies a dictionary (shallowly); nil stays nil.
func clone(d pdf.Dict) pdf.Dict {
	if d == nil {
		return nil
	}
	c := make(pdf.Dict, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}

// catalog returns the catalog's reference and a copy of it.
func catalog(doc *pdf.Document) (pdf.Ref, pdf.Dict, error) {
	ref, ok := doc.Trailer()["Root"].(pdf.Ref)
	if !ok {
		return pdf.Ref{}, nil, errors.New("producers: the catalog is not an indirect object")
	}
	cat, err := doc.Catalog()
	if err != nil {
		return pdf.Ref{}, nil, err
	}
	return ref, clone(cat), nil
}

// acroForm returns a copy of the AcroForm dictionary and a function that
// stores a changed copy in u: in its own object when it is indirect, else
// in the catalog (which the function then rewrites too).
func acroForm(doc *pdf.Document, u *pdf.Update) (pdf.Dict, func(pdf.Dict), error) {
	catRef, cat, err := catalog(doc)
	if err != nil {
		return nil, nil, err
	}
	af, err := doc.GetDict(cat["AcroForm"])
	if err != nil {
		return nil, nil, err
	}
	af = clone(af)
	if af == nil {
		af = pdf.Dict{}
	}
	if ref, ok := cat["AcroForm"].(pdf.Ref); ok {
		return af, func(d pdf.Dict) { u.Set(ref, d) }, nil
	}
	return af, func(d pdf.Dict) {
		cat["AcroForm"] = u.Add(d)
		u.Set(catRef, cat)
	}, nil
}

// fieldRef finds the terminal field whose fully qualified name is name,
// walking /Fields and /Kids. Unlike a strict reader it tolerates a field
// reached twice (the quirk this package produces), as Acrobat and the
// other tools do.
func fieldRef(doc *pdf.Document, name string) (pdf.Ref, pdf.Dict, error) {
	cat, err := doc.Catalog()
	if err != nil {
		return pdf.Ref{}, nil, err
	}
	af, _ := doc.GetDict(cat["AcroForm"])
	top, _ := doc.GetArray(af["Fields"])
	seen := map[pdf.Ref]bool{}
	var walk func(o pdf.Object, prefix string, depth int) (pdf.Ref, pdf.Dict, bool)
	walk = func(o pdf.Object, prefix string, depth int) (pdf.Ref, pdf.Dict, bool) {
		ref, ok := o.(pdf.Ref)
		if !ok || seen[ref] || depth > 32 {
			return pdf.Ref{}, nil, false
		}
		seen[ref] = true
		d, _ := doc.GetDict(ref)
		if d == nil {
			return pdf.Ref{}, nil, false
		}
		full := prefix
		if _, hasT := d["T"]; hasT {
			if full != "" {
				full += "."
			}
			full += pdf.Text(d["T"])
		}
		kids, _ := doc.GetArray(d["Kids"])
		terminal := true
		for _, k := range kids {
			if kd, _ := doc.GetDict(k); kd != nil {
				if _, hasT := kd["T"]; hasT {
					terminal = false
					if r, fd, ok := walk(k, full, depth+1); ok {
						return r, fd, true
					}
				}
			}
		}
		if terminal && full == name {
			return ref, d, true
		}
		return pdf.Ref{}, nil, false
	}
	for _, f := range top {
		if r, d, ok := walk(f, "", 0); ok {
			return r, clone(d), nil
		}
	}
	return pdf.Ref{}, nil, fmt.Errorf("producers: no field %q", name)
}

// firstPage returns the first page's reference and a copy of its
// dictionary.
func firstPage(doc *pdf.Document) (pdf.Ref, pdf.Dict, error) {
	pages, err := doc.Pages()
	if err != nil {
		return pdf.Ref{}, nil, err
	}
	if len(pages) == 0 {
		return pdf.Ref{}, nil, errors.New("producers: no pages")
	}
	return pages[0].Ref, clone(pages[0].Dict), nil
}
