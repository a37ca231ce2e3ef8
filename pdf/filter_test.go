package pdf

import (
	"bytes"
	"encoding/ascii85"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

// decode decodes raw under the stream dictionary dict with a document's
// default limits.
func decode(t *testing.T, dict Dict, raw []byte) ([]byte, error) {
	t.Helper()
	d := open(t, readTestdata(t, "minimal.pdf"), nil)
	return d.StreamData(NewStream(dict, raw))
}

// pngEncode applies PNG filter type ft (0-4; 5 means "cycle through all")
// to rows of rowLen bytes with bpp bytes per pixel, as a PDF writer with
// /Predictor >= 10 does.
func pngEncode(data []byte, rowLen, bpp, ft int) []byte {
	var out []byte
	prev := make([]byte, rowLen)
	for r := 0; r*rowLen < len(data); r++ {
		row := data[r*rowLen : (r+1)*rowLen]
		f := ft
		if ft == 5 {
			f = r % 5
		}
		out = append(out, byte(f))
		for i := range row {
			var a, b, c int
			if i >= bpp {
				a, c = int(row[i-bpp]), int(prev[i-bpp])
			}
			b = int(prev[i])
			var p int
			switch f {
			case 1:
				p = a
			case 2:
				p = b
			case 3:
				p = (a + b) / 2
			case 4:
				p = int(paeth(byte(a), byte(b), byte(c)))
			}
			out = append(out, row[i]-byte(p))
		}
		copy(prev, row)
	}
	return out
}

func TestFlatePNGPredictor(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	// Cross-reference stream rows: /W [1 3 1], /Columns 5.
	var rows []byte
	for i := 0; i < 200; i++ {
		off := 15 + i*97
		rows = append(rows, 1, byte(off>>16), byte(off>>8), byte(off), 0)
	}
	for _, c := range []struct {
		name                 string
		data                 []byte
		colors, bpc, columns int
		ft                   int
		pred                 int
	}{
		{"xref rows, Up", rows, 1, 8, 5, 2, 12},
		{"xref rows, all filter types", rows, 1, 8, 5, 5, 12},
		{"xref rows, predictor 15", rows, 1, 8, 5, 5, 15},
		{"xref rows, predictor 10 with None", rows, 1, 8, 5, 0, 10},
		{"RGB, Paeth", randBytes(rng, 3*16*20), 3, 8, 16, 4, 14},
		{"RGB, all types", randBytes(rng, 3*16*20), 3, 8, 16, 5, 12},
		{"16-bit gray", randBytes(rng, 2*7*9), 1, 16, 7, 5, 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			bpp := (c.colors*c.bpc + 7) / 8
			rowLen := (c.colors*c.bpc*c.columns + 7) / 8
			enc := deflate(pngEncode(c.data, rowLen, bpp, c.ft), 9)
			parms := Dict{"Predictor": Int(c.pred), "Columns": Int(c.columns)}
			if c.colors != 1 {
				parms["Colors"] = Int(c.colors)
			}
			if c.bpc != 8 {
				parms["BitsPerComponent"] = Int(c.bpc)
			}
			got, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": parms}, enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.data) {
				t.Fatalf("decoded %d bytes differ from the %d encoded", len(got), len(c.data))
			}
		})
	}
	// An unknown PNG filter type in a row is an error.
	bad := deflate([]byte{5, 1, 2, 3, 4, 5}, 9)
	if _, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": Dict{"Predictor": Int(12), "Columns": Int(5)}}, bad); !isErr(err, ErrMalformed) {
		t.Errorf("PNG filter type 5: err = %v, want ErrMalformed", err)
	}
	// A short final row is dropped, not an error.
	short := deflate(append(pngEncode(rows[:10], 5, 1, 2), 2, 1), 9)
	if got, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": Dict{"Predictor": Int(12), "Columns": Int(5)}}, short); err != nil || !bytes.Equal(got, rows[:10]) {
		t.Errorf("short final row: %x %v", got, err)
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func TestXRefStreamWithPredictor(t *testing.T) {
	// A cross-reference stream as qpdf and Acrobat write it: /W [1 3 1],
	// FlateDecode with /Predictor 12 /Columns 5.
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>")
	w.obj(4, "(Info here)")
	xoff := w.pos()
	var rows []byte
	rows = append(rows, 0, 0, 0, 0, 255)
	for n := 1; n <= 4; n++ {
		o := w.offs[n]
		rows = append(rows, 1, byte(o>>16), byte(o>>8), byte(o), 0)
	}
	rows = append(rows, 1, byte(xoff>>16), byte(xoff>>8), byte(xoff), 0)
	w.stream(5, "/Type /XRef /Size 6 /W [1 3 1] /Root 1 0 R /Info 4 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >>", deflate(pngEncode(rows, 5, 1, 2), 9))
	fmt.Fprintf(&w.b, "startxref\n%d\n%%%%EOF\n", xoff)
	d := open(t, w.bytes(), nil)
	if !d.XRefStream() {
		t.Fatal("not a cross-reference stream")
	}
	for n := uint32(1); n <= 5; n++ {
		if loc := d.Locate(n); !loc.Ok || loc.Offset != w.offs[int(n)] {
			t.Errorf("object %d at %+v, want %d", n, loc, w.offs[int(n)])
		}
	}
	if info, _ := d.Get(Ref{Num: 4}); Text(info) != "Info here" {
		t.Errorf("object 4 = %v", info)
	}
	if p, err := d.Pages(); err != nil || len(p) != 1 {
		t.Errorf("pages %v %v", p, err)
	}
}

func TestTIFFPredictor(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	data := randBytes(rng, 3*8*5) // 5 rows of 8 RGB pixels
	enc := bytes.Clone(data)
	for r := 0; r < 5; r++ {
		row := enc[r*24 : (r+1)*24]
		for i := len(row) - 1; i >= 3; i-- {
			row[i] -= row[i-3]
		}
	}
	parms := Dict{"Predictor": Int(2), "Colors": Int(3), "Columns": Int(8)}
	got, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": parms}, deflate(enc, 6))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("TIFF predictor: got %x\nwant %x", got, data)
	}
	// Only 8 bits per component are supported; others are reported.
	parms16 := Dict{"Predictor": Int(2), "BitsPerComponent": Int(16), "Columns": Int(8)}
	if _, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": parms16}, deflate(enc, 6)); !isErr(err, errUnsupportedFilter) {
		t.Errorf("16-bit TIFF predictor: err = %v, want errUnsupportedFilter", err)
	}
}

func TestPredictorParameters(t *testing.T) {
	enc := deflate([]byte{0, 1, 2}, 6)
	for _, p := range []Dict{
		{"Predictor": Int(12), "Columns": Int(0)},
		{"Predictor": Int(12), "Columns": Int(-1)},
		{"Predictor": Int(12), "Columns": Int(1 << 30)},
		{"Predictor": Int(12), "Colors": Int(0)},
		{"Predictor": Int(12), "Colors": Int(1000)},
		{"Predictor": Int(12), "BitsPerComponent": Int(0)},
		{"Predictor": Int(12), "BitsPerComponent": Int(64)},
	} {
		if _, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": p}, enc); !isErr(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", Format(p), err)
		}
	}
	for _, p := range []Dict{{"Predictor": Int(3)}, {"Predictor": Int(9)}} {
		if _, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": p}, enc); !isErr(err, errUnsupportedFilter) {
			t.Errorf("%s: err = %v, want errUnsupportedFilter", Format(p), err)
		}
	}
	// Predictor 1 (or none) means no prediction.
	for _, p := range []Object{Dict{"Predictor": Int(1)}, Dict{}, Null{}} {
		got, err := decode(t, Dict{"Filter": Name("FlateDecode"), "DecodeParms": p}, enc)
		if err != nil || !bytes.Equal(got, []byte{0, 1, 2}) {
			t.Errorf("%s: %x %v", Format(p), got, err)
		}
	}
}

func TestASCIIHexDecode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"48656C6C6F>", "Hello"},
		{"48656c6c6f>", "Hello"},
		{"48 65\n6C\r\n6C\t6F\f>", "Hello"},
		{"48656C6C6F", "Hello"}, // no EOD marker: the end of the data
		{">", ""},
		{"", ""},
		// An odd number of digits before EOD: a final 0 is implied.
		{"414>", "A@"},
		{"7>", "p"},
		{"4 1 4 >", "A@"},
		// Nothing after the EOD marker is data.
		{"4142>4344", "AB"},
		{"41>\n", "A"},
	} {
		got, err := decode(t, Dict{"Filter": Name("ASCIIHexDecode")}, []byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("ASCIIHex %q = %q %v, want %q", c.in, got, err, c.want)
		}
	}
	if _, err := decode(t, Dict{"Filter": Name("AHx")}, []byte("4G>")); err == nil {
		t.Error("ASCIIHex with a non-hex digit did not fail")
	}
	// A long input through the abbreviation.
	long := bytes.Repeat([]byte("segel "), 5000)
	got, err := decode(t, Dict{"Filter": Name("AHx")}, append([]byte(hex.EncodeToString(long)), '>'))
	if err != nil || !bytes.Equal(got, long) {
		t.Errorf("long ASCIIHex: %d bytes %v", len(got), err)
	}
}

func TestASCII85Decode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"87cURD]i,\"Ebo80~>", "Hello World!"},
		{"87cURD]i,\"Ebo80~>\n", "Hello World!"},
		{"87cU RD]i,\n\"Eb o80~>", "Hello World!"},
		{"z~>", "\x00\x00\x00\x00"},
		{"zz~>", "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"~>", ""},
		{"", ""},
		{"87cURD]i,\"Ebo80", "Hello World!"}, // no EOD marker
		// Nothing after the EOD marker is data.
		{"87cURD]i,\"Ebo80~>garbage", "Hello World!"},
	} {
		got, err := decode(t, Dict{"Filter": Name("ASCII85Decode")}, []byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("ASCII85 %q = %q %v, want %q", c.in, got, err, c.want)
		}
	}
	// Every length, so every partial final group, round trips.
	rng := rand.New(rand.NewSource(3))
	for n := 0; n < 40; n++ {
		data := randBytes(rng, n)
		enc := make([]byte, ascii85.MaxEncodedLen(n))
		enc = append(enc[:ascii85.Encode(enc, data)], "~>"...)
		got, err := decode(t, Dict{"Filter": Name("A85")}, enc)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("ASCII85 of %d bytes: %x %v, want %x", n, got, err, data)
		}
	}
	if _, err := decode(t, Dict{"Filter": Name("A85")}, []byte("87c{}~>")); err == nil {
		t.Error("ASCII85 with characters outside ! to u did not fail")
	}
}

func TestFilterChains(t *testing.T) {
	data := bytes.Repeat([]byte("Penyelenggaraan Sertifikat Elektronik\n"), 50)
	fl := deflate(data, 9)
	hexFl := append([]byte(hex.EncodeToString(fl)), '>')
	a85Fl := make([]byte, ascii85.MaxEncodedLen(len(fl)))
	a85Fl = append(a85Fl[:ascii85.Encode(a85Fl, fl)], "~>"...)
	for _, c := range []struct {
		name string
		dict Dict
		raw  []byte
	}{
		{"AHx then Flate", Dict{"Filter": Array{Name("ASCIIHexDecode"), Name("FlateDecode")}}, hexFl},
		{"A85 then Fl (abbreviations)", Dict{"Filter": Array{Name("A85"), Name("Fl")}}, a85Fl},
		{"parms array with null", Dict{"Filter": Array{Name("AHx"), Name("Fl")}, "DecodeParms": Array{Null{}, Null{}}}, hexFl},
		{"no filter", Dict{}, data},
		{"empty filter array", Dict{"Filter": Array{}}, data},
		{"null filter", Dict{"Filter": Null{}}, data},
	} {
		got, err := decode(t, c.dict, c.raw)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes %v", c.name, len(got), err)
		}
	}
	// Predictor parameters of the second filter of a chain.
	var rows []byte
	for i := 0; i < 50; i++ {
		rows = append(rows, 1, 0, byte(i), 7, 0)
	}
	pfl := deflate(pngEncode(rows, 5, 1, 2), 9)
	got, err := decode(t, Dict{
		"Filter":      Array{Name("ASCIIHexDecode"), Name("FlateDecode")},
		"DecodeParms": Array{Null{}, Dict{"Predictor": Int(12), "Columns": Int(5)}},
	}, append([]byte(hex.EncodeToString(pfl)), '>'))
	if err != nil || !bytes.Equal(got, rows) {
		t.Errorf("chain with predictor: %x %v", got, err)
	}
}

func TestIndirectFilter(t *testing.T) {
	// /Filter and /DecodeParms given as indirect objects are resolved.
	data := []byte("indirect filter")
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	w.obj(3, "/FlateDecode")
	w.obj(4, "[5 0 R]")
	w.obj(5, "<< /Predictor 1 >>")
	w.stream(6, "/Filter 3 0 R /DecodeParms 5 0 R", deflate(data, 9))
	w.stream(8, "/Filter 4 0 R", deflate(data, 9)) // an array of a dictionary: not a name
	w.xref([]int{1, 2, 3, 4, 5, 6, 8}, true, "/Size 9 /Root 1 0 R")
	d := open(t, w.bytes(), nil)
	for _, n := range []uint32{6} {
		o, _ := d.Get(Ref{Num: n})
		got, err := d.StreamData(o.(*Stream))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("stream %d: %q %v", n, got, err)
		}
	}
	o, _ := d.Get(Ref{Num: 8})
	if _, err := d.StreamData(o.(*Stream)); !isErr(err, ErrMalformed) {
		t.Errorf("array of a dictionary as filter: err = %v, want ErrMalformed", err)
	}
}

func TestUnsupportedFilters(t *testing.T) {
	for _, f := range []Object{Name("DCTDecode"), Name("CCITTFaxDecode"), Name("JBIG2Decode"), Name("JPXDecode"), Name("Crypt"), Name("NoSuchFilter"), Array{Name("AHx"), Name("DCT")}} {
		_, err := decode(t, Dict{"Filter": f}, []byte("x"))
		if !isErr(err, errUnsupportedFilter) {
			t.Errorf("%s: err = %v, want errUnsupportedFilter", Format(f), err)
		}
		// The raw bytes stay readable.
		d := open(t, readTestdata(t, "minimal.pdf"), nil)
		raw, err := io.ReadAll(d.RawStream(NewStream(Dict{"Filter": f}, []byte("x"))))
		if err != nil || string(raw) != "x" {
			t.Errorf("%s: raw %q %v", Format(f), raw, err)
		}
	}
	for _, f := range []Object{Int(1), String{Value: []byte("FlateDecode")}, Array{Int(1)}, Dict{}} {
		if _, err := decode(t, Dict{"Filter": f}, []byte("x")); !isErr(err, ErrMalformed) {
			t.Errorf("/Filter %s: err = %v, want ErrMalformed", Format(f), err)
		}
	}
	nine := Array{}
	for i := 0; i < 9; i++ {
		nine = append(nine, Name("AHx"))
	}
	if _, err := decode(t, Dict{"Filter": nine}, []byte("30>")); !isErr(err, ErrLimit) {
		t.Errorf("nine filters: err = %v, want ErrLimit", err)
	}
}

func TestFlateEdgeCases(t *testing.T) {
	// An empty FlateDecode stream (qpdf writes one for an empty /Off
	// appearance, see testdata/form-xrefstream.pdf object 21) decodes to
	// nothing, like in every other reader.
	got, err := decode(t, Dict{"Filter": Name("FlateDecode")}, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("empty Flate stream: %q %v", got, err)
	}
	got, err = decode(t, Dict{"Filter": Array{Name("AHx"), Name("Fl")}}, []byte(">"))
	if err != nil || len(got) != 0 {
		t.Errorf("empty Flate after AHx: %q %v", got, err)
	}
	// Corrupt data is an error, not a panic.
	for _, raw := range [][]byte{{0x78}, {0x78, 0x9c, 0xff, 0xff, 0xff}, []byte("not zlib at all"), deflate([]byte("x"), 9)[:5]} {
		if _, err := decode(t, Dict{"Filter": Name("FlateDecode")}, raw); err == nil {
			t.Errorf("corrupt Flate %x decoded without error", raw)
		}
	}
}
