package vault

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// Client is a connection to Vault with a token that is kept alive: a
// renewable token is renewed while the Client is open, and an AppRole
// login is repeated before its token's lifetime ends. A Client is safe for
// concurrent use. Close it when done.
type Client struct {
	api     *api.Client
	login   *api.Client // no token: for AppRole logins
	tr      *http.Transport
	acfg    *api.Config
	shared  bool // the transport belongs to another Client (withToken)
	cfg     Config
	addr    string
	timeout time.Duration
	log     *slog.Logger

	stop context.CancelFunc
	wg   sync.WaitGroup

	mu       sync.Mutex
	loggedIn time.Time // last AppRole login
}

// New connects to Vault with cfg and authenticates: with AppRole when
// cfg.AppRole is set, otherwise with cfg.Token, which is checked with a
// token lookup. ctx bounds the connection and login; the renewal of the
// token runs until Close.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Address) == "" {
		return nil, errors.New("vault: no Vault address given (VAULT_ADDR)")
	}
	u, err := url.Parse(cfg.Address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "unix") || (u.Host == "" && u.Scheme != "unix") {
		return nil, fmt.Errorf("vault: the Vault address %q is not an http(s) URL", cfg.Address)
	}
	if cfg.AppRole == nil && cfg.Token == "" {
		return nil, ErrNoToken
	}
	if _, _, err := cfg.certStore(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tr := &http.Transport{
		Proxy:                 cfg.Proxy,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	ac := &api.Config{
		Address: cfg.Address,
		HttpClient: &http.Client{
			Transport: tr,
			// Bounds every request, the token renewals included. The api
			// package's own Timeout stays 0: it would cancel the request's
			// context before the answer's body is read.
			Timeout: cfg.timeout(),
			// Vault's client follows Vault's redirects itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		MaxRetries:   0, // one request per call: a signature is never asked for twice
		MinRetryWait: time.Second,
		MaxRetryWait: time.Second,
	}
	if cfg.CACert != "" || cfg.CAPath != "" {
		if err := ac.ConfigureTLS(&api.TLSConfig{CACert: cfg.CACert, CAPath: cfg.CAPath}); err != nil {
			return nil, fmt.Errorf("vault: reading the CA certificates for Vault's TLS (VAULT_CACERT/VAULT_CAPATH): %w", err)
		}
	}
	c := &Client{tr: tr, acfg: ac, cfg: cfg, addr: strings.TrimRight(cfg.Address, "/"), timeout: cfg.timeout(), log: log}
	a, err := c.newAPI()
	if err != nil {
		return nil, err
	}
	lc, err := c.newAPI()
	if err != nil {
		return nil, err
	}
	c.api, c.login = a, lc

	var auth *api.Secret
	if cfg.AppRole != nil {
		auth, err = c.appRoleLogin(ctx)
		if err != nil {
			return nil, err
		}
	} else {
		a.SetToken(cfg.Token)
		auth, err = c.lookupSelf(ctx)
		if err != nil {
			return nil, err
		}
	}
	wctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	if auth != nil {
		c.wg.Add(1)
		go c.keepAlive(wctx, auth)
	}
	return c, nil
}

// newAPI makes an api.Client with the client's settings and no token.
func (c *Client) newAPI() (*api.Client, error) {
	a, err := api.NewClient(c.acfg)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	// api.NewClient reads VAULT_TOKEN and VAULT_NAMESPACE itself; the
	// Config decides.
	a.ClearToken()
	a.ClearNamespace()
	if c.cfg.Namespace != "" {
		a.SetNamespace(c.cfg.Namespace)
	}
	return a, nil
}

// withToken returns a client that authenticates with token instead of c's
// credentials: a caller's own token, used for one signing. It shares c's
// connections and settings, makes no request itself and does not renew
// the token; closing it leaves c open.
func (c *Client) withToken(token string) (*Client, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	cfg := c.cfg
	cfg.AppRole, cfg.Token = nil, token
	u := &Client{login: c.login, tr: c.tr, acfg: c.acfg, shared: true, cfg: cfg, addr: c.addr, timeout: c.timeout, log: c.log}
	a, err := u.newAPI()
	if err != nil {
		return nil, err
	}
	a.SetToken(token)
	u.api = a
	return u, nil
}

// Addr returns Vault's address.
func (c *Client) Addr() string { return c.addr }

// Close stops renewing the token. It does not revoke it.
func (c *Client) Close() error {
	if c.stop != nil {
		c.stop()
	}
	c.wg.Wait()
	if !c.shared {
		c.tr.CloseIdleConnections()
	}
	return nil
}

// call makes one request to Vault with the client's timeout and returns
// the parsed answer, never (nil, nil). A 403 answer is told apart into a
// refused token and a missing permission with one extra token lookup.
func (c *Client) call(ctx context.Context, op, method, path string, body map[string]any) (*api.Secret, error) {
	s, err := c.do(ctx, c.api, op, method, path, body)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrPermissionDenied && path != "auth/token/lookup-self" {
			c.diagnose(ctx, e)
		}
		return nil, err
	}
	return s, nil
}

func (c *Client) do(ctx context.Context, a *api.Client, op, method, path string, body map[string]any) (*api.Secret, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vault: %s %s: %w", op, path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var (
		resp *api.Response
		err  error
	)
	switch method {
	case http.MethodGet:
		resp, err = a.Logical().ReadRawWithDataWithContext(ctx, path, nil)
	case "LIST":
		resp, err = a.Logical().ReadRawWithDataWithContext(ctx, path, map[string][]string{"list": {"true"}})
	case http.MethodPut, http.MethodPost:
		var b []byte
		if b, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("vault: %s %s: %w", op, path, err)
		}
		resp, err = a.Logical().WriteRawWithContext(ctx, path, b)
	default:
		return nil, fmt.Errorf("vault: %s %s: unsupported method %s", op, path, method)
	}
	if resp != nil && resp.Body != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		return nil, c.classify(ctx, op, method, path, err)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, c.classify(ctx, op, method, path, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 { // 204 No Content
		return &api.Secret{}, nil
	}
	s, err := api.ParseSecret(bytes.NewReader(raw))
	if err != nil {
		return nil, &Error{Op: op, Path: path, Addr: c.addr, Status: resp.StatusCode, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if s == nil {
		s = &api.Secret{}
	}
	return s, nil
}

// diagnose turns a permission error into a token error when the token
// itself is no longer accepted.
func (c *Client) diagnose(ctx context.Context, e *Error) {
	_, err := c.do(ctx, c.api, "look up token", http.MethodGet, "auth/token/lookup-self", nil)
	var le *Error
	if errors.As(err, &le) && le.Kind == ErrPermissionDenied {
		e.Kind, e.Hint = ErrTokenInvalid, ""
		if c.cfg.AppRole != nil {
			// Log in again now so that the next call works; this call
			// is not repeated.
			if _, err := c.appRoleLogin(ctx); err == nil {
				e.Hint = "logged in again with AppRole; retry"
			}
		}
	}
}

// lookupSelf checks the token and returns it as a secret for the renewal
// watcher, or nil when the token needs no renewal.
func (c *Client) lookupSelf(ctx context.Context) (*api.Secret, error) {
	s, err := c.do(ctx, c.api, "look up token", http.MethodGet, "auth/token/lookup-self", nil)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrPermissionDenied {
			e.Kind = ErrTokenInvalid
			e.Hint = "a valid token also needs read on auth/token/lookup-self (Vault's default policy allows it)"
		}
		return nil, err
	}
	ttl, _ := s.TokenTTL()
	renewable, _ := s.TokenIsRenewable()
	if ttl <= 0 || !renewable {
		return nil, nil
	}
	return &api.Secret{Auth: &api.SecretAuth{ClientToken: c.api.Token(), Renewable: true, LeaseDuration: int(ttl / time.Second)}}, nil
}

// appRoleLogin logs in with AppRole and installs the new token.
func (c *Client) appRoleLogin(ctx context.Context) (*api.Secret, error) {
	ar := c.cfg.AppRole
	mount := strings.Trim(ar.Mount, "/")
	if mount == "" {
		mount = "approle"
	}
	path := "auth/" + mount + "/login"
	body := map[string]any{"role_id": ar.RoleID}
	if ar.SecretID != "" {
		body["secret_id"] = ar.SecretID
	}
	s, err := c.do(ctx, c.login, "log in", http.MethodPut, path, body)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && (e.Status == 400 || e.Status == 403) {
			e.Kind = ErrTokenInvalid
			e.Hint = "AppRole login refused: the role ID or secret ID is wrong, or the secret ID has expired"
		}
		return nil, err
	}
	if s.Auth == nil || s.Auth.ClientToken == "" {
		return nil, &Error{Op: "log in", Path: path, Addr: c.addr, Err: errors.New("the answer holds no token")}
	}
	c.api.SetToken(s.Auth.ClientToken)
	c.mu.Lock()
	c.loggedIn = time.Now()
	c.mu.Unlock()
	c.log.Debug("vault: logged in with AppRole", "mount", mount, "ttl", s.Auth.LeaseDuration)
	return s, nil
}

// keepAlive renews the token in auth until ctx ends. When the token's
// lifetime is over (or renewal failed for good), an AppRole client logs in
// again; a client with a fixed token stops and later calls fail with
// ErrTokenInvalid.
func (c *Client) keepAlive(ctx context.Context, auth *api.Secret) {
	defer c.wg.Done()
	backoff := time.Second
	for {
		if auth != nil && auth.Auth != nil && auth.Auth.Renewable && auth.Auth.LeaseDuration > 0 {
			w, err := c.api.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: auth})
			if err != nil {
				c.log.Warn("vault: cannot watch the token", "err", err)
				return
			}
			go w.Start()
			err = c.watch(ctx, w)
			w.Stop()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				c.log.Warn("vault: renewing the token failed", "err", err)
			} else {
				c.log.Debug("vault: the token reached the end of its lifetime")
			}
		}
		if c.cfg.AppRole == nil {
			return
		}
		// Log in again, retrying while Vault is away.
		for {
			s, err := c.appRoleLogin(ctx)
			if err == nil {
				auth, backoff = s, time.Second
				break
			}
			c.log.Warn("vault: AppRole login failed; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}
}

func (c *Client) watch(ctx context.Context, w *api.LifetimeWatcher) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.DoneCh():
			return err
		case r := <-w.RenewCh():
			if r != nil && r.Secret != nil && r.Secret.Auth != nil {
				c.log.Debug("vault: token renewed", "ttl", r.Secret.Auth.LeaseDuration)
			}
		}
	}
}
