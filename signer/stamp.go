package signer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"segel/internal/fonts"
	"segel/pdf"
)

// ErrStampTooSmall means the stamp's text does not fit its rectangle even
// at the smallest size (6 pt): segel never cuts text off.
var ErrStampTooSmall = errors.New("the stamp does not fit its rectangle")

// Stamp is the visible face of an electronic signature (TTE), as
// Indonesian government documents show it: who signed (name, position,
// NIP, agency), when (in WIB, WITA or WIT, with Indonesian month names),
// why, and a QR code leading to the document's verification page.
type Stamp struct {
	// Layout is "qr-left" (the QR code left of the text, as BSrE stamps
	// look; the default) or "text" (see [BuiltinLayout]).
	Layout                       string
	Name, Jabatan, NIP, Instansi string
	Reason                       string
	// Zone is WIB (the default), WITA or WIT.
	Zone string
	// VerifyURL is what the QR code encodes; no QR code when empty.
	VerifyURL string
	// Custom, when set, is the layout drawn instead of the built-in one
	// Layout names (see [ParseLayout]).
	Custom *Layout
	// Image is an optional logo or seal (see [ParseStampImage]), drawn
	// where the layout puts it.
	Image *StampImage
}

// MinStampSize is the smallest font size a stamp is set in.
const MinStampSize = 6.0

var months = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// zones are Indonesia's time zones.
var zones = map[string]*time.Location{
	"WIB":  time.FixedZone("WIB", 7*3600),
	"WITA": time.FixedZone("WITA", 8*3600),
	"WIT":  time.FixedZone("WIT", 9*3600),
}

// IndonesianTime formats t as "3 Desember 2026 14.05 WIB" in zone (WIB,
// WITA or WIT; WIB when empty).
func IndonesianTime(t time.Time, zone string) (string, error) {
	if zone == "" {
		zone = "WIB"
	}
	loc, ok := zones[strings.ToUpper(zone)]
	if !ok {
		return "", fmt.Errorf("signer: %w: time zone %q (use WIB, WITA or WIT)", ErrBadOptions, zone)
	}
	t = t.In(loc)
	return fmt.Sprintf("%d %s %d %02d.%02d %s", t.Day(), months[t.Month()-1], t.Year(), t.Hour(), t.Minute(), loc.String()), nil
}

// stampLine is one line of the stamp before wrapping.
type stampLine struct {
	text string
	bold bool
	rel  float64 // size relative to the base size
}

// layout is the stamp's layout: Custom when set, else the built-in one
// Layout names.
func (st *Stamp) layout() (Layout, error) {
	if st.Custom != nil {
		if err := st.Custom.check(nil); err != nil {
			return Layout{}, err
		}
		return st.Custom.resolve(), nil
	}
	l, ok := BuiltinLayout(st.Layout)
	if !ok {
		return Layout{}, fmt.Errorf("signer: %w: stamp layout %q (use qr-left or text, or a layout file)", ErrBadOptions, st.Layout)
	}
	return l.resolve(), nil
}

// box is a rectangle in the stamp's own space.
type box struct{ x, y, w, h float64 }

// stampAppearance draws st into a w × h box, adding its fonts and image
// to u.
func stampAppearance(st *Stamp, signedAt time.Time, fallbackName string, w, h float64, u *pdf.Update) (*pdf.Stream, error) {
	when, err := IndonesianTime(signedAt, st.Zone)
	if err != nil {
		return nil, err
	}
	name := st.Name
	if name == "" {
		name = fallbackName
	}
	lay, err := st.layout()
	if err != nil {
		return nil, err
	}
	lines := lay.textLines(map[string]string{"name": name, "jabatan": st.Jabatan, "nip": st.NIP,
		"instansi": st.Instansi, "time": when, "reason": st.Reason})
	if len(lines) == 0 {
		return nil, fmt.Errorf("signer: %w: every line of the layout is empty for this signer", ErrBadLayout)
	}
	img := st.Image
	regular, err := fonts.Get(fonts.Sans)
	if err != nil {
		return nil, err
	}
	bold, err := fonts.Get(fonts.SansBold)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		f := regular
		if l.bold {
			f = bold
		}
		for _, r := range l.text {
			if !fonts.Covers(f, r) {
				return nil, fmt.Errorf("signer: %w: the stamp's font cannot draw %q (U+%04X) in %q", ErrBadOptions, r, r, l.text)
			}
		}
	}

	// Where the parts go: the QR code and a side image take columns (or
	// the QR code a band at the bottom) from the text's box.
	const pad = 4.0
	text := box{pad, pad, w - 2*pad, h - 2*pad}
	var qr box
	if st.VerifyURL != "" && lay.QR != "none" {
		side := min(h-2*pad, w*lay.QRSize)
		if lay.QR == "bottom" {
			side = min(w*lay.QRSize, (h-3*pad)/2)
		}
		if side < 36 {
			return nil, fmt.Errorf("signer: %w: the QR code needs at least 36 pt; the field is %.0f × %.0f pt", ErrStampTooSmall, w, h)
		}
		switch lay.QR {
		case "left":
			qr = box{pad, (h - side) / 2, side, side}
			text.x += side + pad
			text.w -= side + pad
		case "right":
			qr = box{w - pad - side, (h - side) / 2, side, side}
			text.w -= side + pad
		case "bottom":
			qr = box{(w - side) / 2, pad, side, side}
			text.y += side + pad
			text.h -= side + pad
		}
	}
	var pic box
	if img != nil && lay.Image != "none" {
		switch lay.Image {
		case "left", "right":
			iw, ih := img.fit(w*lay.ImageSize, text.h)
			pic = box{text.x, text.y + (text.h-ih)/2, iw, ih}
			if lay.Image == "right" {
				pic.x = text.x + text.w - iw
			} else {
				text.x += iw + pad
			}
			text.w -= iw + pad
		case "behind":
			iw, ih := img.fit(text.w, text.h)
			pic = box{text.x + (text.w-iw)/2, text.y + (text.h-ih)/2, iw, ih}
		}
	}
	if text.w < 20 {
		return nil, fmt.Errorf("signer: %w: %.0f × %.0f pt leaves %.0f pt for the text", ErrStampTooSmall, w, h, max(text.w, 0))
	}

	// The largest size (from 9 pt down, by 0.25 pt, not below 6) at which
	// every wrapped line fits.
	type placed struct {
		text string
		bold bool
		size float64
	}
	var out []placed
	fit := false
	for size := 9.0; size >= MinStampSize-1e-9; size -= 0.25 {
		out = out[:0]
		total := 0.0
		ok := true
		for _, l := range lines {
			f, sz := regular, size*l.rel
			if l.bold {
				f = bold
			}
			sz = max(sz, MinStampSize)
			for _, wl := range wrap(f, l.text, sz, text.w) {
				if f.Width(wl, sz) > text.w {
					ok = false
				}
				out = append(out, placed{wl, l.bold, sz})
				total += sz * 1.12
			}
		}
		if ok && total <= text.h {
			fit = true
			break
		}
	}
	if !fit {
		return nil, fmt.Errorf("signer: %w: %.0f × %.0f pt is too small for the stamp's text at %g pt; make the field larger or the texts shorter", ErrStampTooSmall, w, h, MinStampSize)
	}

	// Fonts: a subset of each face with the glyphs used.
	type faceUse struct {
		f     *fonts.Font
		chars map[rune]uint16
	}
	use := map[bool]*faceUse{false: {regular, map[rune]uint16{}}, true: {bold, map[rune]uint16{}}}
	for _, p := range out {
		for _, r := range p.text {
			g, _ := use[p.bold].f.Glyph(r)
			use[p.bold].chars[r] = g
		}
	}
	res := pdf.Dict{}
	fontRes := pdf.Dict{}
	res["Font"] = fontRes
	gidOf := map[bool]map[uint16]uint16{}
	for _, b := range []bool{false, true} {
		fu := use[b]
		if len(fu.chars) == 0 {
			continue
		}
		ref, gids, err := embedFont(u, fu.f, fu.chars, b)
		if err != nil {
			return nil, err
		}
		gidOf[b] = gids
		if b {
			fontRes["FB"] = ref
		} else {
			fontRes["FR"] = ref
		}
	}

	var c bytes.Buffer
	fmt.Fprintf(&c, "q 1 1 1 rg 0 0 %.2f %.2f re f Q\n", w, h)
	if lay.border() {
		fmt.Fprintf(&c, "q 0.1 0.2 0.5 RG 0.8 w 0.4 0.4 %.2f %.2f re S Q\n", w-0.8, h-0.8)
	}
	if pic.w > 0 {
		res["XObject"] = pdf.Dict{"Im1": img.add(u)}
		c.WriteString("q ")
		if lay.Image == "behind" {
			// Faint, so that the text over it stays legible.
			res["ExtGState"] = pdf.Dict{"GSi": pdf.Dict{"Type": pdf.Name("ExtGState"), "ca": pdf.Real(0.18), "CA": pdf.Real(0.18)}}
			c.WriteString("/GSi gs ")
		}
		fmt.Fprintf(&c, "%.3f 0 0 %.3f %.3f %.3f cm /Im1 Do Q\n", pic.w, pic.h, pic.x, pic.y)
	}
	if qr.w > 0 {
		if err := drawQR(&c, st.VerifyURL, qr.x, qr.y, qr.w); err != nil {
			return nil, err
		}
	}
	c.WriteString("BT 0 g\n")
	y := text.y + text.h
	for _, p := range out {
		y -= p.size * 1.12
		name, g := "/FR", gidOf[false]
		f := regular
		if p.bold {
			name, g, f = "/FB", gidOf[true], bold
		}
		var hexs strings.Builder
		for _, r := range p.text {
			og, _ := f.Glyph(r)
			fmt.Fprintf(&hexs, "%04X", g[og])
		}
		fmt.Fprintf(&c, "%s %.2f Tf 1 0 0 1 %.2f %.2f Tm <%s> Tj\n", name, p.size, text.x, y+p.size*0.22, hexs.String())
	}
	c.WriteString("ET\n")
	return pdf.NewStream(pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox":      pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real(w), pdf.Real(h)},
		"Resources": res,
	}, c.Bytes()), nil
}

// wrap breaks text into lines no wider than width at size, at spaces; a
// word longer than the width stays whole (the caller then shrinks).
func wrap(f *fonts.Font, text string, size, width float64) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return nil
	}
	var lines []string
	cur := words[0]
	for _, wd := range words[1:] {
		if f.Width(cur+" "+wd, size) <= width {
			cur += " " + wd
			continue
		}
		lines = append(lines, cur)
		cur = wd
	}
	return append(lines, cur)
}

// drawQR draws a QR code of s as filled squares in a side × side square
// at x, y: one white module inside the square, the stamp's white padding
// (at least 4 pt) around it. Modules are as large as that allows: with a
// quiet zone of two modules inside, one code in twelve rendered at 100 dpi
// in a 180 × 72 pt field could not be read by zbarimg.
func drawQR(c *bytes.Buffer, s string, x, y, side float64) error {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return fmt.Errorf("signer: %w: the QR code cannot hold %d characters: %v", ErrBadOptions, len(s), err)
	}
	n := code.Bounds().Dx()
	m := side / float64(n+2)
	fmt.Fprintf(c, "q 1 1 1 rg %.2f %.2f %.2f %.2f re f 0 g\n", x, y, side, side)
	dark := func(col, row int) bool { r, _, _, _ := code.At(col, row).RGBA(); return r == 0 }
	for row := 0; row < n; row++ {
		for col := 0; col < n; col++ {
			if !dark(col, row) {
				continue
			}
			// One rectangle per run of dark modules: adjacent squares
			// leave hairline seams in anti-aliased renderings, which made
			// some codes unreadable at 100 dpi.
			run := 1
			for col+run < n && dark(col+run, row) {
				run++
			}
			fmt.Fprintf(c, "%.3f %.3f %.3f %.3f re\n", x+float64(col+1)*m, y+side-float64(row+2)*m, float64(run)*m, m)
			col += run - 1
		}
	}
	c.WriteString("f Q\n")
	return nil
}

// embedFont adds a Type 0 font (Identity-H, a CIDFontType2 with a subset
// of f and a ToUnicode map) to u and returns its reference and the glyph
// numbers of the subset.
func embedFont(u *pdf.Update, f *fonts.Font, chars map[rune]uint16, bold bool) (pdf.Ref, map[uint16]uint16, error) {
	used := make([]uint16, 0, len(chars))
	for _, g := range chars {
		used = append(used, g)
	}
	sub, err := f.Subset(used, chars)
	if err != nil {
		return pdf.Ref{}, nil, fmt.Errorf("signer: subsetting the stamp's font: %w", err)
	}
	name := pdf.Name(sub.Name(f.PostScriptName))
	file := u.Add(pdf.NewStream(pdf.Dict{"Length1": pdf.Int(len(sub.Data))}, sub.Data))
	desc := u.Add(pdf.Dict{
		"Type": pdf.Name("FontDescriptor"), "FontName": name, "Flags": pdf.Int(f.Flags(false, true)),
		"FontBBox":    pdf.Array{pdf.Real(f.BBox[0]), pdf.Real(f.BBox[1]), pdf.Real(f.BBox[2]), pdf.Real(f.BBox[3])},
		"ItalicAngle": pdf.Real(f.ItalicAngle), "Ascent": pdf.Real(f.Ascent), "Descent": pdf.Real(f.Descent),
		"CapHeight": pdf.Real(f.CapHeight), "StemV": pdf.Real(f.StemV()), "FontFile2": file,
	})
	var widths pdf.Array
	for newGID, orig := range sub.Glyphs {
		widths = append(widths, pdf.Int(newGID), pdf.Array{pdf.Real(f.Advance(orig))})
	}
	cid := u.Add(pdf.Dict{
		"Type": pdf.Name("Font"), "Subtype": pdf.Name("CIDFontType2"), "BaseFont": name,
		"CIDSystemInfo":  pdf.Dict{"Registry": pdf.String{Value: []byte("Adobe"), Pos: -1, End: -1}, "Ordering": pdf.String{Value: []byte("Identity"), Pos: -1, End: -1}, "Supplement": pdf.Int(0)},
		"FontDescriptor": desc, "W": widths, "CIDToGIDMap": pdf.Name("Identity"), "DW": pdf.Int(1000),
	})
	codes := make(map[uint16]rune, len(chars))
	for r, g := range chars {
		codes[sub.GID[g]] = r
	}
	toUni := u.Add(pdf.NewStream(pdf.Dict{}, fonts.ToUnicodeCMap(2, codes)))
	font := u.Add(pdf.Dict{
		"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type0"), "BaseFont": name, "Encoding": pdf.Name("Identity-H"),
		"DescendantFonts": pdf.Array{cid}, "ToUnicode": toUni,
	})
	return font, sub.GID, nil
}
