package main

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"segel/keystore"
	"segel/server"
	"segel/tsa"
)

func tsaCommand() *cli.Command {
	return &cli.Command{
		Name:  "tsa",
		Usage: "run an RFC 3161 time-stamping authority",
		Subcommands: []*cli.Command{{
			Name:      "serve",
			Usage:     "answer time-stamp requests over HTTP with a key from any keystore",
			ArgsUsage: " ",
			Description: "Answers POST application/timestamp-query with application/timestamp-reply\n" +
				"(RFC 3161) on --listen. The key comes from any keystore (vault:transit/… in\n" +
				"production: requests arriving together are signed in one Transit call; file:…\n" +
				"for a demo); its certificate must carry the extended key usage timeStamping,\n" +
				"alone and critical (segel cert request --profile tsa makes one from Vault PKI).\n" +
				"Every token is appended to the hash-chained audit log before it is answered.\n\n" +
				"Example:\n" +
				"   segel tsa serve --listen 127.0.0.1:3161 --key vault:transit/tsa-jatim --audit-log tsa-audit.jsonl",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "listen", Value: "127.0.0.1:3161", Usage: "listen on `ADDR` (host:port)"},
				&cli.StringFlag{Name: "key", Required: true, Usage: "the signing key `KEYREF` (vault:MOUNT/KEY or file:PATH)"},
				&cli.StringFlag{Name: "cert", Usage: "the TSA certificate and its intermediates, PEM `FILE` (default: the key's own chain)"},
				&cli.StringFlag{Name: "key-password-file", Usage: "read the key password from `FILE` (file keys)"},
				&cli.StringFlag{Name: "policy", Usage: "TSA policy `OID` of every token (default " + tsa.DefaultPolicy.String() + ")"},
				&cli.DurationFlag{Name: "accuracy", Value: time.Second, Usage: "accuracy written into every token"},
				&cli.StringFlag{Name: "audit-log", Value: "tsa-audit.jsonl", Usage: "append every token to the audit log `FILE`"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return usageError{fmt.Errorf("tsa serve takes no arguments, got %q", c.Args().First())}
				}
				var policy asn1.ObjectIdentifier
				if p := c.String("policy"); p != "" {
					oid, err := tsa.ParseOID(p)
					if err != nil {
						return usageError{fmt.Errorf("--policy: %w", err)}
					}
					policy = oid
				}
				ref := c.String("key")
				key, err := keystore.Open(c.Context, ref, keystore.Options{
					CertFile: c.String("cert"),
					Password: keystore.PasswordFor(ref, c.String("key-password-file"), "SEGEL_KEY_PASSWORD"),
				})
				if err != nil {
					return err
				}
				defer key.Close()
				audit, err := server.OpenAuditLog(c.String("audit-log"))
				if err != nil {
					return err
				}
				defer audit.Close()
				log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
				a, err := tsa.New(tsa.Config{
					Signer: key.Signer(), Chain: key.Chain(), Policy: policy, Accuracy: c.Duration("accuracy"), Log: log,
					Audit: server.TSAAudit(audit, ref, nil),
				})
				if err != nil {
					if errors.Is(err, tsa.ErrCertificate) {
						return withHint(err, "a time-stamping key needs its own certificate: segel cert request --profile tsa --key "+ref)
					}
					return err
				}
				ln, err := net.Listen("tcp", c.String("listen"))
				if err != nil {
					return err
				}
				mux := http.NewServeMux()
				mux.Handle("/", a)
				srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
				ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
				defer stop()
				go func() {
					<-ctx.Done()
					sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					srv.Shutdown(sctx)
				}()
				log.Info("time-stamping authority listening", "addr", ln.Addr().String(), "key", ref,
					"subject", key.Chain()[0].Subject.String())
				fmt.Fprintf(c.App.Writer, "segel: time-stamping authority on http://%s/\n", ln.Addr())
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			},
		}},
	}
}
