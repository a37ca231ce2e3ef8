package pdf

import (
	"bytes"
	"strings"
	"testing"
)

func TestLexNames(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Name
	}{
		{"/Type", "Type"},
		{"/A#20B", "A B"},
		{"/#41#42C", "ABC"},
		{"/a#2fb", "a/b"},
		{"/Lime#20Green", "Lime Green"},
		{"/paired#28#29parentheses", "paired()parentheses"},
		{"/The_Key_of_F#23_Minor", "The_Key_of_F#_Minor"},
		{"/#E2#80#94", "\u2014"},
		// A '#' not followed by two hex digits is kept as it is.
		{"/A#", "A#"},
		{"/A#G1", "A#G1"},
		{"/A#4", "A#4"},
		{"/A#4G", "A#4G"},
		{"/", ""},
		{"/1.5", "1.5"},
		{"/A;B", "A;B"},
	} {
		got, err := lex(c.in, false)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q = %#v, want %#v", c.in, got, c.want)
		}
	}
	// Names end at delimiters.
	a := mustLex(t, "[/A/B(c)/D<41>/E[/F]/G%x\n/H]")
	want := Array{Name("A"), Name("B"), String{Value: []byte("c")}, Name("D"), String{Value: []byte("A")}, Name("E"), Array{Name("F")}, Name("G"), Name("H")}
	if !Equal(a, want) {
		t.Errorf("names with delimiters = %s, want %s", Format(a), Format(want))
	}
}

func TestLexLiteralStrings(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"(abc)", "abc"},
		{"()", ""},
		{"(a(b)c)", "a(b)c"},
		{"(a(b(c)d)e)", "a(b(c)d)e"},
		{`(\(\)\\)`, `()\`},
		{`(unbalanced \( ok)`, "unbalanced ( ok"},
		{`(\n\r\t\b\f)`, "\n\r\t\b\f"},
		{`(\q\/)`, "q/"}, // unknown escapes: the backslash is dropped
		{`(\101\102C)`, "ABC"},
		{`(\1012)`, "A2"}, // at most three octal digits
		{`(\0053)`, "\x053"},
		{`(\7)`, "\x07"},
		{`(\53x)`, "+x"},
		{`(\777)`, "\xff"}, // high-order overflow is ignored
		{`(\08)`, "\x008"},
		{"(line\\\ncontinued)", "linecontinued"},
		{"(line\\\r\ncontinued)", "linecontinued"},
		{"(line\\\rcontinued)", "linecontinued"},
		{"(a\r\nb)", "a\nb"}, // end-of-line markers read as \n
		{"(a\rb)", "a\nb"},
		{"(a\nb)", "a\nb"},
		{"(a\n\rb)", "a\n\nb"},
		{"(%not a comment)", "%not a comment"},
		{"(\x00\xff)", "\x00\xff"},
	} {
		got, err := lex(c.in, false)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		s, ok := got.(String)
		if !ok || s.Hex || string(s.Value) != c.want {
			t.Errorf("%q = %#v, want literal %q", c.in, got, c.want)
		}
		if s.Pos != -1 || s.End != -1 {
			t.Errorf("%q: Pos/End = %d/%d without positions, want -1/-1", c.in, s.Pos, s.End)
		}
	}
	for _, bad := range []string{"(abc", "(a(b)", `(abc\`, ")", "(a\\"} {
		if _, err := lex(bad, false); !isErr(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestLexHexStrings(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"<48656C6C6F>", "Hello"},
		{"<48656c6c6f>", "Hello"},
		{"<>", ""},
		{"< >", ""},
		{"<4 8\n6\r5\t6C 6C\f6F>", "Hello"},
		{"<486>", "H`"}, // an odd final digit is followed by 0
		{"<7>", "p"},
		{"<FEFF0041>", "\xfe\xff\x00A"},
	} {
		got, err := lex(c.in, false)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		s, ok := got.(String)
		if !ok || !s.Hex || string(s.Value) != c.want {
			t.Errorf("%q = %#v, want hex %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"<4G>", "<41", "<41 42", "<4142)", "<x>"} {
		if _, err := lex(bad, false); !isErr(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestLexNumbers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Object
	}{
		{"0", Int(0)},
		{"123", Int(123)},
		{"43445", Int(43445)},
		{"+17", Int(17)},
		{"+3", Int(3)},
		{"-98", Int(-98)},
		{"-0", Int(0)},
		{"00987", Int(987)},
		{"9223372036854775807", Int(9223372036854775807)},
		{"34.5", Real(34.5)},
		{"-3.62", Real(-3.62)},
		{"+123.6", Real(123.6)},
		{"4.", Real(4)},
		{"-.002", Real(-0.002)},
		{"-.5", Real(-0.5)},
		{".5", Real(0.5)},
		{"0.0", Real(0)},
		{"+.5", Real(0.5)},
		// Beyond int64: read as a real.
		{"99999999999999999999", Real(1e20)},
		// Malformed numbers written by some producers read as 0.
		{"--5", Int(0)},
		{"1.2.3", Int(0)},
		{"-", Int(0)},
		// Not PDF syntax (ISO 32000-1 7.3.3 has no exponents, radices,
		// infinities or digit separators): also 0, so that what is read
		// can always be written back (Format of 1e300 would be a 301-digit
		// number that the lexer refuses).
		{"1e300", Int(0)},
		{"1e-300", Int(0)},
		{"6.02E23", Int(0)},
		{"+Inf", Int(0)},
		{"-Infinity", Int(0)},
		{"0x1p-2", Int(0)},
		{"1_000", Int(0)},
	} {
		got, err := lex(c.in, false)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		switch w := c.want.(type) {
		case Int:
			if g, ok := got.(Int); !ok || g != w {
				t.Errorf("%q = %#v, want Int %d", c.in, got, w)
			}
		case Real:
			if g, ok := got.(Real); !ok || g != w {
				t.Errorf("%q = %#v, want Real %v", c.in, got, w)
			}
		}
	}
}

func TestLexRefsAndInts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Object
	}{
		{"1 0 R", Ref{1, 0}},
		{"12 3 R", Ref{12, 3}},
		{"12  3\n\nR", Ref{12, 3}},
		{"7 65535 R", Ref{7, 65535}},
		{"[1 0 R 2 0 R]", Array{Ref{1, 0}, Ref{2, 0}}},
		{"[1 2]", Array{Int(1), Int(2)}},
		{"[1 2 3]", Array{Int(1), Int(2), Int(3)}},
		{"[1 2 3 R]", Array{Int(1), Ref{2, 3}}},
		{"[1 2 3 R 4]", Array{Int(1), Ref{2, 3}, Int(4)}},
		{"[1 0 R 0]", Array{Ref{1, 0}, Int(0)}},
		{"[1 0.0 R]", nil}, // a real generation is not a reference: R is an error
		{"[1 65536 R]", nil},
		{"[-1 0 R]", nil},
		{"[1 2 /R]", Array{Int(1), Int(2), Name("R")}},
		{"<< /A 1 0 R /B 2 /C 3 >>", Dict{"A": Ref{1, 0}, "B": Int(2), "C": Int(3)}},
		{"<< /Count 3 /Kids [4 0 R] >>", Dict{"Count": Int(3), "Kids": Array{Ref{4, 0}}}},
		{"<< /A 1 2 >>", nil}, // 2 is not a name
	} {
		got, err := lex(c.in, false)
		if c.want == nil {
			if err == nil {
				t.Errorf("%q = %s, want an error", c.in, Format(got))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !Equal(got, c.want) || Format(got) != Format(c.want) {
			t.Errorf("%q = %s, want %s", c.in, Format(got), Format(c.want))
		}
	}
	// Equal treats Int and Real alike; a reference is never equal to two
	// integers.
	if Equal(mustLex(t, "[1 0 R]"), Array{Int(1), Int(0), Name("R")}) {
		t.Error("a reference equals two integers and a name")
	}
}

func TestLexKeywordsAndNesting(t *testing.T) {
	got := mustLex(t, `<< /A [1 [2 << /B (x) /N null >>] true false] /C << /D null /E <</F -.5>> >> /G [] /H <<>> >>`)
	want := Dict{
		"A": Array{Int(1), Array{Int(2), Dict{"B": String{Value: []byte("x")}, "N": Null{}}}, Bool(true), Bool(false)},
		"C": Dict{"D": Null{}, "E": Dict{"F": Real(-0.5)}},
		"G": Array{},
		"H": Dict{},
	}
	if !Equal(got, want) {
		t.Fatalf("nested = %s\nwant %s", Format(got), Format(want))
	}
	d := got.(Dict)
	if _, ok := d["C"].(Dict)["D"].(Null); !ok {
		t.Errorf("/D = %#v, want Null", d["C"].(Dict)["D"])
	}
	if b, ok := d["A"].(Array)[2].(Bool); !ok || !bool(b) {
		t.Errorf("true = %#v", d["A"].(Array)[2])
	}
	for in, want := range map[string]Object{"null": Null{}, "true": Bool(true), "false": Bool(false)} {
		if got := mustLex(t, in); got != want {
			t.Errorf("%s = %#v", in, got)
		}
	}
	for _, bad := range []string{"nul", "True", "R", "endobj", "foo", "[1 foo]", "<< /A foo >>", "", "   ", "% only a comment\n", ">", "<< /A 1", "[1 2", "]"} {
		if o, err := lex(bad, false); err == nil {
			t.Errorf("%q = %s, want an error", bad, Format(o))
		} else if !isErr(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestLexComments(t *testing.T) {
	for in, want := range map[string]Object{
		"[1 % comment ]\n 2]":              Array{Int(1), Int(2)},
		"% leading\r\n<< /A 1 %c\r/B 2 >>": Dict{"A": Int(1), "B": Int(2)},
		"[(a%b) %c\n/N%d\n]":               Array{String{Value: []byte("a%b")}, Name("N")},
		"1 %x\n0 %y\nR":                    Ref{1, 0},
		"[1%\n2]":                          Array{Int(1), Int(2)},
	} {
		got, err := lex(in, false)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !Equal(got, want) {
			t.Errorf("%q = %s, want %s", in, Format(got), Format(want))
		}
	}
}

func TestLexDictOddities(t *testing.T) {
	// A key without a value at the end is dropped; a later key wins.
	if got := mustLex(t, "<< /A 1 /B >>"); !Equal(got, Dict{"A": Int(1)}) {
		t.Errorf("key without value = %s", Format(got))
	}
	if got := mustLex(t, "<< /A 1 /A 2 >>"); !Equal(got, Dict{"A": Int(2)}) {
		t.Errorf("repeated key = %s", Format(got))
	}
	// A dictionary directly followed by "stream" or "endobj" without ">>"
	// is closed there.
	if got := mustLex(t, "<< /A 1 endobj"); !Equal(got, Dict{"A": Int(1)}) {
		t.Errorf("unterminated before endobj = %s", Format(got))
	}
}

func TestLexStringPositions(t *testing.T) {
	// Strings of a top-level object read from the file carry the exact
	// offsets of their tokens, delimiters included, at any nesting level.
	body := "<< /T (Hello \\(world\\)) /H <48 49\n4A> /A [(x) <79> [(deep)]] /D << /E (z(y)) >> /Z () /N 1 0 R >>"
	w := newPDF()
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>")
	w.obj(3, body)
	w.xref([]int{1, 2, 3}, true, "/Size 4 /Root 1 0 R")
	file := w.bytes()
	d := open(t, file, nil)
	o, err := d.Get(Ref{Num: 3})
	if err != nil {
		t.Fatal(err)
	}
	dict := o.(Dict)
	check := func(what string, s Object, token, value string) {
		t.Helper()
		str, ok := s.(String)
		if !ok {
			t.Fatalf("%s is %#v", what, s)
		}
		if str.Pos < 0 || str.End > int64(len(file)) || str.Pos >= str.End {
			t.Fatalf("%s: Pos/End = %d/%d", what, str.Pos, str.End)
		}
		if got := string(file[str.Pos:str.End]); got != token {
			t.Errorf("%s: file[Pos:End] = %q, want %q", what, got, token)
		}
		if string(str.Value) != value {
			t.Errorf("%s: value %q, want %q", what, str.Value, value)
		}
	}
	check("/T", dict["T"], `(Hello \(world\))`, "Hello (world)")
	check("/H", dict["H"], "<48 49\n4A>", "HIJ")
	a := dict["A"].(Array)
	check("/A[0]", a[0], "(x)", "x")
	check("/A[1]", a[1], "<79>", "y")
	check("/A[2][0]", a[2].(Array)[0], "(deep)", "deep")
	check("/D/E", dict["D"].(Dict)["E"], "(z(y))", "z(y)")
	check("/Z", dict["Z"], "()", "")
	// Each token appears once in the file, so check the offsets are the
	// ones found by a byte search as well.
	if i := int64(bytes.Index(file, []byte("(deep)"))); a[2].(Array)[0].(String).Pos != i {
		t.Errorf("(deep) at %d, Pos %d", i, a[2].(Array)[0].(String).Pos)
	}

	// Parsed without positions (as for objects in object streams): -1.
	o2, err := lex(body, false)
	if err != nil {
		t.Fatal(err)
	}
	if s := o2.(Dict)["T"].(String); s.Pos != -1 || s.End != -1 {
		t.Errorf("without positions: %d/%d", s.Pos, s.End)
	}
	// With positions on a bare buffer, offsets are relative to its start.
	o3, err := lex("  [ (ab) ]", true)
	if err != nil {
		t.Fatal(err)
	}
	if s := o3.(Array)[0].(String); s.Pos != 4 || s.End != 8 {
		t.Errorf("bare buffer Pos/End = %d/%d, want 4/8", s.Pos, s.End)
	}
}

func TestLexTokenLimits(t *testing.T) {
	parse := func(s string, maxTok int) error {
		l := &lexer{r: newReader(strings.NewReader(s), 0, int64(len(s))), maxTok: maxTok}
		_, err := l.parseObject(0, 64, false)
		return err
	}
	long := strings.Repeat("a", 100)
	for _, s := range []string{"(" + long + ")", "<" + strings.Repeat("41", 100) + ">", "/" + long} {
		if err := parse(s, 50); !isErr(err, ErrLimit) {
			t.Errorf("%.10q… with maxTok 50: err = %v, want ErrLimit", s, err)
		}
		if err := parse(s, 1000); err != nil {
			t.Errorf("%.10q… with maxTok 1000: %v", s, err)
		}
	}
	// Keywords and numbers are bounded regardless of maxTok.
	if err := parse(strings.Repeat("1", 300), 1<<20); !isErr(err, ErrLimit) {
		t.Errorf("300-digit number: err = %v, want ErrLimit", err)
	}
	if err := parse(strings.Repeat("k", 300), 1<<20); !isErr(err, ErrLimit) {
		t.Errorf("300-letter keyword: err = %v, want ErrLimit", err)
	}
}

func TestLexDepthLimit(t *testing.T) {
	for _, c := range []struct{ open, close string }{{"[", "]"}, {"<< /A ", ">>"}} {
		deep := strings.Repeat(c.open, 10000) + strings.Repeat(c.close, 10000)
		_, err := lex(deep, false)
		if !isErr(err, ErrLimit) {
			t.Errorf("10,000 nested %s: err = %v, want ErrLimit", c.open, err)
		}
		// Unclosed as well.
		_, err = lex(strings.Repeat(c.open, 10000), false)
		if !isErr(err, ErrLimit) {
			t.Errorf("10,000 unclosed %s: err = %v, want ErrLimit", c.open, err)
		}
		// Exactly at the limit is fine, one more is not.
		n := DefaultLimits.MaxDepth
		ok := strings.Repeat(c.open, n) + "1" + strings.Repeat(c.close, n)
		if _, err := lex(ok, false); err != nil {
			t.Errorf("%d nested %s: %v", n, c.open, err)
		}
		over := strings.Repeat(c.open, n+1) + "1" + strings.Repeat(c.close, n+1)
		if _, err := lex(over, false); !isErr(err, ErrLimit) {
			t.Errorf("%d nested %s: err = %v, want ErrLimit", n+1, c.open, err)
		}
	}
}
