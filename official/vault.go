package official

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"segel/keystore/vault"
)

// Mounts and names official mode uses in Vault.
const (
	// UserpassMount is the userpass auth mount officials log in at.
	UserpassMount = "userpass"
	// EnforcementName is the Login MFA enforcement that requires TOTP
	// for every login at UserpassMount.
	EnforcementName = "segel-officials"
	// TOTPIssuer is the issuer shown in officials' authenticator apps.
	TOTPIssuer = "segel"
	// ProfilePrefix is where profiles are kept in KV v2: secret/data/segel/officials/<username>.
	ProfilePrefix = "segel/officials"
	// PolicyPrefix names each official's own policy: segel-official-<username>.
	PolicyPrefix = "segel-official-"
	// TokenTTL is the lifetime of the token an official's login yields:
	// long enough for one signing request, no more.
	TokenTTL = 2 * time.Minute
)

var usernameRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$`)

// ValidUsername reports whether s can be an official's username (a NIP or
// NIK, or a short name): letters, digits, '.', '_' and '-'.
func ValidUsername(s string) bool { return usernameRE.MatchString(s) }

// newAPI makes a Vault API client for cfg with token (none when empty):
// one request per call (no retries), cfg's timeout, TLS settings and
// namespace.
func newAPI(cfg vault.Config, token string) (*api.Client, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = vault.DefaultTimeout
	}
	ac := api.DefaultConfig()
	ac.Address = cfg.Address
	ac.MaxRetries = 0
	ac.HttpClient.Timeout = timeout
	ac.HttpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.CACert != "" || cfg.CAPath != "" {
		if err := ac.ConfigureTLS(&api.TLSConfig{CACert: cfg.CACert, CAPath: cfg.CAPath}); err != nil {
			return nil, fmt.Errorf("official: Vault TLS settings: %w", err)
		}
	}
	c, err := api.NewClient(ac)
	if err != nil {
		return nil, fmt.Errorf("official: Vault client: %w", err)
	}
	c.ClearNamespace()
	if cfg.Namespace != "" {
		c.SetNamespace(cfg.Namespace)
	}
	c.ClearToken()
	if token != "" {
		c.SetToken(token)
	}
	return c, nil
}

// Login is the outcome of an official's successful Vault login.
type Login struct {
	// Token is the short-lived Vault token; secret, never logged.
	Token string
	// Accessor is the token's accessor, EntityID the Vault identity the
	// token belongs to, MFAMethod the ID of the MFA method validated.
	Accessor  string
	EntityID  string
	MFAMethod string
	// Policies are the token's policies.
	Policies []string
}

// String hides the token.
func (l *Login) String() string {
	return fmt.Sprintf("official.Login{Accessor: %s, EntityID: %s, MFAMethod: %s}", l.Accessor, l.EntityID, l.MFAMethod)
}

// login logs username in with password at the userpass mount and
// completes Vault's Login MFA with code. Vault must ask for MFA: a login
// without it is revoked and refused with ErrNoMFA.
func login(ctx context.Context, cfg vault.Config, username, password, code string) (*Login, error) {
	if !ValidUsername(username) {
		return nil, ErrBadLogin
	}
	c, err := newAPI(cfg, "")
	if err != nil {
		return nil, err
	}
	sec, err := c.Logical().WriteWithContext(ctx, "auth/"+UserpassMount+"/login/"+username, map[string]any{"password": password})
	if err != nil {
		if isStatus(err, http.StatusBadRequest, http.StatusForbidden) {
			return nil, ErrBadLogin
		}
		return nil, fmt.Errorf("official: Vault login: %w", scrub(err))
	}
	if sec == nil || sec.Auth == nil {
		return nil, errors.New("official: Vault's login answer has no auth")
	}
	req := sec.Auth.MFARequirement
	if req == nil || req.MFARequestID == "" {
		if sec.Auth.ClientToken != "" {
			t, _ := newAPI(cfg, sec.Auth.ClientToken)
			if t != nil {
				t.Auth().Token().RevokeSelfWithContext(ctx, "")
			}
		}
		return nil, ErrNoMFA
	}
	method := ""
	for _, con := range req.MFAConstraints {
		for _, m := range con.Any {
			if m != nil && m.Type == "totp" && method == "" {
				method = m.ID
			}
		}
	}
	if method == "" {
		return nil, fmt.Errorf("%w: no TOTP method among Vault's MFA constraints", ErrNoMFA)
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, ErrBadCode
	}
	v, err := c.Sys().MFAValidateWithContext(ctx, req.MFARequestID, map[string]any{method: []string{code}})
	if err != nil {
		if isStatus(err, http.StatusBadRequest, http.StatusForbidden) {
			return nil, ErrBadCode
		}
		return nil, fmt.Errorf("official: Vault MFA validation: %w", scrub(err))
	}
	if v == nil || v.Auth == nil || v.Auth.ClientToken == "" {
		return nil, errors.New("official: Vault's MFA answer has no token")
	}
	return &Login{Token: v.Auth.ClientToken, Accessor: v.Auth.Accessor, EntityID: v.Auth.EntityID,
		MFAMethod: method, Policies: v.Auth.TokenPolicies}, nil
}

// revoke revokes the login's token (auth/token/revoke-self).
func revoke(ctx context.Context, cfg vault.Config, l *Login) error {
	c, err := newAPI(cfg, l.Token)
	if err != nil {
		return err
	}
	if err := c.Auth().Token().RevokeSelfWithContext(ctx, ""); err != nil {
		return fmt.Errorf("official: revoking the login token (accessor %s): %w", l.Accessor, scrub(err))
	}
	return nil
}

func isStatus(err error, codes ...int) bool {
	var re *api.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	for _, c := range codes {
		if re.StatusCode == c {
			return true
		}
	}
	return false
}

// scrub keeps the status and Vault's error messages of err, without the
// request URL (which names the user) or anything else of the request.
func scrub(err error) error {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return fmt.Errorf("Vault answered %d: %s", re.StatusCode, strings.Join(re.Errors, "; "))
	}
	return err
}

// Profile is an official as segel knows them: what the stamp shows and
// which key and Vault identity are theirs.
type Profile struct {
	// Username is the login name (NIP or NIK).
	Username string `json:"username"`
	Name     string `json:"name"`
	NIP      string `json:"nip"`
	Jabatan  string `json:"jabatan"`
	Instansi string `json:"instansi"`
	// Key is the Transit key, MOUNT/NAME.
	Key string `json:"key"`
	// EntityID is the official's Vault identity.
	EntityID string `json:"entity_id"`
	Disabled bool   `json:"disabled"`
	// Created is when the official was enrolled.
	Created time.Time `json:"created"`
}

func profilePath(kv, username string) string {
	return kv + "/data/" + ProfilePrefix + "/" + username
}

// readProfile reads username's profile from KV mount kv with c.
func readProfile(ctx context.Context, c *api.Client, kv, username string) (*Profile, error) {
	if !ValidUsername(username) {
		return nil, ErrUnknown
	}
	sec, err := c.Logical().ReadWithContext(ctx, profilePath(kv, username))
	if err != nil {
		return nil, fmt.Errorf("official: reading the profile of %s: %w", username, scrub(err))
	}
	if sec == nil || sec.Data == nil {
		return nil, ErrUnknown
	}
	d, _ := sec.Data["data"].(map[string]any)
	if d == nil {
		return nil, ErrUnknown
	}
	p := &Profile{
		Username: s(d["username"]), Name: s(d["name"]), NIP: s(d["nip"]), Jabatan: s(d["jabatan"]),
		Instansi: s(d["instansi"]), Key: s(d["key"]), EntityID: s(d["entity_id"]), Disabled: s(d["disabled"]) == "true",
	}
	p.Created, _ = time.Parse(time.RFC3339, s(d["created"]))
	if p.Username != username {
		return nil, fmt.Errorf("official: the profile at %s names %q", profilePath(kv, username), p.Username)
	}
	return p, nil
}

func writeProfile(ctx context.Context, c *api.Client, kv string, p *Profile) error {
	d := map[string]any{
		"username": p.Username, "name": p.Name, "nip": p.NIP, "jabatan": p.Jabatan, "instansi": p.Instansi,
		"key": p.Key, "entity_id": p.EntityID, "disabled": fmt.Sprint(p.Disabled), "created": p.Created.UTC().Format(time.RFC3339),
	}
	if _, err := c.Logical().WriteWithContext(ctx, profilePath(kv, p.Username), map[string]any{"data": d}); err != nil {
		return fmt.Errorf("official: storing the profile of %s: %w", p.Username, scrub(err))
	}
	return nil
}

func s(v any) string {
	if x, ok := v.(string); ok {
		return x
	}
	return ""
}
