package attacks

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"segel/pdf"
)

// Class 6: removable evidence. The victim's certificate was revoked before
// the signing time. An honest LTV update adds the revocation data to the
// /DSS (the file then verifies TOTAL_FAILED/REVOKED); the attacker appends
// an update that takes it away again. The policy allows /DSS additions
// only, so the attacked file must stay TOTAL_FAILED.
func class6() []spec {
	return []spec{
		{"c6-crl-deleted-from-dss", "the attacker rewrites the catalog's /DSS with an empty /CRLs array", c6Evidence(evCRL, c6DeleteCRL)},
		{"c6-dss-replaced", "the attacker points the catalog's /DSS to a new dictionary holding only the certificates", c6Evidence(evCRL, c6ReplaceDSS)},
		{"c6-dss-removed-from-catalog", "the attacker removes /DSS from the catalog", c6Evidence(evCRL, c6RemoveDSS)},
		{"c6-vri-dropped", "the CRL is filed only under the signature's /VRI entry; the attacker removes /VRI", c6Evidence(evVRI, c6DropVRI)},
		{"c6-ocsp-deleted", "the evidence is an OCSP response (revoked); the attacker empties /OCSPs", c6Evidence(evOCSP, c6DeleteOCSP)},
		{"c6-crl-swapped-for-older", "the attacker rewrites the CRL stream object with an older CRL of the same CA that does not list the certificate", c6Evidence(evCRL, c6OlderCRL)},
		{"c6-crl-array-rewritten", "/DSS /CRLs is an indirect array; the attacker rewrites only that array object to []", c6Evidence(evCRLArray, c6EmptyArray)},
		{"c6-crl-object-freed", "the attacker's cross-reference section marks the CRL stream object free", c6Evidence(evCRL, c6FreeCRL)},
		{"c6-vri-key-renamed", "the CRL is filed under the signature's /VRI entry; the attacker renames the entry to another hash", c6Evidence(evVRI, c6RenameVRI)},
		{"c6-good-ocsp-added-beside-crl", "the attacker only adds (an allowed /DSS addition) an older OCSP response saying good, from before the revocation, next to the CRL", c6Evidence(evCRL, c6AddGoodOCSP)},
	}
}

// Kinds of evidence.
const (
	evCRL      = iota // a CRL in /DSS /CRLs
	evVRI             // a CRL only under /DSS /VRI
	evOCSP            // an OCSP response in /DSS /OCSPs
	evCRLArray        // a CRL in /DSS /CRLs, the array being an indirect object
)

// ltv is the state after the honest LTV update.
type ltv struct {
	p        *pks
	evidence []byte // the file with the /DSS
	dss      string // the /DSS value as written (direct dictionary or reference)
	certs    uint32 // the certificate stream
	crl      uint32 // the CRL (or OCSP) stream
	array    uint32 // the indirect /CRLs array, for evCRLArray
	vriKey   string
}

// revokedAt is when the victim's certificate was revoked: before it
// signed (segel signs with /M = now).
func (e Env) revokedAt() time.Time { return time.Now().Add(-30 * time.Minute) }

func c6Evidence(kind int, attack func(e Env, l *ltv, a *upd)) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p := planted()
		c.Signed = e.certify(p.b, 2)
		l := &ltv{p: p}
		u := newUpd(c.Signed)
		l.certs = u.add(stream("", string(e.CA.Intermediate.Raw)))
		var data []byte
		if kind == evOCSP {
			data = e.revokedOCSP()
		} else {
			data = e.crl(time.Now().Add(-5*time.Minute), e.revokedAt(), e.Victim.Cert.SerialNumber)
		}
		l.crl = u.add(stream("", string(data)))
		l.vriKey = vriKey(c.Signed, p.sigKab)
		switch kind {
		case evCRL:
			l.dss = fmt.Sprintf("<< /Type /DSS /Certs [%s] /CRLs [%s] >>", ref(l.certs), ref(l.crl))
		case evVRI:
			l.dss = fmt.Sprintf("<< /Type /DSS /Certs [%s] /VRI << /%s << /CRL [%s] >> >> >>", ref(l.certs), l.vriKey, ref(l.crl))
		case evOCSP:
			l.dss = fmt.Sprintf("<< /Type /DSS /Certs [%s] /OCSPs [%s] >>", ref(l.certs), ref(l.crl))
		case evCRLArray:
			l.array = u.add("[" + ref(l.crl) + "]")
			l.dss = fmt.Sprintf("<< /Type /DSS /Certs [%s] /CRLs %s >>", ref(l.certs), ref(l.array))
		}
		u.put(p.catalog, "<<"+inner(dictOf(c.Signed, p.catalog))+" /DSS "+l.dss+" >>")
		l.evidence = u.finish("")
		c.Evidence = l.evidence

		a := newUpd(l.evidence)
		attack(e, l, a)
		if len(a.nums) > 0 {
			c.File = a.finish("")
		} else {
			c.File = a.b
		}
	}
}

// vriKey is the /VRI key of the signature in field f of file: the upper
// case hex SHA-1 of its /Contents string.
func vriKey(file []byte, f uint32) string {
	v := dictOf(file, f)["V"].(pdf.Ref)
	sum := sha1.Sum(dictOf(file, v.Num)["Contents"].(pdf.String).Value)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// revokedOCSP is an OCSP response of the intermediate CA saying the
// victim's certificate was revoked at revokedAt.
func (e Env) revokedOCSP() []byte {
	now := time.Now()
	der, err := ocsp.CreateResponse(e.CA.Intermediate, e.CA.Intermediate, ocsp.Response{Status: ocsp.Revoked,
		SerialNumber: e.Victim.Cert.SerialNumber, RevokedAt: e.revokedAt(), RevocationReason: ocsp.KeyCompromise,
		ThisUpdate: now.Add(-5 * time.Minute), NextUpdate: now.Add(time.Hour)}, e.CA.IntermediateKey)
	if err != nil {
		panic(fmt.Sprintf("attacks: OCSP: %v", err))
	}
	return der
}

// catalogWithDSS writes the catalog of l's evidence file in a with /DSS
// set to dss ("" removes it).
func (l *ltv) catalogWithDSS(a *upd, dss string) {
	cat := dictOf(l.evidence, l.p.catalog)
	delete(cat, "DSS")
	if dss != "" {
		dss = " /DSS " + dss
	}
	a.put(l.p.catalog, "<<"+inner(cat)+dss+" >>")
}

func c6DeleteCRL(e Env, l *ltv, a *upd) {
	l.catalogWithDSS(a, fmt.Sprintf("<< /Type /DSS /Certs [%s] /CRLs [] >>", ref(l.certs)))
}

func c6ReplaceDSS(e Env, l *ltv, a *upd) {
	d := a.add(fmt.Sprintf("<< /Type /DSS /Certs [%s] >>", ref(l.certs)))
	l.catalogWithDSS(a, ref(d))
}

func c6RemoveDSS(e Env, l *ltv, a *upd) { l.catalogWithDSS(a, "") }

func c6DropVRI(e Env, l *ltv, a *upd) {
	l.catalogWithDSS(a, fmt.Sprintf("<< /Type /DSS /Certs [%s] >>", ref(l.certs)))
}

func c6DeleteOCSP(e Env, l *ltv, a *upd) {
	l.catalogWithDSS(a, fmt.Sprintf("<< /Type /DSS /Certs [%s] /OCSPs [] >>", ref(l.certs)))
}

func c6OlderCRL(e Env, l *ltv, a *upd) {
	a.put(l.crl, stream("", string(e.crl(time.Now().Add(-50*time.Minute), time.Time{}))))
}

func c6EmptyArray(e Env, l *ltv, a *upd) { a.put(l.array, "[]") }

func c6FreeCRL(e Env, l *ltv, a *upd) {
	a.finishTable([]xent{{num: l.crl, gen: 1, free: true}}, stdLine, "")
}

func c6RenameVRI(e Env, l *ltv, a *upd) {
	l.catalogWithDSS(a, fmt.Sprintf("<< /Type /DSS /Certs [%s] /VRI << /%s << /CRL [%s] >> >> >>", ref(l.certs), vriLike, ref(l.crl)))
}

func c6AddGoodOCSP(e Env, l *ltv, a *upd) {
	now := time.Now()
	der, err := ocsp.CreateResponse(e.CA.Intermediate, e.CA.Intermediate, ocsp.Response{Status: ocsp.Good,
		SerialNumber: e.Victim.Cert.SerialNumber, ThisUpdate: now.Add(-50 * time.Minute), NextUpdate: now.Add(time.Hour)}, e.CA.IntermediateKey)
	if err != nil {
		panic(fmt.Sprintf("attacks: OCSP: %v", err))
	}
	o := a.add(stream("", string(der)))
	l.catalogWithDSS(a, fmt.Sprintf("<< /Type /DSS /Certs [%s] /CRLs [%s] /OCSPs [%s] >>", ref(l.certs), ref(l.crl), ref(o)))
}
