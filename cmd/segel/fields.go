package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"segel/internal/atomicfile"
	"segel/signer"
)

func fieldsCommand() *cli.Command {
	return &cli.Command{
		Name:      "fields",
		Usage:     "list a PDF's signature fields, or add empty ones to a template",
		ArgsUsage: "FILE.pdf",
		Description: "Lists every signature field: name, page, rectangle (x, y, width, height in\n" +
			"points from the page's lower-left corner) and whether it is signed.\n\n" +
			"Examples:\n   segel fields pks.pdf\n" +
			"   segel fields add --name SigSaksi --page 3 --rect 60,300,220,80 -o pks-ttd.pdf pks.pdf",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: fieldsList,
		Subcommands: []*cli.Command{{
			Name:      "add",
			Usage:     "add empty, visible signature fields to an unsigned template",
			ArgsUsage: "--name NAME --page N --rect X,Y,W,H -o OUT.pdf IN.pdf",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "name", Required: true, Usage: "the new field's `NAME`"},
				&cli.IntFlag{Name: "page", Value: 1, Usage: "the `PAGE` (from 1)"},
				&cli.StringFlag{Name: "rect", Required: true, Usage: "`X,Y,W,H`: position and size in points from the page's lower-left corner"},
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "write the template to `OUT.pdf`"},
				&cli.BoolFlag{Name: "force", Usage: "replace OUT.pdf if it exists"},
			},
			Action: fieldsAdd,
		}},
	}
}

func fieldsList(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("give one PDF file, got %d", c.NArg())}
	}
	path := c.Args().First()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	fields, err := signer.ListFields(f, st.Size())
	if err != nil {
		return signError(path, err)
	}
	if c.Bool("json") {
		if fields == nil {
			fields = []signer.FieldInfo{}
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(fields)
	}
	if len(fields) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "segel: %s has no signature fields\n", path)
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPAGE\tRECT (x, y, w, h)\tSTATE")
	for _, fi := range fields {
		rect := "invisible"
		if fi.Visible {
			rect = fmt.Sprintf("%g, %g, %g, %g", fi.Rect[0], fi.Rect[1], fi.Rect[2], fi.Rect[3])
		}
		page := "-"
		if fi.Page > 0 {
			page = strconv.Itoa(fi.Page)
		}
		state := "empty"
		if fi.Signed {
			state = "signed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", fi.Name, page, rect, state)
	}
	return tw.Flush()
}

func fieldsAdd(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("give one input PDF, got %d", c.NArg())}
	}
	in, out := c.Args().First(), c.String("output")
	if err := checkPaths(in, out); err != nil {
		return err
	}
	f, err := parseRect(c.String("rect"))
	if err != nil {
		return usageError{err}
	}
	f.Name, f.Page = c.String("name"), c.Int("page")
	nf := []signer.NewField{f}
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	o, err := atomicfile.Create(out, c.Bool("force"))
	if err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return withHint(err, "pass --force to replace it")
		}
		return err
	}
	defer o.Abort()
	if err := signer.AddFields(c.Context, src, st.Size(), o, nf); err != nil {
		return signError(in, err)
	}
	if err := o.Commit(); err != nil {
		return err
	}
	for _, f := range nf {
		fmt.Fprintf(c.App.ErrWriter, "segel: added empty signature field %q on page %d at %g,%g (%g × %g pt)\n", f.Name, f.Page, f.X, f.Y, f.W, f.H)
	}
	fmt.Fprintf(c.App.ErrWriter, "segel: wrote %s; sign a field with: segel sign --field NAME --key … -o SIGNED.pdf %s\n", out, out)
	return nil
}

// parseRect reads X,Y,W,H.
func parseRect(spec string) (signer.NewField, error) {
	v, err := signer.ParseNumbers(spec, 4)
	if err != nil {
		return signer.NewField{}, fmt.Errorf("--rect %q: write X,Y,W,H in points, e.g. 60,90,220,80", spec)
	}
	return signer.NewField{X: v[0], Y: v[1], W: v[2], H: v[3]}, nil
}
