package verify

import (
	"crypto/sha256"
	"crypto/x509"
	"strings"

	"segel/pdf"
)

// dss is the validation data of the document security store, gathered
// from the /DSS of EVERY revision: an update that deletes a CRL or an OCSP
// response from the store must not turn a revoked certificate into a good
// one (the deletion itself is also a disallowed change, see the changes
// package). Read once per file, not once per signature.
type dss struct {
	certs       []*x509.Certificate
	ocsps, crls [][]byte
	vri         map[string]*vriData // upper-case hex SHA-1 of /Contents
}

type vriData struct{ ocsps, crls [][]byte }

// dssReader collects DSS items without duplicates.
type dssReader struct {
	view *pdf.Document
	seen map[[32]byte]bool
	read map[[2]int64]bool // streams already read, by place in the file
}

func (r *dssReader) streams(o pdf.Object, limit int64) [][]byte {
	arr, _ := r.view.GetArray(o)
	var out [][]byte
	for i, x := range arr {
		if i >= maxRevocationItems {
			break
		}
		if st, _ := r.view.Resolve(x); st != nil {
			if s, ok := st.(*pdf.Stream); ok && s.Offset >= 0 {
				k := [2]int64{s.Offset, s.Length}
				if r.read[k] {
					continue
				}
				r.read[k] = true
			}
		}
		b, err := dssStreamIn(r.view, x, limit)
		if err != nil {
			continue
		}
		h := sha256.Sum256(b)
		if r.seen[h] {
			continue
		}
		r.seen[h] = true
		out = append(out, b)
	}
	return out
}

// dssData reads the /DSS of every revision on first use.
func (v *verifier) dssData() *dss {
	if v.dssCache != nil {
		return v.dssCache
	}
	d := &dss{vri: map[string]*vriData{}}
	v.dssCache = d
	if v.revs == nil {
		v.revs = v.doc.Revisions()
	}
	read := map[[2]int64]bool{}
	top := map[string]map[[32]byte]bool{"certs": {}, "ocsps": {}, "crls": {}}
	for i := len(v.revs) - 1; i >= 0; i-- {
		view, err := v.doc.Revision(i)
		if err != nil {
			continue
		}
		cat, err := view.Catalog()
		if err != nil {
			continue
		}
		dd, _ := view.GetDict(cat["DSS"])
		if dd == nil {
			continue
		}
		rd := func(kind string) *dssReader { return &dssReader{view: view, seen: top[kind], read: read} }
		for _, b := range rd("certs").streams(dd["Certs"], 1<<20) {
			if c, _, err := v.parseCert(b, false); err == nil {
				d.certs = append(d.certs, c)
			}
		}
		d.ocsps = append(d.ocsps, rd("ocsps").streams(dd["OCSPs"], DefaultMaxOCSPSize)...)
		d.crls = append(d.crls, rd("crls").streams(dd["CRLs"], DefaultMaxCRLSize)...)
		vri, _ := view.GetDict(dd["VRI"])
		for k, e := range vri {
			ed, _ := view.GetDict(e)
			if ed == nil {
				continue
			}
			key := strings.ToUpper(string(k))
			x := d.vri[key]
			if x == nil {
				x = &vriData{}
				d.vri[key] = x
			}
			seen := map[[32]byte]bool{}
			for _, b := range x.ocsps {
				seen[sha256.Sum256(b)] = true
			}
			for _, b := range x.crls {
				seen[sha256.Sum256(b)] = true
			}
			r := &dssReader{view: view, seen: seen, read: map[[2]int64]bool{}}
			x.ocsps = append(x.ocsps, r.streams(ed["OCSP"], DefaultMaxOCSPSize)...)
			x.crls = append(x.crls, r.streams(ed["CRL"], DefaultMaxCRLSize)...)
		}
	}
	return d
}
