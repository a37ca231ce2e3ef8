package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"segel/keystore/vault"
	"segel/tsa"
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
				ArgsUsage: "--key vault:MOUNT/KEY --pki MOUNT --role ROLE --cn NAME [--profile document|tsa]",
				Description: "Builds a certificate signing request signed by the Transit key itself, has\n" +
					"the PKI engine sign it (PKI/sign/ROLE), checks that the certificate holds\n" +
					"the Transit key's public key and may sign documents, and stores the\n" +
					"certificate and its chain in KV. Run it again after \"segel keys rotate\".\n\n" +
					"Vault's sign endpoint takes the common name from the request and the\n" +
					"organization from the role; --org is put into the request and a warning\n" +
					"is printed when the role overrides it.\n\n" +
					"With --profile tsa the certificate is for a time-stamping authority: the\n" +
					"request carries the extended key usage timeStamping, marked critical, and\n" +
					"key usage digitalSignature, and is signed at PKI/sign-verbatim/ROLE, which\n" +
					"keeps them as they are (PKI/sign would drop the critical mark); the role\n" +
					"gives the lifetime only. The certificate is refused, and not stored, unless\n" +
					"its extended key usage is timeStamping alone and critical.\n\n" +
					"Examples:\n   segel cert request --key vault:transit/pks-tuban --pki pki_int \\\n" +
					"      --role document-signing --cn \"Bupati Tuban\" --org \"Pemerintah Kabupaten Tuban\"\n" +
					"   segel cert request --profile tsa --key vault:transit/tsa --pki pki_int --role tsa \\\n" +
					"      --cn \"TSA Pemerintah Provinsi Jawa Timur\" --org \"Pemerintah Provinsi Jawa Timur\"",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Aliases: []string{"k"}, Required: true, Usage: "the Transit key `vault:MOUNT/KEY`"},
					&cli.StringFlag{Name: "pki", Required: true, Usage: "the PKI engine's `MOUNT` (e.g. pki_int)"},
					&cli.StringFlag{Name: "role", Required: true, Usage: "the PKI `ROLE` for document-signing certificates"},
					&cli.StringFlag{Name: "cn", Required: true, Usage: "the signer's common `NAME`"},
					&cli.StringFlag{Name: "org", Usage: "the signer's `ORGANIZATION`"},
					&cli.DurationFlag{Name: "ttl", Usage: "certificate lifetime `DURATION` (e.g. 8760h); the role's default when not set"},
					&cli.StringFlag{Name: "profile", Value: "document", Usage: "`PROFILE` of the certificate: document (signing documents) or tsa (a time-stamping authority)"},
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
	req := vault.CertRequest{
		Key: k, PKI: strings.Trim(c.String("pki"), "/"), Role: c.String("role"),
		CommonName: c.String("cn"), Organization: c.String("org"), TTL: c.Duration("ttl"),
	}
	profile := c.String("profile")
	switch profile {
	case "document":
	case "tsa":
		req.Extensions = tsa.CertificateRequestExtensions()
		req.Verbatim = true
		req.Check = func(cert *x509.Certificate) error {
			if cert.IsCA {
				return fmt.Errorf("%w: it is a CA certificate", tsa.ErrCertificate)
			}
			return tsa.CheckCertificate(cert, time.Now())
		}
	default:
		return usageError{fmt.Errorf("--profile %q: use document or tsa", profile)}
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	res, err := vc.RequestCertificate(c.Context, req)
	if err != nil {
		if profile == "tsa" && errors.Is(err, tsa.ErrCertificate) {
			return withHint(vaultError(err), "the PKI role must be used through sign-verbatim, which keeps the request's critical extended key usage; see docs/tsa.md")
		}
		return vaultError(err)
	}
	leaf := res.Chain[0]
	fmt.Fprintf(c.App.Writer, "issued %s by %s, serial %x, valid %s to %s, for %s version %d\n",
		leaf.Subject, leaf.Issuer, leaf.SerialNumber, leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly), k, res.KeyVersion)
	fmt.Fprintf(c.App.Writer, "chain of %d certificate(s) stored at %s\n", len(res.Chain), res.Path)
	if profile == "tsa" {
		fmt.Fprintf(c.App.Writer, "time-stamping certificate (extended key usage timeStamping, critical); serve it with:\n   segel tsa serve --key vault:%s --listen 127.0.0.1:3161 --audit-log tsa-audit.jsonl\n", k)
	}
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
