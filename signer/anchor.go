package signer

import (
	"errors"
	"fmt"
	"math"

	"segel/pdf"
	"segel/pdf/textpos"
)

// ErrAnchorNotFound means the document's pages do not show the text of
// Options.Anchor (or show it fewer times than Options.AnchorIndex).
var ErrAnchorNotFound = errors.New("anchor text not found")

// DefaultAnchorSize is the width and height, in points, of a stamp placed
// at an anchor when Options.AnchorSize is zero.
var DefaultAnchorSize = [2]float64{180, 60}

// anchorPlace sets o.Page and o.Rect from o.Anchor: the box of the
// marker's AnchorIndex-th occurrence (the first when 0), in page and
// content order.
//
// The rule: the new field's left edge is the marker's left edge and its
// top edge the marker's top (baseline plus font size); it is AnchorSize
// wide and high, so it covers the marker and extends right and down
// into the space a letter leaves for the signature. A field that would
// leave the page's crop box is moved inside it. The marker stays in the
// page content, under the stamp: the content is not edited (that would
// change what earlier signatures cover).
func anchorPlace(doc *pdf.Document, pages []pdf.Page, o *Options) error {
	if o.Field != "" || o.Rect[2] != 0 || o.Rect[3] != 0 {
		return fmt.Errorf("signer: %w: an anchor places a new field; it cannot be combined with a field name or a rectangle", ErrBadOptions)
	}
	if o.AnchorIndex < 0 {
		return fmt.Errorf("signer: %w: anchor index %d (from 1)", ErrBadOptions, o.AnchorIndex)
	}
	size := o.AnchorSize
	if size == [2]float64{} {
		size = DefaultAnchorSize
	}
	if err := checkBox("a stamp at an anchor", 0, 0, size[0], size[1]); err != nil {
		return err
	}
	want := max(o.AnchorIndex, 1)
	hits, err := textpos.Find(doc, o.Anchor, &textpos.Options{Max: want})
	if errors.Is(err, textpos.ErrEmptyMarker) {
		return fmt.Errorf("signer: %w: the anchor text is empty", ErrBadOptions)
	}
	if err != nil {
		return fmt.Errorf("signer: finding the anchor %q: %w", o.Anchor, err)
	}
	if len(hits) < want {
		if len(hits) == 0 {
			return fmt.Errorf("signer: %w: %q is not shown on the document's %d page(s)", ErrAnchorNotFound, o.Anchor, len(pages))
		}
		return fmt.Errorf("signer: %w: %q is shown %d time(s), not %d", ErrAnchorNotFound, o.Anchor, len(hits), want)
	}
	h := hits[want-1]
	x, y := h.X, h.Y+h.Height-size[1]
	if h.Page < 1 || h.Page > len(pages) {
		return fmt.Errorf("signer: %w: anchor on page %d of %d", ErrAnchorNotFound, h.Page, len(pages))
	}
	if b, ok := pageBox(doc, pages[h.Page-1].Dict); ok {
		if size[0] > b[2]-b[0] || size[1] > b[3]-b[1] {
			return fmt.Errorf("signer: %w: a stamp of %g × %g points does not fit page %d (%g × %g)", ErrBadOptions, size[0], size[1], h.Page, b[2]-b[0], b[3]-b[1])
		}
		x = math.Min(math.Max(x, b[0]), b[2]-size[0])
		y = math.Min(math.Max(y, b[1]), b[3]-size[1])
	}
	o.Page, o.Rect = h.Page, [4]float64{x, y, size[0], size[1]}
	return nil
}

// pageBox returns the page's crop box (else its media box), normalised to
// x1 < x2, y1 < y2.
func pageBox(doc *pdf.Document, page pdf.Dict) ([4]float64, bool) {
	for _, key := range []pdf.Name{"CropBox", "MediaBox"} {
		a, _ := doc.GetArray(doc.Inherited(page, key))
		if len(a) != 4 {
			continue
		}
		var b [4]float64
		for i := range b {
			o, _ := doc.Resolve(a[i])
			b[i] = num(o)
		}
		if b[0] > b[2] {
			b[0], b[2] = b[2], b[0]
		}
		if b[1] > b[3] {
			b[1], b[3] = b[3], b[1]
		}
		if b[2]-b[0] > 0 && b[3]-b[1] > 0 {
			return b, true
		}
	}
	return [4]float64{}, false
}
