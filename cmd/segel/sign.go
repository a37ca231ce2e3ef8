package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"segel/keystore"
	"segel/pdf"
	"segel/signer"
	"segel/signer/ltv"
)

func signCommand() *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "add a PAdES signature to a PDF",
		ArgsUsage: "-o OUT.pdf IN.pdf | -o DIR IN.pdf...",
		Description: "Appends a signature as an incremental update: the input's bytes are kept\n" +
			"unchanged, earlier signatures stay valid. The key reference is file:PATH for a\n" +
			"PKCS#12 file or a PEM key (with --cert). The key password is read from\n" +
			"--key-password-file, then $SEGEL_KEY_PASSWORD, then a prompt on the terminal.\n\n" +
			"vault:MOUNT/KEY signs with a key in Vault's Transit engine, with the chain stored\n" +
			"by \"segel cert request\" (or --cert). Several inputs are signed into -o DIR, one\n" +
			"Vault request per --batch documents.\n\n" + vaultEnvHelp + "\n\n" +
			"Example:\n" +
			"   segel sign --key file:bupati.p12 --field SigKabupaten --certify 2 \\\n" +
			"      --reason \"Menyetujui PKS\" --location Tuban -o pks-signed.pdf pks.pdf\n" +
			"   segel sign --key vault:transit/pks-tuban -o ditandatangani/ surat-*.pdf",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Required: true, Usage: "signing key `KEYREF` (file:PATH or vault:MOUNT/KEY)"},
			&cli.StringFlag{Name: "cert", Usage: "`CHAIN.pem` with the signer certificate and intermediates"},
			&cli.StringFlag{Name: "key-password-file", Usage: "read the key password from `FILE`"},
			&cli.StringFlag{Name: "field", Usage: "sign into the existing empty signature field `NAME`"},
			&cli.IntFlag{Name: "certify", Usage: "certification signature with DocMDP permission `P` (1 no changes, 2 form filling and signing, 3 also annotations)"},
			&cli.StringFlag{Name: "reason", Usage: "reason for signing"},
			&cli.StringFlag{Name: "location", Usage: "where the document was signed"},
			&cli.StringFlag{Name: "contact", Usage: "signer's contact information"},
			&cli.StringFlag{Name: "name", Usage: "signer's name as shown in the signature dictionary"},
			&cli.StringFlag{Name: "hash", Value: "sha256", Usage: "digest algorithm: sha256, sha384 or sha512"},
			&cli.BoolFlag{Name: "pss", Usage: "RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "write the signed PDF to `OUT.pdf` (or into directory DIR)"},
			&cli.BoolFlag{Name: "force", Usage: "replace OUT.pdf if it exists"},
			&cli.IntFlag{Name: "batch", Value: signer.DefaultBatch, Usage: "with several inputs and a vault: key, sign up to `N` documents per Vault request (1: one request per document)"},
		}, append(levelFlags(), stampFlags()...)...),
		Action: func(c *cli.Context) error {
			jobs, err := signJobs(c.Args().Slice(), c.String("output"))
			if err != nil {
				return err
			}
			if b := c.Int("batch"); b < 1 || b > keystore.MaxBatch {
				return usageError{fmt.Errorf("--batch must be 1 to %d", keystore.MaxBatch)}
			}
			h, err := keystore.ParseHash(c.String("hash"))
			if err != nil {
				return usageError{fmt.Errorf("unknown --hash %q (use sha256, sha384 or sha512)", c.String("hash"))}
			}
			if p := c.Int("certify"); p < 0 || p > 3 {
				return usageError{fmt.Errorf("--certify must be 1, 2 or 3")}
			}
			level, tc, err := signLevel(c, h)
			if err != nil {
				return err
			}
			ev := evidence{level: level}
			if tc != nil {
				ev.ts = tc
			}
			if level == levelBLT || level == levelLTA {
				lo, err := ltvOptions(c, level, tc)
				if err != nil {
					return err
				}
				ev.ltv = &lo
				if c.Int("certify") == 1 {
					// No update may follow a P=1 certification: the
					// revocation data goes into the signature itself.
					ev.rev = ltv.Revocation{Fetcher: lo.Fetcher, Certs: lo.Certs}
				}
			}
			ref := c.String("key")
			key, err := keystore.Open(c.Context, ref, keystore.Options{
				CertFile: c.String("cert"),
				Password: keystore.PasswordFor(ref, c.String("key-password-file"), "SEGEL_KEY_PASSWORD"),
			})
			if err != nil {
				return keyError(ref, err)
			}
			defer key.Close()
			stamp, err := stampOptions(c)
			if err != nil {
				return err
			}
			opts := signer.Options{
				Stamp: stamp, FirstEmpty: !c.IsSet("field") && !c.IsSet("rect"),
				Hash: h, PSS: c.Bool("pss"),
				Field: c.String("field"), Certify: c.Int("certify"),
				Reason: c.String("reason"), Location: c.String("location"),
				ContactInfo: c.String("contact"), Name: c.String("name"),
				Time: time.Now(),
			}
			if c.Bool("footer") || c.IsSet("footer-text") {
				opts.Footer = signer.FooterText(c.String("footer-text"), key.Chain()[0])
			}
			if c.IsSet("rect") {
				r, err := parseRect(c.String("rect"))
				if err != nil {
					return usageError{err}
				}
				if c.IsSet("field") {
					return usageError{errors.New("give either --field (an existing field) or --page/--rect (a new one)")}
				}
				opts.Page, opts.Rect = c.Int("page"), [4]float64{r.X, r.Y, r.W, r.H}
			}
			if err := anchorOptions(c, &opts); err != nil {
				return err
			}
			if ev.rev != nil {
				fmt.Fprintln(c.App.ErrWriter, "segel: note: certified with no changes allowed (P=1): the revocation data is signed into the signature itself; a later document time-stamp (B-LTA) is allowed by PAdES, but Acrobat lists it as a change made after certification")
			}
			return signMany(c, ref, key, jobs, c.Bool("force"), c.Int("batch"), opts, ev)
		},
	}
}

func checkPaths(in, out string) error {
	if out == "-" {
		return usageError{errors.New("writing to standard output is not supported; give -o OUT.pdf")}
	}
	ai, _ := filepath.Abs(in)
	ao, _ := filepath.Abs(out)
	if ai == ao {
		return usageError{errors.New("the output must not be the input: segel never modifies its input")}
	}
	if fi, err := os.Stat(in); err == nil {
		if fo, err := os.Stat(out); err == nil && os.SameFile(fi, fo) {
			return usageError{errors.New("the output is the same file as the input: segel never modifies its input")}
		}
	}
	return nil
}

func signError(in string, err error) error {
	switch {
	case errors.Is(err, pdf.ErrNotPDF):
		return fmt.Errorf("%s is not a PDF file", in)
	case errors.Is(err, pdf.ErrEncrypted):
		return withHint(fmt.Errorf("%s is encrypted", in), "segel signs only unencrypted PDFs; remove the encryption first (e.g. qpdf --decrypt)")
	case errors.Is(err, signer.ErrFieldNotFound):
		return withHint(err, "omit --field to add a new invisible signature field")
	case errors.Is(err, signer.ErrAnchorNotFound):
		return withHint(err, "the marker must be text on the page (pdftotext shows it), written exactly, case and punctuation included; or place the stamp with --page/--rect or --field")
	case errors.Is(err, signer.ErrNoChangesAllowed):
		return withHint(err, "the certifying signer allowed no further signatures; the document must be certified again from the unsigned original")
	case errors.Is(err, pdf.ErrMalformed), errors.Is(err, pdf.ErrLimit), errors.Is(err, pdf.ErrCycle):
		return fmt.Errorf("cannot read %s: %w", in, err)
	}
	return err
}
