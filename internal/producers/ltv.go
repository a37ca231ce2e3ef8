package producers

import (
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"segel/pdf"
)

// GoodOCSP returns a DER OCSP response, signed by the issuer itself, that
// says cert is good, produced at, valid for a week.
func GoodOCSP(cert, issuer *x509.Certificate, issuerKey crypto.Signer, at time.Time) ([]byte, error) {
	return ocsp.CreateResponse(issuer, issuer, ocsp.Response{
		Status:       ocsp.Good,
		SerialNumber: cert.SerialNumber,
		ThisUpdate:   at.Add(-time.Minute),
		NextUpdate:   at.AddDate(0, 0, 7),
		ProducedAt:   at,
	}, issuerKey)
}

// EmptyCRL returns a DER CRL by issuer that revokes nothing, issued at,
// valid for a week.
func EmptyCRL(issuer *x509.Certificate, issuerKey crypto.Signer, at time.Time) ([]byte, error) {
	return x509.CreateRevocationList(nil, &x509.RevocationList{
		Number:     big.NewInt(at.Unix()),
		ThisUpdate: at.Add(-time.Minute),
		NextUpdate: at.AddDate(0, 0, 7),
	}, issuer, issuerKey)
}

// DSS is the validation data a PAdES-LT extension (ETSI EN 319 142-1,
// ISO 32000-2 12.8.4.3) adds to the catalog's /DSS dictionary.
type DSS struct {
	Certs []*x509.Certificate
	OCSPs [][]byte // DER OCSP responses
	CRLs  [][]byte // DER CRLs
	// VRI files the same data under the key of each signature of the
	// file (upper-case hex SHA-1 of its /Contents bytes) when set.
	VRI bool
}

// AddDSS appends an update that adds the data to the catalog's /DSS
// (creating it, or extending the one there), as new streams with
// /Filter-less bodies. With VRI set, every signature of the file that has
// no /VRI entry yet gets one, with /Cert, /OCSP and /CRL arrays of the new
// streams and a /TU time.
func AddDSS(in []byte, data DSS, at time.Time) ([]byte, error) {
	doc, err := open(in)
	if err != nil {
		return nil, err
	}
	u := doc.NewUpdate()
	catRef, cat, err := catalog(doc)
	if err != nil {
		return nil, err
	}
	old, _ := doc.GetDict(cat["DSS"])
	dss := clone(old)
	if dss == nil {
		dss = pdf.Dict{"Type": pdf.Name("DSS")}
	}
	streams := func(key pdf.Name, items [][]byte) pdf.Array {
		prev, _ := doc.GetArray(dss[key])
		arr := append(pdf.Array{}, prev...)
		var added pdf.Array
		for _, b := range items {
			r := u.Add(pdf.NewStream(pdf.Dict{}, b))
			arr = append(arr, r)
			added = append(added, r)
		}
		if len(arr) > 0 {
			dss[key] = arr
		}
		return added
	}
	var certs [][]byte
	for _, c := range data.Certs {
		certs = append(certs, c.Raw)
	}
	certRefs := streams("Certs", certs)
	ocspRefs := streams("OCSPs", data.OCSPs)
	crlRefs := streams("CRLs", data.CRLs)
	if data.VRI {
		vri := pdf.Dict{}
		if prev, _ := doc.GetDict(dss["VRI"]); prev != nil {
			vri = clone(prev)
		}
		keys, err := signatureKeys(in)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if _, done := vri[pdf.Name(k)]; done {
				continue // keep what an earlier update filed
			}
			e := pdf.Dict{"TU": pdf.String{Value: []byte(pdfDate(at))}}
			if len(certRefs) > 0 {
				e["Cert"] = certRefs
			}
			if len(ocspRefs) > 0 {
				e["OCSP"] = ocspRefs
			}
			if len(crlRefs) > 0 {
				e["CRL"] = crlRefs
			}
			vri[pdf.Name(k)] = u.Add(e)
		}
		dss["VRI"] = vri
	}
	if r, ok := cat["DSS"].(pdf.Ref); ok {
		u.Set(r, dss)
	} else {
		cat["DSS"] = u.Add(dss)
		u.Set(catRef, cat)
	}
	out, _, err := appendUpdate(in, u)
	return out, err
}

var byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)

// signatureKeys returns the /VRI key of every signature in the raw file:
// the upper-case hex SHA-1 of the bytes of its /Contents, as written (with
// the zero padding), which is what Adobe and EU DSS use.
func signatureKeys(b []byte) ([]string, error) {
	var keys []string
	for _, m := range byteRangeRE.FindAllSubmatch(b, -1) {
		start, err1 := strconv.Atoi(string(m[2]))
		end, err2 := strconv.Atoi(string(m[3]))
		if err1 != nil || err2 != nil || start < 0 || end > len(b) || end-start < 2 {
			return nil, errors.New("producers: a /ByteRange that does not fit the file")
		}
		raw, err := hex.DecodeString(strings.TrimSpace(string(b[start+1 : end-1])))
		if err != nil {
			return nil, fmt.Errorf("producers: /Contents at %d: %w", start, err)
		}
		sum := sha1.Sum(raw)
		keys = append(keys, strings.ToUpper(hex.EncodeToString(sum[:])))
	}
	return keys, nil
}

// SetInfo appends an update that sets entries of the document information
// dictionary (e.g. ModDate, Producer), rewriting the /Info object in
// place, as PoDoFo's podofosign does when it signs (seen in its update:
// object 3, the /Info of pks.pdf, rewritten with a new /ModDate).
func SetInfo(in []byte, entries map[string]string) ([]byte, error) {
	doc, err := open(in)
	if err != nil {
		return nil, err
	}
	ref, ok := doc.Trailer()["Info"].(pdf.Ref)
	if !ok {
		return nil, errors.New("producers: the trailer has no indirect /Info")
	}
	info, err := doc.GetDict(ref)
	if err != nil {
		return nil, err
	}
	info = clone(info)
	if info == nil {
		info = pdf.Dict{}
	}
	for k, v := range entries {
		info[pdf.Name(k)] = pdf.TextString(v)
	}
	u := doc.NewUpdate()
	u.Set(ref, info)
	out, _, err := appendUpdate(in, u)
	return out, err
}

// SetMetadata appends an update that gives the catalog an XMP /Metadata
// stream with the given packet: a new stream object when the catalog has
// none (catalog rewritten), else the existing stream object replaced in
// place (catalog untouched).
func SetMetadata(in []byte, xmp []byte) ([]byte, error) {
	doc, err := open(in)
	if err != nil {
		return nil, err
	}
	u := doc.NewUpdate()
	catRef, cat, err := catalog(doc)
	if err != nil {
		return nil, err
	}
	st := pdf.NewStream(pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}, xmp)
	if r, ok := cat["Metadata"].(pdf.Ref); ok {
		u.Set(r, st)
	} else {
		cat["Metadata"] = u.Add(st)
		u.Set(catRef, cat)
	}
	out, _, err := appendUpdate(in, u)
	return out, err
}

// XMP returns a small XMP packet with a title, a producer and a
// modification date.
func XMP(title, producer string, mod time.Time) []byte {
	ts := mod.UTC().Format("2006-01-02T15:04:05Z")
	return []byte(`<?xpacket begin="` + "\uFEFF" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + title + `</rdf:li></rdf:Alt></dc:title>
   <pdf:Producer>` + producer + `</pdf:Producer>
   <xmp:ModifyDate>` + ts + `</xmp:ModifyDate>
   <xmp:MetadataDate>` + ts + `</xmp:MetadataDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`)
}
