package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/boombuler/barcode/qr"
	"github.com/urfave/cli/v2"

	"segel/keystore"
	"segel/keystore/vault"
	"segel/official"
	"segel/pkinet"
	"segel/server"
	"segel/store"
)

func officialsCommand() *cli.Command {
	return &cli.Command{
		Name:  "officials",
		Usage: "enrol officials for official mode (each signs with their own Vault login and TOTP)",
		Description: "In official mode every signature is authorised by the official's own Vault\n" +
			"login: username (NIP or NIK), password and a TOTP code. Run these commands with\n" +
			"the key officer's token holding deploy/vault/segel-officials-admin.hcl.\n\n" + vaultEnvHelp,
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "enrol an official: Transit key, certificate, profile, Vault user with its own policy, TOTP",
				ArgsUsage: "--name N --nip NIP --jabatan J --instansi I --key transit/K --password-file F",
				Description: "Creates the Transit key, has Vault's PKI issue its certificate (the name as\n" +
					"common name, the instansi as organization), stores the profile, writes the\n" +
					"policy segel-official-NIP (transit/sign/K only), makes the userpass user NIP\n" +
					"and its Vault identity, and enrols a TOTP secret through Vault's Login MFA.\n" +
					"The otpauth:// URL and its QR code are printed once: give them to the\n" +
					"official only, to scan into an authenticator app.\n\n" +
					"Example:\n   segel officials add --name \"Bupati Tuban\" --nip 198001012005011001 \\\n" +
					"      --jabatan Bupati --instansi \"Pemerintah Kabupaten Tuban\" \\\n" +
					"      --key transit/bupati-tuban --password-file sandi.txt",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "name", Required: true, Usage: "the official's full `NAME`"},
					&cli.StringFlag{Name: "nip", Required: true, Usage: "the official's `NIP` (or NIK): the login name"},
					&cli.StringFlag{Name: "jabatan", Required: true, Usage: "the official's position (`JABATAN`)"},
					&cli.StringFlag{Name: "instansi", Required: true, Usage: "the official's agency (`INSTANSI`)"},
					&cli.StringFlag{Name: "key", Required: true, Usage: "the new Transit key `MOUNT/KEY`"},
					&cli.StringFlag{Name: "password-file", Required: true, Usage: "`FILE` holding the official's initial password (at least 12 characters)"},
					&cli.StringFlag{Name: "key-type", Value: string(keystore.ECDSAP256), Usage: "Transit key `TYPE`"},
					&cli.StringFlag{Name: "pki", Value: "pki_int", Usage: "the PKI engine's `MOUNT`"},
					&cli.StringFlag{Name: "role", Value: "document-signing", Usage: "the PKI `ROLE`"},
				},
				Action: officialsAdd,
			},
			{
				Name:      "request",
				Usage:     "queue a document for several officials' signatures, in order",
				ArgsUsage: "--doc F --title T --sign NIP:FIELD [--sign NIP:FIELD …] [--webhook URL]",
				Description: "Adds a multi-party signing request to the document store that\n" +
					"\"segel serve --mode official\" serves (segel.db in its working directory,\n" +
					"or SEGEL_STORE: sqlite:PATH or a postgres:// URL).\n" +
					"Each official, in the order given, sees the document under \"Dokumen menunggu\"\n" +
					"on the signing page and signs it in the named field; after each signature the\n" +
					"webhook receives a JSON notice naming the next official. Webhooks go through\n" +
					"segel's network guard: public addresses only unless SEGEL_WEBHOOK_ALLOW lists\n" +
					"more (loopback, private, or CIDR networks, comma-separated).\n\n" +
					"Example:\n   segel officials request --doc pks.pdf --title \"PKS Tuban-Jatim\" \\\n" +
					"      --sign 198001012005011001:SigKabupaten --sign 197502022000032002:SigProvinsi",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "doc", Required: true, Usage: "the PDF `FILE`"},
					&cli.StringFlag{Name: "title", Required: true, Usage: "the `TITLE` officials see"},
					&cli.StringSliceFlag{Name: "sign", Required: true, Usage: "`NIP:FIELD`, an official and their signature field, in signing order (repeatable)"},
					&cli.StringFlag{Name: "webhook", Usage: "`URL` POSTed a JSON notice after each signature"},
					&cli.StringFlag{Name: "store", Value: defaultStore, EnvVars: []string{"SEGEL_STORE"}, Usage: "the document store `ADDR`: sqlite:PATH (or a PATH) or a postgres:// URL"},
				},
				Action: officialsRequest,
			},
			{
				Name:   "list",
				Usage:  "list enrolled officials",
				Action: officialsList,
			},
			{
				Name:      "disable",
				Usage:     "disable an official: Vault refuses their logins from now on",
				ArgsUsage: "NIP",
				Action:    officialsDisable,
			},
		},
	}
}

func officialsAdmin(c *cli.Context) (*official.Admin, error) {
	cfg, err := vault.ConfigFromEnv()
	if err != nil {
		return nil, vaultError(err)
	}
	a, err := official.NewAdmin(c.Context, cfg)
	if err != nil {
		return nil, vaultError(err)
	}
	return a, nil
}

func officialsAdd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageError{errors.New("unexpected arguments: " + strings.Join(c.Args().Slice(), " "))}
	}
	pw, err := os.ReadFile(c.String("password-file"))
	if err != nil {
		return usageError{fmt.Errorf("--password-file: %w", err)}
	}
	password := strings.TrimRight(string(pw), "\r\n")
	key := strings.TrimPrefix(c.String("key"), "vault:")
	if _, err := transitKey(key); err != nil {
		return err
	}
	a, err := officialsAdmin(c)
	if err != nil {
		return err
	}
	defer a.Close()
	a.PKI, a.Role = strings.Trim(c.String("pki"), "/"), c.String("role")
	res, err := a.Add(c.Context, official.Enrolment{
		Profile: official.Profile{Username: c.String("nip"), Name: c.String("name"), NIP: c.String("nip"),
			Jabatan: c.String("jabatan"), Instansi: c.String("instansi"), Key: key},
		Password: password, KeyType: keystore.KeyType(c.String("key-type")),
	})
	if err != nil {
		return vaultError(err)
	}
	w := c.App.Writer
	p := res.Profile
	fmt.Fprintf(w, "enrolled %s (%s, %s), login %s, key %s, Vault entity %s\n", p.Name, p.Jabatan, p.Instansi, p.Username, p.Key, p.EntityID)
	fmt.Fprintf(w, "certificate: %s\n", res.Certificate)
	for _, warn := range res.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "segel: warning: %s\n", warn)
	}
	fmt.Fprintf(w, "\nTOTP (shown once; give it to the official only / hanya untuk pejabat yang bersangkutan):\n%s\n\n", res.OTPURL)
	if err := terminalQR(w, res.OTPURL); err != nil {
		fmt.Fprintf(c.App.ErrWriter, "segel: warning: no QR code: %v\n", err)
	}
	return nil
}

// terminalQR draws a QR code of s with Unicode half blocks, two modules
// per character cell, dark on a light quiet zone.
func terminalQR(w io.Writer, s string) error {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return err
	}
	b := code.Bounds()
	const quiet = 2
	dark := func(x, y int) bool {
		if x < b.Min.X || y < b.Min.Y || x >= b.Max.X || y >= b.Max.Y {
			return false
		}
		r, _, _, _ := code.At(x, y).RGBA()
		return r < 0x8000
	}
	var sb strings.Builder
	for y := b.Min.Y - quiet; y < b.Max.Y+quiet; y += 2 {
		for x := b.Min.X - quiet; x < b.Max.X+quiet; x++ {
			top, bottom := dark(x, y), dark(x, y+1)
			switch {
			case top && bottom:
				sb.WriteString(" ")
			case top:
				sb.WriteString("▄")
			case bottom:
				sb.WriteString("▀")
			default:
				sb.WriteString("█")
			}
		}
		sb.WriteString("\n")
	}
	_, err = io.WriteString(w, sb.String())
	return err
}

func officialsList(c *cli.Context) error {
	a, err := officialsAdmin(c)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.List(c.Context)
	if err != nil {
		return vaultError(err)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tNAME\tJABATAN\tINSTANSI\tKEY\tSTATUS")
	for _, p := range list {
		st := "active"
		if p.Disabled {
			st = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Username, p.Name, p.Jabatan, p.Instansi, p.Key, st)
	}
	return tw.Flush()
}

func officialsDisable(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{errors.New("give the official's NIP: segel officials disable NIP")}
	}
	a, err := officialsAdmin(c)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Disable(c.Context, c.Args().First()); err != nil {
		return vaultError(err)
	}
	fmt.Fprintf(c.App.Writer, "disabled %s: Vault refuses their logins from now on\n", c.Args().First())
	return nil
}

// officialService connects official mode to Vault (VAULT_ADDR and the
// service's own token or AppRole). Without a configured audit log it
// writes segel-audit.log in the working directory; without a documents
// section it records signed documents (and keeps their files) in the
// queue's store.
func officialService(c *cli.Context, cfg *server.Config, log *slog.Logger) (*official.Service, error) {
	vcfg, err := vault.ConfigFromEnv()
	if err != nil {
		return nil, withHint(vaultError(err), "official mode needs VAULT_ADDR and the service token with deploy/vault/segel-official-service.hcl")
	}
	if cfg.Audit.File == "" {
		cfg.Audit.File = "segel-audit.log"
	}
	if cfg.Documents == nil {
		// Officials' documents are recorded, files kept, in the same
		// store as the queue: their pages at /v/{id} show the verdict.
		cfg.Documents = &server.DocumentsConfig{Store: cmp.Or(strings.TrimSpace(os.Getenv("SEGEL_STORE")), defaultStore), KeepFiles: true}
	}
	q, err := openQueue(c.Context)
	if err != nil {
		return nil, err
	}
	svc, err := official.NewService(c.Context, vcfg, nil, log)
	if err != nil {
		q.Close()
		return nil, vaultError(err)
	}
	svc.Queue = q
	return svc, nil
}

func officialsRequest(c *cli.Context) error {
	doc, err := os.ReadFile(c.String("doc"))
	if err != nil {
		return usageError{fmt.Errorf("--doc: %w", err)}
	}
	var steps []official.Step
	for _, s := range c.StringSlice("sign") {
		nip, field, ok := strings.Cut(s, ":")
		if !ok || !official.ValidUsername(nip) || field == "" {
			return usageError{fmt.Errorf("--sign %q: write NIP:FIELD", s)}
		}
		steps = append(steps, official.Step{Username: nip, Field: field})
	}
	st, err := store.Open(c.Context, c.String("store"))
	if err != nil {
		return err
	}
	q := official.NewQueue(st)
	defer q.Close()
	r, err := q.Create(c.Context, c.String("title"), doc, steps, c.String("webhook"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "request %s: %q waits for %s (%d signature(s))\n", r.ID, r.Title, r.WaitsFor(), len(r.Steps))
	return nil
}

// defaultStore is the document store of official mode without
// SEGEL_STORE: an SQLite file in the working directory.
const defaultStore = "segel.db"

// openQueue opens the signing queue in the document store (SEGEL_STORE,
// else segel.db in the working directory), with webhooks through pkinet's
// guard (SEGEL_WEBHOOK_ALLOW widens it).
func openQueue(ctx context.Context) (*official.Queue, error) {
	addr := cmp.Or(strings.TrimSpace(os.Getenv("SEGEL_STORE")), defaultStore)
	st, err := store.Open(ctx, addr)
	if err != nil {
		return nil, err
	}
	q := official.NewQueue(st)
	var allow []string
	if v := strings.TrimSpace(os.Getenv("SEGEL_WEBHOOK_ALLOW")); v != "" {
		allow = strings.Split(v, ",")
	}
	g, err := pkinet.ParseGuard(allow)
	if err != nil {
		q.Close()
		return nil, usageError{fmt.Errorf("SEGEL_WEBHOOK_ALLOW: %w", err)}
	}
	q.Net = pkinet.New(pkinet.Config{Guard: g})
	return q, nil
}
