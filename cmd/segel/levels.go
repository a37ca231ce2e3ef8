package main

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"segel/certfile"
	"segel/pkinet"
	"segel/signer/ltv"
	"segel/tsa"
	"segel/verify"
)

// PAdES baseline levels segel sign can reach.
const (
	levelBB  = "B-B"
	levelBT  = "B-T"
	levelBLT = "B-LT"
	levelLTA = "B-LTA"
)

// levelFlags are sign's options for PAdES levels and the time-stamping
// authority. Credentials for the TSA come from a file or the environment,
// never from the command line.
func levelFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "level", Usage: "PAdES baseline `LEVEL`: B-B; B-T (a signature time-stamp from --tsa); B-LT (also the chains' revocation data in a /DSS); B-LTA (also a document time-stamp). Default B-T when a TSA is given, else B-B"},
		&cli.StringFlag{Name: "tsa", EnvVars: []string{"SEGEL_TSA_URL"}, Usage: "RFC 3161 time-stamping authority `URL` for B-T"},
		&cli.StringSliceFlag{Name: "tsa-roots", EnvVars: []string{"SEGEL_TSA_ROOTS"}, Usage: "trust the TSA certificates that chain to the roots in `FILE` (PEM; repeatable; required with --tsa)"},
		&cli.StringFlag{Name: "tsa-credentials", Usage: "read the TSA's credentials from `FILE` (user=…/password=… or token=…); else SEGEL_TSA_USER/SEGEL_TSA_PASSWORD or SEGEL_TSA_TOKEN"},
		&cli.StringSliceFlag{Name: "tsa-allow", Usage: "let the TSA request reach `NET`: loopback, private or a network such as 10.20.0.0/16 (repeatable; public addresses only otherwise)"},
		&cli.StringSliceFlag{Name: "online-allow", Usage: "for B-LT/B-LTA, let OCSP and CRL requests reach `NET` too: loopback, private or a network (repeatable)"},
		&cli.StringSliceFlag{Name: "trust", Usage: "for B-LT/B-LTA, root certificates that complete the chains (`FILE`, PEM or DER; repeatable)"},
	}
}

// ltvOptions are the options of B-LT and B-LTA: the fetcher of OCSP
// responses and CRLs, the TSA for document time-stamps, and the roots
// that complete chains.
func ltvOptions(c *cli.Context, level string, ts *tsa.Client) (ltv.Options, error) {
	guard, err := pkinet.ParseGuard(c.StringSlice("online-allow"))
	if err != nil {
		return ltv.Options{}, usageError{fmt.Errorf("--online-allow: %w", err)}
	}
	o := ltv.Options{Level: level, TSA: ts, Fetcher: &verify.Fetcher{Network: pkinet.Config{Guard: guard}}}
	for _, f := range c.StringSlice("trust") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		certs, err := certfile.Read(f)
		if err != nil {
			return ltv.Options{}, usageError{fmt.Errorf("--trust: %w", err)}
		}
		o.Certs = append(o.Certs, certs...)
	}
	return o, nil
}

// signLevel reads the level options: the level and, for B-T and above,
// the TSA client that checks every token.
func signLevel(c *cli.Context, h crypto.Hash) (string, *tsa.Client, error) {
	level := strings.ToUpper(strings.TrimSpace(c.String("level")))
	url := strings.TrimSpace(c.String("tsa"))
	if level == "" {
		level = levelBB
		if url != "" {
			level = levelBT
		}
	}
	switch level {
	case levelBB:
		if c.IsSet("tsa") && c.IsSet("level") {
			return "", nil, usageError{errors.New("--level B-B with --tsa: a B-B signature has no time-stamp; drop --tsa or ask for --level B-T")}
		}
		return levelBB, nil, nil
	case levelBT, levelBLT, levelLTA:
	default:
		return "", nil, usageError{fmt.Errorf("--level %q: use B-B, B-T, B-LT or B-LTA", c.String("level"))}
	}
	if url == "" {
		return "", nil, usageError{fmt.Errorf("--level %s needs a time-stamping authority: give --tsa URL (or SEGEL_TSA_URL)", level)}
	}
	client, err := tsaClient(c, h)
	if err != nil {
		return "", nil, err
	}
	return level, client, nil
}

// tsaClient builds the client of --tsa with --tsa-roots, the TSA's
// credentials (--tsa-credentials or SEGEL_TSA_*) and --tsa-allow.
func tsaClient(c *cli.Context, h crypto.Hash) (*tsa.Client, error) {
	url := strings.TrimSpace(c.String("tsa"))
	var roots []string
	for _, r := range c.StringSlice("tsa-roots") {
		if r = strings.TrimSpace(r); r != "" {
			roots = append(roots, r)
		}
	}
	if len(roots) == 0 {
		return nil, usageError{errors.New("--tsa needs --tsa-roots FILE: the roots the TSA's certificate must chain to")}
	}
	pool, err := certfile.ReadPool(roots...)
	if err != nil {
		return nil, usageError{fmt.Errorf("--tsa-roots: %w", err)}
	}
	creds, err := tsa.LoadCredentials(c.String("tsa-credentials"), os.Getenv)
	if err != nil {
		return nil, err
	}
	guard, err := pkinet.ParseGuard(c.StringSlice("tsa-allow"))
	if err != nil {
		return nil, usageError{fmt.Errorf("--tsa-allow: %w", err)}
	}
	client, err := tsa.NewClient(url, tsa.ClientConfig{Net: pkinet.New(pkinet.Config{Guard: guard}), Credentials: creds, Hash: h, Roots: pool})
	if err != nil {
		return nil, err
	}
	return client, nil
}
