package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"segel/signer"
)

// stampFlags are sign's options for the visible stamp of a TTE.
func stampFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "stamp", Usage: "draw the TTE stamp with `LAYOUT` qr-left (QR code left of the text), text, or a layout file (.yaml, see docs/stamp.md), into --field's rectangle or a new field at --page/--rect"},
		&cli.StringFlag{Name: "stamp-image", Usage: "a logo or seal on the stamp: a PNG (transparency kept) or JPEG `FILE`, at most 4000 pixels a side"},
		&cli.IntFlag{Name: "page", Value: 1, Usage: "with --rect, the `PAGE` of a new visible signature field (from 1)"},
		&cli.StringFlag{Name: "rect", Usage: "`X,Y,W,H` of a new visible signature field, in points from the page's lower-left corner"},
		&cli.StringFlag{Name: "anchor", Usage: "place a new visible signature field at the `TEXT` shown on the pages (a marker such as #ttd_kabupaten#): its top-left corner at the marker's, --anchor-size big; the stamp covers the marker"},
		&cli.StringFlag{Name: "anchor-size", Value: "180,60", Usage: "`W,H` in points of the field placed at --anchor"},
		&cli.IntFlag{Name: "anchor-index", Value: 1, Usage: "with --anchor, which occurrence of the text (`N`, from 1, in page order) when it is shown more than once"},
		&cli.StringFlag{Name: "stamp-name", Usage: "the signer's `NAME` on the stamp (default: the certificate's common name)"},
		&cli.StringFlag{Name: "stamp-jabatan", Usage: "the signer's position (`JABATAN`)"},
		&cli.StringFlag{Name: "stamp-nip", Usage: "the signer's `NIP`"},
		&cli.StringFlag{Name: "stamp-instansi", Usage: "the signer's agency (`INSTANSI`)"},
		&cli.StringFlag{Name: "tz", Value: "WIB", Usage: "time zone of the stamp's time: WIB, WITA or WIT"},
		&cli.StringFlag{Name: "qr-url", Usage: "`URL` the stamp's QR code leads to (the document's verification page)"},
		&cli.BoolFlag{Name: "footer", Usage: "write one line on every page saying the document is signed electronically (first signature only; covered by it)"},
		&cli.StringFlag{Name: "footer-text", Usage: "the footer's `TEXT` ({issuer}: the certificate's issuer); default Indonesian"},
	}
}

// stampOptions reads the stamp flags; nil without --stamp.
func stampOptions(c *cli.Context) (*signer.Stamp, error) {
	if !c.IsSet("stamp") {
		for _, f := range []string{"stamp-name", "stamp-jabatan", "stamp-nip", "stamp-instansi", "qr-url", "stamp-image"} {
			if c.IsSet(f) {
				return nil, usageError{fmt.Errorf("--%s needs --stamp qr-left (or --stamp text)", f)}
			}
		}
		return nil, nil
	}
	layout := strings.ToLower(c.String("stamp"))
	var custom *signer.Layout
	switch {
	case strings.HasSuffix(layout, ".yaml") || strings.HasSuffix(layout, ".yml"):
		b, err := readSmallFile(c.String("stamp"), 64<<10)
		if err != nil {
			return nil, fmt.Errorf("--stamp: %w", err)
		}
		if custom, err = signer.ParseLayout(b); err != nil {
			return nil, usageError{fmt.Errorf("--stamp %s: %w", c.String("stamp"), err)}
		}
		layout = ""
	case layout != "qr-left" && layout != "text":
		return nil, usageError{fmt.Errorf("--stamp %q: use qr-left, text or a layout file ending in .yaml", c.String("stamp"))}
	}
	if _, err := signer.IndonesianTime(time.Now(), c.String("tz")); err != nil {
		return nil, usageError{fmt.Errorf("--tz %q: use WIB, WITA or WIT", c.String("tz"))}
	}
	var img *signer.StampImage
	if c.IsSet("stamp-image") {
		b, err := readSmallFile(c.String("stamp-image"), 16<<20)
		if err != nil {
			return nil, fmt.Errorf("--stamp-image: %w", err)
		}
		// Checked and encoded once for every document of the run.
		if img, err = signer.ParseStampImage(b); err != nil {
			return nil, fmt.Errorf("--stamp-image %s: %w", c.String("stamp-image"), err)
		}
	}
	return &signer.Stamp{Layout: layout, Custom: custom, Image: img, Name: c.String("stamp-name"), Jabatan: c.String("stamp-jabatan"), NIP: c.String("stamp-nip"),
		Instansi: c.String("stamp-instansi"), Reason: c.String("reason"), Zone: c.String("tz"), VerifyURL: c.String("qr-url")}, nil
}

// readSmallFile reads a file of at most limit bytes.
func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, usageError{fmt.Errorf("%s is larger than %d KiB", path, limit>>10)}
	}
	return b, nil
}

// anchorOptions reads --anchor, --anchor-size and --anchor-index into o.
func anchorOptions(c *cli.Context, o *signer.Options) error {
	if !c.IsSet("anchor") {
		for _, f := range []string{"anchor-size", "anchor-index"} {
			if c.IsSet(f) {
				return usageError{fmt.Errorf("--%s needs --anchor TEXT", f)}
			}
		}
		return nil
	}
	if strings.TrimSpace(c.String("anchor")) == "" {
		return usageError{errors.New("--anchor needs the marker text, e.g. --anchor \"#ttd_kabupaten#\"")}
	}
	if c.IsSet("field") || c.IsSet("rect") {
		return usageError{errors.New("give one of --field (an existing field), --page/--rect or --anchor (a new one)")}
	}
	v, err := signer.ParseNumbers(c.String("anchor-size"), 2)
	if err != nil || v[0] < 10 || v[1] < 10 || v[0] > 14400 || v[1] > 14400 {
		return usageError{fmt.Errorf("--anchor-size %q: write W,H in points, each from 10, e.g. 180,60", c.String("anchor-size"))}
	}
	if c.Int("anchor-index") < 1 {
		return usageError{fmt.Errorf("--anchor-index %d: occurrences count from 1", c.Int("anchor-index"))}
	}
	o.Anchor, o.AnchorSize, o.AnchorIndex = c.String("anchor"), [2]float64{v[0], v[1]}, c.Int("anchor-index")
	o.FirstEmpty = false
	return nil
}
