package pdf

import (
	"bufio"
	"io"
)

// The LZW and run-length filters. Viewers decode them in cross-reference
// and object streams as in content; a reader that did not would read
// another document than they show.

// lzwReader decodes PDF's LZW (ISO 32000-1 §7.4.4): codes of 9 to 12 bits,
// most significant bit first, 256 clears the table, 257 ends the data;
// with early change (the default) the code width grows one code early.
type lzwReader struct {
	r     *bufio.Reader
	early bool
	bits  uint32
	nbits uint
	width uint
	table [][]byte
	prev  []byte
	out   []byte
	done  bool
}

func newLZW(r io.Reader, early bool) io.Reader {
	l := &lzwReader{r: bufio.NewReader(r), early: early}
	l.reset()
	return l
}

func (l *lzwReader) reset() {
	l.table = l.table[:0]
	for i := 0; i < 256; i++ {
		l.table = append(l.table, []byte{byte(i)})
	}
	l.table = append(l.table, nil, nil) // 256 clear, 257 end
	l.width = 9
	l.prev = nil
}

func (l *lzwReader) code() (int, error) {
	for l.nbits < l.width {
		c, err := l.r.ReadByte()
		if err != nil {
			return 0, err
		}
		l.bits = l.bits<<8 | uint32(c)
		l.nbits += 8
	}
	l.nbits -= l.width
	return int(l.bits>>l.nbits) & (1<<l.width - 1), nil
}

func (l *lzwReader) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if l.done {
			return 0, io.EOF
		}
		c, err := l.code()
		if err != nil {
			l.done = true
			continue // a missing end code ends the data
		}
		switch {
		case c == 256:
			l.reset()
			continue
		case c == 257:
			l.done = true
			continue
		}
		var entry []byte
		switch {
		case c < len(l.table) && l.table[c] != nil:
			entry = l.table[c]
		case c == len(l.table) && l.prev != nil:
			entry = append(append([]byte(nil), l.prev...), l.prev[0])
		default:
			return 0, malformed("bad LZW code %d", c)
		}
		if l.prev != nil && len(l.table) < 4096 {
			l.table = append(l.table, append(append([]byte(nil), l.prev...), entry[0]))
		}
		l.prev = entry
		n := len(l.table)
		if l.early {
			n++
		}
		switch {
		case n >= 2048:
			l.width = 12
		case n >= 1024:
			l.width = 11
		case n >= 512:
			l.width = 10
		}
		l.out = entry
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// runLength decodes RunLengthDecode: a length byte 0–127 copies the next
// n+1 bytes, 129–255 repeats the next byte 257−n times, 128 ends the data.
type runLength struct {
	r    *bufio.Reader
	out  []byte
	buf  [128]byte
	done bool
}

func (rl *runLength) Read(p []byte) (int, error) {
	for len(rl.out) == 0 {
		if rl.done {
			return 0, io.EOF
		}
		n, err := rl.r.ReadByte()
		if err != nil || n == 128 {
			rl.done = true
			continue
		}
		if n < 128 {
			m, err := io.ReadFull(rl.r, rl.buf[:int(n)+1])
			rl.out = rl.buf[:m]
			if err != nil {
				rl.done = true
			}
			continue
		}
		c, err := rl.r.ReadByte()
		if err != nil {
			rl.done = true
			continue
		}
		k := 257 - int(n)
		for i := 0; i < k; i++ {
			rl.buf[i] = c
		}
		rl.out = rl.buf[:k]
	}
	n := copy(p, rl.out)
	rl.out = rl.out[n:]
	return n, nil
}
