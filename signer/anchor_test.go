package signer

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"segel/internal/sample"
	"segel/pdf"
)

// anchorDoc is a one-page document (crop box 0 0 500 800 inside an A4
// media box) showing content in 12 pt Helvetica.
func anchorDoc(t *testing.T, content string) (*pdf.Document, []pdf.Page) {
	t.Helper()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
		"<< /Type /Page /Parent 2 0 R /CropBox [0 0 500 800] /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	file := sample.FromObjects(objs...)
	doc, err := pdf.Open(bytes.NewReader(file), int64(len(file)), nil)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := doc.Pages()
	if err != nil {
		t.Fatal(err)
	}
	return doc, pages
}

// TestAnchorPlace: the rule (top-left at the marker's top-left, the
// default or given size), the move inside the crop box, the occurrence
// chosen, and the refusals.
func TestAnchorPlace(t *testing.T) {
	doc, pages := anchorDoc(t, "BT /F1 12 Tf 100 500 Td (#ttd#) Tj 0 -100 Td (#ttd#) Tj 1 0 0 1 450 20 Tm (#ttd#) Tj ET")
	for _, c := range []struct {
		index int
		size  [2]float64
		want  [4]float64
	}{
		{0, [2]float64{}, [4]float64{100, 512 - 60, 180, 60}},
		{2, [2]float64{200, 80}, [4]float64{100, 412 - 80, 200, 80}},
		{3, [2]float64{}, [4]float64{500 - 180, 0, 180, 60}}, // moved inside the crop box
	} {
		o := &Options{Anchor: "#ttd#", AnchorIndex: c.index, AnchorSize: c.size}
		if err := anchorPlace(doc, pages, o); err != nil {
			t.Fatal(err)
		}
		for i := range c.want {
			if math.Abs(o.Rect[i]-c.want[i]) > 0.01 || o.Page != 1 {
				t.Errorf("index %d: page %d rect %v, want %v", c.index, o.Page, o.Rect, c.want)
				break
			}
		}
	}
	for _, c := range []struct {
		o    Options
		want error
		text string
	}{
		{Options{Anchor: "#ttd#", AnchorIndex: 4}, ErrAnchorNotFound, "shown 3 time(s), not 4"},
		{Options{Anchor: "#camat#"}, ErrAnchorNotFound, `"#camat#" is not shown`},
		{Options{Anchor: "#ttd#", Field: "Sig1"}, ErrBadOptions, "cannot be combined"},
		{Options{Anchor: "#ttd#", Rect: [4]float64{1, 1, 50, 50}}, ErrBadOptions, "cannot be combined"},
		{Options{Anchor: "#ttd#", AnchorSize: [2]float64{5, 60}}, ErrBadOptions, "at least 10"},
		{Options{Anchor: "#ttd#", AnchorSize: [2]float64{600, 60}}, ErrBadOptions, "does not fit"},
		{Options{Anchor: " "}, ErrBadOptions, "empty"},
	} {
		o := c.o
		err := anchorPlace(doc, pages, &o)
		if !errors.Is(err, c.want) || !strings.Contains(fmt.Sprint(err), c.text) {
			t.Errorf("%+v: %v, want %v with %q", c.o, err, c.want, c.text)
		}
	}
}
