package signer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Layout says where a stamp's parts go: the QR code, the image and the
// lines of text. The two built-in layouts, "qr-left" and "text", are
// Layout values too (see [BuiltinLayout]); others are read from a small
// YAML file with [ParseLayout]:
//
//	qr: left            # left, right, bottom or none
//	qr_size: 0.36       # at most this share of the stamp's width
//	image: right        # where Stamp.Image goes: left, right, behind or none
//	image_size: 0.25    # at most this share of the stamp's width
//	border: true
//	lines:
//	  - text: "Ditandatangani secara elektronik oleh:"
//	    size: 0.85
//	  - text: "{name}"
//	    bold: true
//	    size: 1.1
//	  - text: "NIP. {nip}"
//	  - text: "{time}"
//
// A line's text may name {name}, {jabatan}, {nip}, {instansi}, {time} and
// {reason}; a line whose named parts are all empty is left out. Text is
// wrapped and set at the largest size from 9 pt down to 6 pt at which it
// fits, sizes relative to that (never below 6 pt); it is never cut.
type Layout struct {
	QR        string       `yaml:"qr"`
	QRSize    float64      `yaml:"qr_size"`
	Image     string       `yaml:"image"`
	ImageSize float64      `yaml:"image_size"`
	Border    *bool        `yaml:"border"`
	Lines     []LayoutLine `yaml:"lines"`
}

// LayoutLine is one line (before wrapping) of a stamp's text.
type LayoutLine struct {
	Text string  `yaml:"text"`
	Bold bool    `yaml:"bold"`
	Size float64 `yaml:"size"` // relative to the base size; 0 means 1
}

// ErrBadLayout means a layout file cannot be used.
var ErrBadLayout = errors.New("bad stamp layout")

func builtinLines() []LayoutLine {
	return []LayoutLine{
		{Text: "Ditandatangani secara elektronik oleh:", Size: 0.85},
		{Text: "{name}", Bold: true, Size: 1.1},
		{Text: "{jabatan}"},
		{Text: "NIP. {nip}"},
		{Text: "{instansi}"},
		{Text: "{time}"},
		{Text: "Alasan: {reason}", Size: 0.85},
	}
}

// BuiltinLayout returns the built-in layout name: "qr-left" (the QR code
// left of the text, an image right of it, as BSrE stamps look; also the
// empty name) or "text" (the text with an image left of it; a QR code,
// when there is one, centred below).
func BuiltinLayout(name string) (*Layout, bool) {
	switch name {
	case "", "qr-left":
		return &Layout{QR: "left", QRSize: 0.3, Image: "right", ImageSize: 0.25, Lines: builtinLines()}, true
	case "text":
		return &Layout{QR: "bottom", QRSize: 0.3, Image: "left", ImageSize: 0.25, Lines: builtinLines()}, true
	}
	return nil, false
}

// maxLayoutLines bounds a layout file's lines.
const maxLayoutLines = 20

// ParseLayout reads a layout from YAML (at most 64 KiB). Unknown keys,
// unknown positions, sizes out of range and texts naming unknown parts
// are errors wrapping ErrBadLayout, with the YAML line where known.
func ParseLayout(b []byte) (*Layout, error) {
	if len(b) > 64<<10 {
		return nil, fmt.Errorf("signer: %w: the file is larger than 64 KiB", ErrBadLayout)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("signer: %w: %v", ErrBadLayout, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var l Layout
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("signer: %w: %v", ErrBadLayout, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := l.check(lineNumbers(&doc)); err != nil {
		return nil, err
	}
	return &l, nil
}

// lineNumbers finds the YAML line of each top-level key and of each item
// of lines, to name them in errors.
func lineNumbers(doc *yaml.Node) map[string]int {
	at := map[string]int{}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return at
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		at[k.Value] = k.Line
		if k.Value == "lines" && v.Kind == yaml.SequenceNode {
			for j, it := range v.Content {
				at[fmt.Sprintf("lines.%d", j)] = it.Line
			}
		}
	}
	return at
}

// check tells whether the layout can be drawn; at gives YAML lines by key.
func (l *Layout) check(at map[string]int) error {
	bad := func(key, format string, a ...any) error {
		msg := fmt.Sprintf(format, a...)
		if n := at[key]; n > 0 {
			msg = fmt.Sprintf("line %d: %s", n, msg)
		}
		return fmt.Errorf("signer: %w: %s", ErrBadLayout, msg)
	}
	switch l.QR {
	case "", "left", "right", "bottom", "none":
	default:
		return bad("qr", "qr: %q (use left, right, bottom or none)", l.QR)
	}
	switch l.Image {
	case "", "left", "right", "behind", "none":
	default:
		return bad("image", "image: %q (use left, right, behind or none)", l.Image)
	}
	if l.QRSize != 0 && (l.QRSize < 0.1 || l.QRSize > 0.6) {
		return bad("qr_size", "qr_size: %g (a share of the stamp's width from 0.1 to 0.6)", l.QRSize)
	}
	if l.ImageSize != 0 && (l.ImageSize < 0.1 || l.ImageSize > 0.6) {
		return bad("image_size", "image_size: %g (a share of the stamp's width from 0.1 to 0.6)", l.ImageSize)
	}
	if (l.QR == "left" || l.QR == "right") && l.QR == l.Image {
		return bad("image", "the QR code and the image are both on the %s", l.QR)
	}
	if len(l.Lines) == 0 {
		return bad("lines", "no lines: give at least one, e.g. - text: \"{name}\"")
	}
	if len(l.Lines) > maxLayoutLines {
		return bad("lines", "%d lines (at most %d)", len(l.Lines), maxLayoutLines)
	}
	for i, ln := range l.Lines {
		key := fmt.Sprintf("lines.%d", i)
		if strings.TrimSpace(ln.Text) == "" {
			return bad(key, "item %d of lines has no text", i+1)
		}
		if ln.Size != 0 && (ln.Size < 0.5 || ln.Size > 2) {
			return bad(key, "size %g (relative to the others, from 0.5 to 2)", ln.Size)
		}
		if len(ln.Text) > 500 {
			return bad(key, "a text longer than 500 bytes")
		}
		if _, err := expand(ln.Text, nil); err != "" {
			return bad(key, "%s", err)
		}
	}
	return nil
}

var placeholders = map[string]struct{}{"name": {}, "jabatan": {}, "nip": {}, "instansi": {}, "time": {}, "reason": {}}

// resolve fills in the defaults of a checked layout.
func (l *Layout) resolve() Layout {
	r := *l
	if r.QR == "" {
		r.QR = "left"
	}
	if r.QRSize == 0 {
		r.QRSize = 0.3
	}
	if r.Image == "" {
		r.Image = "right"
		if r.QR == "right" {
			r.Image = "left"
		}
	}
	if r.ImageSize == 0 {
		r.ImageSize = 0.25
	}
	return r
}

// border reports whether the stamp has a frame (the default).
func (l *Layout) border() bool { return l.Border == nil || *l.Border }

// expand substitutes parts into a line's text. It returns "" when the
// text names parts and all of them are empty (the line is left out), and
// a description of the first mistake: an unknown part or a { without }.
func expand(text string, parts map[string]string) (string, string) {
	var b strings.Builder
	named, filled := 0, 0
	rest := text
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Sprintf("%q has a { without }", text)
		}
		name := rest[i+1 : i+j]
		if _, ok := placeholders[name]; !ok {
			return "", fmt.Sprintf("unknown part {%s} (use {name}, {jabatan}, {nip}, {instansi}, {time} or {reason})", name)
		}
		b.WriteString(rest[:i])
		v := strings.TrimSpace(parts[name])
		named++
		if v != "" {
			filled++
		}
		b.WriteString(v)
		rest = rest[i+j+1:]
	}
	if named > 0 && filled == 0 {
		return "", ""
	}
	return strings.TrimSpace(b.String()), ""
}

// textLines substitutes the stamp's parts into the layout's lines,
// leaving out lines whose named parts are all empty.
func (l *Layout) textLines(parts map[string]string) []stampLine {
	var out []stampLine
	for _, ln := range l.Lines {
		text, _ := expand(ln.Text, parts)
		if text == "" {
			continue
		}
		rel := ln.Size
		if rel == 0 {
			rel = 1
		}
		out = append(out, stampLine{text: text, bold: ln.Bold, rel: rel})
	}
	return out
}
