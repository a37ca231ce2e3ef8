package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"segel/keystore"
	"segel/tsa"
)

// TSAConfig mounts an RFC 3161 time-stamping authority at POST /v1/tsa
// (the same authority as segel tsa serve): requests arriving together are
// signed with one backend call, and every token is written to the audit
// log before it is answered, so an audit file is required.
type TSAConfig struct {
	// Key is the time-stamping key; its certificate must carry the
	// extended key usage timeStamping alone and critical.
	Key KeyConfig `yaml:"key"`
	// Policy is the TSA policy OID of every token (segel's default when
	// empty).
	Policy string `yaml:"policy"`
	// Accuracy is written into every token (1s when zero).
	Accuracy time.Duration `yaml:"accuracy"`
	// Public, when true, answers anyone; by default a configured identity
	// must authenticate, as for signing.
	Public bool `yaml:"public"`
}

// validateTSA adds the problems of c.TSA to bad.
func (c *Config) validateTSA(bad func(string, ...any)) {
	if c.TSA == nil {
		return
	}
	if c.TSA.Key.Ref == "" {
		bad("tsa_authority.key.ref is empty (write vault:MOUNT/KEY or file:PATH)")
	}
	if c.TSA.Policy != "" {
		if _, err := tsa.ParseOID(c.TSA.Policy); err != nil {
			bad("tsa_authority.policy: %v", err)
		}
	}
	if c.Audit.File == "" {
		bad("tsa_authority needs audit.file: every time-stamp token is audited")
	}
}

// tsaEndpoint is the mounted authority and its key.
type tsaEndpoint struct {
	key keystore.Key
	a   *tsa.Authority
}

// openTSA opens the authority's key and checks its certificate.
func (s *Server) openTSA(ctx context.Context, lookupEnv func(string) (string, bool)) error {
	c := s.cfg.TSA
	ref := s.cfg.keyRef(c.Key.Ref)
	key, err := keystore.Open(ctx, ref, keystore.Options{
		CertFile: s.cfg.path(c.Key.CertFile),
		Password: passwordFunc("tsa_authority", s.cfg.path(c.Key.PasswordFile), c.Key.PasswordEnv, lookupEnv),
	})
	if err != nil {
		return fmt.Errorf("tsa_authority: %w", err)
	}
	var policy []int
	if c.Policy != "" {
		policy, _ = tsa.ParseOID(c.Policy) // checked by Validate
	}
	a, err := tsa.New(tsa.Config{
		Signer: key.Signer(), Chain: key.Chain(), Policy: policy, Accuracy: c.Accuracy, Log: s.log,
		Audit: TSAAudit(s.audit, c.Key.Ref, func(ctx context.Context) (string, string) {
			if st, ok := ctx.Value(stateKey{}).(*reqState); ok {
				return st.identity, st.id
			}
			return "", ""
		}),
	})
	if err != nil {
		key.Close()
		return fmt.Errorf("tsa_authority: %w", err)
	}
	s.tsa = &tsaEndpoint{key: key, a: a}
	return nil
}

// handleTSA answers POST /v1/tsa, after authentication unless the
// authority is public.
func (s *Server) handleTSA(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.TSA.Public {
		id, _, err := authenticate(s.ids, r)
		if err != nil {
			s.m.rejected.WithLabelValues("unauthenticated").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="segel"`)
			http.Error(w, "time-stamping on this server needs authentication", http.StatusUnauthorized)
			return
		}
		state(r).identity = id.name
	}
	s.tsa.a.ServeHTTP(w, r)
}

// TSAAudit returns the audit function of a time-stamping authority that
// appends every token to log, naming keyRef. who, when not nil, tells the
// caller's identity and request ID from the request's context; without
// it the caller is "anonymous".
func TSAAudit(log *AuditLog, keyRef string, who func(context.Context) (identity, requestID string)) func(context.Context, tsa.Record) error {
	return func(ctx context.Context, r tsa.Record) error {
		if log == nil {
			return errors.New("server: no audit log for time-stamp tokens")
		}
		e := AuditEntry{Time: r.Time, Identity: "anonymous", Remote: r.Client, Key: keyRef, Outcome: OutcomeTimestamped,
			Timestamp: &TimestampAudit{Serial: r.Serial, Hash: r.Hash, Imprint: r.Imprint, Nonce: r.Nonce, Policy: r.Policy, TokenSHA256: r.TokenHash}}
		if who != nil {
			if id, rid := who(ctx); id != "" {
				e.Identity, e.RequestID = id, rid
			}
		}
		_, _, err := log.Append(e)
		return err
	}
}
