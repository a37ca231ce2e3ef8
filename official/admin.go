package official

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"segel/keystore"
	"segel/keystore/vault"
)

// Admin enrols and disables officials. Its token needs the policy
// deploy/vault/segel-officials-admin.hcl.
type Admin struct {
	cfg vault.Config
	api *api.Client
	vc  *vault.Client
	// KV is the KV v2 mount profiles are kept in ("secret" when empty).
	KV string
	// PKI and Role are the PKI mount and role that issue officials'
	// certificates ("pki_int", "document-signing" when empty).
	PKI, Role string
	// Period is the TOTP period in seconds for a newly made method (30
	// when zero: what authenticator apps expect).
	Period int
}

// NewAdmin connects to Vault with cfg (its Token is the administrator's).
func NewAdmin(ctx context.Context, cfg vault.Config) (*Admin, error) {
	a, err := newAPI(cfg, cfg.Token)
	if err != nil {
		return nil, err
	}
	vc, err := vault.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Admin{cfg: cfg, api: a, vc: vc}, nil
}

// Close closes the connection.
func (a *Admin) Close() error { return a.vc.Close() }

func (a *Admin) kv() string   { return or(a.KV, "secret") }
func (a *Admin) pki() string  { return or(a.PKI, "pki_int") }
func (a *Admin) role() string { return or(a.Role, "document-signing") }

func or(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Setup makes sure the userpass mount, the TOTP method and the login
// enforcement exist, and returns the TOTP method's ID. It changes nothing
// that exists.
func (a *Admin) Setup(ctx context.Context) (methodID string, err error) {
	acc, err := a.userpassAccessor(ctx)
	if err != nil {
		return "", err
	}
	enf, err := a.api.Logical().ReadWithContext(ctx, "identity/mfa/login-enforcement/"+EnforcementName)
	if err != nil && !isStatus(err, 404) {
		return "", fmt.Errorf("official: reading the login enforcement: %w", scrub(err))
	}
	if enf != nil && enf.Data != nil {
		if ids, ok := enf.Data["mfa_method_ids"].([]any); ok && len(ids) > 0 {
			return s(ids[0]), nil
		}
	}
	period := a.Period
	if period <= 0 {
		period = 30
	}
	m, err := a.api.Logical().WriteWithContext(ctx, "identity/mfa/method/totp", map[string]any{
		"method_name": "segel-totp", "issuer": TOTPIssuer, "period": period, "key_size": 20,
		"algorithm": "SHA1", "digits": 6, "skew": 1, "max_validation_attempts": 5,
	})
	if err != nil {
		return "", fmt.Errorf("official: making the TOTP method: %w", scrub(err))
	}
	if m == nil || s(m.Data["method_id"]) == "" {
		return "", errors.New("official: Vault made the TOTP method but returned no method_id")
	}
	methodID = s(m.Data["method_id"])
	if _, err := a.api.Logical().WriteWithContext(ctx, "identity/mfa/login-enforcement/"+EnforcementName, map[string]any{
		"mfa_method_ids": []string{methodID}, "auth_method_accessors": []string{acc},
	}); err != nil {
		return "", fmt.Errorf("official: making the login enforcement: %w", scrub(err))
	}
	return methodID, nil
}

func (a *Admin) userpassAccessor(ctx context.Context) (string, error) {
	auths, err := a.api.Sys().ListAuthWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("official: listing auth mounts: %w", scrub(err))
	}
	if m, ok := auths[UserpassMount+"/"]; ok {
		if m.Type != "userpass" {
			return "", fmt.Errorf("official: auth/%s is a %s mount, not userpass", UserpassMount, m.Type)
		}
		return m.Accessor, nil
	}
	if err := a.api.Sys().EnableAuthWithOptionsWithContext(ctx, UserpassMount, &api.EnableAuthOptions{Type: "userpass"}); err != nil {
		return "", fmt.Errorf("official: enabling userpass: %w", scrub(err))
	}
	auths, err = a.api.Sys().ListAuthWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("official: listing auth mounts: %w", scrub(err))
	}
	if m, ok := auths[UserpassMount+"/"]; ok {
		return m.Accessor, nil
	}
	return "", errors.New("official: userpass was enabled but is not listed")
}

// Enrolment is what [Admin.Add] asks for.
type Enrolment struct {
	Profile
	// Password is the official's initial password; secret.
	Password string
	// KeyType is the Transit key type (keystore.ECDSAP256 when empty).
	KeyType keystore.KeyType
}

// Enrolled is the outcome of [Admin.Add].
type Enrolled struct {
	Profile *Profile
	// OTPURL is the otpauth:// URL of the official's TOTP secret, labelled
	// with the official's name and username: shown once, to the
	// official only.
	OTPURL string
	// Certificate is the subject of the certificate issued.
	Certificate string
	Warnings    []string
}

// PolicyFor returns the Vault policy of official username with Transit
// key key (MOUNT/NAME): sign with that key, end its own token; nothing
// else.
func PolicyFor(key vault.KeyName) string {
	return fmt.Sprintf(`# segel official: may sign with %[1]s and nothing else.
path "%[2]s/sign/%[3]s" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
`, key, key.Mount, key.Name)
}

// Add enrols an official: the Transit key, a certificate for it from the
// PKI with the official's name and instansi in the subject, the profile,
// the policy, the userpass user, the Vault entity with its alias and the
// TOTP secret. It refuses a username that has a profile already.
func (a *Admin) Add(ctx context.Context, e Enrolment) (*Enrolled, error) {
	p := e.Profile
	if !ValidUsername(p.Username) {
		return nil, fmt.Errorf("official: %q is not a valid username (letters, digits, '.', '_', '-')", p.Username)
	}
	if strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.Instansi) == "" {
		return nil, errors.New("official: an official needs a name and an instansi")
	}
	if len(e.Password) < 12 {
		return nil, errors.New("official: the password must be at least 12 characters long")
	}
	key, err := vault.ParseKeyName(p.Key)
	if err != nil {
		return nil, err
	}
	if old, err := readProfile(ctx, a.api, a.kv(), p.Username); err == nil {
		return nil, fmt.Errorf("official: %s is enrolled already (key %s)", old.Username, old.Key)
	} else if !errors.Is(err, ErrUnknown) {
		return nil, err
	}
	methodID, err := a.Setup(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := a.userpassAccessor(ctx)
	if err != nil {
		return nil, err
	}
	kt := e.KeyType
	if kt == "" {
		kt = keystore.ECDSAP256
	}
	if _, err := a.vc.CreateKey(ctx, key, kt); err != nil {
		return nil, err
	}
	cert, err := a.vc.RequestCertificate(ctx, vault.CertRequest{Key: key, PKI: a.pki(), Role: a.role(), CommonName: p.Name, Organization: p.Instansi})
	if err != nil {
		return nil, err
	}
	out := &Enrolled{Certificate: cert.Chain[0].Subject.String(), Warnings: cert.Warnings}
	policy := PolicyPrefix + p.Username
	if err := a.api.Sys().PutPolicyWithContext(ctx, policy, PolicyFor(key)); err != nil {
		return nil, fmt.Errorf("official: writing policy %s: %w", policy, scrub(err))
	}
	ent, err := a.api.Logical().WriteWithContext(ctx, "identity/entity", map[string]any{
		"name": "segel-official-" + p.Username, "metadata": map[string]string{"nip": p.NIP, "instansi": p.Instansi, "segel": "official"},
	})
	if err != nil {
		return nil, fmt.Errorf("official: making the Vault entity: %w", scrub(err))
	}
	if ent == nil || s(ent.Data["id"]) == "" {
		return nil, errors.New("official: Vault made no entity (an entity of that name exists?)")
	}
	p.EntityID = s(ent.Data["id"])
	if _, err := a.api.Logical().WriteWithContext(ctx, "identity/entity-alias", map[string]any{
		"name": p.Username, "canonical_id": p.EntityID, "mount_accessor": acc,
	}); err != nil {
		return nil, fmt.Errorf("official: making the entity alias: %w", scrub(err))
	}
	if _, err := a.api.Logical().WriteWithContext(ctx, "auth/"+UserpassMount+"/users/"+p.Username, map[string]any{
		"password": e.Password, "token_policies": []string{policy}, "token_no_default_policy": true,
		"token_ttl": int(TokenTTL / time.Second), "token_max_ttl": int(TokenTTL / time.Second), "token_type": "service",
	}); err != nil {
		return nil, fmt.Errorf("official: making the userpass user: %w", scrub(err))
	}
	gen, err := a.api.Logical().WriteWithContext(ctx, "identity/mfa/method/totp/admin-generate", map[string]any{
		"method_id": methodID, "entity_id": p.EntityID,
	})
	if err != nil {
		return nil, fmt.Errorf("official: enrolling the TOTP secret: %w", scrub(err))
	}
	if gen == nil || s(gen.Data["url"]) == "" {
		return nil, errors.New("official: Vault returned no TOTP URL (a secret is enrolled for this entity already?)")
	}
	out.OTPURL = relabel(s(gen.Data["url"]), p.Name+" ("+p.Username+")")
	p.Created = time.Now().UTC()
	p.Disabled = false
	if err := writeProfile(ctx, a.api, a.kv(), &p); err != nil {
		return nil, err
	}
	out.Profile = &p
	return out, nil
}

// Disable disables an official: the Vault entity is disabled (Vault then
// refuses the official's logins and tokens) and the profile marked.
func (a *Admin) Disable(ctx context.Context, username string) error {
	p, err := readProfile(ctx, a.api, a.kv(), username)
	if err != nil {
		return err
	}
	if _, err := a.api.Logical().WriteWithContext(ctx, "identity/entity/id/"+p.EntityID, map[string]any{"disabled": true}); err != nil {
		return fmt.Errorf("official: disabling entity %s: %w", p.EntityID, scrub(err))
	}
	p.Disabled = true
	return writeProfile(ctx, a.api, a.kv(), p)
}

// List returns every enrolled official, sorted by username.
func (a *Admin) List(ctx context.Context) ([]*Profile, error) {
	sec, err := a.api.Logical().ListWithContext(ctx, a.kv()+"/metadata/"+ProfilePrefix)
	if err != nil {
		return nil, fmt.Errorf("official: listing officials: %w", scrub(err))
	}
	var out []*Profile
	if sec == nil {
		return out, nil
	}
	keys, _ := sec.Data["keys"].([]any)
	for _, k := range keys {
		p, err := readProfile(ctx, a.api, a.kv(), s(k))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, nil
}

// relabel replaces the account label of an otpauth URL (Vault puts the
// entity ID there) with label, which authenticator apps show next to the
// code. The secret and parameters stay as Vault made them.
func relabel(raw, label string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "otpauth" {
		return raw
	}
	issuer := u.Query().Get("issuer")
	if issuer == "" {
		issuer = TOTPIssuer
	}
	u.Path = "/" + issuer + ":" + label
	u.RawPath = ""
	return u.String()
}
