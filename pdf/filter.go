package pdf

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"fmt"
	"io"
)

// StreamReader returns a reader of the decoded stream data. Decoding stops
// with an error wrapping ErrLimit when the output exceeds MaxDecoded, or
// exceeds 1 MiB at a ratio to the encoded size above MaxRatio.
func (d *Document) StreamReader(st *Stream) (io.Reader, error) {
	var r io.Reader = d.RawStream(st)
	filters, err := d.filterList(st.Dict)
	if err != nil {
		return nil, err
	}
	for _, f := range filters {
		switch f.name {
		case "FlateDecode", "Fl":
			br := bufio.NewReader(r)
			if _, err := br.Peek(1); err == io.EOF {
				r = br // empty data inflates to nothing
				continue
			}
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("pdf: FlateDecode: %w", err)
			}
			r = zr
			if pr, err := predictor(r, f.parms); err != nil {
				return nil, err
			} else if pr != nil {
				r = pr
			}
		case "LZWDecode", "LZW":
			early := true
			if v, ok := f.parms["EarlyChange"].(Int); ok && v == 0 {
				early = false
			}
			r = newLZW(r, early)
			if pr, err := predictor(r, f.parms); err != nil {
				return nil, err
			} else if pr != nil {
				r = pr
			}
		case "RunLengthDecode", "RL":
			r = &runLength{r: bufio.NewReader(r)}
		case "ASCIIHexDecode", "AHx":
			r = hex.NewDecoder(&hexFilter{r: bufio.NewReader(r)})
		case "ASCII85Decode", "A85":
			r = ascii85.NewDecoder(&a85Filter{r: bufio.NewReader(r)})
		default:
			return nil, fmt.Errorf("pdf: %w %s", errUnsupportedFilter, f.name)
		}
	}
	lim := d.s.lim
	return &limitedReader{r: r, max: lim.MaxDecoded, ratio: lim.MaxRatio, encoded: st.Length}, nil
}

type filter struct {
	name  Name
	parms Dict
}

func (d *Document) filterList(dict Dict) ([]filter, error) {
	fo, err := d.Resolve(dict["Filter"])
	if err != nil {
		return nil, err
	}
	po, err := d.Resolve(dict["DecodeParms"])
	if err != nil {
		return nil, err
	}
	var out []filter
	switch f := fo.(type) {
	case nil, Null:
		return nil, nil
	case Name:
		p, _ := po.(Dict)
		out = append(out, filter{name: f, parms: p})
	case Array:
		if len(f) > 8 {
			return nil, &LimitError{What: "number of filters", Limit: 8}
		}
		pa, _ := po.(Array)
		for i, x := range f {
			n, ok := x.(Name)
			if !ok {
				return nil, malformed("filter is not a name")
			}
			var p Dict
			if i < len(pa) {
				p, _ = d.GetDict(pa[i])
			}
			out = append(out, filter{name: n, parms: p})
		}
	default:
		return nil, malformed("bad /Filter")
	}
	return out, nil
}

type limitedReader struct {
	r       io.Reader
	n       int64
	max     int64
	ratio   int64
	encoded int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return 0, &LimitError{What: "decoded stream size", Limit: l.max}
	}
	if l.n > 1<<20 && l.encoded > 0 && l.n/l.encoded > l.ratio {
		return 0, &LimitError{What: "stream compression ratio", Limit: l.ratio}
	}
	return n, err
}

// hexFilter passes the hex digits up to the EOD marker '>' (or the end of
// the data), with a final 0 after an odd number of digits.
type hexFilter struct {
	r        *bufio.Reader
	eod, odd bool
}

func (h *hexFilter) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !h.eod {
		c, err := h.r.ReadByte()
		if err != nil && err != io.EOF {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if err == io.EOF || c == '>' {
			h.eod = true
			if h.odd {
				p[n] = '0'
				n++
			}
			break
		}
		if isSpace(c) {
			continue
		}
		p[n] = c
		n++
		h.odd = !h.odd
	}
	if n == 0 && h.eod {
		return 0, io.EOF
	}
	return n, nil
}

// a85Filter passes the characters up to the EOD marker "~>" (or the end
// of the data).
type a85Filter struct {
	r   *bufio.Reader
	eod bool
}

func (a *a85Filter) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if a.eod {
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		c, err := a.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if c == '~' {
			a.eod = true
			continue
		}
		if isSpace(c) {
			continue
		}
		p[n] = c
		n++
	}
	return n, nil
}

// predictor wraps r with the PNG or TIFF predictor given in parms, or
// returns nil when there is none.
func predictor(r io.Reader, parms Dict) (io.Reader, error) {
	if parms == nil {
		return nil, nil
	}
	pred, _ := parms["Predictor"].(Int)
	if pred <= 1 {
		return nil, nil
	}
	colors, bpc, cols := Int(1), Int(8), Int(1)
	if v, ok := parms["Colors"].(Int); ok {
		colors = v
	}
	if v, ok := parms["BitsPerComponent"].(Int); ok {
		bpc = v
	}
	if v, ok := parms["Columns"].(Int); ok {
		cols = v
	}
	if colors < 1 || colors > 32 || bpc < 1 || bpc > 16 || cols < 1 || cols > 1<<20 {
		return nil, malformed("bad predictor parameters")
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*cols + 7) / 8)
	if pred == 2 {
		if bpc != 8 {
			return nil, fmt.Errorf("pdf: %w TIFF predictor with %d bits", errUnsupportedFilter, bpc)
		}
		return &tiffReader{r: r, row: make([]byte, rowLen), bpp: bpp}, nil
	}
	if pred >= 10 {
		return &pngReader{r: r, prev: make([]byte, rowLen), cur: make([]byte, rowLen+1), bpp: bpp}, nil
	}
	return nil, fmt.Errorf("pdf: %w predictor %d", errUnsupportedFilter, pred)
}

type pngReader struct {
	r         io.Reader
	prev, cur []byte
	bpp       int
	out       []byte
}

func (p *pngReader) Read(b []byte) (int, error) {
	for len(p.out) == 0 {
		if _, err := io.ReadFull(p.r, p.cur); err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return 0, err
		}
		ft, row := p.cur[0], p.cur[1:]
		for i := range row {
			var a, up, c byte
			if i >= p.bpp {
				a = row[i-p.bpp]
				c = p.prev[i-p.bpp]
			}
			up = p.prev[i]
			switch ft {
			case 0:
			case 1:
				row[i] += a
			case 2:
				row[i] += up
			case 3:
				row[i] += byte((int(a) + int(up)) / 2)
			case 4:
				row[i] += paeth(a, up, c)
			default:
				return 0, malformed("bad PNG predictor filter type %d", ft)
			}
		}
		copy(p.prev, row)
		p.out = bytes.Clone(row)
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	return n, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

type tiffReader struct {
	r   io.Reader
	row []byte
	bpp int
	out []byte
}

func (t *tiffReader) Read(b []byte) (int, error) {
	for len(t.out) == 0 {
		if _, err := io.ReadFull(t.r, t.row); err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return 0, err
		}
		for i := t.bpp; i < len(t.row); i++ {
			t.row[i] += t.row[i-t.bpp]
		}
		t.out = bytes.Clone(t.row)
	}
	n := copy(b, t.out)
	t.out = t.out[n:]
	return n, nil
}
