package official

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/vault/api"

	"segel/keystore"
	"segel/keystore/vault"
	"segel/signer"
)

// Service signs documents for officials, each signature authorised by the
// official's own login. Its own Vault token (the service token) reads
// profiles, keys and certificates; it cannot sign with officials' keys.
type Service struct {
	cfg     vault.Config
	api     *api.Client
	vc      *vault.Client
	limiter *Limiter
	log     *slog.Logger
	// KV is the KV v2 mount of the profiles ("secret" when empty).
	KV string
	// Queue, when set, holds the multi-party signing requests.
	Queue *Queue
}

// NewService connects to Vault with cfg (the service token or AppRole)
// and returns a Service that limits failed logins with lim (NewLimiter()
// when nil).
func NewService(ctx context.Context, cfg vault.Config, lim *Limiter, log *slog.Logger) (*Service, error) {
	vc, err := vault.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a, err := newAPI(cfg, cfg.Token)
	if err != nil {
		vc.Close()
		return nil, err
	}
	if lim == nil {
		lim = NewLimiter()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, api: a, vc: vc, limiter: lim, log: log}, nil
}

// Close closes the service's Vault connection.
func (s *Service) Close() error {
	err := s.vc.Close()
	if s.Queue != nil {
		err = errors.Join(err, s.Queue.Close())
	}
	return err
}

// Limiter returns the service's login limiter.
func (s *Service) Limiter() *Limiter { return s.limiter }

// Profile reads an official's profile.
func (s *Service) Profile(ctx context.Context, username string) (*Profile, error) {
	return readProfile(ctx, s.api, or(s.KV, "secret"), username)
}

// OpenKey opens official p's key with the service token (read only: the
// key's versions and certificate chain). It signs only through
// keystore.CredentialBinder with the official's own token.
func (s *Service) OpenKey(ctx context.Context, p *Profile) (*vault.Key, error) {
	name, err := vault.ParseKeyName(p.Key)
	if err != nil {
		return nil, err
	}
	return vault.OpenWith(ctx, s.vc, name, keystore.Options{})
}

// Request is one signing request of an official.
type Request struct {
	// Username, Password and Code are the official's login; secret
	// (Username excepted), never stored or logged.
	Username, Password, Code string
	// ClientAddr is the client's address, for the limiter and evidence.
	ClientAddr string
	// Docs are the documents to sign, Options their signature options.
	Docs    []signer.Document
	Options signer.AllOptions
}

// Evidence records how a signing was authorised: the evidence of sole
// control for the audit log.
type Evidence struct {
	Username   string
	EntityID   string
	Accessor   string
	MFAMethod  string
	Key        string
	ClientAddr string
	// Revoked is true when the login token was revoked after signing.
	Revoked bool
	// Took is the time from the login to the revocation.
	Took time.Duration
}

// Sign logs the official in (password and TOTP code), signs req.Docs with
// the official's key through the token of that login, and revokes the
// token. It returns the per-document results of signer.SignAll and the
// evidence, which is not nil once the official is known (also on
// failure). Refusals wrap ErrLockedOut, ErrUnknown, ErrDisabled,
// ErrBadLogin, ErrBadCode, ErrNoMFA or ErrIdentityMismatch; nothing is
// signed then.
func (s *Service) Sign(ctx context.Context, req Request) ([]signer.DocResult, *Evidence, error) {
	ev := &Evidence{Username: req.Username, ClientAddr: req.ClientAddr}
	if err := s.limiter.Check(req.Username, req.ClientAddr); err != nil {
		return nil, ev, err
	}
	p, err := s.Profile(ctx, req.Username)
	if err != nil {
		if errors.Is(err, ErrUnknown) {
			s.limiter.Fail(req.Username, req.ClientAddr)
		}
		return nil, ev, err
	}
	ev.Key, ev.EntityID = p.Key, p.EntityID
	if p.Disabled {
		s.limiter.Fail(req.Username, req.ClientAddr)
		return nil, ev, ErrDisabled
	}
	key, err := s.OpenKey(ctx, p)
	if err != nil {
		return nil, ev, err
	}
	defer key.Close()
	start := time.Now()
	l, err := login(ctx, s.cfg, req.Username, req.Password, req.Code)
	if err != nil {
		if errors.Is(err, ErrBadLogin) || errors.Is(err, ErrBadCode) {
			s.limiter.Fail(req.Username, req.ClientAddr)
		}
		return nil, ev, err
	}
	ev.Accessor, ev.MFAMethod = l.Accessor, l.MFAMethod
	defer func() {
		// Revoke even when the caller's context is gone.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := revoke(rctx, s.cfg, l); err != nil {
			s.log.Warn("revoking an official's token failed; it expires by itself", "accessor", l.Accessor, "err", err)
		} else {
			ev.Revoked = true
		}
		ev.Took = time.Since(start)
	}()
	if l.EntityID != p.EntityID {
		return nil, ev, fmt.Errorf("%w (token entity %s, profile entity %s)", ErrIdentityMismatch, l.EntityID, p.EntityID)
	}
	s.limiter.Success(req.Username)
	view, err := key.WithCredentials(ctx, keystore.Credentials{Token: l.Token})
	if err != nil {
		return nil, ev, err
	}
	defer view.Close()
	res, err := signer.SignAll(ctx, view, req.Docs, req.Options)
	return res, ev, err
}

// CheckPassword checks username's password with Vault without completing
// the login: Vault answers a correct password with its MFA requirement,
// which is left to expire, so no token is issued. It is limited like
// Sign. The signing page uses it to show what waits for an official.
func (s *Service) CheckPassword(ctx context.Context, username, password, clientAddr string) error {
	if err := s.limiter.Check(username, clientAddr); err != nil {
		return err
	}
	if !ValidUsername(username) {
		s.limiter.Fail(username, clientAddr)
		return ErrBadLogin
	}
	c, err := newAPI(s.cfg, "")
	if err != nil {
		return err
	}
	sec, err := c.Logical().WriteWithContext(ctx, "auth/"+UserpassMount+"/login/"+username, map[string]any{"password": password})
	if err != nil {
		if isStatus(err, 400, 403) {
			s.limiter.Fail(username, clientAddr)
			return ErrBadLogin
		}
		return fmt.Errorf("official: Vault login: %w", scrub(err))
	}
	if sec == nil || sec.Auth == nil || sec.Auth.MFARequirement == nil {
		if sec != nil && sec.Auth != nil && sec.Auth.ClientToken != "" {
			revoke(ctx, s.cfg, &Login{Token: sec.Auth.ClientToken})
		}
		return ErrNoMFA
	}
	return nil
}
