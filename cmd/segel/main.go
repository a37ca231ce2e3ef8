// Command segel signs PDF documents with PAdES signatures and verifies them.
//
// Run "segel help" for the commands, and "segel help COMMAND" for one.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"segel/keystore"
	_ "segel/keystore/vault" // the vault: key scheme
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1 // the operation failed (or, for verify, a document failed)
	exitUsage    = 3 // usage or I/O error
	exitInternal = 70
	// exitInterrupted is the status of a run stopped by Ctrl-C (SIGINT or
	// SIGTERM), as shells report 128+2.
	exitInterrupted = 130
)

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C cancels the run (the files under way finish or
	// stop, the summary says how far it got); once it has, the signals
	// have their default action again, so a second Ctrl-C ends segel
	// even while it waits on something no context reaches.
	go func() { <-ctx.Done(); stop() }()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "segel: %s: %v\n", tr("internal error"), r)
			if os.Getenv("SEGEL_DEBUG") != "" {
				fmt.Fprintf(stderr, "%s\n", debug.Stack())
			}
			fmt.Fprintf(stderr, "segel: %s: %s\n", tr("hint"), tr("this is a bug in segel; please report it with the command you ran (not the file)"))
			code = exitInternal
		}
	}()
	app := newApp(stdout, stderr)
	inv, err := prepareArgs(app, args)
	if err != nil {
		return report(stderr, err)
	}
	if err := app.RunContext(ctx, inv.args); err != nil {
		return reportIn(stderr, err, inv.path)
	}
	return exitOK
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:    "segel",
		Usage:   "sign PDF documents (PAdES) and verify their signatures",
		Version: version,
		Description: "segel signs agreements and other PDFs with keys held in a file keystore or in\n" +
			"HashiCorp Vault, and verifies every signature and every change made after it.\n\n" +
			"Key references: " + strings.Join(schemeList(), ", "),
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: false,
		Commands: []*cli.Command{
			signCommand(),
			verifyCommand(),
			demoCommand(),
			serveCommand(),
			auditCommand(),
			keysCommand(),
			certCommand(),
			tsaCommand(),
			extendCommand(),
			officialsCommand(),
			fieldsCommand(),
			reportMergeCommand(),
			archiveCommand(),
			versionCommand(),
			completionCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return usageError{err}
		},
	}
}

func schemeList() []string {
	var out []string
	for _, s := range keystore.Schemes() {
		out = append(out, s+":…")
	}
	return out
}

// usageError marks errors in how segel was called.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

// hintError carries advice for the user.
type hintError struct {
	err   error
	hints []string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

func withHint(err error, hints ...string) error { return &hintError{err: err, hints: hints} }

// exitError carries a specific exit status with no message of its own.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func report(w io.Writer, err error) int { return reportIn(w, err, nil) }

// selfExplained reports whether a usage error's message already says what
// to write (the choices, an example), so that pointing at the help adds
// nothing.
func selfExplained(msg string) bool {
	for _, s := range []string{"(use ", ": use ", "; use ", ": write ", "e.g.", "give either", "give one of", "segel "} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// reportIn prints err for the command path (e.g. keys create) and
// returns the exit status.
func reportIn(w io.Writer, err error, path []string) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "segel: ")
	fmt.Fprintf(w, "segel: %s: %s\n", tr("error"), msg)
	var he *hintError
	hinted := errors.As(err, &he)
	if hinted {
		for _, h := range he.hints {
			fmt.Fprintf(w, "segel: %s: %s\n", tr("hint"), h)
		}
	}
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(msg, "Required flag") || strings.HasPrefix(msg, "flag provided but not defined") {
		// Advice only where nothing more specific was said: the
		// command's own help, when the message does not already say
		// what to write.
		if !hinted && !errors.As(err, &folderError{}) && !selfExplained(msg) {
			if len(path) > 0 {
				fmt.Fprintf(w, "segel: %s: %s\n", tr("hint"), fmt.Sprintf(tr("run \"%s --help\" for its flags"), "segel "+strings.Join(path, " ")))
			} else {
				fmt.Fprintf(w, "segel: %s: %s\n", tr("hint"), tr("run \"segel help\" for usage"))
			}
		}
		return exitUsage
	}
	if ioError(err) {
		return exitUsage
	}
	return exitFailure
}

// ioError reports whether err is about a path that is not there, may not
// be read, or is a folder where a file should be (or the reverse): an
// input/output error (the README's table: 3), not a failed operation.
func ioError(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR)
}

// fileDigest is used in internal-error reports to name a file without
// revealing its content.
func fileDigest(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable"
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}
