package ltv

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sort"

	"segel/pdf"
	"segel/verify"
)

// dss is the document security store as the file has it.
type dss struct {
	dict   pdf.Dict
	ref    pdf.Ref // when the /DSS is an indirect object
	arrays map[pdf.Name]pdf.Array
	have   map[[32]byte]pdf.Ref // SHA-256 of a stream's data → its reference
	vri    pdf.Dict
	vriRef pdf.Ref
}

// readDSS reads the catalog's /DSS: its arrays, the data they hold and
// the /VRI keys.
func readDSS(doc *pdf.Document) (*dss, map[string]bool, error) {
	cat, err := doc.Catalog()
	if err != nil {
		return nil, nil, fmt.Errorf("ltv: %w", err)
	}
	d := &dss{arrays: map[pdf.Name]pdf.Array{}, have: map[[32]byte]pdf.Ref{}, vri: pdf.Dict{}}
	keys := map[string]bool{}
	if cat["DSS"] == nil {
		return d, keys, nil
	}
	if r, ok := cat["DSS"].(pdf.Ref); ok {
		d.ref = r
	}
	dict, err := doc.GetDict(cat["DSS"])
	if err != nil {
		return nil, nil, fmt.Errorf("ltv: the /DSS cannot be read: %w", err)
	}
	d.dict = dict
	for _, name := range []pdf.Name{"Certs", "OCSPs", "CRLs"} {
		arr, err := doc.GetArray(dict[name])
		if err != nil {
			return nil, nil, fmt.Errorf("ltv: /DSS /%s cannot be read: %w", name, err)
		}
		d.arrays[name] = arr
		for _, o := range arr {
			r, ok := o.(pdf.Ref)
			if !ok {
				continue
			}
			obj, err := doc.Get(r)
			if err != nil {
				continue
			}
			st, ok := obj.(*pdf.Stream)
			if !ok {
				continue
			}
			data, err := doc.StreamData(st)
			if err != nil {
				continue
			}
			d.have[sha256.Sum256(data)] = r
		}
	}
	if r, ok := dict["VRI"].(pdf.Ref); ok {
		d.vriRef = r
	}
	if vri, err := doc.GetDict(dict["VRI"]); err == nil && vri != nil {
		d.vri = vri
		for k := range vri {
			keys[string(k)] = true
		}
	}
	return d, keys, nil
}

// dssUpdate writes the update that adds data to the /DSS and the /VRI
// entries, and counts the certificates, OCSP responses and CRLs added.
func dssUpdate(doc *pdf.Document, d *dss, all *verify.ValidationData, vri map[string]*verify.ValidationData) ([]byte, [3]int, error) {
	var added [3]int
	u := doc.NewUpdate()
	refOf := map[[32]byte]pdf.Ref{}
	for k, v := range d.have {
		refOf[k] = v
	}
	add := func(kind int, name pdf.Name, data []byte) pdf.Ref {
		sum := sha256.Sum256(data)
		if r, ok := refOf[sum]; ok {
			return r
		}
		r := u.Add(pdf.NewStream(pdf.Dict{}, data))
		refOf[sum] = r
		d.arrays[name] = append(append(pdf.Array{}, d.arrays[name]...), r)
		added[kind]++
		return r
	}
	for _, c := range all.Certs {
		add(0, "Certs", c)
	}
	for _, o := range all.OCSPs {
		add(1, "OCSPs", o)
	}
	for _, c := range all.CRLs {
		add(2, "CRLs", c)
	}
	vriDict := pdf.Dict{}
	for k, v := range d.vri {
		vriDict[k] = v
	}
	keys := make([]string, 0, len(vri))
	for k := range vri {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := vri[k]
		entry := pdf.Dict{}
		refs := func(list [][]byte) pdf.Array {
			var a pdf.Array
			for _, b := range list {
				a = append(a, refOf[sha256.Sum256(b)])
			}
			return a
		}
		// An existing entry keeps what it listed, with the new data added.
		if old, err := doc.GetDict(d.vri[pdf.Name(k)]); err == nil && old != nil {
			for ok, ov := range old {
				entry[ok] = ov
			}
		}
		for _, kv := range []struct {
			name pdf.Name
			list [][]byte
		}{{"Cert", v.Certs}, {"OCSP", v.OCSPs}, {"CRL", v.CRLs}} {
			if len(kv.list) == 0 {
				continue
			}
			prev, _ := doc.GetArray(entry[kv.name])
			entry[kv.name] = union(prev, refs(kv.list))
		}
		vriDict[pdf.Name(k)] = entry
	}
	nd := pdf.Dict{}
	for k, v := range d.dict {
		nd[k] = v
	}
	nd["Type"] = pdf.Name("DSS")
	for name, arr := range d.arrays {
		if len(arr) > 0 {
			nd[name] = arr
		}
	}
	if d.vriRef.Num != 0 {
		u.Set(d.vriRef, vriDict)
	} else {
		nd["VRI"] = vriDict
	}
	if d.ref.Num != 0 {
		u.Set(d.ref, nd)
	} else {
		cat, err := doc.Catalog()
		if err != nil {
			return nil, added, fmt.Errorf("ltv: %w", err)
		}
		catRef, ok := doc.Trailer()["Root"].(pdf.Ref)
		if !ok {
			return nil, added, fmt.Errorf("ltv: %w: the catalog is not an indirect object", pdf.ErrMalformed)
		}
		nc := pdf.Dict{}
		for k, v := range cat {
			nc[k] = v
		}
		nc["DSS"] = u.Add(nd)
		u.Set(catRef, nc)
	}
	w, err := u.Write()
	if err != nil {
		return nil, added, fmt.Errorf("ltv: %w", err)
	}
	return w.Bytes, added, nil
}

// union is a followed by the references of b it lacks.
func union(a, b pdf.Array) pdf.Array {
	out := append(pdf.Array{}, a...)
next:
	for _, x := range b {
		for _, y := range out {
			if bytes.Equal([]byte(pdf.Format(x)), []byte(pdf.Format(y))) {
				continue next
			}
		}
		out = append(out, x)
	}
	return out
}
