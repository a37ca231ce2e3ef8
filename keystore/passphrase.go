package keystore

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"

	"golang.org/x/term"
)

// PasswordFromSources returns an Options.Password callback for command-line
// use. It is PasswordFor with a generic prompt.
func PasswordFromSources(file, envName string) func() ([]byte, error) {
	return PasswordFor("", file, envName)
}

// PasswordFor returns an Options.Password callback that takes the password
// from the first available source:
//
//  1. file, if not empty: its contents minus one trailing newline (LF or
//     CRLF);
//  2. the environment variable envName, if envName is not empty and the
//     variable is set;
//  3. the terminal (/dev/tty, or CONIN$ on Windows), read without echo
//     after the prompt "Password for KEYREF: " on standard error.
//
// Without a terminal the callback fails with an error wrapping
// ErrPasswordRequired that lists the sources it tried. keyRef only labels
// the prompt; if it is empty the prompt says "Password for the key: ".
// Passwords are never taken from command-line arguments.
func PasswordFor(keyRef, file, envName string) func() ([]byte, error) {
	return func() ([]byte, error) {
		if file != "" {
			return readPasswordFile(file)
		}
		if envName != "" {
			if v, ok := os.LookupEnv(envName); ok {
				return []byte(v), nil
			}
		}
		label := keyRef
		if label == "" {
			label = "the key"
		}
		pw, err := promptPassword(fmt.Sprintf("Password for %s: ", label))
		if err == errNoTerminal {
			tried := "no password file was given"
			if envName != "" {
				tried += ", " + envName + " is not set"
			}
			return nil, fmt.Errorf("%w: %s, and there is no terminal to ask on", ErrPasswordRequired, tried)
		}
		return pw, err
	}
}

func readPasswordFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("keystore: password file: %w", err)
	}
	defer f.Close()
	// Read up to a generous limit; a password file is tiny.
	pw, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		clear(pw)
		return nil, fmt.Errorf("keystore: reading password file %s: %w", name, err)
	}
	if len(pw) > 64<<10 {
		clear(pw)
		return nil, fmt.Errorf("keystore: password file %s is too large", name)
	}
	switch {
	case bytes.HasSuffix(pw, []byte("\r\n")):
		clear(pw[len(pw)-2:])
		pw = pw[:len(pw)-2]
	case bytes.HasSuffix(pw, []byte("\n")):
		clear(pw[len(pw)-1:])
		pw = pw[:len(pw)-1]
	}
	return pw, nil
}

// errNoTerminal means there is no terminal to prompt on.
var errNoTerminal = fmt.Errorf("keystore: no terminal")

// openTTY opens the controlling terminal. Tests replace it.
var openTTY = func() (*os.File, error) {
	name := "/dev/tty"
	if runtime.GOOS == "windows" {
		name = "CONIN$"
	}
	return os.OpenFile(name, os.O_RDWR, 0)
}

// promptStderr is where the prompt goes. Tests replace it.
var promptStderr io.Writer = os.Stderr

// promptPassword asks for a password on the terminal without echo.
func promptPassword(prompt string) ([]byte, error) {
	tty, err := openTTY()
	if err != nil {
		return nil, errNoTerminal
	}
	defer tty.Close()
	fd := int(tty.Fd())
	if !term.IsTerminal(fd) {
		return nil, errNoTerminal
	}

	// If the user interrupts the prompt, put the terminal back the way it
	// was (echo on) before the signal takes its usual effect. (Windows
	// cannot re-raise the signal, so it keeps the default handling.)
	if state, err := term.GetState(fd); err == nil && runtime.GOOS != "windows" {
		sig := make(chan os.Signal, 1)
		done := make(chan struct{})
		signal.Notify(sig, os.Interrupt)
		defer func() {
			signal.Stop(sig)
			close(done)
		}()
		go func() {
			select {
			case s := <-sig:
				term.Restore(fd, state)
				signal.Stop(sig)
				if p, err := os.FindProcess(os.Getpid()); err == nil {
					p.Signal(s)
				}
			case <-done:
			}
		}()
	}

	fmt.Fprint(promptStderr, prompt)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(promptStderr)
	if err != nil {
		clear(pw)
		return nil, fmt.Errorf("keystore: reading the password from the terminal: %w", err)
	}
	return pw, nil
}
