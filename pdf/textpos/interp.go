package textpos

import (
	"fmt"
	"io"
	"math"

	"segel/pdf"
)

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n: m applied first, then n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// glyph is one shown character code, in page user space. It holds no
// pointers (its text is in interp.text), so that a page's glyphs cost
// the collector nothing to scan.
type glyph struct {
	t0, t1 uint32  // its text: interp.text[t0:t1]
	x0, y0 float64 // baseline start
	x1, y1 float64 // baseline end (start + advance)
	sx, sy float32 // then the character and word spacing (Tc, Tw)
	ux, uy float32 // the font size's height, as a vector
}

// up returns the font size's height vector.
func (g *glyph) up() (float64, float64) { return float64(g.ux), float64(g.uy) }

// gstate is the part of the graphics state the locator tracks.
type gstate struct {
	ctm                         matrix
	font                        *font
	size, tc, tw, th, tl, trise float64
}

// interp runs content streams and collects their glyphs.
type interp struct {
	doc    *pdf.Document
	lim    Limits
	bytes  int64 // content and CMap bytes decoded so far
	ops    int64 // operators run so far
	fonts  map[pdf.Ref]*font
	glyphs []glyph
	text   []byte // the glyphs' text, one after the other
	err    error  // a limit reached: the run stops
	forms  []pdf.Ref
	// formData holds the decoded content of the Form XObjects drawn so
	// far (nil for one that cannot be decoded): a form drawn on every
	// page, or many times on one, is decoded and counted once.
	formData map[pdf.Ref][]byte
}

func (x *interp) limit(what string, n int64) {
	if x.err == nil {
		x.err = fmt.Errorf("textpos: %w", &pdf.LimitError{What: what, Limit: n})
	}
}

// streamData decodes a stream within the byte budget; nil when it cannot
// be decoded (an unsupported filter, a broken stream) or the budget is
// spent (then x.err is set).
func (x *interp) streamData(st *pdf.Stream) []byte {
	if x.err != nil {
		return nil
	}
	r, err := x.doc.StreamReader(st)
	if err != nil {
		return nil
	}
	left := x.lim.MaxBytes - x.bytes
	data, err := io.ReadAll(io.LimitReader(r, left+1))
	x.bytes += int64(len(data))
	if int64(len(data)) > left {
		x.limit("decoded content bytes", x.lim.MaxBytes)
		return nil
	}
	if err != nil && len(data) == 0 {
		return nil
	}
	return data // a stream broken midway: what was decoded
}

// contents returns the decoded content of a page's /Contents (a stream or
// an array of streams, joined).
func (x *interp) contents(o pdf.Object) []byte {
	v := resolve(x.doc, o)
	if st, ok := v.(*pdf.Stream); ok {
		return x.streamData(st)
	}
	arr, _ := v.(pdf.Array)
	var out []byte
	for i, e := range arr {
		if i >= 1<<16 {
			break
		}
		if st, ok := resolve(x.doc, e).(*pdf.Stream); ok {
			out = append(append(out, x.streamData(st)...), '\n')
		}
	}
	return out
}

func (x *interp) fontOf(res pdf.Dict, name string) *font {
	fonts, _ := x.doc.GetDict(res["Font"])
	o := fonts[pdf.Name(name)]
	ref, isRef := o.(pdf.Ref)
	if isRef {
		if f, ok := x.fonts[ref]; ok {
			return f
		}
	}
	fd, _ := x.doc.GetDict(o)
	if fd == nil {
		return nil
	}
	f := x.loadFont(fd)
	if isRef {
		x.fonts[ref] = f
	}
	return f
}

// maxSaved bounds the graphics state stack (q without Q).
const maxSaved = 1024

// run interprets one content stream with its resources.
func (x *interp) run(data []byte, res pdf.Dict, gs gstate, depth int) {
	l := &lexer{b: data}
	var stack []gstate
	lost := 0 // q operators beyond maxSaved, undone by Q first
	tm, tlm := identity, identity
	var ops []operand
	// The fonts this stream selected, by resource name: a font given as
	// a direct dictionary (not cached by reference in x.fonts) is read
	// once per stream, not at every Tf.
	used := map[string]*font{}
	nums := func(args []operand, n int) (v [6]float64, ok bool) {
		if len(args) < n {
			return v, false
		}
		for i, a := range args[len(args)-n:] {
			if a.kind != kNum {
				return v, false
			}
			v[i] = a.num
		}
		return v, true
	}
	td := func(tx, ty float64) {
		tlm = matrix{1, 0, 0, 1, tx, ty}.mul(tlm)
		tm = tlm
	}
	show := func(s []byte) {
		f := gs.font
		if f == nil {
			return
		}
		f.codes(s, func(c code) {
			w0 := f.width(c)
			tx := w0*gs.size + gs.tc
			if c.n == 1 && c.c == ' ' {
				tx += gs.tw
			}
			trm := matrix{gs.size * gs.th, 0, 0, gs.size, 0, gs.trise}.mul(tm).mul(gs.ctm)
			if len(x.glyphs) < x.lim.MaxGlyphs {
				g := glyph{t0: uint32(len(x.text))}
				x.text = f.appendText(x.text, c)
				g.t1 = uint32(len(x.text))
				g.x0, g.y0 = trm.apply(0, 0)
				g.x1, g.y1 = trm.apply(w0, 0)
				if gs.size != 0 {
					px, py := trm.apply(tx/gs.size, 0)
					g.sx, g.sy = float32(px-g.x1), float32(py-g.y1)
				}
				g.ux, g.uy = float32(trm[2]), float32(trm[3])
				x.glyphs = append(x.glyphs, g)
			} else {
				x.limit("glyphs on a page", int64(x.lim.MaxGlyphs))
			}
			tm = matrix{1, 0, 0, 1, tx * gs.th, 0}.mul(tm)
		})
	}
	for x.err == nil {
		opb, args, ok := l.next(ops)
		ops = args
		if !ok {
			return
		}
		op := string(opb) // does not escape: no allocation
		if x.ops++; x.ops > x.lim.MaxOps {
			x.limit("content operators", x.lim.MaxOps)
			return
		}
		switch op {
		case "q":
			if len(stack) < maxSaved {
				stack = append(stack, gs)
			} else {
				lost++
			}
		case "Q":
			if lost > 0 {
				lost--
			} else if len(stack) > 0 {
				gs = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if v, ok := nums(args, 6); ok {
				gs.ctm = matrix{v[0], v[1], v[2], v[3], v[4], v[5]}.mul(gs.ctm)
			}
		case "BT":
			tm, tlm = identity, identity
		case "Tf":
			if len(args) >= 2 && args[len(args)-2].kind == kName && args[len(args)-1].kind == kNum {
				name := args[len(args)-2].str
				f, ok := used[string(name)]
				if !ok {
					f = x.fontOf(res, string(name))
					used[string(name)] = f
				}
				gs.font = f
				gs.size = args[len(args)-1].num
			}
		case "Tc", "Tw", "Tz", "TL", "Ts":
			if v, ok := nums(args, 1); ok {
				switch op {
				case "Tc":
					gs.tc = v[0]
				case "Tw":
					gs.tw = v[0]
				case "Tz":
					gs.th = v[0] / 100
				case "TL":
					gs.tl = v[0]
				case "Ts":
					gs.trise = v[0]
				}
			}
		case "Td", "TD":
			if v, ok := nums(args, 2); ok {
				if op == "TD" {
					gs.tl = -v[1]
				}
				td(v[0], v[1])
			}
		case "Tm":
			if v, ok := nums(args, 6); ok {
				tlm = matrix{v[0], v[1], v[2], v[3], v[4], v[5]}
				tm = tlm
			}
		case "T*":
			td(0, -gs.tl)
		case "Tj", "'", "\"":
			if op == "\"" {
				if v, ok := nums(args[:max(0, len(args)-1)], 2); ok {
					gs.tw, gs.tc = v[0], v[1]
				}
			}
			if op != "Tj" {
				td(0, -gs.tl)
			}
			if len(args) > 0 && args[len(args)-1].kind == kString {
				show(args[len(args)-1].str)
			}
		case "TJ":
			if len(args) == 0 || args[len(args)-1].kind != kArray {
				continue
			}
			for _, e := range args[len(args)-1].arr {
				switch e.kind {
				case kString:
					show(e.str)
				case kNum:
					tm = matrix{1, 0, 0, 1, -e.num / 1000 * gs.size * gs.th, 0}.mul(tm)
				}
			}
		case "Do":
			if len(args) > 0 && args[len(args)-1].kind == kName {
				x.form(res, string(args[len(args)-1].str), gs, depth)
			}
		}
	}
}

// form runs the Form XObject name of res.
func (x *interp) form(res pdf.Dict, name string, gs gstate, depth int) {
	if depth+1 > x.lim.MaxDepth {
		return
	}
	xo, _ := x.doc.GetDict(res["XObject"])
	o := xo[pdf.Name(name)]
	ref, _ := o.(pdf.Ref)
	for _, r := range x.forms {
		if ref == r && ref != (pdf.Ref{}) {
			return // a form that draws itself
		}
	}
	st, ok := resolve(x.doc, o).(*pdf.Stream)
	if !ok {
		return
	}
	if sub, _ := st.Dict["Subtype"].(pdf.Name); sub != "Form" {
		return
	}
	if m, _ := x.doc.GetArray(st.Dict["Matrix"]); len(m) == 6 {
		var v matrix
		for i := range v {
			v[i], _ = number0(x.doc, m[i])
		}
		gs.ctm = v.mul(gs.ctm)
	}
	fres, _ := x.doc.GetDict(st.Dict["Resources"])
	if fres == nil {
		fres = res // older files: the form uses its parent's resources
	}
	data, ok := x.formData[ref]
	if !ok {
		data = x.streamData(st)
		if ref != (pdf.Ref{}) {
			x.formData[ref] = data
		}
	}
	if data == nil {
		return
	}
	x.forms = append(x.forms, ref)
	x.run(data, fres, gs, depth+1)
	x.forms = x.forms[:len(x.forms)-1]
}

// finite reports whether all values are finite numbers.
func finite(v ...float64) bool {
	for _, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}
