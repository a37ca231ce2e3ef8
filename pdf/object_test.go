package pdf

import (
	"bytes"
	"math"
	"testing"
	"unicode/utf8"
)

func TestTextStringRoundTrip(t *testing.T) {
	for _, c := range []struct {
		in      string
		utf16   bool
		encoded string // expected Value, when given
	}{
		{in: "", encoded: ""},
		{in: "Perjanjian Kerja Sama", encoded: "Perjanjian Kerja Sama"},
		{in: "a (b) \\ c\r\n\t", encoded: "a (b) \\ c\r\n\t"},
		{in: "Kabupaten Tuban — Jawa Timur", utf16: true},
		{in: "Bupati Tuban, Jawa Timur — “PKS” Nomor 120/05/414.013/2025", utf16: true},
		{in: "Dinas Komunikasi dan Informatika Kabupaten Tuban · Surabaya, 17 Agustus 1945", utf16: true},
		{in: "é", utf16: true, encoded: "\xfe\xff\x00\xe9"},
		{in: "—", utf16: true, encoded: "\xfe\xff\x20\x14"},
		{in: "🇮🇩 Merdeka! 😀", utf16: true},
		{in: "😀", utf16: true, encoded: "\xfe\xff\xd8\x3d\xde\x00"},
		{in: "𝄞", utf16: true, encoded: "\xfe\xff\xd8\x34\xdd\x1e"},
		{in: "\U0010FFFF", utf16: true, encoded: "\xfe\xff\xdb\xff\xdf\xff"},
		{in: "\uFFFD\uE000", utf16: true},
		{in: "ctrl\x01", utf16: true, encoded: "\xfe\xff\x00c\x00t\x00r\x00l\x00\x01"},
		{in: "日本語", utf16: true},
	} {
		s := TextString(c.in)
		if s.Pos != -1 || s.End != -1 {
			t.Errorf("%q: Pos/End %d/%d", c.in, s.Pos, s.End)
		}
		isUTF16 := bytes.HasPrefix(s.Value, []byte{0xfe, 0xff})
		if isUTF16 != c.utf16 {
			t.Errorf("%q: UTF-16 = %v, want %v (%x)", c.in, isUTF16, c.utf16, s.Value)
		}
		if isUTF16 && (len(s.Value)%2 != 0 || !s.Hex) {
			t.Errorf("%q: UTF-16 value of odd length or not hex: %x", c.in, s.Value)
		}
		if c.encoded != "" || c.in == "" {
			if string(s.Value) != c.encoded {
				t.Errorf("%q encoded as %x, want %x", c.in, s.Value, c.encoded)
			}
		}
		if got := DecodeText(s.Value); got != c.in {
			t.Errorf("DecodeText(TextString(%q)) = %q", c.in, got)
		}
		if got := Text(s); got != c.in {
			t.Errorf("Text = %q", got)
		}
		// Through the syntax and the lexer.
		o, err := lex(Format(s), false)
		if err != nil {
			t.Errorf("%q: reparse %s: %v", c.in, Format(s), err)
			continue
		}
		if got := Text(o); got != c.in {
			t.Errorf("%q: through %s read back as %q", c.in, Format(s), got)
		}
	}
}

func TestDecodeText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"plain", "plain"},
		// PDFDocEncoding approximated as Latin-1.
		{"caf\xe9", "café"},
		// UTF-8 with a BOM (PDF 2.0).
		{"\xef\xbb\xbfJawa — Timur", "Jawa — Timur"},
		// UTF-16BE with BOM, surrogate pair.
		{"\xfe\xff\xd8\x3d\xde\x00", "😀"},
		// An unpaired high surrogate followed by a normal character, and a
		// lone low surrogate, decode to U+FFFD, not to invalid UTF-8.
		{"\xfe\xff\xd8\x3d\x00A", "\uFFFDA"},
		{"\xfe\xff\xdc\x00", "\uFFFD"},
		{"\xfe\xff\xd8\x3d", "\uFFFD"},
		// An odd trailing byte is dropped.
		{"\xfe\xff\x00A\x00", "A"},
		{"\xfe\xff", ""},
		{"", ""},
	} {
		got := DecodeText([]byte(c.in))
		if got != c.want {
			t.Errorf("DecodeText(%x) = %q, want %q", c.in, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("DecodeText(%x) is not valid UTF-8", c.in)
		}
	}
	if Text(Name("x")) != "" || Text(nil) != "" {
		t.Error("Text of a non-string is not empty")
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		o    Object
		want string
	}{
		{nil, "null"},
		{Null{}, "null"},
		{Bool(true), "true"},
		{Bool(false), "false"},
		{Int(0), "0"},
		{Int(-42), "-42"},
		{Int(math.MaxInt64), "9223372036854775807"},
		{Real(0.5), "0.5"},
		{Real(-3.25), "-3.25"},
		{Real(2), "2"},
		{Real(1e-7), "0.0000001"}, // no exponent: PDF has none
		{Real(1e21), "1000000000000000000000"},
		{Real(math.NaN()), "0"},
		{Real(math.Inf(1)), "0"},
		{Name("Type"), "/Type"},
		{Name("A B"), "/A#20B"},
		{Name("a#b"), "/a#23b"},
		{Name("(x)/[y]<z>{}%"), "/#28x#29#2F#5By#5D#3Cz#3E#7B#7D#25"},
		{Name("\u2014"), "/#E2#80#94"},
		{Name(""), "/"},
		{String{Value: []byte("abc")}, "(abc)"},
		{String{Value: []byte("a(b)c\\d")}, `(a\(b\)c\\d)`},
		{String{Value: []byte("l1\r\nl2")}, `(l1\r\nl2)`},
		{String{Value: []byte{0, 0xff}}, "(\x00\xff)"},
		{String{Value: []byte{0xab, 0x01}, Hex: true}, "<AB01>"},
		{String{Hex: true}, "<>"},
		{Ref{Num: 12, Gen: 3}, "12 3 R"},
		{Array{}, "[]"},
		{Array{Int(1), Ref{Num: 2}, Array{Name("x")}}, "[1 2 0 R [/x]]"},
		{Dict{}, "<<>>"},
		{Dict{"B": Int(1), "A": Dict{"C": Null{}}}, "<</A <</C null>>/B 1>>"},
		{&Stream{Dict: Dict{"Length": Int(3)}}, "<</Length 3>> stream"},
		{struct{}{}, "null"},
	} {
		if got := Format(c.o); got != c.want {
			t.Errorf("Format(%#v) = %q, want %q", c.o, got, c.want)
		}
	}
	// Format then parse gives back an equal object, for each type.
	for _, o := range []Object{
		Null{}, Bool(true), Int(-7), Real(12.5), Name("A B#/"), Name("\x01\xff"),
		String{Value: []byte("()\\\r\n\t\x00\xff")}, String{Value: []byte{1, 2, 3}, Hex: true},
		Ref{Num: 1<<31 - 1, Gen: 65535},
		Array{Int(1), Array{Array{}}, Dict{"K": Ref{Num: 3}}},
		Dict{"Nested": Dict{"Deep": Array{Real(0.25), Bool(false), Null{}}}, "#": Name("#")},
	} {
		s := Format(o)
		back, err := lex(s, false)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if !Equal(o, back) {
			t.Errorf("round trip of %#v through %s gave %#v", o, s, back)
		}
		if Format(back) != s {
			t.Errorf("Format not stable: %s then %s", s, Format(back))
		}
	}
	if Ref(Ref{Num: 4, Gen: 1}).String() != "4 1 R" {
		t.Error("Ref.String")
	}
}

func TestSerialiseStream(t *testing.T) {
	st := NewStream(Dict{"Filter": Name("FlateDecode"), "Length": Int(999)}, []byte("raw\ndata"))
	got := string(serialise(st))
	want := "<</Filter /FlateDecode/Length 8>>\nstream\nraw\ndata\nendstream"
	if got != want {
		t.Errorf("serialise = %q, want %q", got, want)
	}
	// The caller's dictionary is not modified.
	if st.Dict["Length"] != Int(999) {
		t.Errorf("serialise changed the dictionary: %v", st.Dict["Length"])
	}
}

func TestEqual(t *testing.T) {
	s := func(v string) String { return String{Value: []byte(v)} }
	for _, c := range []struct {
		a, b Object
		want bool
	}{
		{Int(1), Int(1), true},
		{Int(1), Int(2), false},
		{Int(1), Real(1), true},
		{Real(1), Int(1), true},
		{Real(1.5), Int(1), false},
		{Int(1), Bool(true), false},
		{Real(0.5), Real(0.5), true},
		{Int(1), Name("1"), false},
		{Null{}, nil, true},
		{nil, Null{}, true},
		{Null{}, Int(0), false},
		{Int(0), Null{}, false},
		{Bool(false), Null{}, false},
		{Name("A"), Name("A"), true},
		{Name("A"), s("A"), false},
		{s("abc"), s("abc"), true},
		// Literal vs hex and file positions do not matter.
		{s("abc"), String{Value: []byte("abc"), Hex: true, Pos: 10, End: 15}, true},
		{s("abc"), s("abd"), false},
		{Ref{1, 0}, Ref{1, 0}, true},
		{Ref{1, 0}, Ref{1, 1}, false},
		{Ref{1, 0}, Int(1), false},
		{Array{Int(1), Real(2)}, Array{Real(1), Int(2)}, true},
		{Array{Int(1)}, Array{Int(1), Int(2)}, false},
		{Array{}, Array(nil), true},
		{Array{}, Dict{}, false},
		// A key whose value is null is the same as an absent key.
		{Dict{"A": Int(1), "N": Null{}}, Dict{"A": Int(1)}, true},
		{Dict{"A": Int(1)}, Dict{"A": Int(1), "N": Null{}}, true},
		{Dict{"N": Null{}}, Dict{"N": Null{}}, true},
		{Dict{"N": Null{}}, Dict{"N": Int(0)}, false},
		{Dict{"N": Int(0)}, Dict{"N": Null{}}, false},
		{Dict{"A": Int(1)}, Dict{"A": Int(1), "B": Int(2)}, false},
		{Dict{"A": Int(1), "B": Int(2)}, Dict{"A": Int(1)}, false},
		{Dict{"A": Dict{"X": Null{}}}, Dict{"A": Dict{}}, true},
		{Dict{}, Dict(nil), true},
		{&Stream{Dict: Dict{}, Offset: 5, Length: 3}, &Stream{Dict: Dict{}, Offset: 5, Length: 3}, true},
		{&Stream{Dict: Dict{}, Offset: 5, Length: 3}, &Stream{Dict: Dict{}, Offset: 6, Length: 3}, false},
		{&Stream{Dict: Dict{"A": Int(1)}, Offset: 5, Length: 3}, &Stream{Dict: Dict{}, Offset: 5, Length: 3}, false},
		{NewStream(Dict{}, []byte("x")), NewStream(Dict{}, []byte("x")), true},
		{NewStream(Dict{}, []byte("x")), NewStream(Dict{}, []byte("y")), false},
		{NewStream(Dict{}, []byte("x")), Dict{}, false},
	} {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", Format(c.a), Format(c.b), got, c.want)
		}
		if got := Equal(c.b, c.a); got != c.want {
			t.Errorf("Equal(%s, %s) (swapped) = %v, want %v", Format(c.b), Format(c.a), got, c.want)
		}
	}
}
