// Package pdf reads PDF files through an io.ReaderAt and appends incremental
// updates to them.
//
// # Reading
//
// [Open] parses the cross-reference sections (classic tables, cross-reference
// streams and hybrid files) and the chain of revisions without loading the
// file into memory. Objects are parsed on demand and cached; object streams
// are decoded on demand within the [Limits] given to [Open].
//
// # Revisions
//
// Every incremental update of a file is a [Revision]. [Document.Revision]
// returns a view of the document as it was when that revision was saved, which
// is what a signature verifier needs to compare a signed revision with the
// final file.
//
// # Writing
//
// [Document.NewUpdate] starts an incremental update: new and changed objects
// are serialised after the original bytes, followed by a cross-reference
// section of the same kind as the file's own and a trailer whose /Prev points
// to the previous section. The original bytes are never changed.
package pdf

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// Object is a PDF object: one of Null, Bool, Int, Real, Name, String, Array,
// Dict, *Stream or Ref.
type Object interface{}

// Null is the PDF null object.
type Null struct{}

// Bool is a PDF boolean.
type Bool bool

// Int is a PDF integer.
type Int int64

// Real is a PDF real number.
type Real float64

// Name is a PDF name, without the leading slash and with #xx escapes decoded.
type Name string

// String is a PDF string (literal or hexadecimal).
type String struct {
	// Value holds the decoded bytes.
	Value []byte
	// Hex reports whether the string was written as <hex>.
	Hex bool
	// Pos and End are the file offsets of the first and one past the last
	// byte of the string token (including its delimiters) when it was parsed
	// from a top-level object; both are -1 otherwise.
	Pos, End int64
}

// Array is a PDF array.
type Array []Object

// Dict is a PDF dictionary.
type Dict map[Name]Object

// Ref is an indirect reference "Num Gen R".
type Ref struct {
	Num uint32
	Gen uint16
}

// String formats r as "N G R".
func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// Stream is a PDF stream object. Its data is not loaded; use
// [Document.StreamData] or [Document.RawStream].
type Stream struct {
	Dict Dict
	// Offset is the file offset of the first data byte, Length the number of
	// raw (encoded) bytes.
	Offset, Length int64
	// data holds the raw bytes for streams built in memory (for writing).
	data []byte
}

// NewStream returns a stream to be written in an update, with raw (already
// encoded) data. /Length is set when it is written.
func NewStream(d Dict, raw []byte) *Stream {
	return &Stream{Dict: d, Offset: -1, Length: int64(len(raw)), data: raw}
}

// TextString returns a String holding s encoded as a PDF text string:
// PDFDocEncoding-compatible ASCII when possible, UTF-16BE with a byte-order
// mark otherwise.
func TextString(s string) String {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || (s[i] < 0x20 && s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
			ascii = false
			break
		}
	}
	if ascii {
		return String{Value: []byte(s), Pos: -1, End: -1}
	}
	b := []byte{0xFE, 0xFF}
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
			b = append(b, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
			continue
		}
		b = append(b, byte(r>>8), byte(r))
	}
	return String{Value: b, Hex: true, Pos: -1, End: -1}
}

// DecodeText decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM,
// or PDFDocEncoding, approximated as Latin-1) to Go UTF-8.
func DecodeText(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		var rs []rune
		for i := 2; i+1 < len(b); i += 2 {
			u := rune(b[i])<<8 | rune(b[i+1])
			if u >= 0xD800 && u < 0xDC00 && i+3 < len(b) {
				l := rune(b[i+2])<<8 | rune(b[i+3])
				if l >= 0xDC00 && l < 0xE000 {
					rs = append(rs, 0x10000+(u-0xD800)<<10+(l-0xDC00))
					i += 2
					continue
				}
			}
			rs = append(rs, u)
		}
		return string(rs)
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return string(b[3:])
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// Text returns the decoded text of a String object, or "" for other objects.
func Text(o Object) string {
	if s, ok := o.(String); ok {
		return DecodeText(s.Value)
	}
	return ""
}

// Equal reports whether two objects are the same PDF value. Stream objects
// are equal when their dictionaries are equal and their raw bytes are the
// same span of the file (or the same in-memory data). File positions of
// strings are ignored.
func Equal(a, b Object) bool {
	switch x := a.(type) {
	case nil, Null:
		switch b.(type) {
		case nil, Null:
			return true
		}
		return false
	case Bool:
		y, ok := b.(Bool)
		return ok && x == y
	case Int:
		switch y := b.(type) {
		case Int:
			return x == y
		case Real:
			return float64(x) == float64(y)
		}
		return false
	case Real:
		switch y := b.(type) {
		case Int:
			return float64(x) == float64(y)
		case Real:
			return x == y
		}
		return false
	case Name:
		y, ok := b.(Name)
		return ok && x == y
	case String:
		y, ok := b.(String)
		return ok && bytes.Equal(x.Value, y.Value)
	case Ref:
		y, ok := b.(Ref)
		return ok && x == y
	case Array:
		y, ok := b.(Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case Dict:
		y, ok := b.(Dict)
		if !ok {
			return false
		}
		return dictEqual(x, y)
	case *Stream:
		y, ok := b.(*Stream)
		if !ok || !dictEqual(x.Dict, y.Dict) {
			return false
		}
		if x.data != nil || y.data != nil {
			return bytes.Equal(x.data, y.data)
		}
		return x.Offset == y.Offset && x.Length == y.Length
	}
	return false
}

// Same reports whether two objects read from this document (or any view
// of it) are the same PDF value: streams by their dictionaries (/Length
// aside) and their raw bytes, however placed in the file, everything else
// as Equal. An error means stream bytes could not be read.
func (d *Document) Same(a, b Object) (bool, error) {
	sa, ok1 := a.(*Stream)
	sb, ok2 := b.(*Stream)
	if !ok1 || !ok2 {
		return ok1 == ok2 && Equal(a, b), nil
	}
	if Equal(sa, sb) {
		return true, nil
	}
	if !dictEqualExcept(sa.Dict, sb.Dict, "Length") {
		return false, nil
	}
	return d.SameData(sa, sb)
}

// SameData reports whether two streams of this document have the same raw
// (encoded) bytes.
func (d *Document) SameData(sa, sb *Stream) (bool, error) {
	if sa.Length != sb.Length {
		return false, nil
	}
	if sa.data == nil && sb.data == nil && sa.Offset == sb.Offset {
		return true, nil
	}
	x, y := d.RawStream(sa), d.RawStream(sb)
	bx, by := make([]byte, 64<<10), make([]byte, 64<<10)
	for n := sa.Length; n > 0; {
		m := min(int64(len(bx)), n)
		if _, err := io.ReadFull(x, bx[:m]); err != nil {
			return false, d.s.ioFail(err)
		}
		if _, err := io.ReadFull(y, by[:m]); err != nil {
			return false, d.s.ioFail(err)
		}
		if !bytes.Equal(bx[:m], by[:m]) {
			return false, nil
		}
		n -= m
	}
	return true, nil
}

// dictEqualExcept compares two dictionaries without one key.
func dictEqualExcept(x, y Dict, skip Name) bool {
	xs, ys := Dict{}, Dict{}
	for k, v := range x {
		if k != skip {
			xs[k] = v
		}
	}
	for k, v := range y {
		if k != skip {
			ys[k] = v
		}
	}
	return dictEqual(xs, ys)
}

func dictEqual(x, y Dict) bool {
	// A key whose value is null is the same as an absent key.
	for k, v := range x {
		if _, isNull := v.(Null); isNull {
			if w, ok := y[k]; ok {
				if _, n := w.(Null); !n {
					return false
				}
			}
			continue
		}
		if !Equal(v, y[k]) {
			return false
		}
	}
	for k, w := range y {
		if _, ok := x[k]; !ok {
			if _, isNull := w.(Null); !isNull {
				return false
			}
		}
	}
	return true
}

// appendObject serialises o in PDF syntax.
func appendObject(b []byte, o Object) []byte {
	switch x := o.(type) {
	case nil, Null:
		return append(b, "null"...)
	case Bool:
		if x {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Int:
		return strconv.AppendInt(b, int64(x), 10)
	case Real:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 0
		}
		s := strconv.FormatFloat(f, 'f', -1, 64)
		return append(b, s...)
	case Name:
		return appendName(b, x)
	case String:
		if x.Hex {
			b = append(b, '<')
			const hexdig = "0123456789ABCDEF"
			for _, c := range x.Value {
				b = append(b, hexdig[c>>4], hexdig[c&15])
			}
			return append(b, '>')
		}
		b = append(b, '(')
		for _, c := range x.Value {
			switch c {
			case '(', ')', '\\':
				b = append(b, '\\', c)
			case '\r':
				b = append(b, '\\', 'r')
			case '\n':
				b = append(b, '\\', 'n')
			default:
				b = append(b, c)
			}
		}
		return append(b, ')')
	case Ref:
		b = strconv.AppendUint(b, uint64(x.Num), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(x.Gen), 10)
		return append(b, " R"...)
	case Array:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendObject(b, e)
		}
		return append(b, ']')
	case Dict:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		b = append(b, "<<"...)
		for _, k := range keys {
			b = appendName(b, Name(k))
			b = append(b, ' ')
			b = appendObject(b, x[Name(k)])
		}
		return append(b, ">>"...)
	}
	return append(b, "null"...)
}

func appendName(b []byte, n Name) []byte {
	b = append(b, '/')
	const hexdig = "0123456789ABCDEF"
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || isDelim(c) || c == '#' {
			b = append(b, '#', hexdig[c>>4], hexdig[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// Format returns the PDF syntax of o (streams are written as their
// dictionary only).
func Format(o Object) string {
	if s, ok := o.(*Stream); ok {
		return string(appendObject(nil, s.Dict)) + " stream"
	}
	return string(appendObject(nil, o))
}
