package pdf

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"io"
	"math/rand"
	"testing"
)

// TestLZWSpecExample decodes the example of ISO 32000-1 §7.4.4.2.
func TestLZWSpecExample(t *testing.T) {
	in := []byte{0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01}
	got, err := io.ReadAll(newLZW(bytes.NewReader(in), true))
	if err != nil || string(got) != "-----A---B" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// TestLZWLong round-trips data long enough to grow the code width to 12
// bits and clear the table, against Go's encoder (no early change).
func TestLZWLong(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 200000)
	for i := range data {
		data[i] = "ab c\\n0123"[rng.Intn(10)]
	}
	var b bytes.Buffer
	w := lzw.NewWriter(&b, lzw.MSB, 8)
	w.Write(data)
	w.Close()
	got, err := io.ReadAll(newLZW(&b, false))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%d bytes back of %d, %v", len(got), len(data), err)
	}
}

func TestRunLength(t *testing.T) {
	in := []byte{2, 'a', 'b', 'c', 254, 'x', 0, 'y', 128, 'z'}
	got, _ := io.ReadAll(&runLength{r: bufioReader(in)})
	if string(got) != "abcxxxy" {
		t.Fatalf("got %q", got)
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
