package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"segel/signer"
)

// stampFlags are sign's options for the visible stamp of a TTE.
func stampFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "stamp", Usage: "draw the TTE stamp with `LAYOUT` qr-left (QR code left of the text) or text, into --field's rectangle or a new field at --page/--rect"},
		&cli.IntFlag{Name: "page", Value: 1, Usage: "with --rect, the `PAGE` of a new visible signature field (from 1)"},
		&cli.StringFlag{Name: "rect", Usage: "`X,Y,W,H` of a new visible signature field, in points from the page's lower-left corner"},
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
		for _, f := range []string{"stamp-name", "stamp-jabatan", "stamp-nip", "stamp-instansi", "qr-url"} {
			if c.IsSet(f) {
				return nil, usageError{fmt.Errorf("--%s needs --stamp qr-left (or --stamp text)", f)}
			}
		}
		return nil, nil
	}
	layout := strings.ToLower(c.String("stamp"))
	if layout != "qr-left" && layout != "text" {
		return nil, usageError{fmt.Errorf("--stamp %q: use qr-left or text", c.String("stamp"))}
	}
	if _, err := signer.IndonesianTime(time.Now(), c.String("tz")); err != nil {
		return nil, usageError{fmt.Errorf("--tz %q: use WIB, WITA or WIT", c.String("tz"))}
	}
	return &signer.Stamp{Layout: layout, Name: c.String("stamp-name"), Jabatan: c.String("stamp-jabatan"), NIP: c.String("stamp-nip"),
		Instansi: c.String("stamp-instansi"), Reason: c.String("reason"), Zone: c.String("tz"), VerifyURL: c.String("qr-url")}, nil
}
