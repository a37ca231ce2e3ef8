package changes

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"segel/pdf"
)

// The document security store may only grow: validation data once added
// is evidence, and an update that removes a CRL or an OCSP response could
// turn a revoked signer into a good one.

type dssSet map[[32]byte]bool

type dssContent struct {
	certs, ocsps, crls dssSet
	vri                map[string]*dssVRI
}

type dssVRI struct{ certs, ocsps, crls dssSet }

// dss reads the /DSS of the graph's revision (once).
func (g *graph) dss() *dssContent {
	if g.dssCache != nil {
		return g.dssCache
	}
	c := &dssContent{certs: dssSet{}, ocsps: dssSet{}, crls: dssSet{}, vri: map[string]*dssVRI{}}
	g.dssCache = c
	d := g.dict(g.catalog["DSS"])
	if d == nil {
		return c
	}
	g.dssItems(d["Certs"], c.certs)
	g.dssItems(d["OCSPs"], c.ocsps)
	g.dssItems(d["CRLs"], c.crls)
	for k, v := range g.dict(d["VRI"]) {
		e := g.dict(v)
		if e == nil {
			continue
		}
		ve := &dssVRI{certs: dssSet{}, ocsps: dssSet{}, crls: dssSet{}}
		g.dssItems(e["Cert"], ve.certs)
		g.dssItems(e["OCSP"], ve.ocsps)
		g.dssItems(e["CRL"], ve.crls)
		c.vri[strings.ToUpper(string(k))] = ve
	}
	return c
}

// dssItems adds the hash of each stream in the array o to set; a stream
// that cannot be decoded is keyed by its object number.
func (g *graph) dssItems(o pdf.Object, set dssSet) {
	for _, x := range g.array(o) {
		st, ok := g.resolve(x).(*pdf.Stream)
		if !ok {
			continue
		}
		data, err := g.v.StreamData(st)
		if err != nil {
			data = []byte(fmt.Sprintf("undecodable %s", pdf.Format(x)))
		}
		set[sha256.Sum256(data)] = true
	}
}

// missing counts the members of a that b lacks.
func missing(a, b dssSet) int {
	n := 0
	for k := range a {
		if !b[k] {
			n++
		}
	}
	return n
}

// checkDSS reports validation data that this revision removed from the
// document security store.
func (s *step) checkDSS() {
	o, n := s.old.dss(), s.new.dss()
	var lost []string
	for _, x := range []struct {
		what string
		a, b dssSet
	}{{"certificate", o.certs, n.certs}, {"OCSP response", o.ocsps, n.ocsps}, {"CRL", o.crls, n.crls}} {
		if m := missing(x.a, x.b); m > 0 {
			lost = append(lost, fmt.Sprintf("%d %s(s)", m, x.what))
		}
	}
	var keys []string
	for k := range o.vri {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ov, nv := o.vri[k], n.vri[k]
		if nv == nil {
			lost = append(lost, "the /VRI entry "+k)
			continue
		}
		if missing(ov.certs, nv.certs)+missing(ov.ocsps, nv.ocsps)+missing(ov.crls, nv.crls) > 0 {
			lost = append(lost, "validation data of the /VRI entry "+k)
		}
	}
	if len(lost) > 0 {
		s.add(Change{Object: "document", Kind: KindDSS, Description: "validation data was removed from the document security store (/DSS): " + strings.Join(lost, ", ")})
	}
}
