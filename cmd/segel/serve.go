package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"segel/server"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "run the HTTP service: sign with named keys, verify, and a verify page",
		ArgsUsage: " ",
		Description: "Serves POST /v1/sign, POST /v1/verify, the verify page at GET /v1/verify,\n" +
			"/healthz, /readyz, /metrics and /openapi.json (see docs/server.md).\n\n" +
			"The configuration is a YAML file (--config, or $SEGEL_CONFIG) with the listen\n" +
			"address, TLS and client CA, named keys, trust sets, identities (token hashes or\n" +
			"client certificates, each with its keys), the audit log and limits.\n" +
			"Environment variables override the file (SEGEL_LISTEN, SEGEL_TLS_CERT,\n" +
			"SEGEL_TLS_KEY, SEGEL_TLS_CLIENT_CA, SEGEL_AUDIT_LOG, SEGEL_MAX_BODY,\n" +
			"SEGEL_MAX_CONCURRENT, SEGEL_VERIFY_PUBLIC), and flags override both.\n" +
			"Without any configuration it only verifies (against --trust), and signing\n" +
			"answers 401. SIGTERM or SIGINT stops it after in-flight requests finish.\n\n" +
			"Example:\n" +
			"   segel serve --config /etc/segel/segel-serve.yaml\n" +
			"   segel serve --listen 127.0.0.1:8080 --trust bsre-root.pem      (verify only)\n" +
			"   segel serve new-token --name aplikasi-srikandi                  (a token and its hash)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, EnvVars: []string{"SEGEL_CONFIG"}, Usage: "YAML configuration `FILE`"},
			&cli.StringFlag{Name: "listen", Usage: "listen on `ADDR` (host:port), overriding the configuration"},
			&cli.StringSliceFlag{Name: "trust", Usage: "trust anchors for verification: PEM `FILE` of root certificates (repeatable); replaces the trust set \"default\""},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"SEGEL_LOG_LEVEL"}, Usage: "log `LEVEL`: debug, info, warn or error"},
			&cli.BoolFlag{Name: "check", Usage: "check the configuration (and open the audit log and trust sets), then exit"},
			&cli.StringFlag{Name: "mode", Value: "standard", EnvVars: []string{"SEGEL_MODE"}, Usage: "`MODE`: standard (keys mapped to tokens) or official (recommended: every signature authorised by the official's own Vault login and TOTP at /official; needs VAULT_ADDR)"},
		},
		Subcommands: []*cli.Command{newTokenCommand()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{fmt.Errorf("serve takes no arguments, got %q", c.Args().First())}
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
				return usageError{fmt.Errorf("--log-level %q: use debug, info, warn or error", c.String("log-level"))}
			}
			cfg := &server.Config{}
			if path := c.String("config"); path != "" {
				var err error
				if cfg, err = server.LoadConfig(path); err != nil {
					return withHint(err, "see docs/server.md and deploy/segel-serve.example.yaml for the format")
				}
			}
			if err := cfg.ApplyEnv(os.LookupEnv); err != nil {
				return usageError{err}
			}
			if l := c.String("listen"); l != "" {
				cfg.Listen = l
			}
			if t := c.StringSlice("trust"); len(t) > 0 {
				cfg.SetTrustFiles(t)
			}
			if err := cfg.Validate(); err != nil {
				return configError(err)
			}
			logger := slog.New(slog.NewJSONHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level}))
			sopts := server.Options{Logger: logger, LookupEnv: os.LookupEnv}
			switch c.String("mode") {
			case "standard":
			case "official":
				svc, err := officialService(c, cfg, logger)
				if err != nil {
					return err
				}
				defer svc.Close()
				sopts.Official = svc
			default:
				return usageError{fmt.Errorf("--mode %q: use standard or official", c.String("mode"))}
			}
			srv, err := server.New(c.Context, cfg, sopts)
			if err != nil {
				return configError(err)
			}
			defer srv.Close()
			if c.Bool("check") {
				// Every key is opened once: a key that cannot open fails
				// the check, not the first signing request.
				if err := srv.CheckKeys(c.Context); err != nil {
					return configError(err)
				}
				fmt.Fprintln(c.App.ErrWriter, "segel: the configuration is valid")
				return nil
			}
			return srv.ListenAndServe(c.Context)
		},
	}
}

// configError prints every problem of a configuration on its own line.
func configError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		lines := strings.Split(msg, "\n")
		err = errors.New(strings.Join(lines, "\n  "))
	}
	return withHint(err, "see docs/server.md for every setting")
}

func newTokenCommand() *cli.Command {
	return &cli.Command{
		Name:      "new-token",
		Usage:     "make a random API token and print it with the SHA-256 that goes into the configuration",
		ArgsUsage: " ",
		Description: "Prints the token on standard output (give it to the client, once) and the\n" +
			"identity's configuration lines on standard error. Only the hash goes into the\n" +
			"server configuration; the token cannot be recovered from it.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "name", Value: "NAME", Usage: "identity `NAME` for the configuration snippet"},
		},
		Action: func(c *cli.Context) error {
			tok, hash, err := server.NewToken()
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.Writer, tok)
			fmt.Fprintf(c.App.ErrWriter, "segel: add to identities: in the configuration:\n  - name: %s\n    token_sha256: %s\n    keys: [KEY]\n", c.String("name"), hash)
			return nil
		},
	}
}
