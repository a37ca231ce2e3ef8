package main

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"segel/keystore"
	"segel/keystore/vault"
)

func keysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "manage signing keys in Vault's Transit engine",
		Description: "Signing keys are created in (or imported into) Vault's Transit engine and never\n" +
			"leave it: they are not exportable and cannot be backed up in plain text.\n\n" +
			vaultEnvHelp,
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "create a Transit signing key",
				ArgsUsage: "MOUNT/NAME",
				Description: "Example:\n   segel keys create --type ecdsa-p256 transit/pks-tuban\n" +
					"Then request its certificate with \"segel cert request\".",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "type", Value: string(vault.ECDSAP256), Usage: "key `TYPE`: ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096"},
				},
				Action: keysCreate,
			},
			{
				Name:      "list",
				Usage:     "list the keys of a Transit mount",
				ArgsUsage: "[MOUNT]",
				Action:    keysList,
			},
			{
				Name:      "show",
				Usage:     "show a key's versions, public keys and certificate",
				ArgsUsage: "MOUNT/NAME",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "pem", Usage: "print the public key of the latest version as PEM"},
				},
				Action: keysShow,
			},
			{
				Name:      "rotate",
				Usage:     "add a new version to a key (then request a new certificate)",
				ArgsUsage: "MOUNT/NAME",
				Description: "Documents signed with earlier versions stay valid. segel keeps signing with\n" +
					"the version its stored certificate belongs to until a certificate for the new\n" +
					"version is requested with \"segel cert request\".",
				Action: keysRotate,
			},
			{
				Name:      "import",
				Usage:     "import the private key of a PKCS#12 file into Transit",
				ArgsUsage: "--p12 FILE MOUNT/NAME",
				Description: "Moves an existing key (the bureau's current .p12) into Transit with Transit's\n" +
					"wrapped key import (RSA-OAEP-SHA256 + AES-KWP), as a key that can never be\n" +
					"exported, and stores the file's certificate chain for it in KV. Afterwards,\n" +
					"sign with vault:MOUNT/NAME and remove or lock away the .p12 file.\n\n" +
					"The password comes from --key-password-file, then $SEGEL_KEY_PASSWORD, then a\n" +
					"prompt on the terminal.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "p12", Required: true, Usage: "the PKCS#12 `FILE` (.p12/.pfx)"},
					&cli.StringFlag{Name: "key-password-file", Usage: "read the PKCS#12 password from `FILE`"},
				},
				Action: keysImport,
			},
		},
	}
}

func oneKeyArg(c *cli.Context) (vault.KeyName, error) {
	if c.NArg() != 1 {
		return vault.KeyName{}, usageError{fmt.Errorf("%s takes one key, MOUNT/NAME (e.g. transit/pks-tuban)", c.Command.FullName())}
	}
	return transitKey(c.Args().First())
}

func keysCreate(c *cli.Context) error {
	k, err := oneKeyArg(c)
	if err != nil {
		return err
	}
	t, err := keystore.ParseKeyType(c.String("type"))
	if err != nil {
		return usageError{fmt.Errorf("unknown --type %q (use ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096)", c.String("type"))}
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	info, err := vc.CreateKey(c.Context, k, t)
	if errors.Is(err, vault.ErrExists) {
		return withHint(err, "rotate it with: segel keys rotate "+k.String())
	}
	if err != nil {
		return vaultError(err)
	}
	fmt.Fprintf(c.App.Writer, "created %s (%s, version %d, not exportable)\n", k, info.Type, info.LatestVersion)
	printPublic(c.App.Writer, info, info.LatestVersion)
	fmt.Fprintf(c.App.ErrWriter, "segel: next: segel cert request --key vault:%s --pki PKI --role ROLE --cn \"NAME\"\n", k)
	return nil
}

func keysList(c *cli.Context) error {
	if c.NArg() > 1 {
		return usageError{errors.New("keys list takes at most one MOUNT")}
	}
	mount := strings.Trim(c.Args().First(), "/")
	if mount == "" {
		mount = "transit"
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	names, err := vc.ListKeys(c.Context, mount)
	if err != nil {
		return vaultError(err)
	}
	for _, n := range names {
		fmt.Fprintf(c.App.Writer, "%s/%s\n", mount, n)
	}
	return nil
}

func keysShow(c *cli.Context) error {
	k, err := oneKeyArg(c)
	if err != nil {
		return err
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	info, err := vc.Key(c.Context, k)
	if err != nil {
		return vaultError(err)
	}
	w := c.App.Writer
	if c.Bool("pem") {
		der, err := x509.MarshalPKIXPublicKey(info.Public(info.LatestVersion))
		if err != nil {
			return err
		}
		return pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	fmt.Fprintf(w, "key:            %s\n", k)
	fmt.Fprintf(w, "type:           %s\n", info.Type)
	fmt.Fprintf(w, "latest version: %d\n", info.LatestVersion)
	fmt.Fprintf(w, "exportable:     %v\n", info.Exportable)
	fmt.Fprintf(w, "plain backup:   %v\n", info.AllowPlaintextBackup)
	fmt.Fprintf(w, "imported:       %v\n", info.Imported)
	for _, v := range info.Versions {
		fmt.Fprintf(w, "version %d:      created %s, public key SHA-256 %s\n", v.Version, v.Created.Format(time.RFC3339), spkiHash(v.Public))
	}
	sc, err := vc.Chain(c.Context, k)
	switch {
	case errors.Is(err, vault.ErrNotFound):
		fmt.Fprintf(w, "certificate:    none (segel cert request --key vault:%s …)\n", k)
	case err != nil:
		fmt.Fprintf(w, "certificate:    cannot read (%v)\n", err)
	default:
		leaf := sc.Chain[0]
		v := info.VersionOf(leaf.PublicKey)
		fmt.Fprintf(w, "certificate:    %s, issued by %s, valid until %s, for key version %d\n",
			leaf.Subject, leaf.Issuer, leaf.NotAfter.Format("2006-01-02"), v)
		fmt.Fprintf(w, "stored at:      %s\n", sc.Path)
		if v == 0 {
			fmt.Fprintln(w, "warning:        the certificate belongs to no version of this key")
		} else if v < info.LatestVersion {
			fmt.Fprintf(w, "note:           version %d has no certificate yet; segel signs with version %d\n", info.LatestVersion, v)
		}
		if err := keystore.CheckSigningCertificate(leaf, time.Now()); err != nil {
			fmt.Fprintf(w, "warning:        %v\n", err)
		}
	}
	return nil
}

func keysRotate(c *cli.Context) error {
	k, err := oneKeyArg(c)
	if err != nil {
		return err
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	info, err := vc.RotateKey(c.Context, k)
	if err != nil {
		return vaultError(err)
	}
	fmt.Fprintf(c.App.Writer, "rotated %s to version %d\n", k, info.LatestVersion)
	printPublic(c.App.Writer, info, info.LatestVersion)
	fmt.Fprintf(c.App.ErrWriter, "segel: documents signed with earlier versions stay valid; segel signs with the certified version until you run:\n"+
		"segel:   segel cert request --key vault:%s --pki PKI --role ROLE --cn \"NAME\"\n", k)
	return nil
}

func keysImport(c *cli.Context) error {
	k, err := oneKeyArg(c)
	if err != nil {
		return err
	}
	p12 := c.String("p12")
	ref := "file:" + p12
	src, err := keystore.Open(c.Context, ref, keystore.Options{
		Password: keystore.PasswordFor(ref, c.String("key-password-file"), "SEGEL_KEY_PASSWORD"),
	})
	if err != nil {
		return keyError(ref, err)
	}
	defer src.Close()
	chain := src.Chain()
	if err := keystore.CheckSigningCertificate(chain[0], time.Now()); err != nil {
		return withHint(err, "import a key whose certificate can still sign documents")
	}
	vc, err := vaultClient(c)
	if err != nil {
		return err
	}
	defer vc.Close()
	info, err := vc.ImportKey(c.Context, k, src.Signer())
	if errors.Is(err, vault.ErrExists) {
		return withHint(err, "import into a new key name")
	}
	if err != nil {
		return vaultError(err)
	}
	v := info.VersionOf(chain[0].PublicKey)
	path, err := vc.StoreChain(c.Context, k, chain, v)
	if err != nil {
		return withHint(vaultError(err), fmt.Sprintf("the key was imported as %s but its certificate chain was not stored; fix the permission and store one with: segel cert request --key vault:%s …", k, k))
	}
	fmt.Fprintf(c.App.Writer, "imported %s (%s, version %d, not exportable) for %s\n", k, info.Type, v, chain[0].Subject)
	fmt.Fprintf(c.App.Writer, "certificate chain stored at %s\n", path)
	fmt.Fprintf(c.App.ErrWriter, "segel: the private key is now in Vault; remove or lock away %s\n", p12)
	return nil
}

func printPublic(w io.Writer, info *vault.KeyInfo, v int) {
	fmt.Fprintf(w, "public key SHA-256: %s\n", spkiHash(info.Public(v)))
}

// spkiHash is the SHA-256 of a public key's SubjectPublicKeyInfo.
func spkiHash(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown"
	}
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}
