package attacks

import (
	"fmt"
	"strings"
)

// Class 5: parser tolerance that viewers do not share. The attacker writes
// bytes after the signed part that readers resolve differently: a reader
// that repairs (reconstructs the cross-reference from a scan of the whole
// file, where the last body of an object wins) or reads a table by fixed
// width sees the new amount, a lenient reader that "fixes" the file
// another way sees the signed one.
func class5() []spec {
	return append([]spec{
		{"c5-startxref-off", "the final startxref is 2 bytes off its table (which lists only a new /Info); the changed content stream is an unlisted body before it", c5StartXrefOff},
		{"c5-prev-off", "the attacker's section has a /Prev 3 bytes off the signed table; the changed content stream is an unlisted body", c5PrevOff},
		{"c5-object-offset-off", "the attacker's table gives the content stream an offset 4 bytes before a harmless copy of it; a changed body follows", c5OffsetOff},
		{"c5-header-generation-differs", "the attacker's table (gen 0) points at a harmless copy whose header says generation 1; a changed body with generation 0 follows", c5HeaderGen},
		{"c5-xref-19-byte-lines", "the attacker's table has 19-byte entries (single LF): token readers take the harmless copy, a fixed-width reader fails and repairs to the last (changed) body", c5LineWidth(19)},
		{"c5-xref-21-byte-lines", "the attacker's table has 21-byte entries (space CR LF): token readers take the harmless copy, the changed body comes last", c5LineWidth(21)},
		{"c5-xref-11-digit-offsets", "the attacker's table writes offsets with 11 digits (20-byte lines shifted): token readers read the harmless copy's offset, a fixed-width reader does not", c5LineWidth(11)},
		{"c5-duplicate-entry-in-section", "one table section lists the content stream twice: first the harmless copy, then the changed body", c5Duplicate(false)},
		{"c5-duplicate-entry-changed-first", "one table section lists the content stream twice: first the changed body, then the harmless copy", c5Duplicate(true)},
		{"c5-objstm-duplicate-object", "an object stream holds the annex page dictionary twice (harmless at the index the xref stream names, changed after it)", c5ObjStmDup(false)},
		{"c5-objstm-duplicate-changed-first", "an object stream holds the annex page dictionary twice: changed at index 0, harmless at index 1, which the xref stream names", c5ObjStmDup(true)},
		{"c5-trailing-bytes-hide-startxref", "the attacker's section (a new /Info only) is followed by 1.5 KB of comment lines, so startxref is not in the last KB that viewers search; the changed body is unlisted", c5TrailingBytes},
		{"c5-comment-in-xref", "the attacker's table has a comment line before its subsection header; the changed body is unlisted", c5CommentInXref},
		{"c5-xrefstream-duplicate-index", "the attacker's cross-reference stream lists the content stream twice in /Index (harmless first, changed second)", c5XRefStmDup},
		{"c5-hybrid-xrefstm-disagrees", "the attacker's table lists the harmless copy, its /XRefStm lists the changed body for the same object", c5Hybrid},
		{"c5-body-hidden-in-stream", "the changed body is hidden inside the data of a new metadata stream (by its /Length) and the final startxref is 2 bytes off", c5HiddenInStream},
		{"c5-size-too-small", "the attacker's trailer /Size is smaller than the changed object's number; the changed body is listed", c5SizeTooSmall},
	}, class5b()...)
}

// attackBase is the planted agreement certified with P=2: the common
// starting point of the class 5 and 7 cases.
func (e Env) attackBase() (*pks, []byte) {
	p := planted()
	return p, e.certify(p.b, 2)
}

// sameBody is a harmless copy of the annex content stream; evilBody the
// changed one.
func sameBody() string { return stream("", titleOps+amountOps(OldAmount)) }
func evilBody() string { return stream("", titleOps+amountOps(NewAmount)) }

// infoObj is a new /Info dictionary (an allowed change).
const infoObj = "<< /Title (Perjanjian Kerja Sama) /Producer (segel) /ModDate (D:20250116090000+07'00') >>"

func c5StartXrefOff(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	c.File = a.finishText(tableText([]xent{{num: info, off: a.offs[info]}}, stdLine), "/Info "+ref(info), 2)
}

func c5PrevOff(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	c.File = a.finishTable([]xent{{num: info, off: a.offs[info]}}, stdLine, fmt.Sprintf("/Info %s /Prev %d", ref(info), a.prev+3))
}

func c5OffsetOff(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.raw("% copy follows\n")
	same := a.put(p.page4Cont, sameBody())
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	c.File = a.finishTable([]xent{{num: p.page4Cont, off: same - 4}, {num: info, off: a.offs[info]}}, stdLine, "/Info "+ref(info))
}

func c5HeaderGen(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	same := a.putGen(p.page4Cont, 1, sameBody())
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	c.File = a.finishTable([]xent{{num: p.page4Cont, off: same}, {num: info, off: a.offs[info]}}, stdLine, "/Info "+ref(info))
}

// c5LineWidth writes the attacker's table with entries of the given width:
// 19 (LF only), 21 (space CR LF) or 11 (an 11-digit offset, LF only).
func c5LineWidth(width int) func(e Env, c *Case) {
	line := func(x xent) string {
		switch width {
		case 19:
			return fmt.Sprintf("%010d %05d n\n", x.off, x.gen)
		case 21:
			return fmt.Sprintf("%010d %05d n \r\n", x.off, x.gen)
		}
		return fmt.Sprintf("%011d %05d n\n", x.off, x.gen)
	}
	return func(e Env, c *Case) {
		p, s := e.attackBase()
		c.Signed = s
		a := newUpd(s)
		same := a.put(p.page4Cont, sameBody())
		a.put(p.page4Cont, evilBody())
		info := a.add(infoObj)
		es := []xent{{num: p.page4Cont, off: same}, {num: info, off: a.offs[info]}}
		// Pad the table with more entries (copies of the /Info object) so
		// that a fixed-width reader drifts over several lines.
		for i := 0; i < 4; i++ {
			n := a.add(infoObj)
			es = append(es, xent{num: n, off: a.offs[n]})
		}
		c.File = a.finishTable(es, line, "/Info "+ref(info))
	}
}

func c5Duplicate(changedFirst bool) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p, s := e.attackBase()
		c.Signed = s
		a := newUpd(s)
		same := a.put(p.page4Cont, sameBody())
		evil := a.put(p.page4Cont, evilBody())
		info := a.add(infoObj)
		first, second := same, evil
		if changedFirst {
			first, second = evil, same
		}
		table := fmt.Sprintf("%d 1\n%s%d 1\n%s", p.page4Cont, stdLine(xent{off: first}), p.page4Cont, stdLine(xent{off: second})) +
			tableText([]xent{{num: info, off: a.offs[info]}}, stdLine)
		c.File = a.finishText(table, "/Info "+ref(info), 0)
	}
}

func c5ObjStmDup(changedFirst bool) func(e Env, c *Case) {
	return func(e Env, c *Case) {
		p, s := e.attackBase()
		c.Signed = s
		a := newUpd(s)
		orig := format(dictOf(s, p.page4))
		evilCont := a.add(evilBody())
		evil := strings.Replace(orig, ref(p.page4Cont), ref(evilCont), 1)
		ms, idx := []member{{p.page4, orig}, {p.page4, evil}}, uint16(0)
		if changedFirst {
			ms, idx = []member{{p.page4, evil}, {p.page4, orig}}, 1
		}
		stm := a.add(objStm(ms))
		c.File = a.finishXRefStream([]xrow{{num: p.page4, typ: 2, off: int64(stm), gen: idx},
			{num: evilCont, typ: 1, off: a.offs[evilCont]}, {num: stm, typ: 1, off: a.offs[stm]}}, "", "")
	}
}

func c5TrailingBytes(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	a.finishTable([]xent{{num: info, off: a.offs[info]}}, stdLine, "/Info "+ref(info))
	for i := 0; i < 24; i++ {
		a.raw("% ------------------------------------------------------------\n")
	}
	c.File = a.b
}

func c5CommentInXref(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	info := a.add(infoObj)
	c.File = a.finishText("% bagian perubahan\n"+tableText([]xent{{num: info, off: a.offs[info]}}, stdLine), "/Info "+ref(info), 0)
}

func c5XRefStmDup(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	same := a.put(p.page4Cont, sameBody())
	evil := a.put(p.page4Cont, evilBody())
	rows := []xrow{{num: p.page4Cont, typ: 1, off: same}, {num: p.page4Cont, typ: 1, off: evil}}
	c.File = a.finishXRefStream(rows, fmt.Sprintf("[%d 1 %d 1]", p.page4Cont, p.page4Cont), "")
}

func c5Hybrid(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	same := a.put(p.page4Cont, sameBody())
	evil := a.put(p.page4Cont, evilBody())
	// The /XRefStm stream: an xref stream object not named by startxref.
	xs := a.alloc()
	data := []byte{1, byte(evil >> 24), byte(evil >> 16), byte(evil >> 8), byte(evil), 0, 0}
	xsOff := a.at()
	a.raw(fmt.Sprintf("%d 0 obj\n<< /Type /XRef /W [1 4 2] /Index [%d 1] /Size %d /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		xs, p.page4Cont, a.next, len(data), data))
	c.File = a.finishTable([]xent{{num: p.page4Cont, off: same}}, stdLine, fmt.Sprintf("/XRefStm %d", xsOff))
}

func c5HiddenInStream(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	hidden := fmt.Sprintf("<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>\nendstream\nendobj\n%d 0 obj\n%s\nendobj\n<?xpacket end='w'?>", p.page4Cont, evilBody())
	m := a.add(stream(" /Type /Metadata /Subtype /XML", hidden))
	cat := dictOf(s, p.catalog)
	a.put(p.catalog, format(with(cat, "Metadata", r(m))))
	c.File = a.finishText(tableText(a.entries(), stdLine), "", 2)
}

func c5SizeTooSmall(e Env, c *Case) {
	p, s := e.attackBase()
	c.Signed = s
	a := newUpd(s)
	a.put(p.page4Cont, evilBody())
	c.File = a.finishTable(a.entries(), stdLine, fmt.Sprintf("/Size %d", p.page4Cont))
}
