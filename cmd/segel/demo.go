package main

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"segel/internal/devca"
	"segel/internal/sample"
	"segel/keystore"
	"segel/signer"
	"segel/signer/ltv"
	"segel/tsa"
	"segel/verify"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "create a development CA and two signers, then sign the sample PKS twice",
		Description: "Everything is written to --dir (default ./segel-demo):\n" +
			"  dev-root.pem                 the DEVELOPMENT root CA (never trust it in production)\n" +
			"  bupati-tuban.p12 + .pass     Kabupaten signer (ECDSA P-256) and its password\n" +
			"  gubernur-jatim.p12 + .pass   Provinsi signer (RSA-3072) and its password\n" +
			"  pks.pdf                      the unsigned sample agreement\n" +
			"  pks-kabupaten.pdf            certified (DocMDP P=2) by the Kabupaten, time-stamped (B-T)\n" +
			"  pks-signed.pdf               then approved by the Provinsi and made PAdES B-LTA:\n" +
			"                               validation data (/DSS) and a document time-stamp\n\n" +
			"The time-stamping authority, OCSP responder and CRLs are development ones that\n" +
			"run inside this process: the demo makes no network connection.\n",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "segel-demo", Usage: "output `DIR`"},
			&cli.BoolFlag{Name: "force", Usage: "reuse a non-empty DIR, replacing the demo's files"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("dir")
			force := c.Bool("force")
			if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 && !force {
				return withHint(fmt.Errorf("%s exists and is not empty", dir), "pass --force to replace the demo files, or --dir to choose another folder")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			w := c.App.ErrWriter
			// Certificates name an OCSP responder and CRLs that answer in
			// this process (devca.Responder); the host is never contacted.
			ca, err := devca.New(devca.Options{RevocationURL: "http://status.segel-demo.invalid"})
			if err != nil {
				return err
			}
			ev, err := demoEvidence(ca)
			if err != nil {
				return err
			}
			root := filepath.Join(dir, "dev-root.pem")
			if err := writeDemoFile(root, ca.RootPEM(), 0o644, force); err != nil {
				return err
			}
			fmt.Fprintf(w, "segel demo: DEVELOPMENT root CA → %s\n", root)
			type party struct {
				file, cn, org string
				kt            devca.KeyType
				field, reason string
				location      string
				certify       int
				nip           string
			}
			parties := []party{
				{"bupati-tuban", "Bupati Tuban (DEVELOPMENT)", "Pemerintah Kabupaten Tuban", devca.ECDSAP256, "SigKabupaten", "Menyetujui Perjanjian Kerja Sama", "Tuban", 2, "197001011995031001"},
				{"gubernur-jatim", "Gubernur Jawa Timur (DEVELOPMENT)", "Pemerintah Provinsi Jawa Timur", devca.RSA3072, "SigProvinsi", "Menyetujui Perjanjian Kerja Sama", "Surabaya", 0, "196801011994031002"},
			}
			var pdfBuf bytes.Buffer
			if err := sample.PKS(&pdfBuf, sample.PKSOptions{EmbedFonts: true}); err != nil {
				return err
			}
			cur := filepath.Join(dir, "pks.pdf")
			if err := writeDemoFile(cur, pdfBuf.Bytes(), 0o644, force); err != nil {
				return err
			}
			fmt.Fprintf(w, "segel demo: sample agreement → %s\n", cur)
			outs := []string{filepath.Join(dir, "pks-kabupaten.pdf"), filepath.Join(dir, "pks-signed.pdf")}
			for i, p := range parties {
				id, err := ca.Issue(devca.LeafRequest{CommonName: p.cn, Organization: p.org, OrganizationalUnit: "Dinas Komunikasi dan Informatika", KeyType: p.kt})
				if err != nil {
					return err
				}
				pw := make([]byte, 12)
				rand.Read(pw)
				pass := hex.EncodeToString(pw)
				p12 := filepath.Join(dir, p.file+".p12")
				passFile := filepath.Join(dir, p.file+".pass")
				if err := writeDemoFile(passFile, []byte(pass+"\n"), 0o600, force); err != nil {
					return err
				}
				if force {
					os.Remove(p12)
				}
				if err := id.WriteP12(p12, pass, false, force); err != nil {
					return err
				}
				// Sign through the same path as "segel sign --key file:…".
				key, err := keystore.Open(c.Context, "file:"+p12, keystore.Options{Password: keystore.PasswordFromSources(passFile, "")})
				if err != nil {
					return err
				}
				party := sample.DefaultSecondParty
				if p.field == sample.DefaultFirstParty.FieldName {
					party = sample.DefaultFirstParty
				}
				opts := signer.Options{Field: p.field, Certify: p.certify, Reason: p.reason, Location: p.location, Time: time.Now(),
					// The TTE stamp; its QR code leads to the verify page
					// of `segel serve --config deploy/segel-serve.demo.yaml`.
					Stamp: &signer.Stamp{Layout: "qr-left", Name: party.Signer, Jabatan: party.Office, NIP: p.nip,
						Instansi: party.Government, Zone: "WIB", VerifyURL: "http://127.0.0.1:8080/v1/verify"}}
				pe := evidence{level: levelBT, ts: ev.ts}
				if i == len(parties)-1 {
					pe = ev
				}
				var level string
				_, err = signFiles(c, "file:"+p12, key, []signJob{{cur, outs[i]}}, force, 1, opts, pe, func(_ signJob, r *signer.Result) { level = r.Level })
				key.Close()
				if err != nil {
					return err
				}
				kind := "approval signature"
				if p.certify > 0 {
					kind = fmt.Sprintf("certification signature (DocMDP P=%d)", p.certify)
				}
				fmt.Fprintf(w, "segel demo: %s signed %s as %s, PAdES %s → %s\n", p.cn, p.field, kind, level, outs[i])
				cur = outs[i]
			}
			// End with the auditor's view of the result.
			fmt.Fprintf(w, "segel demo: verifying %s against the development root:\n\n", cur)
			pool := x509.NewCertPool()
			pool.AddCert(ca.Root)
			code := verifyFiles(c.Context, []string{cur}, verify.Options{Roots: pool}, 1, time.Minute, false, c.App.Writer, w, nil)
			printDemoNextSteps(w, dir, root, cur)
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
}

// demoEvidence is the demo's B-LTA: a development time-stamping authority
// and OCSP/CRL responder that answer in this process.
func demoEvidence(ca *devca.CA) (evidence, error) {
	id, err := ca.Issue(devca.LeafRequest{CommonName: "segel development TSA (DEVELOPMENT)", KeyType: devca.ECDSAP256, TSA: true})
	if err != nil {
		return evidence{}, err
	}
	a, err := tsa.New(tsa.Config{Signer: id.Key, Chain: id.Chain})
	if err != nil {
		return evidence{}, err
	}
	tc := &tsa.Client{URL: "http://tsa.segel-demo.invalid/", Roots: ca.RootPool(), Post: a.Poster()}
	fetcher := &verify.Fetcher{Client: &http.Client{Transport: ca.Responder().Transport()}}
	return evidence{level: levelLTA, ts: tc, ltv: &ltv.Options{Level: ltv.LevelLTA, TSA: tc, Fetcher: fetcher, Certs: []*x509.Certificate{ca.Root}}}, nil
}

func writeDemoFile(path string, data []byte, mode os.FileMode, force bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return withHint(err, "pass --force to replace the demo files")
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printDemoNextSteps ends the demo with commands to try on the files it
// wrote; the README's examples use the same names.
func printDemoNextSteps(w io.Writer, dir, root, signed string) {
	pks := filepath.Join(dir, "pks.pdf")
	fmt.Fprintf(w, "\nsegel demo: next steps (go run ./cmd/segel … in the repository; README.md has more):\n")
	fmt.Fprintf(w, "  # check it yourself, as text or JSON\n")
	fmt.Fprintf(w, "  segel verify --trust %s %s\n", root, signed)
	fmt.Fprintf(w, "  segel verify --json --trust %s %s\n", root, signed)
	fmt.Fprintf(w, "  # the sample's signature fields, then sign it yourself\n")
	fmt.Fprintf(w, "  segel fields %s\n", pks)
	fmt.Fprintf(w, "  segel sign --key file:%s --key-password-file %s \\\n",
		filepath.Join(dir, "bupati-tuban.p12"), filepath.Join(dir, "bupati-tuban.pass"))
	fmt.Fprintf(w, "    --field SigKabupaten --certify 2 -o %s %s\n", filepath.Join(dir, "pks-1.pdf"), pks)
	if filepath.Clean(dir) == "segel-demo" {
		fmt.Fprintf(w, "  # the HTTP API and verify page on 127.0.0.1:8080, from the repository\n")
		fmt.Fprintf(w, "  segel serve --config deploy/segel-serve.demo.yaml\n")
	}
}
