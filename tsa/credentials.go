package tsa

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// ErrCredentials means the credentials for a time-stamping authority are
// missing parts, contradict each other, or cannot be read.
var ErrCredentials = errors.New("tsa: unusable TSA credentials")

// Environment variables that CredentialsFromEnv reads.
const (
	EnvUser     = "SEGEL_TSA_USER"
	EnvPassword = "SEGEL_TSA_PASSWORD"
	EnvToken    = "SEGEL_TSA_TOKEN"
)

// Credentials authenticate segel to a time-stamping authority: HTTP basic
// authentication (User and Password) or a bearer Token, never both. The
// zero value sends none. Its String, GoString and LogValue methods never
// show the secret, so a Credentials value may be logged or printed.
type Credentials struct {
	User     string
	Password string
	Token    string
}

// IsZero reports whether c holds no credentials.
func (c Credentials) IsZero() bool { return c.User == "" && c.Password == "" && c.Token == "" }

// Validate reports an error wrapping ErrCredentials when c is neither
// empty, nor a user with a password, nor a token alone.
func (c Credentials) Validate() error {
	switch {
	case c.Token != "" && (c.User != "" || c.Password != ""):
		return fmt.Errorf("%w: both a bearer token and a user/password are given", ErrCredentials)
	case c.Password != "" && c.User == "":
		return fmt.Errorf("%w: a password without a user", ErrCredentials)
	case c.User != "" && c.Password == "":
		return fmt.Errorf("%w: user %q has no password", ErrCredentials, c.User)
	case strings.ContainsAny(c.User, ":\r\n"):
		return fmt.Errorf("%w: a user name may not contain a colon or a line break", ErrCredentials)
	case strings.ContainsAny(c.Password+c.Token, "\r\n"):
		return fmt.Errorf("%w: the secret contains a line break", ErrCredentials)
	}
	return nil
}

// authorization is the value of the Authorization header ("" for none).
func (c Credentials) authorization() string {
	switch {
	case c.Token != "":
		return "Bearer " + c.Token
	case c.User != "":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.User+":"+c.Password))
	}
	return ""
}

// String names the kind of credentials and the user, never the secret.
func (c Credentials) String() string {
	switch {
	case c.Token != "":
		return "bearer token"
	case c.User != "":
		return "basic authentication as " + c.User
	}
	return "no credentials"
}

// GoString is String: %#v must not print the secret either.
func (c Credentials) GoString() string { return "tsa.Credentials{" + c.String() + "}" }

// LogValue is what log/slog records for c: the kind and the user.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// CredentialsFromEnv reads SEGEL_TSA_USER and SEGEL_TSA_PASSWORD, or
// SEGEL_TSA_TOKEN, with getenv (os.Getenv when nil). None set gives the
// zero Credentials and no error.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Credentials{User: getenv(EnvUser), Password: getenv(EnvPassword), Token: getenv(EnvToken)}
	if err := c.Validate(); err != nil {
		return Credentials{}, fmt.Errorf("%w (from %s, %s, %s)", err, EnvUser, EnvPassword, EnvToken)
	}
	return c, nil
}

// maxCredentialsFile bounds a credentials file.
const maxCredentialsFile = 64 << 10

// ReadCredentialsFile reads credentials from a file of "key=value" lines:
// "user" and "password", or "token" (the environment variables' names,
// SEGEL_TSA_USER and so on, are accepted as keys too). Blank lines and
// lines starting with # are skipped; spaces around keys and values are
// removed; a value may contain "=". The file must hold credentials.
func ReadCredentialsFile(path string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredentialsFile+1))
	if err != nil {
		return Credentials{}, fmt.Errorf("%w: reading %s: %w", ErrCredentials, path, err)
	}
	defer clear(b)
	if len(b) > maxCredentialsFile {
		return Credentials{}, fmt.Errorf("%w: %s is larger than %d bytes", ErrCredentials, path, maxCredentialsFile)
	}
	var c Credentials
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxCredentialsFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			// The line is not quoted: it may be a secret.
			return Credentials{}, fmt.Errorf("%w: %s line %d is not key=value", ErrCredentials, path, n)
		}
		var dst *string
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "user", strings.ToLower(EnvUser):
			dst = &c.User
		case "password", strings.ToLower(EnvPassword):
			dst = &c.Password
		case "token", strings.ToLower(EnvToken):
			dst = &c.Token
		default:
			return Credentials{}, fmt.Errorf("%w: %s line %d: unknown key %q (user, password or token)", ErrCredentials, path, n, strings.TrimSpace(k))
		}
		if *dst != "" {
			return Credentials{}, fmt.Errorf("%w: %s line %d repeats %q", ErrCredentials, path, n, strings.TrimSpace(k))
		}
		*dst = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return Credentials{}, fmt.Errorf("%w: reading %s: %w", ErrCredentials, path, err)
	}
	if c.IsZero() {
		return Credentials{}, fmt.Errorf("%w: %s holds no user/password or token", ErrCredentials, path)
	}
	if err := c.Validate(); err != nil {
		return Credentials{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// LoadCredentials returns the credentials of a command: from the file
// path when it is not empty, else from the environment (see
// CredentialsFromEnv; getenv is os.Getenv when nil). Credentials are never
// taken from command-line arguments.
func LoadCredentials(path string, getenv func(string) string) (Credentials, error) {
	if path != "" {
		return ReadCredentialsFile(path)
	}
	return CredentialsFromEnv(getenv)
}
