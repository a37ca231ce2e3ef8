package attacks

import (
	"fmt"
	"strings"

	"segel/pdf"
)

// Class 7: blind spots. Widgets outside the form, the signature field
// taken out of the form, annotation arrays changed as objects, a new
// catalog, and final cross-reference sections damaged so that a strict
// reader sees another document (or none) while viewers reconstruct.
func class7() []spec {
	return []spec{
		{"c7-sig-widget-only-in-annots", "on a P=2 document an unsigned /FT /Sig widget covering the amount is added to the page's /Annots only, not to /Fields", c7OrphanWidget("Sig")},
		{"c7-text-widget-only-in-annots", "on a P=2 document a text widget covering the amount is added to the page's /Annots only, not to /Fields", c7OrphanWidget("Tx")},
		{"c7-widget-kid-of-signed-field", "a new widget whose /Parent is the victim's signed field (but missing from its /Kids) covers the amount", c7KidOfSigned},
		{"c7-annots-array-object-rewritten", "the annex page's /Annots is an indirect (empty) array; the attacker rewrites that array object to hold a stamp over the amount", c7AnnotsArray},
		{"c7-sig-field-removed", "the attacker removes the victim's signature field from /Fields and the page's /Annots and changes the amount", c7Removed(false)},
		{"c7-sig-field-removed-countersigned", "the second party removes the victim's signature field, changes the amount and signs the result (trusted)", c7Removed(true)},
		{"c7-sig-value-removed", "the attacker deletes /V from the victim's signature field (the field stays, the signature dictionary is reachable from no field) and changes the amount", c7ValueRemoved},
		{"c7-final-no-trailer", "the attacker's table (changed content stream) is followed by startxref without any trailer", c7NoTrailer},
		{"c7-startxref-garbage", "the attacker's final startxref points into the middle of an object; viewers reconstruct", c7StartXrefGarbage},
		{"c7-no-eof", "the attacker's update (changed content stream) has no %%EOF", c7NoEOF},
		{"c7-broken-prev", "the attacker's section (changed content stream) has /Prev pointing into the header", c7BrokenPrev},
		{"c7-update-without-prev", "the attacker appends a complete table for every object (content stream changed) with no /Prev, hiding the signed revisions", c7NoPrev},
		{"c7-new-root-catalog", "the attacker's trailer names a new catalog and page tree (the old objects stay unchanged) whose annex page shows the new amount", c7NewRoot},
	}
}

func c7OrphanWidget(ft string) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p, s := e.attackBase()
		c.Signed = s
		a := newUpd(s)
		w := a.alloc()
		a.put(w, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /%s /T (Saksi) /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ft, amountRect, ref(p.page4), ref(a.add(boxAppearance(p.helv, NewAmount)))))
		p.withAnnots(a, s, w)
		c.File = a.finish("")
	}
}

func c7KidOfSigned(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	w := a.alloc()
	a.put(w, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect %s /F 4 /P %s /AP << /N %s >> >>",
		ref(p.sigKab), amountRect, ref(p.page4), ref(a.add(boxAppearance(p.helv, NewAmount)))))
	p.withAnnots(a, s, w)
	c.File = a.finish("")
}

func c7AnnotsArray(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	arr := u.add("[]")
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots %s", p.fontRes(), ref(p.page4Cont), ref(arr)), 0)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	st := a.alloc()
	a.put(st, fmt.Sprintf("<< /Type /Annot /Subtype /Stamp /Rect %s /F 4 /P %s /AP << /N %s >> >>",
		amountRect, ref(p.page4), ref(a.add(boxAppearance(p.helv, NewAmount)))))
	a.put(arr, "["+ref(st)+"]")
	c.File = a.finish("")
}

func c7Removed(countersign bool) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p, s := e.attackBase()
		c.Signed = s
		write := func(a *upd) {
			a.put(p.page4Cont, evilBody())
			af := dictOf(s, p.acro)
			var keep pdf.Array
			for _, f := range af["Fields"].(pdf.Array) {
				if f != r(p.sigKab) {
					keep = append(keep, f)
				}
			}
			pg := dictOf(s, p.page3)
			var annots pdf.Array
			for _, x := range pg["Annots"].(pdf.Array) {
				if x != r(p.sigKab) {
					annots = append(annots, x)
				}
			}
			if countersign {
				v := a.add(sigObject("Sig"))
				f := a.alloc()
				a.put(f, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (SigProvinsi2) /V %s /Rect [0 0 0 0] /F 132 /P %s >>", ref(v), ref(p.page3)))
				keep = append(keep, r(f))
				annots = append(annots, r(f))
			}
			a.put(p.acro, format(with(af, "Fields", keep)))
			a.put(p.page3, format(with(pg, "Annots", annots)))
		}
		if countersign {
			c.File = signedUpdate(s, write, cmsBy(e.Other))
			return
		}
		a := newUpd(s)
		write(a)
		c.File = a.finish("")
	}
}

func c7NoTrailer(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	x := a.at()
	a.raw("xref\n" + tableText(a.entries(), stdLine))
	a.raw(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x))
	c.File = a.b
}

func c7StartXrefGarbage(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	off := a.put(p.page4Cont, evilBody())
	a.finish("")
	// Point startxref into the middle of the changed stream's data.
	i := strings.LastIndex(string(a.b), "startxref\n")
	c.File = append(a.b[:i:i], fmt.Sprintf("startxref\n%d\n%%%%EOF\n", off+40)...)
}

func c7NoEOF(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	b := a.finish("")
	c.File = []byte(strings.TrimSuffix(string(b), "%%EOF\n"))
}

func c7BrokenPrev(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	c.File = a.finish("/Prev 9")
}

func c7NoPrev(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	doc := open(s)
	a := newUpd(s)
	evil := a.put(p.page4Cont, evilBody())
	es := []xent{{num: 0, gen: 65535, free: true}}
	for n := uint32(1); n < a.next; n++ {
		switch loc := doc.Locate(n); {
		case n == p.page4Cont:
			es = append(es, xent{num: n, off: evil})
		case loc.Ok && loc.Offset > 0:
			es = append(es, xent{num: n, off: loc.Offset})
		default:
			es = append(es, xent{num: n, free: true})
		}
	}
	x := a.at()
	tr := a.trailerDict("")
	tr = tr[:strings.Index(tr, " /Prev ")] + " >>"
	a.raw("xref\n" + tableText(es, stdLine) + "trailer\n" + tr + "\n")
	a.raw(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x))
	c.File = a.b
}

func c7NewRoot(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	cat, pages, page, cont := a.alloc(), a.alloc(), a.alloc(), a.alloc()
	a.put(cont, evilBody())
	pg := dictOf(s, p.page4)
	a.put(page, format(with(pg, "Parent", r(pages), "Contents", r(cont))))
	kids := append(append(pdf.Array{}, p.kids...), r(page))
	a.put(pages, format(with(dictOf(s, p.pages), "Kids", kids, "Count", pdf.Int(len(kids)))))
	a.put(cat, format(with(dictOf(s, p.catalog), "Pages", r(pages))))
	c.File = a.finish("/Root " + ref(cat))
}

func c7ValueRemoved(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	f := dictOf(s, p.sigKab)
	delete(f, "V")
	a.put(p.sigKab, format(f))
	c.File = a.finish("")
}
