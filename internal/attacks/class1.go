package attacks

import (
	"fmt"

	"segel/pdf"
)

// Class 1: role shortcuts. An object that plays an allowed role (a form
// field, a field's appearance or value, the XMP metadata, the /Info
// dictionary, an annotation, the /DSS, the structure tree) also plays a
// rendering role (page content, page resource, font). The attacker changes
// it through the allowed role.
func class1() []spec {
	return []spec{
		{"c1-field-is-page-xobject", "the Form XObject that draws the amount is also a text field in /AcroForm /Fields; under P=2 a \"fill\" of that field rewrites the XObject's stream", c1FieldIsXObject},
		{"c1-field-ap-is-page-xobject", "the appearance stream of a text field is also the page's Form XObject that draws the amount; a P=2 fill rewrites the appearance in place", c1FieldAPIsXObject},
		{"c1-length-is-field-value", "the indirect /Length of the amount's content stream is also a text field's /V; a P=2 fill changes the integer and the stream grows over planted operators", c1LengthIsValue},
		{"c1-length-is-maxlen", "the indirect /Length of the amount's content stream is also a text field's /MaxLen, changed with a P=2 fill", c1LengthIsMaxLen},
		{"c1-metadata-is-page-content", "the catalog's XMP /Metadata stream is also the page's content stream; the metadata \"update\" redraws the amount", c1MetadataIsContent},
		{"c1-page-metadata-is-content", "a page's own /Metadata stream is also its content stream, rewritten as a metadata update", c1PageMetadataIsContent},
		{"c1-info-is-font", "the trailer /Info dictionary is also the font of the amount line; an /Info update adds an /Encoding /Differences that draws 2 as 9", c1InfoIsFont},
		{"c1-info-is-page-resources", "the trailer /Info dictionary is also the page's /Resources; an /Info update points its /XObject to another amount", c1InfoIsResources},
		{"c1-annotation-is-page-content", "on an approval-signed (uncertified) document an annotation that is also the page's content stream is \"modified\"", c1AnnotIsContent},
		{"c1-annotation-ap-is-page-xobject", "on an approval-signed document the appearance stream of an annotation is also the page's Form XObject; changing the annotation's appearance rewrites the page", c1AnnotAPIsXObject},
		{"c1-dss-is-page-resources", "the catalog /DSS dictionary is also the page's /Resources; a /DSS update that adds a CRL also repoints /XObject", c1DSSIsResources},
		{"c1-structtree-is-resources", "the /StructTreeRoot is also the page's /Resources, updated with a new structure element and another XObject", c1StructTreeIsResources},
		{"c1-font-shared-with-field", "the font of the amount line is also the font of a text field's appearance; a P=2 fill \"updates\" it with an /Encoding that draws 2 as 9", c1FontShared},
		{"c1-shared-appearance", "two text fields share one appearance stream (one shows the amount); a P=2 fill of the other field rewrites the shared stream", c1SharedAppearance},
		{"c1-field-is-page", "the annex page dictionary is also a text field; a P=2 fill of that \"field\" also replaces the page's /Contents", c1FieldIsPage},
		{"c1-value-array-is-differences", "a multi-select list box's /V is an indirect array that is also the /Differences of the amount's font; a P=2 fill sets it to [50 /nine]", c1ValueIsDifferences},
		{"c1-ap-resources-shared-with-page", "a text field's appearance uses the page's (indirect) /Resources; a P=2 fill writes a new appearance and \"updates\" those resources to another XObject", c1APResourcesShared},
		{"c1-vri-entry-is-xobject", "the /DSS /VRI dictionary is also the page's /XObject dictionary and the content already paints a VRI-like name; an additive /DSS update adds that name as a cover-up Form XObject", c1VRIIsXObject},
	}
}

// xobject is a full-page Form XObject body with the given extra dictionary
// entries, drawing ops with the page fonts.
func (p *pks) xobject(extra, ops string) string {
	return stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources %s%s", p.fontRes(), extra), ops)
}

// xobjPage adds the annex page drawing the title itself and the amount
// through the Form XObject x (as /Xa).
func (p *pks) xobjPage(u *upd, x uint32, annots ...uint32) {
	p.page4Cont = u.add(stream("", titleOps+"q /Xa Do Q\n"))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> /XObject << /Xa %s >> >> /Contents %s%s",
		ref(p.helv), ref(p.helvB), ref(x), ref(p.page4Cont), annotsEntry(annots)), 0)
}

func c1FieldIsXObject(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x, w := u.alloc(), u.alloc()
	field := func(v string) string {
		return fmt.Sprintf(" /FT /Tx /T (Catatan) /V (%s) /DA (/Helv 9 Tf 0 g) /Kids [%s]", v, ref(w))
	}
	widget := func(ap uint32) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /Parent %s /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ref(x), noteRect, ref(p.pageNum(u)), ref(ap))
	}
	u.put(x, p.xobject(field("-"), amountOps(OldAmount)))
	u.put(w, widget(u.add(textAP(p.helv, "-"))))
	p.xobjPage(u, x, w)
	p.setFields(u, []uint32{x}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(x, p.xobject(field(fill), amountOps(NewAmount)))
	a.put(w, widget(a.add(textAP(p.helv, fill))))
	c.File = a.finish("")
}

func c1FieldAPIsXObject(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x, w := u.alloc(), u.alloc()
	u.put(x, p.xobject("", amountOps(OldAmount)))
	u.put(w, p.textField(u, "Catatan", "-", x, ""))
	p.xobjPage(u, x, w)
	p.setFields(u, []uint32{w}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(w, p.textField(a, "Catatan", fill, x, ""))
	a.put(x, p.xobject("", amountOps(NewAmount)))
	c.File = a.finish("")
}

// lengthTrick plants a content stream whose /Length is the indirect
// integer l: with the planted value the stream ends after the old amount;
// a larger value takes in a second "endstream" and the cover-up operators
// planted after it.
func lengthTrick(u *upd, l uint32) (cont uint32, first, grown int) {
	a := titleOps + amountOps(OldAmount)
	tail := "\nendstream\n" + coverOps(NewAmount)
	cont = u.alloc()
	u.put(cont, fmt.Sprintf("<< /Length %s >>\nstream\n%s%s\nendstream", ref(l), a, tail))
	return cont, len(a), len(a + tail)
}

func c1LengthIsValue(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	l, w := u.alloc(), u.alloc()
	cont, first, grown := lengthTrick(u, l)
	u.put(l, fmt.Sprint(first))
	field := func(ap uint32) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (Halaman) /V %s /DA (/Helv 9 Tf 0 g) /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ref(l), noteRect, ref(p.pageNum(u)), ref(ap))
	}
	u.put(w, field(u.add(textAP(p.helv, fmt.Sprint(first)))))
	p.page4Cont = cont
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", p.fontRes(), ref(cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(l, fmt.Sprint(grown))
	a.put(w, field(a.add(textAP(p.helv, fmt.Sprint(grown)))))
	c.File = a.finish("")
}

func c1LengthIsMaxLen(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	l, w := u.alloc(), u.alloc()
	cont, first, grown := lengthTrick(u, l)
	u.put(l, fmt.Sprint(first))
	ap := u.add(textAP(p.helv, "-"))
	u.put(w, p.textField(u, "Catatan", "-", ap, " /MaxLen "+ref(l)))
	p.page4Cont = cont
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", p.fontRes(), ref(cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(l, fmt.Sprint(grown))
	a.put(w, p.textField(a, "Catatan", fill, a.add(textAP(p.helv, fill)), " /MaxLen "+ref(l)))
	c.File = a.finish("")
}

// metadata is a metadata stream body that is also valid page content.
func metadata(ops string) string { return stream(" /Type /Metadata /Subtype /XML", ops) }

func c1MetadataIsContent(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	m := u.add(metadata(titleOps + amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents [%s]", p.fontRes(), ref(m)), 0)
	cat := dictOf(p.b, p.catalog)
	u.put(p.catalog, format(with(cat, "Metadata", r(m))))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(m, metadata(titleOps+amountOps(NewAmount)))
	c.File = a.finish("")
}

func c1PageMetadataIsContent(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	m := u.add(metadata(titleOps + amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Metadata %s", p.fontRes(), ref(m), ref(m)), 0)
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(m, metadata(titleOps+amountOps(NewAmount)))
	c.File = a.finish("")
}

// infoFont is an /Info dictionary that is also a Type 1 font; enc is its
// /Encoding.
func infoFont(enc, mod string) string {
	return fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding %s /Title (Perjanjian Kerja Sama) /Author (Biro Hukum) /Producer (segel) /ModDate (D:%s) >>", enc, mod)
}

// twoAsNine maps the code of "2" to the glyph "nine".
const twoAsNine = "<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [50 /nine] >>"

func c1InfoIsFont(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	info := u.add(infoFont("/WinAnsiEncoding", "20250115100000+07'00'"))
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> >> /Contents %s", ref(info), ref(p.helvB), ref(p.page4Cont)), 0)
	p.b = u.finish("/Info " + ref(info))
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(info, infoFont(twoAsNine, "20250116090000+07'00'"))
	c.File = a.finish("")
}

func c1InfoIsResources(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x1 := u.add(p.xobject("", amountOps(OldAmount)))
	res := func(x uint32, mod string) string {
		return fmt.Sprintf("<< /Title (Perjanjian Kerja Sama) /Producer (segel) /ModDate (D:%s) /Font << /F1 %s /F2 %s >> /XObject << /Xa %s >> >>",
			mod, ref(p.helv), ref(p.helvB), ref(x))
	}
	info := u.add(res(x1, "20250115100000+07'00'"))
	p.page4Cont = u.add(stream("", titleOps+"q /Xa Do Q\n"))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s", ref(info), ref(p.page4Cont)), 0)
	p.b = u.finish("/Info " + ref(info))
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	x2 := a.add(p.xobject("", amountOps(NewAmount)))
	a.put(info, res(x2, "20250116090000+07'00'"))
	c.File = a.finish("")
}

// squareAnnot is a Square annotation dictionary's content (without
// << >>) on the annex page, in the lower right corner.
func (p *pks) squareAnnot(u *upd, text string) string {
	return fmt.Sprintf(" /Type /Annot /Subtype /Square /Rect [540 20 560 40] /F 4 /C [0 0 1] /Contents (%s) /P %s", text, ref(p.pageNum(u)))
}

func c1AnnotIsContent(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	an := u.alloc()
	u.put(an, stream(p.squareAnnot(u, "catatan"), amountOps(OldAmount)))
	first := u.add(stream("", titleOps))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents [%s %s] /Annots [%s]", p.fontRes(), ref(first), ref(an), ref(an)), 0)
	p.commit(u)
	c.Signed = e.certify(p.b, 0)

	a := newUpd(c.Signed)
	a.put(an, stream(p.squareAnnot(a, "catatan direvisi"), amountOps(NewAmount)))
	c.File = a.finish("")
}

func c1AnnotAPIsXObject(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x, an := u.alloc(), u.alloc()
	u.put(x, p.xobject("", amountOps(OldAmount)))
	u.put(an, fmt.Sprintf("<<%s /AP << /N %s >> >>", p.squareAnnot(u, "catatan"), ref(x)))
	p.xobjPage(u, x, an)
	p.commit(u)
	c.Signed = e.certify(p.b, 0)

	a := newUpd(c.Signed)
	a.put(an, fmt.Sprintf("<<%s /AP << /N %s >> >>", p.squareAnnot(a, "catatan direvisi"), ref(x)))
	a.put(x, p.xobject("", amountOps(NewAmount)))
	c.File = a.finish("")
}

func c1DSSIsResources(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x1 := u.add(p.xobject("", amountOps(OldAmount)))
	certs := u.add(stream("", string(e.CA.Intermediate.Raw)))
	dss := func(x uint32, extra string) string {
		return fmt.Sprintf("<< /Type /DSS /Certs [%s]%s /Font << /F1 %s /F2 %s >> /XObject << /Xa %s >> >>",
			ref(certs), extra, ref(p.helv), ref(p.helvB), ref(x))
	}
	d := u.add(dss(x1, ""))
	p.page4Cont = u.add(stream("", titleOps+"q /Xa Do Q\n"))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s", ref(d), ref(p.page4Cont)), 0)
	u.put(p.catalog, format(with(dictOf(p.b, p.catalog), "DSS", r(d))))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	crl := a.add(stream("", string(e.emptyCRL())))
	x2 := a.add(p.xobject("", amountOps(NewAmount)))
	a.put(d, dss(x2, " /CRLs ["+ref(crl)+"]"))
	c.File = a.finish("")
}

func c1StructTreeIsResources(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x1 := u.add(p.xobject("", amountOps(OldAmount)))
	st := u.alloc()
	tree := func(x uint32, kids string) string {
		return fmt.Sprintf("<< /Type /StructTreeRoot /K [%s] /Font << /F1 %s /F2 %s >> /XObject << /Xa %s >> >>",
			kids, ref(p.helv), ref(p.helvB), ref(x))
	}
	u.put(st, tree(x1, ""))
	p.page4Cont = u.add(stream("", titleOps+"q /Xa Do Q\n"))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s", ref(st), ref(p.page4Cont)), 0)
	u.put(p.catalog, format(with(dictOf(p.b, p.catalog), "StructTreeRoot", r(st), "MarkInfo", pdf.Dict{"Marked": pdf.Bool(true)})))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	x2 := a.add(p.xobject("", amountOps(NewAmount)))
	elem := a.add(fmt.Sprintf("<< /Type /StructElem /S /Document /P %s /Pg %s >>", ref(st), ref(p.page4)))
	a.put(st, tree(x2, ref(elem)))
	c.File = a.finish("")
}

func c1FontShared(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	font := u.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	w := u.alloc()
	u.put(w, p.textField(u, "Catatan", "-", u.add(textAP(font, "-")), ""))
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> >> /Contents %s /Annots [%s]", ref(font), ref(p.helvB), ref(p.page4Cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding "+twoAsNine+" >>")
	a.put(w, p.textField(a, "Catatan", fill, a.add(textAP(font, fill)), ""))
	c.File = a.finish("")
}

func c1SharedAppearance(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	ap := func(amount string) string {
		return stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 300 22] /Resources << /Font << /F1 %s >> >>", ref(p.helv)),
			fmt.Sprintf("/Tx BMC BT /F1 11 Tf 4 8 Td (Nilai kontrak: %s) Tj ET EMC", amount))
	}
	x := u.add(ap(OldAmount))
	nilai, note := u.alloc(), u.alloc()
	u.put(nilai, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /Ff 1 /T (NilaiKontrak) /V (%s) /DA (/Helv 11 Tf 0 g) /Rect %s /F 4 /P %s /AP << /N %s >> >>",
		OldAmount, amountRect, ref(p.pageNum(u)), ref(x)))
	noteField := func(v string) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (Catatan) /V (%s) /DA (/Helv 9 Tf 0 g) /Rect %s /F 6 /P %s /AP << /N %s >> >>",
			v, noteRect, ref(p.pageNum(u)), ref(x))
	}
	u.put(note, noteField("-"))
	p.page4Cont = u.add(stream("", titleOps))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s %s]", p.fontRes(), ref(p.page4Cont), ref(nilai), ref(note)), 0)
	p.setFields(u, []uint32{nilai, note}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(note, noteField(fill))
	a.put(x, ap(NewAmount))
	c.File = a.finish("")
}

func c1FieldIsPage(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	pg := p.pageNum(u)
	page := func(cont, ap uint32, v string) string {
		return fmt.Sprintf("/Resources %s /Contents %s /FT /Tx /T (Lampiran) /V (%s) /Rect [0 0 0 0] /AP << /N %s >>", p.fontRes(), ref(cont), v, ref(ap))
	}
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)))
	p.addPage(u, page(p.page4Cont, u.add(textAP(p.helv, "-")), "-"), 0)
	p.setFields(u, []uint32{pg}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	cont := a.add(stream("", titleOps+amountOps(NewAmount)))
	a.put(pg, fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 595 842] %s >>", ref(p.pages), page(cont, a.add(textAP(p.helv, fill)), fill)))
	c.File = a.finish("")
}

func c1ValueIsDifferences(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	diff := u.add("[32 /space]")
	font := u.add(fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /BaseEncoding /WinAnsiEncoding /Differences %s >> >>", ref(diff)))
	w := u.alloc()
	field := func(ap uint32) string {
		return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Ch /Ff 2097152 /T (Pilihan) /Opt [(32) (50)] /V %s /DA (/Helv 9 Tf 0 g) /Rect %s /F 4 /P %s /AP << /N %s >> >>",
			ref(diff), noteRect, ref(p.pageNum(u)), ref(ap))
	}
	u.put(w, field(u.add(textAP(p.helv, "32"))))
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> >> /Contents %s /Annots [%s]", ref(font), ref(p.helvB), ref(p.page4Cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	a.put(diff, "[50 /nine]")
	a.put(w, field(a.add(textAP(p.helv, "50"))))
	c.File = a.finish("")
}

func c1APResourcesShared(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	x1 := u.add(p.xobject("", amountOps(OldAmount)))
	res := u.alloc()
	resources := func(x uint32) string {
		return fmt.Sprintf("<< /Font << /F1 %s /F2 %s >> /XObject << /Xa %s >> >>", ref(p.helv), ref(p.helvB), ref(x))
	}
	u.put(res, resources(x1))
	ap := func(v string) string {
		return stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 160 20] /Resources %s", ref(res)),
			fmt.Sprintf("/Tx BMC q BT /F1 9 Tf 0 g 2 6 Td (%s) Tj ET Q EMC", v))
	}
	w := u.alloc()
	u.put(w, p.textField(u, "Catatan", "-", u.add(ap("-")), ""))
	p.page4Cont = u.add(stream("", titleOps+"q /Xa Do Q\n"))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s /Annots [%s]", ref(res), ref(p.page4Cont), ref(w)), 0)
	p.setFields(u, []uint32{w}, p.drForm())
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	x2 := a.add(p.xobject("", amountOps(NewAmount)))
	a.put(res, resources(x2))
	a.put(w, p.textField(a, "Catatan", fill, a.add(ap(fill)), ""))
	c.File = a.finish("")
}

// vriLike is a name that looks like a /VRI key (40 hex digits).
const vriLike = "5A1E7C0FFEE0D15EA5E0B16B00B5CAFEF00DBA5E"

func c1VRIIsXObject(e Env, c *Case) {
	p := newPKS()
	u := newUpd(p.b)
	certs := u.add(stream("", string(e.CA.Intermediate.Raw)))
	vri := u.add("<< >>")
	dss := u.add(fmt.Sprintf("<< /Type /DSS /Certs [%s] /VRI %s >>", ref(certs), ref(vri)))
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)+"q /"+vriLike+" Do Q\n"))
	p.addPage(u, fmt.Sprintf("/Resources << /Font << /F1 %s /F2 %s >> /XObject %s >> /Contents %s", ref(p.helv), ref(p.helvB), ref(vri), ref(p.page4Cont)), 0)
	u.put(p.catalog, format(with(dictOf(p.b, p.catalog), "DSS", r(dss))))
	p.commit(u)
	c.Signed = e.certify(p.b, 2)

	a := newUpd(c.Signed)
	crl := a.add(stream("", string(e.emptyCRL())))
	x := a.add(p.xobject(fmt.Sprintf(" /CRL [%s] /TU (D:20250116090000+07'00')", ref(crl)), coverOps(NewAmount)))
	a.put(vri, fmt.Sprintf("<< /%s %s >>", vriLike, ref(x)))
	c.File = a.finish("")
}
