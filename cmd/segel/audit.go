package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"segel/server"
)

func auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "check the audit log written by segel serve",
		Subcommands: []*cli.Command{
			{
				Name:      "verify",
				Usage:     "check that no line of an audit log was changed, removed, inserted or reordered",
				ArgsUsage: "LOG",
				Description: "Each entry of the log carries the hash of the previous one. This checks every\n" +
					"line's own hash, its sequence number and the link to the line before, and\n" +
					"prints the number of entries and the hash of the last one (the head). Keep\n" +
					"the head somewhere else (the server also logs it after every signing) and\n" +
					"pass it later with --head: that also detects lines cut from the end, and a\n" +
					"rewritten chain.\n\n" +
					"Exit status: 0 the chain is intact; 1 it is broken (the line is named);\n" +
					"3 usage or I/O error.\n\n" +
					"Example:\n   segel audit verify /var/lib/segel/audit.jsonl",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "head", Usage: "require the entry with hash `HEX` (a head recorded earlier) to be in the chain (repeatable)"},
				},
				Action: auditVerify,
			},
		},
	}
}

func auditVerify(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("audit verify takes exactly one LOG file, got %d", c.NArg())}
	}
	path := c.Args().First()
	f, err := os.Open(path)
	if err != nil {
		return usageError{err}
	}
	defer f.Close()
	heads := c.StringSlice("head")
	res, err := server.VerifyAuditLogHashes(f)
	var ce *server.AuditChainError
	if errors.As(err, &ce) {
		fmt.Fprintf(c.App.ErrWriter, "segel: error: %s: BROKEN at line %d: %s\n", path, ce.Line, ce.Reason)
		if res.Entries > 0 {
			fmt.Fprintf(c.App.ErrWriter, "segel: lines 1 to %d (entries 1 to %d) are intact; the last intact hash is %s\n", ce.Line-1, res.Entries, res.Head)
		}
		return exitError{exitFailure}
	}
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", path, err)}
	}
	for _, h := range heads {
		h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "sha256:"))
		if _, ok := res.Hashes[h]; !ok {
			fmt.Fprintf(c.App.ErrWriter, "segel: error: %s: the recorded head %s is not in the log: entries were cut from its end or the chain was rewritten\n", path, h)
			return exitError{exitFailure}
		}
	}
	fmt.Fprintf(c.App.Writer, "%s: intact, %d entries, head %s\n", path, res.Entries, res.Head)
	return nil
}
