// Package judge runs independent, outside tools — poppler's pdfsig, NSS's
// certutil/pk12util, OpenSSL, qpdf, MuPDF's mutool and PoDoFo's podofosign —
// as judges of the PDFs and signatures that segel makes, and signs sample
// documents with them for interoperability tests.
//
// It is meant to be imported only from _test.go files. Every helper takes a
// testing.TB; a missing tool skips the test (naming the Debian package to
// install) unless the environment variable CI is "true", in which case the
// test fails, because CI must have the tools installed.
package judge

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Timeout bounds every single tool invocation.
var Timeout = 2 * time.Minute

// Packages maps each tool this package runs to the Debian package that
// provides it.
var Packages = map[string]string{
	"pdfsig":     "poppler-utils",
	"pdftotext":  "poppler-utils",
	"pdfinfo":    "poppler-utils",
	"pdftoppm":   "poppler-utils",
	"pdffonts":   "poppler-utils",
	"pdfimages":  "poppler-utils",
	"zbarimg":    "zbar-tools",
	"qpdf":       "qpdf",
	"mutool":     "mupdf-tools",
	"certutil":   "libnss3-tools",
	"pk12util":   "libnss3-tools",
	"openssl":    "openssl",
	"podofosign": "libpodofo-utils",
}

// InCI reports whether the environment variable CI is "true".
func InCI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }

// Require skips the test when tool is not on PATH, naming the Debian package
// that provides it — or fails the test when running in CI (CI=true).
func Require(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err == nil {
		return
	}
	pkg := Packages[tool]
	if pkg == "" {
		pkg = "the package providing it"
	}
	msg := tool + " not found on PATH; install the Debian package " + pkg + " (apt-get install " + pkg + ")"
	if InCI() {
		t.Fatal(msg + " — required when CI=true")
	}
	t.Skip(msg)
}

// result is the outcome of one tool run.
type result struct {
	stdout, stderr string
	code           int // exit code; -1 when the process did not run or was killed
	err            error
}

// combined returns stdout and stderr together, for error messages.
func (r result) combined() string {
	s := strings.TrimSpace(r.stdout)
	if e := strings.TrimSpace(r.stderr); e != "" {
		if s != "" {
			s += "\n"
		}
		s += e
	}
	return s
}

// run executes name with args (after Require), with no standard input and
// a timeout. A non-zero exit code is not an error here; failing to start or
// timing out is.
func run(t testing.TB, name string, args ...string) result {
	t.Helper()
	Require(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), code: 0}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		r.code, r.err = -1, errors.New(name+" timed out after "+Timeout.String())
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code, r.err = -1, err
	}
	return r
}

// mustRun is run that fails the test unless the tool exits 0.
func mustRun(t testing.TB, name string, args ...string) result {
	t.Helper()
	r := run(t, name, args...)
	if r.err != nil || r.code != 0 {
		t.Fatalf("%s %s: exit %d %v\n%s", name, strings.Join(args, " "), r.code, r.err, r.combined())
	}
	return r
}

// Command runs an outside tool (after [Require]) with a timeout and returns
// its standard output and standard error together; the error is non-nil
// when the tool could not run or exited non-zero.
func Command(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	r := run(t, name, args...)
	if r.err != nil {
		return r.combined(), r.err
	}
	if r.code != 0 {
		return r.combined(), errors.New(name + " exited with code " + strconv.Itoa(r.code))
	}
	return r.combined(), nil
}
