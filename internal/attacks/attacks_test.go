package attacks

import (
	"bytes"
	"strings"
	"testing"

	"segel/pdf"
)

// TestCases checks the suite's own invariants: every case builds, names
// are unique and carry their class, every class has at least four cases,
// the attacked file keeps the signed bytes, and markers and evidence are
// set as the harness expects. (Whether viewers show the marker, and what
// the verifier says, is verify's TestAttackSuite.)
func TestCases(t *testing.T) {
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Cases(env)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	perClass := map[int]int{}
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("duplicate case name %s", c.Name)
		}
		names[c.Name] = true
		perClass[c.Class]++
		if !strings.HasPrefix(c.Name, "c"+string(rune('0'+c.Class))+"-") {
			t.Errorf("%s: name does not start with its class c%d-", c.Name, c.Class)
		}
		if c.Title == "" {
			t.Errorf("%s: no title", c.Name)
		}
		if !bytes.HasPrefix(c.File, c.Signed) || len(c.File) == len(c.Signed) {
			t.Errorf("%s: the attacked file does not extend the signed file", c.Name)
		}
		if _, err := pdf.Open(bytes.NewReader(c.Signed), int64(len(c.Signed)), nil); err != nil {
			t.Errorf("%s: the signed file does not parse: %v", c.Name, err)
		}
		switch {
		case c.Class == 6 && (c.Shown != "" || !bytes.HasPrefix(c.File, c.Evidence) || !bytes.HasPrefix(c.Evidence, c.Signed)):
			t.Errorf("%s: class 6 needs evidence between the signed and the attacked file, and no marker", c.Name)
		case c.Class != 6 && (c.Shown == "" || c.Evidence != nil):
			t.Errorf("%s: needs a marker and no evidence", c.Name)
		}
	}
	for class := 1; class <= 7; class++ {
		if perClass[class] < 4 {
			t.Errorf("class %d has %d cases, want at least 4", class, perClass[class])
		}
	}
	if len(cases) < 45 {
		t.Errorf("%d cases, want at least 45", len(cases))
	}
}

// TestUpdateOffsets checks the raw writer: every object it records is at
// the offset its cross-reference entry gives, and the result reads back.
func TestUpdateOffsets(t *testing.T) {
	p := newPKS()
	u := newUpd(p.b)
	n := u.add(stream(" /Type /Metadata /Subtype /XML", "<x/>"))
	m := u.add("<< /Title (uji) >>")
	b := u.finish("/Info " + ref(m))
	for _, num := range []uint32{n, m} {
		off := u.offs[num]
		if want := []byte(ref(num)[:len(ref(num))-1] + "obj"); !bytes.HasPrefix(b[off:], want) {
			t.Errorf("object %d: %q at its offset", num, b[off:off+12])
		}
	}
	doc := open(b)
	if d, err := doc.GetDict(doc.Trailer()["Info"]); err != nil || pdf.Text(d["Title"]) != "uji" {
		t.Errorf("/Info reads back as %v (%v)", d, err)
	}
	if got := lastStartXref(b); got <= int64(len(p.b)) {
		t.Errorf("startxref %d is not in the update", got)
	}
}
