package cms

import (
	"errors"
	"fmt"
)

// maxBERDepth bounds the nesting of constructed elements accepted by the
// BER normaliser. Real CMS/X.509 structures stay far below it.
const maxBERDepth = 64

// errBER is wrapped by all normaliser errors (and itself wraps ErrMalformed).
var errBER = fmt.Errorf("%w: invalid BER", ErrMalformed)

// berHeader is a parsed identifier + length.
type berHeader struct {
	class       byte // 0..3
	constructed bool
	tag         uint32
	tagLen      int  // bytes of identifier octets
	hdrLen      int  // identifier + length octets
	indefinite  bool // length octets were 0x80
	length      int  // content length for definite lengths
	minimal     bool // length encoded minimally (DER)
}

// universal string types that BER allows to be encoded in constructed form
// and DER requires to be primitive.
func isStringTag(tag uint32) bool {
	switch tag {
	case 3, // BIT STRING
		4,      // OCTET STRING
		7,      // ObjectDescriptor
		12,     // UTF8String
		18, 19, // NumericString, PrintableString
		20, 21, // T61String, VideotexString
		22,     // IA5String
		23, 24, // UTCTime, GeneralizedTime
		25, 26, // GraphicString, VisibleString
		27, 28, // GeneralString, UniversalString
		30: // BMPString
		return true
	}
	return false
}

func berErr(off int, msg string) error {
	return fmt.Errorf("%w at offset %d: %s", errBER, off, msg)
}

// parseBERHeader parses the identifier and length octets at in[off:limit].
func parseBERHeader(in []byte, off, limit int) (berHeader, error) {
	var h berHeader
	if off < 0 || limit > len(in) || off >= limit {
		return h, berErr(off, "truncated identifier")
	}
	p := off
	b := in[p]
	p++
	h.class = b >> 6
	h.constructed = b&0x20 != 0
	h.tag = uint32(b & 0x1f)
	if h.tag == 0x1f {
		h.tag = 0
		for i := 0; ; i++ {
			if p >= limit {
				return h, berErr(off, "truncated high tag number")
			}
			if i >= 4 {
				return h, berErr(off, "tag number too large")
			}
			c := in[p]
			p++
			if i == 0 && c == 0x80 {
				return h, berErr(off, "non-minimal tag number")
			}
			h.tag = h.tag<<7 | uint32(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
		if h.tag < 0x1f {
			return h, berErr(off, "non-minimal tag number")
		}
	}
	h.tagLen = p - off
	if p >= limit {
		return h, berErr(off, "truncated length")
	}
	l := in[p]
	p++
	h.minimal = true
	switch {
	case l < 0x80:
		h.length = int(l)
	case l == 0x80:
		if !h.constructed {
			return h, berErr(off, "indefinite length on primitive element")
		}
		h.indefinite = true
		h.minimal = false
	case l == 0xff:
		return h, berErr(off, "reserved length octet")
	default:
		n := int(l & 0x7f)
		if n > 8 {
			return h, berErr(off, "length of length too large")
		}
		if p+n > limit {
			return h, berErr(off, "truncated length")
		}
		v := 0
		for i := 0; i < n; i++ {
			if v > len(in) {
				return h, berErr(off, "length exceeds input")
			}
			v = v<<8 | int(in[p+i])
		}
		p += n
		if v > len(in) || v < 0 {
			return h, berErr(off, "length exceeds input")
		}
		h.length = v
		if v < 0x80 || in[p-n] == 0 {
			h.minimal = false
		}
	}
	h.hdrLen = p - off
	if !h.indefinite && h.length > limit-p {
		return h, berErr(off, "length exceeds enclosing element")
	}
	if h.class == 0 && h.tag == 0 {
		// End-of-contents octets are only valid where the caller looks
		// for them explicitly.
		return h, berErr(off, "unexpected end-of-contents")
	}
	return h, nil
}

// isEOC reports whether in[off:limit] starts with end-of-contents octets.
func isEOC(in []byte, off, limit int) bool {
	return off+2 <= limit && limit <= len(in) && in[off] == 0 && in[off+1] == 0
}

// derLenLen is the number of length octets DER uses for n.
func derLenLen(n int) int {
	if n < 0x80 {
		return 1
	}
	l := 1
	for n > 0 {
		l++
		n >>= 8
	}
	return l
}

func appendDERLen(out []byte, n int) []byte {
	if n < 0x80 {
		return append(out, byte(n))
	}
	var tmp [8]byte
	i := len(tmp)
	for n > 0 {
		i--
		tmp[i] = byte(n)
		n >>= 8
	}
	out = append(out, 0x80|byte(len(tmp)-i))
	return append(out, tmp[i:]...)
}

// normalizer converts one BER element to DER-like encoding: definite,
// minimal lengths and primitive encodings for string types. It does not
// re-sort SET OF components or touch primitive contents. It runs in two
// passes (measure, then write) so no tree is built; the DER content length of
// every constructed element is recorded in pre-order in lens.
type normalizer struct {
	in      []byte
	lens    []int
	changed bool
}

// errTooDeep is returned (wrapped) when nesting exceeds maxBERDepth.
var errTooDeep = errors.New("nesting too deep")

// measure validates the element at off (bounded by limit) and returns the
// offset just after it and the length of its DER encoding.
func (n *normalizer) measure(off, limit, depth int) (end, derLen int, err error) {
	h, err := parseBERHeader(n.in, off, limit)
	if err != nil {
		return 0, 0, err
	}
	if !h.minimal {
		n.changed = true
	}
	start := off + h.hdrLen
	if !h.constructed {
		return start + h.length, h.tagLen + derLenLen(h.length) + h.length, nil
	}
	if depth >= maxBERDepth {
		return 0, 0, fmt.Errorf("%w at offset %d: %w", errBER, off, errTooDeep)
	}
	idx := len(n.lens)
	n.lens = append(n.lens, 0)
	contentLimit := limit
	if !h.indefinite {
		contentLimit = start + h.length
	}
	var content int
	if h.class == 0 && isStringTag(h.tag) {
		// Constructed string: DER makes it primitive.
		n.changed = true
		var st segState
		end, err = n.measureSegments(h, start, contentLimit, depth+1, &st)
		if err != nil {
			return 0, 0, err
		}
		content = st.total
		if h.tag == 3 {
			content = 1 + st.total
		}
		n.lens[idx] = content
		// Primitive in DER: identifier octets differ only in bit 6, same length.
		return end, h.tagLen + derLenLen(content) + content, nil
	}
	p := start
	for {
		if h.indefinite {
			if isEOC(n.in, p, contentLimit) {
				p += 2
				break
			}
		} else if p == contentLimit {
			break
		}
		if p >= contentLimit {
			return 0, 0, berErr(p, "missing end-of-contents")
		}
		e, l, err := n.measure(p, contentLimit, depth+1)
		if err != nil {
			return 0, 0, err
		}
		p = e
		content += l
		if content > len(n.in)*2+64 {
			return 0, 0, berErr(off, "normalised size too large")
		}
	}
	n.lens[idx] = content
	return p, h.tagLen + derLenLen(content) + content, nil
}

// segState accumulates information over the segments of a constructed string.
type segState struct {
	total    int  // content bytes (for BIT STRING: excluding unused-bits octets)
	sawLast  bool // BIT STRING: a segment with non-zero unused bits was seen
	lastBits byte // BIT STRING: unused bits of the final segment
}

// measureSegments walks the segments of a constructed string of type h.tag in
// in[start:limit] and returns the offset after the (possibly indefinite)
// string.
func (n *normalizer) measureSegments(h berHeader, start, limit, depth int, st *segState) (int, error) {
	return n.segments(h, start, limit, depth, st, nil)
}

// segments walks string segments; when out is non-nil, the segment data is
// appended to *out.
func (n *normalizer) segments(h berHeader, start, limit, depth int, st *segState, out *[]byte) (int, error) {
	if depth > maxBERDepth {
		return 0, fmt.Errorf("%w at offset %d: %w", errBER, start, errTooDeep)
	}
	p := start
	for {
		if h.indefinite {
			if isEOC(n.in, p, limit) {
				return p + 2, nil
			}
		} else if p == limit {
			return p, nil
		}
		if p >= limit {
			return 0, berErr(p, "missing end-of-contents")
		}
		sh, err := parseBERHeader(n.in, p, limit)
		if err != nil {
			return 0, err
		}
		if sh.class != 0 || sh.tag != h.tag {
			return 0, berErr(p, "string segment of wrong type")
		}
		segStart := p + sh.hdrLen
		if sh.constructed {
			segLimit := limit
			if !sh.indefinite {
				segLimit = segStart + sh.length
			}
			p, err = n.segments(sh, segStart, segLimit, depth+1, st, out)
			if err != nil {
				return 0, err
			}
			continue
		}
		data := n.in[segStart : segStart+sh.length]
		if h.tag == 3 {
			if len(data) == 0 {
				return 0, berErr(p, "empty bit string segment")
			}
			if st.sawLast {
				return 0, berErr(p, "bit string segment after final segment")
			}
			bits := data[0]
			if bits > 7 || (len(data) == 1 && bits != 0) {
				return 0, berErr(p, "invalid bit string padding")
			}
			if bits != 0 {
				st.sawLast = true
			}
			st.lastBits = bits
			data = data[1:]
		}
		st.total += len(data)
		if out != nil {
			*out = append(*out, data...)
		}
		p = segStart + sh.length
	}
}

// write appends the DER form of the element at off to out. It must be called
// in the same order as measure so that lens is consumed in pre-order.
func (n *normalizer) write(out []byte, off, limit, depth int, li *int) ([]byte, int, error) {
	h, err := parseBERHeader(n.in, off, limit)
	if err != nil {
		return nil, 0, err
	}
	start := off + h.hdrLen
	if !h.constructed {
		out = append(out, n.in[off:off+h.tagLen]...)
		out = appendDERLen(out, h.length)
		out = append(out, n.in[start:start+h.length]...)
		return out, start + h.length, nil
	}
	if depth >= maxBERDepth || *li >= len(n.lens) {
		return nil, 0, berErr(off, "internal normaliser state")
	}
	content := n.lens[*li]
	*li++
	contentLimit := limit
	if !h.indefinite {
		contentLimit = start + h.length
	}
	if h.class == 0 && isStringTag(h.tag) {
		out = append(out, n.in[off]&^0x20)
		out = append(out, n.in[off+1:off+h.tagLen]...)
		out = appendDERLen(out, content)
		bitsAt := len(out)
		if h.tag == 3 {
			out = append(out, 0)
		}
		var st segState
		end, err := n.segments(h, start, contentLimit, depth+1, &st, &out)
		if err != nil {
			return nil, 0, err
		}
		if h.tag == 3 {
			out[bitsAt] = st.lastBits
		}
		return out, end, nil
	}
	out = append(out, n.in[off:off+h.tagLen]...)
	out = appendDERLen(out, content)
	p := start
	for {
		if h.indefinite {
			if isEOC(n.in, p, contentLimit) {
				p += 2
				break
			}
		} else if p == contentLimit {
			break
		}
		if p >= contentLimit {
			return nil, 0, berErr(p, "missing end-of-contents")
		}
		out, p, err = n.write(out, p, contentLimit, depth+1, li)
		if err != nil {
			return nil, 0, err
		}
	}
	return out, p, nil
}

// normalizeBER converts the first BER element of in to DER (see normalizer)
// and returns it together with the number of input bytes it occupied and
// whether the encoding changed. If the element was already DER-encoded, the
// returned slice aliases in.
func normalizeBER(in []byte) (der []byte, consumed int, changed bool, err error) {
	if len(in) == 0 {
		return nil, 0, false, berErr(0, "empty input")
	}
	n := &normalizer{in: in}
	end, derLen, err := n.measure(0, len(in), 0)
	if err != nil {
		return nil, 0, false, err
	}
	if !n.changed {
		return in[:end], end, false, nil
	}
	// DER can only grow over BER through longer definite length octets;
	// bound the output by the input size plus a small slack.
	if derLen > end+end/16+64 {
		return nil, 0, false, berErr(0, "normalised size too large")
	}
	out := make([]byte, 0, derLen)
	li := 0
	out, wend, err := n.write(out, 0, len(in), 0, &li)
	if err != nil {
		return nil, 0, false, err
	}
	if wend != end || len(out) != derLen {
		return nil, 0, false, berErr(0, "internal normaliser mismatch")
	}
	return out, end, true, nil
}
