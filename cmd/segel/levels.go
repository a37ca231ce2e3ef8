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
	"segel/signer"
	"segel/tsa"
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
		&cli.StringFlag{Name: "level", Usage: "PAdES baseline `LEVEL`: B-B, or B-T (a signature time-stamp from --tsa); default B-T when a TSA is given, else B-B"},
		&cli.StringFlag{Name: "tsa", EnvVars: []string{"SEGEL_TSA_URL"}, Usage: "RFC 3161 time-stamping authority `URL` for B-T"},
		&cli.StringSliceFlag{Name: "tsa-roots", EnvVars: []string{"SEGEL_TSA_ROOTS"}, Usage: "trust the TSA certificates that chain to the roots in `FILE` (PEM; repeatable; required with --tsa)"},
		&cli.StringFlag{Name: "tsa-credentials", Usage: "read the TSA's credentials from `FILE` (user=…/password=… or token=…); else SEGEL_TSA_USER/SEGEL_TSA_PASSWORD or SEGEL_TSA_TOKEN"},
		&cli.StringSliceFlag{Name: "tsa-allow", Usage: "let the TSA request reach `NET`: loopback, private or a network such as 10.20.0.0/16 (repeatable; public addresses only otherwise)"},
	}
}

// signLevel reads the level options: the level and, for B-T, the
// Timestamper that checks every token.
func signLevel(c *cli.Context, h crypto.Hash) (string, signer.Timestamper, error) {
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
	case levelBT:
	case levelBLT, levelLTA:
		return "", nil, usageError{fmt.Errorf("--level %s is not available in this version of segel sign: sign at B-T (with --tsa); validation data (/DSS) and document time-stamps are not written yet", level)}
	default:
		return "", nil, usageError{fmt.Errorf("--level %q: use B-B or B-T", c.String("level"))}
	}
	if url == "" {
		return "", nil, usageError{errors.New("--level B-T needs a time-stamping authority: give --tsa URL (or SEGEL_TSA_URL)")}
	}
	var roots []string
	for _, r := range c.StringSlice("tsa-roots") {
		if r = strings.TrimSpace(r); r != "" {
			roots = append(roots, r)
		}
	}
	if len(roots) == 0 {
		return "", nil, usageError{errors.New("--tsa needs --tsa-roots FILE: the roots the TSA's certificate must chain to")}
	}
	pool, err := certfile.ReadPool(roots...)
	if err != nil {
		return "", nil, usageError{fmt.Errorf("--tsa-roots: %w", err)}
	}
	creds, err := tsa.LoadCredentials(c.String("tsa-credentials"), os.Getenv)
	if err != nil {
		return "", nil, err
	}
	guard, err := pkinet.ParseGuard(c.StringSlice("tsa-allow"))
	if err != nil {
		return "", nil, usageError{fmt.Errorf("--tsa-allow: %w", err)}
	}
	client, err := tsa.NewClient(url, tsa.ClientConfig{Net: pkinet.New(pkinet.Config{Guard: guard}), Credentials: creds, Hash: h, Roots: pool})
	if err != nil {
		return "", nil, err
	}
	return levelBT, client, nil
}
