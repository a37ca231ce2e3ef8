package verify

import (
	"crypto/x509"

	"segel/pdf"
)

// dss is what the catalog's /DSS holds for the whole file: read once per
// file, not once per signature.
type dss struct {
	certs       []*x509.Certificate
	ocsps, crls [][]byte
	vri         pdf.Dict
}

// dssData reads the final revision's /DSS on first use.
func (v *verifier) dssData() *dss {
	if v.dssCache != nil {
		return v.dssCache
	}
	v.dssCache = &dss{}
	cat, err := v.doc.Catalog()
	if err != nil {
		return v.dssCache
	}
	d, _ := v.doc.GetDict(cat["DSS"])
	if d == nil {
		return v.dssCache
	}
	for _, b := range v.dssStreams(d["Certs"], 1<<20) {
		if c, err := x509.ParseCertificate(b); err == nil {
			v.dssCache.certs = append(v.dssCache.certs, c)
		}
	}
	v.dssCache.ocsps = v.dssStreams(d["OCSPs"], DefaultMaxOCSPSize)
	v.dssCache.crls = v.dssStreams(d["CRLs"], DefaultMaxCRLSize)
	v.dssCache.vri, _ = v.doc.GetDict(d["VRI"])
	return v.dssCache
}
