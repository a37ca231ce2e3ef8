package server

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"segel/keystore"
	"segel/pkinet"
)

// Config is the service configuration, read from a YAML file with
// [LoadConfig], adjusted from the environment with [Config.ApplyEnv] and
// checked by [New]. docs/server.md describes every field; the zero value
// (no file at all) is a verify-only service on 127.0.0.1:8080.
type Config struct {
	// Listen is the TCP address to listen on, e.g. ":8443". Default
	// 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// TLS enables HTTPS and, with ClientCAFile, client certificates.
	TLS TLSConfig `yaml:"tls"`
	// AllowPlainHTTP allows bearer tokens over plain HTTP on an address
	// that is not loopback, for a service behind a TLS-terminating proxy.
	AllowPlainHTTP bool `yaml:"allow_plain_http"`

	// Keys are the signing keys, by name. Requests name keys, never paths.
	Keys map[string]KeyConfig `yaml:"keys"`
	// Trust are the trust sets for verification: name → PEM files of root
	// certificates.
	Trust map[string][]string `yaml:"trust"`
	// Verify configures the verification endpoints.
	Verify VerifyConfig `yaml:"verify"`
	// Identities are the callers allowed to sign, each with a set of keys.
	Identities []IdentityConfig `yaml:"identities"`
	// Audit configures the signing audit log.
	Audit AuditConfig `yaml:"audit"`
	// Limits bound what one request and the whole service may use.
	Limits LimitsConfig `yaml:"limits"`
	// Fetch configures the requests the service sends to PKI services
	// (OCSP, CRLs, time-stamps).
	Fetch FetchConfig `yaml:"fetch"`

	// TSA, when set, mounts a time-stamping authority at /v1/tsa.
	TSA *TSAConfig `yaml:"tsa_authority"`
	// TSAClient, when set, is the authority that time-stamps the
	// server's signatures (PAdES B-T).
	TSAClient *TSAClientConfig `yaml:"tsa"`
	// Documents, when set, records signed documents in the document
	// store and serves their pages at /v/{id}.
	Documents *DocumentsConfig `yaml:"documents"`
	// Stamps, when set, adds layout files and an image (seal or logo)
	// to the server's stamps.
	Stamps *StampsConfig `yaml:"stamps"`

	// dir is the directory relative paths are resolved against: the
	// directory of the config file, or the working directory.
	dir string
}

// TLSConfig names the server's certificate and the CA of client
// certificates.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, when set, makes the server ask for client certificates
	// and accept those issued by these CAs; identities then match them by
	// client_cn or client_cert_sha256. A client without a certificate can
	// still connect (and use a token, or verify).
	ClientCAFile string `yaml:"client_ca_file"`
}

// KeyConfig is one named signing key.
type KeyConfig struct {
	// Ref is the key reference handed to keystore.Open: file:PATH (a
	// relative PATH is relative to the config file) or vault:MOUNT/KEY.
	Ref string `yaml:"ref"`
	// CertFile is the PEM chain of the key (required for bare keys and
	// Vault keys; optional for PKCS#12 files).
	CertFile string `yaml:"cert_file"`
	// PasswordFile and PasswordEnv give the password of an encrypted key
	// file: the file first, then the environment variable.
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// Hash is sha256 (default), sha384 or sha512.
	Hash string `yaml:"hash"`
	// PSS selects RSASSA-PSS for RSA keys.
	PSS bool `yaml:"pss"`
	// SignerName, when set, is written as /Name of every signature made
	// with this key.
	SignerName string `yaml:"signer_name"`
}

// VerifyConfig configures /v1/verify and the verify page.
type VerifyConfig struct {
	// Public, when true (the default), lets anyone verify; when false
	// verification needs an identity, as signing does.
	Public *bool `yaml:"public"`
	// DefaultTrust is the trust set used when a request names none.
	// Default: "default" if it exists, else the only trust set.
	DefaultTrust string `yaml:"default_trust"`
}

// FetchConfig configures the service's PKI requests, which go through
// package pkinet: http(s) only, bounded in time and size, no proxy, and
// connections only to public addresses unless Allow says more.
type FetchConfig struct {
	// Allow lists what may be reached besides public addresses:
	// "loopback", "private" (RFC 1918 and fc00::/7), or networks in CIDR
	// notation such as "10.20.0.0/16" (link-local and other special
	// addresses only this way). Empty, the default: public addresses only.
	Allow []string `yaml:"allow"`
}

// PKINet returns the network configuration of the service's PKI requests
// (the guard from fetch.allow; the defaults of package pkinet otherwise).
// [Config.Validate] reports a fetch.allow it cannot read.
func (c *Config) PKINet() (pkinet.Config, error) {
	g, err := pkinet.ParseGuard(c.Fetch.Allow)
	if err != nil {
		return pkinet.Config{}, fmt.Errorf("fetch.allow: %w", err)
	}
	return pkinet.Config{Guard: g}, nil
}

// IdentityConfig is one caller. A request is that identity when it
// presents the token whose SHA-256 is TokenSHA256, or a client
// certificate (verified against tls.client_ca_file) that matches ClientCN
// or ClientCertSHA256.
type IdentityConfig struct {
	Name string `yaml:"name"`
	// TokenSHA256 is the hex SHA-256 of the bearer token; the token itself
	// is never stored. `segel serve new-token` makes a token and its hash.
	TokenSHA256 string `yaml:"token_sha256"`
	// ClientCN is the subject common name of the client certificate.
	ClientCN string `yaml:"client_cn"`
	// ClientCertSHA256 is the hex SHA-256 of the client certificate (DER).
	ClientCertSHA256 string `yaml:"client_cert_sha256"`
	// Keys are the names of the keys this identity may sign with.
	Keys []string `yaml:"keys"`
}

// AuditConfig names the audit log.
type AuditConfig struct {
	// File is the append-only JSON Lines audit log. Required when keys are
	// configured.
	File string `yaml:"file"`
}

// LimitsConfig bounds requests. Zero values mean the defaults.
type LimitsConfig struct {
	// MaxBody is the largest request body; larger requests get 413.
	// Default 100 MiB.
	MaxBody ByteSize `yaml:"max_body"`
	// MemoryBuffer is how much of one document (input or output) is kept
	// in memory before it goes to a temporary file. Default 4 MiB.
	MemoryBuffer ByteSize `yaml:"memory_buffer"`
	// TempDir holds the temporary files (default: the system's).
	TempDir string `yaml:"temp_dir"`
	// MaxConcurrent is how many sign and verify requests run at once;
	// more get 429. Default 4 × the number of CPUs.
	MaxConcurrent int `yaml:"max_concurrent"`
	// Timeouts of the HTTP server.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // default 10s
	ReadTimeout       time.Duration `yaml:"read_timeout"`        // default 5m
	WriteTimeout      time.Duration `yaml:"write_timeout"`       // default 5m
	IdleTimeout       time.Duration `yaml:"idle_timeout"`        // default 2m
	// ShutdownTimeout is how long in-flight requests may take to finish
	// after SIGTERM. Default 60s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// BodyTimeout is how long a sign or verify request may take to send
	// its body; a slower upload is cut (408). The body is received
	// before the request takes one of the max_concurrent slots, so slow
	// uploads never hold one. Default 60s.
	BodyTimeout time.Duration `yaml:"body_timeout"`
	// VerifyTimeout is the time budget of one verification; a document
	// that takes longer gets an INDETERMINATE report saying it did not
	// finish within its time budget. Default 60s.
	VerifyTimeout time.Duration `yaml:"verify_timeout"`
}

// ByteSize is a size in bytes. In YAML it is a number or a string with a
// unit: "100MiB", "100MB" (10^6), "512KiB", "1GiB".
type ByteSize int64

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// ParseByteSize parses "1048576", "100MiB", "100MB", "4 KiB" and the like.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || i == 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	mult := map[string]int64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	}[strings.ToLower(strings.TrimSpace(t[i:]))]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit (use KiB, MiB, GiB, KB, MB or GB)", s)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return ByteSize(n * mult), nil
}

// Defaults.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultMaxBody           = 100 << 20
	DefaultMemoryBuffer      = 4 << 20
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 5 * time.Minute
	DefaultWriteTimeout      = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultShutdownTimeout   = 60 * time.Second
	DefaultBodyTimeout       = 60 * time.Second
	DefaultVerifyTimeout     = 60 * time.Second
)

// LoadConfig reads a YAML configuration file. Unknown fields are errors,
// so that a misspelt setting is never silently ignored. Relative paths in
// the file are relative to the file's directory.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("server: config %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("server: config: %w", err)
	}
	cfg.dir = filepath.Dir(abs)
	return cfg, nil
}

// ParseConfig parses a YAML configuration. Relative paths are relative to
// the working directory unless [Config.SetBaseDir] says otherwise.
func ParseConfig(data []byte) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return cfg, nil
}

// SetBaseDir sets the directory relative paths in the configuration are
// resolved against.
func (c *Config) SetBaseDir(dir string) { c.dir = dir }

// BaseDir returns the directory relative paths are resolved against ("" is
// the working directory).
func (c *Config) BaseDir() string { return c.dir }

// ApplyEnv overrides settings from environment variables, read through
// lookup (os.LookupEnv in the command). The variables are:
//
//	SEGEL_LISTEN          listen
//	SEGEL_TLS_CERT        tls.cert_file
//	SEGEL_TLS_KEY         tls.key_file
//	SEGEL_TLS_CLIENT_CA   tls.client_ca_file
//	SEGEL_AUDIT_LOG       audit.file
//	SEGEL_MAX_BODY        limits.max_body
//	SEGEL_MAX_CONCURRENT  limits.max_concurrent
//	SEGEL_VERIFY_PUBLIC   verify.public (true or false)
//
// Key passwords come from each key's password_env variable when the key is
// opened. Paths from the environment are relative to the working
// directory.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	if lookup == nil {
		return nil
	}
	wd := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	str := func(name string, dst *string, path bool) {
		if v, ok := lookup(name); ok && v != "" {
			if path {
				v = wd(v)
			}
			*dst = v
		}
	}
	str("SEGEL_LISTEN", &c.Listen, false)
	str("SEGEL_TLS_CERT", &c.TLS.CertFile, true)
	str("SEGEL_TLS_KEY", &c.TLS.KeyFile, true)
	str("SEGEL_TLS_CLIENT_CA", &c.TLS.ClientCAFile, true)
	str("SEGEL_AUDIT_LOG", &c.Audit.File, true)
	if v, ok := lookup("SEGEL_MAX_BODY"); ok && v != "" {
		n, err := ParseByteSize(v)
		if err != nil {
			return fmt.Errorf("server: SEGEL_MAX_BODY: %w", err)
		}
		c.Limits.MaxBody = n
	}
	if v, ok := lookup("SEGEL_MAX_CONCURRENT"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("server: SEGEL_MAX_CONCURRENT=%q: want a positive number", v)
		}
		c.Limits.MaxConcurrent = n
	}
	if v, ok := lookup("SEGEL_VERIFY_PUBLIC"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("server: SEGEL_VERIFY_PUBLIC=%q: want true or false", v)
		}
		c.Verify.Public = &b
	}
	return nil
}

// SetTrustFiles replaces the trust set "default" with the given PEM files
// (the --trust flag). Relative paths are relative to the working
// directory.
func (c *Config) SetTrustFiles(files []string) {
	if c.Trust == nil {
		c.Trust = map[string][]string{}
	}
	abs := make([]string, len(files))
	for i, f := range files {
		if a, err := filepath.Abs(f); err == nil {
			f = a
		}
		abs[i] = f
	}
	c.Trust["default"] = abs
}

// path resolves a path from the config file.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// keyRef resolves a relative file: reference against the config
// directory; other schemes are left alone.
func (c *Config) keyRef(ref string) string {
	scheme, rest, ok := strings.Cut(ref, ":")
	if ok && strings.EqualFold(scheme, "file") && rest != "" && !filepath.IsAbs(rest) {
		return "file:" + c.path(rest)
	}
	return ref
}

// VerifyPublic reports whether verification needs no identity.
func (c *Config) VerifyPublic() bool { return c.Verify.Public == nil || *c.Verify.Public }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// withDefaults returns a copy with defaults filled in.
func (c *Config) withDefaults(cpus int) Config {
	d := *c
	if d.Listen == "" {
		d.Listen = DefaultListen
	}
	l := &d.Limits
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	if l.MemoryBuffer <= 0 {
		l.MemoryBuffer = DefaultMemoryBuffer
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = 4 * max(cpus, 1)
	}
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = DefaultReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultIdleTimeout
	}
	if l.ShutdownTimeout <= 0 {
		l.ShutdownTimeout = DefaultShutdownTimeout
	}
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = DefaultBodyTimeout
	}
	if l.VerifyTimeout <= 0 {
		l.VerifyTimeout = DefaultVerifyTimeout
	}
	if d.Verify.DefaultTrust == "" {
		if _, ok := d.Trust["default"]; ok {
			d.Verify.DefaultTrust = "default"
		} else if len(d.Trust) == 1 {
			for n := range d.Trust {
				d.Verify.DefaultTrust = n
			}
		}
	}
	return d
}

// Validate checks the configuration for mistakes, without touching any
// file. [New] calls it; the command calls it to fail early.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls: cert_file and key_file go together")
	}
	if c.TLS.ClientCAFile != "" && c.TLS.CertFile == "" {
		bad("tls: client_ca_file needs cert_file and key_file (client certificates need TLS)")
	}
	for name, k := range c.Keys {
		if !nameRE.MatchString(name) {
			bad("keys: name %q: use letters, digits, '.', '_' and '-' (at most 64)", name)
		}
		if strings.TrimSpace(k.Ref) == "" {
			bad("keys.%s: ref is empty (write file:PATH or vault:MOUNT/KEY)", name)
		}
		if _, err := keystore.ParseHash(k.Hash); err != nil {
			bad("keys.%s: hash %q: use sha256, sha384 or sha512", name, k.Hash)
		}
	}
	for name, files := range c.Trust {
		if !nameRE.MatchString(name) {
			bad("trust: name %q: use letters, digits, '.', '_' and '-' (at most 64)", name)
		}
		if len(files) == 0 {
			bad("trust.%s: no PEM files", name)
		}
	}
	if dt := c.Verify.DefaultTrust; dt != "" {
		if _, ok := c.Trust[dt]; !ok {
			bad("verify.default_trust: no trust set %q", dt)
		}
	}
	seen := map[string]bool{}
	tokens := map[string]string{}
	for i, id := range c.Identities {
		where := fmt.Sprintf("identities[%d]", i)
		if id.Name != "" {
			where = fmt.Sprintf("identity %q", id.Name)
		}
		switch {
		case !nameRE.MatchString(id.Name):
			bad("%s: name must be letters, digits, '.', '_' and '-' (at most 64)", where)
		case seen[id.Name]:
			bad("%s: defined twice", where)
		}
		seen[id.Name] = true
		if id.TokenSHA256 == "" && id.ClientCN == "" && id.ClientCertSHA256 == "" {
			bad("%s: no credential: set token_sha256, client_cn or client_cert_sha256", where)
		}
		if id.TokenSHA256 != "" {
			if !isHex32(id.TokenSHA256) {
				bad("%s: token_sha256 must be 64 hex digits (the SHA-256 of the token, never the token itself)", where)
			} else if other, dup := tokens[strings.ToLower(id.TokenSHA256)]; dup {
				bad("%s: has the same token as identity %q", where, other)
			}
			tokens[strings.ToLower(id.TokenSHA256)] = id.Name
		}
		if id.ClientCertSHA256 != "" && !isHex32(strings.ReplaceAll(id.ClientCertSHA256, ":", "")) {
			bad("%s: client_cert_sha256 must be 64 hex digits", where)
		}
		if (id.ClientCN != "" || id.ClientCertSHA256 != "") && c.TLS.ClientCAFile == "" {
			bad("%s: client certificates need tls.client_ca_file", where)
		}
		for _, k := range id.Keys {
			if _, ok := c.Keys[k]; !ok {
				bad("%s: no key named %q", where, k)
			}
		}
	}
	if len(c.Keys) > 0 && c.Audit.File == "" {
		bad("audit.file is required when keys are configured: every signature is logged")
	}
	if _, err := c.PKINet(); err != nil {
		bad("%v", err)
	}
	if c.Limits.MaxConcurrent < 0 {
		bad("limits.max_concurrent must not be negative")
	}
	if c.TLS.CertFile == "" && !c.AllowPlainHTTP && hasTokens(c) && !loopback(c.Listen) {
		bad("listen %q: bearer tokens over plain HTTP on a non-loopback address; configure tls, or set allow_plain_http: true behind a TLS-terminating proxy", c.Listen)
	}
	c.validateTSA(bad)
	c.validateTSAClient(bad)
	c.validateDocuments(bad)
	if len(errs) > 0 {
		return fmt.Errorf("server: config: %w", errors.Join(errs...))
	}
	return nil
}

func hasTokens(c *Config) bool {
	for _, id := range c.Identities {
		if id.TokenSHA256 != "" {
			return true
		}
	}
	return false
}

// loopback reports whether addr ("host:port") listens on loopback only.
func loopback(addr string) bool {
	if addr == "" {
		return true // the default is loopback
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isHex32(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}
