package textpos

import (
	"math"
	"strconv"
	"strings"

	"segel/pdf"
)

// opKind is the kind of a content-stream operand.
type opKind uint8

const (
	kNum opKind = iota
	kString
	kName
	kArray
	kOther // booleans, null, dictionaries: kept as placeholders
)

// operand is one operand of a content-stream operator.
type operand struct {
	kind opKind
	num  float64
	str  []byte // string bytes, or a name without its slash
	arr  []operand
}

// Bounds of the tokenizer: operands kept per operator, elements of one
// array (TJ), nesting of arrays and dictionaries, and the length of one
// string or name.
const (
	maxOperands = 64
	maxArray    = 1 << 16
	maxNesting  = 16
	maxToken    = 1 << 20
)

// lexer splits a content stream into operators and their operands.
// Anything it does not understand is skipped; it never fails.
type lexer struct {
	b []byte
	i int
	// maxOps is the number of operands kept per operator (at least
	// maxOperands); past it the older half is dropped.
	maxOps int
}

func (l *lexer) skipSpace() {
	for l.i < len(l.b) {
		c := l.b[l.i]
		if c == '%' {
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
			continue
		}
		if !pdf.IsWhiteSpace(c) {
			return
		}
		l.i++
	}
}

// next returns the next operator and its operands (appended to ops[:0]),
// or ok false at the end of the stream. The operator's bytes are those of
// the stream (at most 32): nothing is allocated for it.
func (l *lexer) next(ops []operand) (op []byte, operands []operand, ok bool) {
	ops = ops[:0]
	for {
		l.skipSpace()
		if l.i >= len(l.b) {
			return nil, ops, false
		}
		o, kw, isKw := l.object(0)
		if isKw {
			switch string(kw) {
			case "true", "false", "null":
				o, isKw = operand{kind: kOther}, false // an operand
			case "BI":
				l.skipInlineImage()
				return kw, ops[:0], true
			default:
				return kw, ops, true
			}
		}
		if limit := max(l.maxOps, maxOperands); len(ops) >= limit {
			// Drop the older half at once: dropping one operand at a
			// time moves the whole slice for each operand after the
			// limit (minutes for a 1 MiB CMap of bare numbers).
			ops = ops[:copy(ops, ops[len(ops)-limit/2:])]
		}
		ops = append(ops, o)
	}
}

// object reads one object, or a keyword (isKw). The caller has skipped
// white space and checked that bytes remain.
func (l *lexer) object(depth int) (o operand, kw []byte, isKw bool) {
	c := l.b[l.i]
	switch {
	case c == '(':
		l.i++
		return operand{kind: kString, str: l.literal()}, nil, false
	case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<':
		l.i += 2
		l.skipDict(depth)
		return operand{kind: kOther}, nil, false
	case c == '<':
		l.i++
		return operand{kind: kString, str: l.hex()}, nil, false
	case c == '/':
		l.i++
		start := l.i
		for l.i < len(l.b) && !pdf.IsWhiteSpace(l.b[l.i]) && !pdf.IsDelimiter(l.b[l.i]) {
			l.i++
		}
		return operand{kind: kName, str: unescapeName(l.b[start:min(l.i, start+maxToken)])}, nil, false
	case c == '[':
		l.i++
		var arr []operand
		for {
			l.skipSpace()
			if l.i >= len(l.b) {
				break
			}
			if l.b[l.i] == ']' {
				l.i++
				break
			}
			if depth >= maxNesting {
				l.i++ // too deep: skip bytes until the brackets close
				continue
			}
			e, _, kwd := l.object(depth + 1)
			if kwd {
				continue // a keyword inside an array: ignore it
			}
			if len(arr) < maxArray {
				arr = append(arr, e)
			}
		}
		return operand{kind: kArray, arr: arr}, nil, false
	case c == ']' || c == '>' || c == ')' || c == '{' || c == '}':
		l.i++ // stray delimiter
		return operand{kind: kOther}, nil, false
	}
	start := l.i
	for l.i < len(l.b) && !pdf.IsWhiteSpace(l.b[l.i]) && !pdf.IsDelimiter(l.b[l.i]) {
		l.i++
	}
	tok := l.b[start:l.i]
	if n, ok := number(tok); ok {
		return operand{kind: kNum, num: n}, nil, false
	}
	if len(tok) > 32 {
		tok = tok[:32] // no operator (or CMap keyword) is that long
	}
	return operand{}, tok, true
}

// number parses a PDF number; non-finite values become 0.
func number(tok []byte) (float64, bool) {
	if len(tok) == 0 || len(tok) > 64 {
		return 0, false
	}
	for _, x := range tok {
		if !(x >= '0' && x <= '9') && x != '-' && x != '+' && x != '.' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		// Lenient readers take "--5" or "5-" as numbers; so does this.
		f, err = strconv.ParseFloat(strings.Trim(string(tok), "+-"), 64)
		if err != nil {
			return 0, true
		}
		if tok[0] == '-' {
			f = -f
		}
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, true
	}
	return f, true
}

// literal reads a literal string after its opening parenthesis.
func (l *lexer) literal() []byte {
	// Most strings have no escapes: then they are the stream's own bytes
	// (read only), not a copy per shown string.
	for j, depth := l.i, 1; j < len(l.b) && l.b[j] != '\\'; j++ {
		switch l.b[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				s := l.b[l.i:min(j, l.i+maxToken)]
				l.i = j + 1
				return s[:len(s):len(s)]
			}
		}
	}
	var out []byte
	depth := 1
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out
			}
		case '\\':
			if l.i >= len(l.b) {
				return out
			}
			e := l.b[l.i]
			l.i++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.i < len(l.b) && l.b[l.i] == '\n' {
					l.i++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '7'; k++ {
						v = v*8 + int(l.b[l.i]-'0')
						l.i++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		if len(out) < maxToken {
			out = append(out, c)
		}
	}
	return out
}

// hex reads a hexadecimal string after its '<'.
func (l *lexer) hex() []byte {
	var out []byte
	hi := -1
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		if c == '>' {
			break
		}
		v := pdf.HexDigit(c)
		if v < 0 {
			continue
		}
		if hi < 0 {
			hi = v
			continue
		}
		if len(out) < maxToken {
			out = append(out, byte(hi<<4|v))
		}
		hi = -1
	}
	if hi >= 0 && len(out) < maxToken {
		out = append(out, byte(hi<<4))
	}
	return out
}

// unescapeName decodes #xx escapes of a name.
func unescapeName(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) && pdf.HexDigit(b[i+1]) >= 0 && pdf.HexDigit(b[i+2]) >= 0 {
			out = append(out, byte(pdf.HexDigit(b[i+1])<<4|pdf.HexDigit(b[i+2])))
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// skipDict skips a dictionary after its "<<" (nested ones included).
func (l *lexer) skipDict(depth int) {
	for {
		l.skipSpace()
		if l.i >= len(l.b) {
			return
		}
		if l.b[l.i] == '>' && l.i+1 < len(l.b) && l.b[l.i+1] == '>' {
			l.i += 2
			return
		}
		if depth >= maxNesting {
			l.i++
			continue
		}
		l.object(depth + 1)
	}
}

// skipInlineImage skips an inline image after BI: its parameters, ID,
// the data and EI. The data's end is found as readers do: "EI" between
// white space (or at the end of the stream).
func (l *lexer) skipInlineImage() {
	for {
		l.skipSpace()
		if l.i >= len(l.b) {
			return
		}
		_, kw, isKw := l.object(0)
		if isKw && string(kw) == "ID" {
			break
		}
		if isKw && string(kw) == "EI" {
			return
		}
	}
	if l.i < len(l.b) {
		l.i++ // the single white-space byte after ID
	}
	for l.i+1 < len(l.b) {
		if l.b[l.i] == 'E' && l.b[l.i+1] == 'I' && (l.i == 0 || pdf.IsWhiteSpace(l.b[l.i-1])) &&
			(l.i+2 >= len(l.b) || pdf.IsWhiteSpace(l.b[l.i+2]) || pdf.IsDelimiter(l.b[l.i+2])) {
			l.i += 2
			return
		}
		l.i++
	}
	l.i = len(l.b)
}
