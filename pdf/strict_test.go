package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// hasIssue returns the first recorded issue of kind k.
func hasIssue(d *Document, k IssueKind) (Issue, bool) {
	for _, is := range d.Issues() {
		if is.Kind == k {
			return is, true
		}
	}
	return Issue{}, false
}

// update appends a hand-written update to base: objects (number → body),
// a table whose lines are written by entry, and a trailer.
func update(base []byte, objs map[int]string, entry func(num int, off int64) string, trailer string) []byte {
	var b bytes.Buffer
	b.Write(base)
	offs := map[int]int64{}
	var nums []int
	for n := 1; n < 100; n++ {
		if body, ok := objs[n]; ok {
			offs[n] = int64(b.Len())
			fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
			nums = append(nums, n)
		}
	}
	x := b.Len()
	b.WriteString("xref\n")
	for _, n := range nums {
		fmt.Fprintf(&b, "%d 1\n%s", n, entry(n, offs[n]))
	}
	fmt.Fprintf(&b, "trailer\n<<%s>>\nstartxref\n%d\n%%%%EOF\n", trailer, x)
	return b.Bytes()
}

func entry20(_ int, off int64) string { return fmt.Sprintf("%010d 00000 n\r\n", off) }

func TestIssuesRecorded(t *testing.T) {
	base := simplePDF([]string{"<< /Producer (x) >>"}, "/Info 4 0 R")
	prev := open(t, base, nil).StartXRef()
	tr := fmt.Sprintf(" /Size 5 /Root 1 0 R /Prev %d", prev)
	for _, c := range []struct {
		name      string
		file      []byte
		kind      IssueKind
		ambiguous bool
	}{
		{"entry not in 20-byte form", update(base, map[int]string{4: "<< /Producer (y) >>"},
			func(_ int, off int64) string { return fmt.Sprintf("%010d 00000 n  \r\n", off) }, tr), IssueEntryForm, false},
		{"header generation differs", update(base, map[int]string{4: "<< /Producer (y) >>"},
			func(_ int, off int64) string { return fmt.Sprintf("%010d 00001 n\r\n", off) }, tr), IssueGeneration, true},
		{"duplicate entry", update(base, map[int]string{4: "<< /Producer (y) >>"},
			func(_ int, off int64) string {
				return fmt.Sprintf("%010d 00000 n\r\n", off) + "4 1\n" + fmt.Sprintf("%010d 00000 n\r\n", off+3)
			}, tr), IssueDuplicateEntry, true},
	} {
		d := open(t, c.file, nil)
		if _, err := d.Get(Ref{Num: 4, Gen: 0}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		d.Get(Ref{Num: 4, Gen: 1})
		is, ok := hasIssue(d, c.kind)
		if !ok || is.Ambiguous != c.ambiguous || is.Revision != 1 {
			t.Errorf("%s: issue %+v (found %v), issues %v", c.name, is, ok, d.Issues())
		}
		if c.ambiguous && len(d.Ambiguities()) == 0 {
			t.Errorf("%s: not an ambiguity of the final view", c.name)
		}
	}
}

// TestStartxrefOffRepaired: a startxref a few bytes off is a repair (one
// reading), not an ambiguity.
func TestStartxrefOffRepaired(t *testing.T) {
	b := simplePDF(nil, "")
	i := bytes.LastIndex(b, []byte("startxref\n"))
	x := open(t, b, nil).StartXRef()
	b = append(b[:i:i], []byte(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", x+2))...)
	d := open(t, b, nil)
	is, ok := hasIssue(d, IssueSectionOffset)
	if !ok || is.Ambiguous {
		t.Fatalf("issue %+v %v", is, ok)
	}
	if d.StartXRef() != x {
		t.Errorf("section at %d, want %d", d.StartXRef(), x)
	}
}

// TestDamagedFinalUpdate: an update whose section cannot be read leaves
// the earlier revisions readable, and the damage is recorded.
func TestDamagedFinalUpdate(t *testing.T) {
	base := simplePDF([]string{"<< /Producer (x) >>"}, "/Info 4 0 R")
	bad := append(bytes.Clone(base), []byte("4 0 obj\n<< /Producer (evil) >>\nendobj\nxref\n0 zz\ntrailer\n<< >>\nstartxref\n"+fmt.Sprint(len(base)+38)+"\n%%EOF\n")...)
	d := open(t, bad, nil)
	if n := len(d.Revisions()); n != 1 {
		t.Fatalf("%d revisions", n)
	}
	is, ok := hasIssue(d, IssueDamaged)
	if !ok || !is.Ambiguous || is.Offset != int64(len(base)) {
		t.Errorf("damage %+v %v", is, ok)
	}
}

// TestCrossCheck: an object defined again after the section that gives it
// is what a rebuilding reader reads; so is the last trailer's catalog.
func TestCrossCheck(t *testing.T) {
	base := simplePDF([]string{"<< /Producer (x) >>"}, "/Info 4 0 R")
	if got, _ := open(t, base, nil).CrossCheck(nil); len(got) != 0 {
		t.Fatalf("a clean file: %v", got)
	}
	// An unlisted body of object 3 after the last section.
	i := bytes.LastIndex(base, []byte("\nxref\n")) + 1
	hidden := append(bytes.Clone(base[:i]), []byte("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n")...)
	hidden = append(hidden, base[i:]...)
	// The table's offsets still point at the first bodies; the startxref
	// must move with the table.
	j := bytes.LastIndex(hidden, []byte("startxref\n"))
	k := bytes.LastIndex(hidden, []byte("\nxref\n0")) + 1
	hidden = append(hidden[:j:j], []byte(fmt.Sprintf("startxref\n%d\n%%%%EOF\n", k))...)
	d := open(t, hidden, nil)
	got, err := d.CrossCheck(nil)
	if err != nil || len(got) != 1 || got[0].Object != 3 || got[0].Kind != IssueScanConflict {
		t.Fatalf("cross-check: %v %v", got, err)
	}
	// A comment between the header's tokens does not hide it.
	commented := bytes.Replace(hidden, []byte("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]"), []byte("3 0 % x\nobj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10]"), 1)
	if got, _ := open(t, commented, nil).CrossCheck(nil); len(got) != 1 {
		t.Errorf("comment in the header: %v", got)
	}
}

type eioReader struct{ b []byte }

func (r eioReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > int64(len(r.b))/2 {
		return 0, syscall.EIO // a bad sector in the second half
	}
	return bytes.NewReader(r.b).ReadAt(p, off)
}

func TestOpenIOError(t *testing.T) {
	b := simplePDF(nil, "")
	_, err := Open(eioReader{b}, int64(len(b)), nil)
	if !errors.Is(err, ErrIO) || !errors.Is(err, syscall.EIO) || errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "reading the file") {
		t.Errorf("message %q", err)
	}
}
