package main

import (
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"segel/keystore/vault"
)

func certCommand() *cli.Command {
	return &cli.Command{
		Name:  "cert",
		Usage: "certificates for keys in Vault",
		Description: "Certificates for Transit keys are issued by Vault's PKI engine and kept, with\n" +
			"their chain, in KV v2 at secret/data/segel/certs/MOUNT/KEY, where\n" +
			"\"segel sign --key vault:MOUNT/KEY\" finds them.\n\n" + vaultEnvHelp,
		Subcommands: []*cli.Command{
			{
				Name:      "request",
				Usage:     "have Vault's PKI issue a certificate for a Transit key",
				ArgsUsage: "--key vault:MOUNT/KEY --pki MOUNT --role ROLE --cn NAME",
				Description: "Builds a certificate signing request signed by the Transit key itself, has\n" +
					"the PKI engine sign it (PKI/sign/ROLE), checks that the certificate holds\n" +
					"the Transit key's public key and may sign documents, and stores the\n" +
					"certificate and its chain in KV. Run it again after \"segel keys rotate\".\n\n" +
					"Vault's sign endpoint takes the common name from the request and the\n" +
					"organization from the role; --org is put into the request and a warning\n" +
					"is printed when the role overrides it.\n\n" +
					"Example:\n   segel cert request --key vault:transit/pks-tuban --pki pki_int \\\n" +
					"      --role document-signing --cn \"Bupati Tuban\" --org \"Pemerintah Kabupaten Tuban\"",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Required: true, Usage: "the Transit key `vault:MOUNT/KEY`"},
					&cli.StringFlag{Name: "pki", Required: true, Usage: "the PKI engine's `MOUNT` (e.g. pki_int)"},
					&cli.StringFlag{Name: "role", Required: true, Usage: "the PKI `ROLE` for document-signing certificates"},
					&cli.StringFlag{Name: "cn", Required: true, Usage: "the signer's common `NAME`"},
					&cli.StringFlag{Name: "org", Usage: "the signer's `ORGANIZATION`"},
					&cli.DurationFlag{Name: "ttl", Usage: "certificate lifetime `DURATION` (e.g. 8760h); the role's default when not set"},
				},
				Action: certRequest,
			},
			{
				Name:      "show",
				Usage:     "print the certificate chain stored for a Transit key (PEM)",
				ArgsUsage: "--key vault:MOUNT/KEY",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Required: true, Usage: "the Transit key `vault:MOUNT/KEY`"},
				},
				Action: certShow,
			},
		},
	}
}

func certKey(c *cli.Context) (vault.KeyName, error) {
	ref := c.String("key")
	if !strings.HasPrefix(ref, "vault:") {
		return vault.KeyName{}, usageError{fmt.Errorf("--key %q: certificates are requested for Vault keys only; write vault:MOUNT/KEY", ref)}
	}
	if c.NArg() > 0 {
		return vault.KeyName{}, usageError{errors.New("unexpected arguments: " + strings.Join(c.Args().Slice(), " "))}
	}
	return transitKey(ref)
}

func certRequest(c *cli.Context) error {
	k, err := certKey(c)
	if err != nil {
		return err
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	res, err := vc.RequestCertificate(c.Context, vault.CertRequest{
		Key: k, PKI: strings.Trim(c.String("pki"), "/"), Role: c.String("role"),
		CommonName: c.String("cn"), Organization: c.String("org"), TTL: c.Duration("ttl"),
	})
	if err != nil {
		return vaultError(err)
	}
	leaf := res.Chain[0]
	fmt.Fprintf(c.App.Writer, "issued %s by %s, serial %x, valid %s to %s, for %s version %d\n",
		leaf.Subject, leaf.Issuer, leaf.SerialNumber, leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly), k, res.KeyVersion)
	fmt.Fprintf(c.App.Writer, "chain of %d certificate(s) stored at %s\n", len(res.Chain), res.Path)
	for _, w := range res.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "segel: warning: %s\n", w)
	}
	return nil
}

func certShow(c *cli.Context) error {
	k, err := certKey(c)
	if err != nil {
		return err
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	sc, err := vc.Chain(c.Context, k)
	if err != nil {
		return vaultError(err)
	}
	for _, cert := range sc.Chain {
		if err := pem.Encode(c.App.Writer, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}); err != nil {
			return err
		}
	}
	return nil
}
