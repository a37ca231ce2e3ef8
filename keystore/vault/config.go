package vault

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultTimeout bounds every call to Vault when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config holds the connection settings for Vault. Build one by hand or
// with [ConfigFromEnv]; nothing in this package reads the environment
// except ConfigFromEnv.
type Config struct {
	// Address is Vault's URL, e.g. https://vault.jatimprov.go.id:8200.
	Address string

	// Token authenticates to Vault. Leave it empty when AppRole is set.
	Token string

	// AppRole, when set, logs in with AppRole (the way in for services);
	// the token it returns is renewed while in use and a new login is
	// made before its lifetime ends. It takes precedence over Token.
	AppRole *AppRole

	// CACert is a PEM file with the CA certificates that sign Vault's TLS
	// certificate; CAPath a folder of such files. Both empty means the
	// system roots.
	CACert, CAPath string

	// Namespace is the Vault Enterprise namespace, if any.
	Namespace string

	// Timeout bounds each request to Vault (DefaultTimeout when zero).
	Timeout time.Duration

	// Certs names where certificate chains are kept: a KV version 2
	// mount and a prefix, as "MOUNT/PREFIX" (default "secret/segel/certs").
	// The chain of transit key K in mount M is at MOUNT/data/PREFIX/M/K.
	Certs string

	// Proxy selects an HTTP proxy for a request, as http.Transport.Proxy;
	// nil means no proxy.
	Proxy func(*http.Request) (*url.URL, error)

	// Logger receives token renewal and re-login events at debug and
	// warning level. Nil discards them. Tokens are never logged.
	Logger *slog.Logger
}

// AppRole holds AppRole credentials.
type AppRole struct {
	// Mount is the auth mount path (default "approle").
	Mount string
	// RoleID and SecretID are the credentials. SecretID may be empty for
	// a role that does not require one (bind_secret_id=false).
	RoleID, SecretID string
}

// Environment variables read by ConfigFromEnv, following Vault's own
// command-line conventions where they exist.
const (
	EnvAddress      = "VAULT_ADDR"
	EnvToken        = "VAULT_TOKEN"
	EnvCACert       = "VAULT_CACERT"
	EnvCAPath       = "VAULT_CAPATH"
	EnvNamespace    = "VAULT_NAMESPACE"
	EnvTimeout      = "VAULT_CLIENT_TIMEOUT"
	EnvRoleID       = "VAULT_ROLE_ID"
	EnvRoleIDFile   = "VAULT_ROLE_ID_FILE"
	EnvSecretID     = "VAULT_SECRET_ID"
	EnvSecretIDFile = "VAULT_SECRET_ID_FILE"
	EnvAppRoleMount = "VAULT_APPROLE_MOUNT"
	EnvCerts        = "SEGEL_VAULT_CERTS"
)

// ErrNoAddress is returned by ConfigFromEnv when VAULT_ADDR is not set.
var ErrNoAddress = errors.New("vault: VAULT_ADDR is not set")

// ConfigFromEnv builds a Config from the environment, the way Vault's own
// command-line client does:
//
//   - VAULT_ADDR (required), VAULT_CACERT, VAULT_CAPATH, VAULT_NAMESPACE,
//     VAULT_CLIENT_TIMEOUT (seconds or a Go duration);
//   - AppRole credentials from VAULT_ROLE_ID or the file named by
//     VAULT_ROLE_ID_FILE, and VAULT_SECRET_ID or VAULT_SECRET_ID_FILE,
//     at the mount VAULT_APPROLE_MOUNT (default approle); when a role ID is
//     given, AppRole is used;
//   - otherwise the token VAULT_TOKEN, or else the one in ~/.vault-token
//     (written by "vault login");
//   - SEGEL_VAULT_CERTS, where certificate chains are kept (default
//     secret/segel/certs);
//   - the proxy settings HTTP_PROXY, HTTPS_PROXY and NO_PROXY.
//
// Secrets read from files have surrounding white space removed. The
// returned error never contains a token or secret ID.
func ConfigFromEnv() (Config, error) {
	return configFrom(os.Getenv, os.UserHomeDir)
}

func configFrom(getenv func(string) string, home func() (string, error)) (Config, error) {
	cfg := Config{
		Address:   strings.TrimSpace(getenv(EnvAddress)),
		CACert:    getenv(EnvCACert),
		CAPath:    getenv(EnvCAPath),
		Namespace: getenv(EnvNamespace),
		Certs:     getenv(EnvCerts),
		Proxy:     http.ProxyFromEnvironment,
	}
	if cfg.Address == "" {
		return Config{}, ErrNoAddress
	}
	if t := getenv(EnvTimeout); t != "" {
		d, err := parseTimeout(t)
		if err != nil {
			return Config{}, fmt.Errorf("vault: %s=%q: %w", EnvTimeout, t, err)
		}
		cfg.Timeout = d
	}
	roleID, err := secretFrom(getenv, EnvRoleID, EnvRoleIDFile)
	if err != nil {
		return Config{}, err
	}
	secretID, err := secretFrom(getenv, EnvSecretID, EnvSecretIDFile)
	if err != nil {
		return Config{}, err
	}
	switch {
	case roleID != "":
		cfg.AppRole = &AppRole{Mount: getenv(EnvAppRoleMount), RoleID: roleID, SecretID: secretID}
	case secretID != "":
		return Config{}, fmt.Errorf("vault: %s or %s is set but no role ID; set %s or %s too", EnvSecretID, EnvSecretIDFile, EnvRoleID, EnvRoleIDFile)
	default:
		cfg.Token = strings.TrimSpace(getenv(EnvToken))
		if cfg.Token == "" {
			if dir, err := home(); err == nil {
				b, err := os.ReadFile(filepath.Join(dir, ".vault-token"))
				if err == nil {
					cfg.Token = strings.TrimSpace(string(b))
				}
			}
		}
	}
	return cfg, nil
}

// secretFrom returns the value of the variable env, or the content of the
// file named by the variable fileEnv. Setting both is an error.
func secretFrom(getenv func(string) string, env, fileEnv string) (string, error) {
	v, f := strings.TrimSpace(getenv(env)), getenv(fileEnv)
	switch {
	case v != "" && f != "":
		return "", fmt.Errorf("vault: both %s and %s are set; use one", env, fileEnv)
	case f != "":
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("vault: %s: %w", fileEnv, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("vault: %s names an empty file (%s)", fileEnv, f)
		}
		return s, nil
	}
	return v, nil
}

func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		d, err = time.ParseDuration(s + "s")
	}
	if err != nil || d <= 0 {
		return 0, errors.New("not a positive duration")
	}
	return d, nil
}

func (c *Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// certStore returns the KV v2 mount and prefix for certificate chains.
func (c *Config) certStore() (mount, prefix string, err error) {
	s := strings.Trim(c.Certs, "/")
	if s == "" {
		s = "secret/segel/certs"
	}
	mount, prefix, _ = strings.Cut(s, "/")
	if !validPath(mount) || (prefix != "" && !validPath(prefix)) {
		return "", "", fmt.Errorf("vault: certificate store %q is not MOUNT/PREFIX", c.Certs)
	}
	return mount, prefix, nil
}

// validPath reports whether p is a clean relative Vault path: segments of
// letters, digits, '-', '_' and '.', but not "." or "..".
func validPath(p string) bool {
	if p == "" {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if !validName(seg) {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}
