package pdf

import (
	"bytes"
	"io"
	"strconv"
)

// reader is a small buffered reader over an io.ReaderAt that knows its
// absolute position.
type reader struct {
	r     io.ReaderAt
	size  int64 // readable end (exclusive)
	buf   []byte
	start int64 // file offset of buf[0]
	i     int   // index into buf
}

func newReader(r io.ReaderAt, off, end int64) *reader {
	return &reader{r: r, size: end, start: off, buf: nil}
}

func (r *reader) pos() int64 { return r.start + int64(r.i) }

func (r *reader) seek(off int64) {
	if off >= r.start && off <= r.start+int64(len(r.buf)) {
		r.i = int(off - r.start)
		return
	}
	r.start, r.buf, r.i = off, nil, 0
}

// blockSource is a reader that keeps the file's bytes in blocks a reader
// can use without a copy.
type blockSource interface {
	// block returns the block that holds offset off and the offset of its
	// first byte, or nil.
	block(off int64) ([]byte, int64)
}

func (r *reader) fill() bool {
	p := r.pos()
	if p >= r.size {
		return false
	}
	if src, ok := r.r.(blockSource); ok {
		b, start := src.block(p)
		if b == nil || p-start >= int64(len(b)) {
			return false
		}
		b = b[p-start:]
		if int64(len(b)) > r.size-p {
			b = b[:r.size-p]
		}
		r.buf, r.start, r.i = b, p, 0
		return true
	}
	n := int64(4096)
	if p+n > r.size {
		n = r.size - p
	}
	if cap(r.buf) < 4096 {
		r.buf = make([]byte, 0, 4096)
	}
	b := r.buf[:n]
	m, err := r.r.ReadAt(b, p)
	if m <= 0 {
		_ = err
		return false
	}
	r.buf, r.start, r.i = b[:m], p, 0
	return true
}

func (r *reader) peek() (byte, bool) {
	if r.i >= len(r.buf) && !r.fill() {
		return 0, false
	}
	return r.buf[r.i], true
}

func (r *reader) next() (byte, bool) {
	c, ok := r.peek()
	if ok {
		r.i++
	}
	return c, ok
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// IsWhiteSpace reports whether c is one of PDF's white-space characters
// (ISO 32000-1, 7.2.2), for readers of content streams and CMaps.
func IsWhiteSpace(c byte) bool { return isSpace(c) }

// IsDelimiter reports whether c is one of PDF's delimiter characters
// (ISO 32000-1, 7.2.2).
func IsDelimiter(c byte) bool { return isDelim(c) }

// HexDigit returns the value of the hexadecimal digit c, or -1 when c is
// not one.
func HexDigit(c byte) int { return unhex(c) }

type tokKind int

const (
	tEOF tokKind = iota
	tKeyword
	tInt
	tReal
	tName
	tString
	tHex
	tArrayOpen
	tArrayClose
	tDictOpen
	tDictClose
)

type token struct {
	kind     tokKind
	s        string // keyword, name
	b        []byte // string value
	i        int64
	f        float64
	pos, end int64
}

// lexer turns bytes into tokens with a pushback stack.
type lexer struct {
	r      *reader
	maxTok int
	back   []token
	err    error
}

func (l *lexer) unread(t token) { l.back = append(l.back, t) }

func (l *lexer) skipSpace() {
	for {
		c, ok := l.r.peek()
		if !ok {
			return
		}
		if isSpace(c) {
			l.r.i++
			continue
		}
		if c == '%' {
			for {
				c, ok := l.r.next()
				if !ok || c == '\n' || c == '\r' {
					break
				}
			}
			continue
		}
		return
	}
}

func (l *lexer) fail(err error) token {
	if l.err == nil {
		l.err = err
	}
	return token{kind: tEOF}
}

func (l *lexer) next() token {
	if n := len(l.back); n > 0 {
		t := l.back[n-1]
		l.back = l.back[:n-1]
		return t
	}
	if l.err != nil {
		return token{kind: tEOF}
	}
	l.skipSpace()
	pos := l.r.pos()
	c, ok := l.r.next()
	if !ok {
		return token{kind: tEOF, pos: pos, end: pos}
	}
	t := token{pos: pos}
	switch {
	case c == '[':
		t.kind = tArrayOpen
	case c == ']':
		t.kind = tArrayClose
	case c == '<':
		if d, _ := l.r.peek(); d == '<' {
			l.r.i++
			t.kind = tDictOpen
			break
		}
		t.kind = tHex
		var b []byte
		var hi int = -1
		// Signature /Contents are hex strings of many kilobytes: decode
		// straight from the buffered bytes.
	hex:
		for {
			if l.r.i >= len(l.r.buf) && !l.r.fill() {
				return l.fail(malformed("unterminated hex string at %d", pos))
			}
			buf := l.r.buf[l.r.i:]
			for j, d := range buf {
				if d == '>' {
					l.r.i += j + 1
					break hex
				}
				v := hexValue[d]
				if v < 0 {
					if isSpace(d) {
						continue
					}
					l.r.i += j
					return l.fail(malformed("bad hex string at %d", pos))
				}
				if hi < 0 {
					hi = int(v)
				} else {
					b = append(b, byte(hi<<4|int(v)))
					hi = -1
				}
			}
			l.r.i += len(buf)
			if len(b) > l.maxTok {
				return l.fail(&LimitError{What: "string length", Limit: int64(l.maxTok)})
			}
		}
		if len(b) > l.maxTok {
			return l.fail(&LimitError{What: "string length", Limit: int64(l.maxTok)})
		}
		if hi >= 0 {
			b = append(b, byte(hi<<4))
		}
		t.b = b
	case c == '>':
		if d, _ := l.r.peek(); d == '>' {
			l.r.i++
			t.kind = tDictClose
			break
		}
		return l.fail(malformed("unexpected '>' at %d", pos))
	case c == '(':
		t.kind = tString
		b, err := l.literal(pos)
		if err != nil {
			return l.fail(err)
		}
		t.b = b
	case c == '/':
		t.kind = tName
		var b []byte
		for {
			d, ok := l.r.peek()
			if !ok || isSpace(d) || isDelim(d) {
				break
			}
			l.r.i++
			if d == '#' {
				h1, _ := l.r.peek()
				if unhex(h1) >= 0 {
					l.r.i++
					h2, _ := l.r.peek()
					if unhex(h2) >= 0 {
						l.r.i++
						b = append(b, byte(unhex(h1)<<4|unhex(h2)))
						continue
					}
					b = append(b, '#', h1)
					continue
				}
			}
			b = append(b, d)
			if len(b) > l.maxTok {
				return l.fail(&LimitError{What: "name length", Limit: int64(l.maxTok)})
			}
		}
		t.s = string(b)
	case c == '{' || c == '}':
		t.kind = tKeyword
		t.s = string(c)
	case c == ')':
		return l.fail(malformed("unexpected ')' at %d", pos))
	default:
		b := []byte{c}
		for {
			d, ok := l.r.peek()
			if !ok || isSpace(d) || isDelim(d) {
				break
			}
			l.r.i++
			b = append(b, d)
			if len(b) > 256 {
				return l.fail(&LimitError{What: "keyword length", Limit: 256})
			}
		}
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' {
			if i, err := strconv.ParseInt(string(b), 10, 64); err == nil {
				t.kind, t.i = tInt, i
				break
			}
			// Only PDF's decimal form: ParseFloat also takes exponents,
			// hex, Inf, NaN and underscores, which Format cannot write back.
			if f, err := strconv.ParseFloat(string(b), 64); err == nil && len(bytes.Trim(b, "+-.0123456789")) == 0 {
				t.kind, t.f = tReal, f
				break
			}
			// Forms like "--5" or "1.2.3" are written by some producers;
			// treat them as 0 like most readers do.
			t.kind, t.i = tInt, 0
			break
		}
		t.kind, t.s = tKeyword, string(b)
	}
	t.end = l.r.pos()
	return t
}

func (l *lexer) literal(pos int64) ([]byte, error) {
	var b []byte
	depth := 1
	for {
		c, ok := l.r.next()
		if !ok {
			return nil, malformed("unterminated string at %d", pos)
		}
		if len(b) > l.maxTok {
			return nil, &LimitError{What: "string length", Limit: int64(l.maxTok)}
		}
		switch c {
		case '(':
			depth++
			b = append(b, c)
		case ')':
			depth--
			if depth == 0 {
				return b, nil
			}
			b = append(b, c)
		case '\r':
			// An end-of-line in a string is read as \n.
			if d, _ := l.r.peek(); d == '\n' {
				l.r.i++
			}
			b = append(b, '\n')
		case '\\':
			d, ok := l.r.next()
			if !ok {
				return nil, malformed("unterminated string at %d", pos)
			}
			switch d {
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case '\r':
				if e, _ := l.r.peek(); e == '\n' {
					l.r.i++
				}
			case '\n':
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(d - '0')
				for k := 0; k < 2; k++ {
					e, ok := l.r.peek()
					if !ok || e < '0' || e > '7' {
						break
					}
					l.r.i++
					v = v*8 + int(e-'0')
				}
				b = append(b, byte(v))
			default:
				b = append(b, d)
			}
		default:
			b = append(b, c)
		}
	}
}

// hexValue maps a byte to its hexadecimal digit value, -1 for others.
var hexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = int8(unhex(byte(i)))
	}
	return t
}()

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseObject reads one object. withPos records string positions (only
// meaningful for top-level objects read from the file).
func (l *lexer) parseObject(depth, maxDepth int, withPos bool) (Object, error) {
	if depth > maxDepth {
		return nil, &LimitError{What: "nesting depth", Limit: int64(maxDepth)}
	}
	t := l.next()
	if l.err != nil {
		return nil, l.err
	}
	switch t.kind {
	case tEOF:
		return nil, malformed("unexpected end of data at %d", t.pos)
	case tInt:
		// "N G R"?
		t2 := l.next()
		if t2.kind == tInt && t.i >= 0 && t.i <= 1<<31 && t2.i >= 0 && t2.i <= 65535 {
			t3 := l.next()
			if t3.kind == tKeyword && t3.s == "R" {
				return Ref{Num: uint32(t.i), Gen: uint16(t2.i)}, nil
			}
			l.unread(t3)
		}
		l.unread(t2)
		return Int(t.i), nil
	case tReal:
		return Real(t.f), nil
	case tName:
		return Name(t.s), nil
	case tString, tHex:
		s := String{Value: t.b, Hex: t.kind == tHex, Pos: -1, End: -1}
		if withPos {
			s.Pos, s.End = t.pos, t.end
		}
		return s, nil
	case tArrayOpen:
		a := Array{}
		for {
			t := l.next()
			if l.err != nil {
				return nil, l.err
			}
			if t.kind == tArrayClose {
				return a, nil
			}
			if t.kind == tEOF {
				return nil, malformed("unterminated array")
			}
			if t.kind == tKeyword && (t.s == "endobj" || t.s == "obj" || t.s == "stream") {
				l.unread(t)
				return a, nil
			}
			l.unread(t)
			o, err := l.parseObject(depth+1, maxDepth, withPos)
			if err != nil {
				return nil, err
			}
			a = append(a, o)
		}
	case tDictOpen:
		d := Dict{}
		for {
			t := l.next()
			if l.err != nil {
				return nil, l.err
			}
			if t.kind == tDictClose {
				return d, nil
			}
			if t.kind == tEOF {
				return nil, malformed("unterminated dictionary")
			}
			if t.kind != tName {
				if t.kind == tKeyword && (t.s == "endobj" || t.s == "stream") {
					l.unread(t)
					return d, nil
				}
				return nil, malformed("dictionary key is not a name at %d", t.pos)
			}
			vt := l.next()
			if vt.kind == tDictClose {
				// Key without value: ignore the key.
				return d, nil
			}
			l.unread(vt)
			v, err := l.parseObject(depth+1, maxDepth, withPos)
			if err != nil {
				return nil, err
			}
			d[Name(t.s)] = v
		}
	case tKeyword:
		switch t.s {
		case "true":
			return Bool(true), nil
		case "false":
			return Bool(false), nil
		case "null":
			return Null{}, nil
		}
		return nil, malformed("unexpected keyword %q at %d", truncate(t.s), t.pos)
	}
	return nil, malformed("unexpected token at %d", t.pos)
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// lastIndex finds the last occurrence of pat in r within [from, to).
func lastIndex(r io.ReaderAt, from, to int64, pat []byte) int64 {
	const chunk = 4096
	end := to
	for end > from {
		start := end - chunk
		if start < from {
			start = from
		}
		// Overlap so a pattern across chunk borders is found.
		readEnd := end + int64(len(pat)) - 1
		if readEnd > to {
			readEnd = to
		}
		b := make([]byte, readEnd-start)
		n, _ := r.ReadAt(b, start)
		b = b[:n]
		if i := bytes.LastIndex(b, pat); i >= 0 {
			return start + int64(i)
		}
		end = start
	}
	return -1
}
