package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// identity is a configured caller.
type identity struct {
	name      string
	tokenHash []byte // nil when the identity has no token
	clientCN  string
	certHash  []byte
	keys      map[string]bool
}

// Authentication methods, as recorded in the audit log.
const (
	authToken = "token"
	authMTLS  = "mtls"
)

// errUnauthenticated and errConflict are the 401 causes.
var (
	errNoCredentials   = errors.New("authentication required: send a bearer token (Authorization: Bearer …) or a client certificate")
	errBadToken        = errors.New("the bearer token is not valid")
	errMalformedAuth   = errors.New(`the Authorization header must be "Bearer <token>"`)
	errConflictingAuth = errors.New("the bearer token and the client certificate belong to different identities")
	errUnknownCert     = errors.New("the client certificate belongs to no identity")
)

func newIdentities(cfg []IdentityConfig) []*identity {
	var out []*identity
	for _, c := range cfg {
		id := &identity{name: c.Name, clientCN: c.ClientCN, keys: map[string]bool{}}
		if c.TokenSHA256 != "" {
			id.tokenHash, _ = hex.DecodeString(strings.ToLower(c.TokenSHA256))
		}
		if c.ClientCertSHA256 != "" {
			id.certHash, _ = hex.DecodeString(strings.ToLower(strings.ReplaceAll(c.ClientCertSHA256, ":", "")))
		}
		for _, k := range c.Keys {
			id.keys[k] = true
		}
		out = append(out, id)
	}
	return out
}

// authenticate finds the identity of a request from its bearer token
// and/or its verified client certificate. It returns nil and an error
// (for a 401) when neither identifies a caller, or when they disagree.
func authenticate(ids []*identity, r *http.Request) (*identity, string, error) {
	var byToken, byCert *identity
	tokenGiven := false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, "", errMalformedAuth
		}
		tokenGiven = true
		byToken = matchToken(ids, tok)
		if byToken == nil {
			return nil, "", errBadToken
		}
	}
	certGiven := false
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		certGiven = true
		byCert = matchCert(ids, r.TLS.VerifiedChains[0][0])
	}
	switch {
	case byToken != nil && byCert != nil && byToken != byCert:
		return nil, "", errConflictingAuth
	case byToken != nil:
		return byToken, authToken, nil
	case byCert != nil:
		return byCert, authMTLS, nil
	case certGiven && !tokenGiven:
		return nil, "", errUnknownCert
	}
	return nil, "", errNoCredentials
}

// matchToken compares the token's SHA-256 with every identity's in
// constant time, looking at all of them whatever matches.
func matchToken(ids []*identity, tok string) *identity {
	sum := sha256.Sum256([]byte(tok))
	var found *identity
	for _, id := range ids {
		if id.tokenHash == nil {
			continue
		}
		if subtle.ConstantTimeCompare(sum[:], id.tokenHash) == 1 {
			found = id
		}
	}
	return found
}

// matchCert finds the identity of a verified client certificate: by its
// SHA-256 fingerprint, else by its subject common name.
func matchCert(ids []*identity, cert *x509.Certificate) *identity {
	sum := sha256.Sum256(cert.Raw)
	for _, id := range ids {
		if id.certHash != nil && subtle.ConstantTimeCompare(sum[:], id.certHash) == 1 {
			return id
		}
	}
	for _, id := range ids {
		if id.certHash == nil && id.clientCN != "" && id.clientCN == cert.Subject.CommonName {
			return id
		}
	}
	return nil
}

// NewToken returns a new random bearer token (256 bits, base64url) and
// the hex SHA-256 that goes into the configuration.
func NewToken() (token, sha256Hex string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = "sgl_" + base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token), nil
}

// TokenHash returns the hex SHA-256 of a token, as written in
// identities[].token_sha256.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
