package vault

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"segel/keystore"
)

// MaxBatch is the largest number of digests [Signer.SignBatch] sends in
// one request: keystore.MaxBatch.
const MaxBatch = keystore.MaxBatch

// Signer is a [crypto.Signer] whose private key is a Transit key version.
// Each Sign call is exactly one request to Transit's sign endpoint with
// the prehashed digest; the signature that comes back is verified with
// the version's public key before it is returned.
//
// crypto.Signer's Sign has no context: the one given to [Client.Signer]
// is used, with the client's timeout for each request. SignContext takes
// a context per call.
//
// A Signer has the keystore capabilities keystore.ContextSigner,
// keystore.BatchSigner and keystore.KeyVersioner.
type Signer struct {
	c       *Client
	key     KeyName
	version int
	latest  int
	pub     crypto.PublicKey
	ctx     context.Context

	mu   sync.Mutex
	last int
}

// Signer returns a signer for version of the Transit key k; version 0
// means the latest. ctx is used by Sign, which has no context parameter
// of its own, for as long as the signer is used.
func (c *Client) Signer(ctx context.Context, k KeyName, version int) (*Signer, error) {
	info, err := c.Key(ctx, k)
	if err != nil {
		return nil, err
	}
	return c.signerFor(ctx, info, version)
}

func (c *Client) signerFor(ctx context.Context, info *KeyInfo, version int) (*Signer, error) {
	if version == 0 {
		version = info.LatestVersion
	}
	pub := info.Public(version)
	if pub == nil {
		return nil, fmt.Errorf("vault: transit key %s has no usable version %d with a public key (type %s)", info.Key, version, info.Type)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("vault: transit key %s is RSA-%d; at least 2048 bits are needed", info.Key, k.N.BitLen())
		}
	case *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("vault: transit key %s is of type %s; PDF signatures need an ECDSA or RSA key", info.Key, info.Type)
	}
	if info.MinEncryptionVersion > version {
		return nil, fmt.Errorf("vault: transit key %s: version %d is below the key's min_encryption_version %d and cannot sign", info.Key, version, info.MinEncryptionVersion)
	}
	return &Signer{c: c, key: info.Key, version: version, latest: info.LatestVersion, pub: pub, ctx: ctx}, nil
}

// Capabilities of the Signer.
var (
	_ keystore.ContextSigner = (*Signer)(nil)
	_ keystore.BatchSigner   = (*Signer)(nil)
	_ keystore.KeyVersioner  = (*Signer)(nil)
)

// Public returns the public key of the signer's key version.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Key returns the Transit key's name.
func (s *Signer) Key() KeyName { return s.key }

// KeyVersion returns the key version this signer signs with.
func (s *Signer) KeyVersion() int { return s.version }

// LatestKeyVersion returns the key's latest version when the signer was
// made; it is greater than KeyVersion when the newest version has no
// certificate yet.
func (s *Signer) LatestKeyVersion() int { return max(s.latest, s.version) }

// LastKeyVersion returns the key version Transit reported for the last
// signature made, or 0 before the first.
func (s *Signer) LastKeyVersion() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Sign signs a digest with one Transit request, using the context the
// signer was made with. opts is a [crypto.Hash] (SHA-256, SHA-384 or
// SHA-512; PKCS#1 v1.5 for RSA keys, DER-encoded ECDSA) or an
// *rsa.PSSOptions for RSASSA-PSS. rand is ignored: Transit makes its own
// randomness.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.SignContext(s.ctx, digest, opts)
}

// SignContext is Sign with a context for this call.
func (s *Signer) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	body, salt, err := s.request(opts)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(digest, opts); err != nil {
		return nil, err
	}
	body["input"] = base64.StdEncoding.EncodeToString(digest)
	path := s.key.Mount + "/sign/" + s.key.Name
	resp, err := s.c.call(ctx, "sign", http.MethodPost, path, body)
	if err != nil {
		return nil, s.signError(err)
	}
	d := secretData(resp)
	return s.accept(path, str(d["signature"]), num(d["key_version"]), digest, opts, salt)
}

// SignBatch signs up to MaxBatch digests with one Transit request (its
// batch_input), all with the same opts. It returns the signatures in the
// order of the digests, each verified like Sign's. If any item fails the
// whole batch fails.
func (s *Signer) SignBatch(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error) {
	if len(digests) == 0 {
		return nil, nil
	}
	if len(digests) > MaxBatch {
		return nil, fmt.Errorf("vault: a batch holds at most %d digests, got %d", MaxBatch, len(digests))
	}
	body, salt, err := s.request(opts)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, len(digests))
	for i, d := range digests {
		if err := checkDigest(d, opts); err != nil {
			return nil, fmt.Errorf("%w (batch item %d)", err, i)
		}
		items[i] = map[string]any{"input": base64.StdEncoding.EncodeToString(d), "reference": strconv.Itoa(i)}
	}
	body["batch_input"] = items
	path := s.key.Mount + "/sign/" + s.key.Name
	resp, err := s.c.call(ctx, "sign", http.MethodPost, path, body)
	if err != nil {
		return nil, s.signError(err)
	}
	results, _ := secretData(resp)["batch_results"].([]any)
	if len(results) != len(digests) {
		return nil, &Error{Op: "sign", Path: path, Addr: s.c.addr, Err: fmt.Errorf("the answer holds %d batch results for %d inputs", len(results), len(digests))}
	}
	sigs := make([][]byte, len(digests))
	for i, r := range results {
		m, _ := r.(map[string]any)
		if m == nil {
			return nil, &Error{Op: "sign", Path: path, Addr: s.c.addr, Err: fmt.Errorf("batch result %d is empty", i)}
		}
		if ref := str(m["reference"]); ref != "" && ref != strconv.Itoa(i) {
			return nil, &Error{Op: "sign", Path: path, Addr: s.c.addr, Err: fmt.Errorf("batch result %d answers input %s", i, ref)}
		}
		if msg := str(m["error"]); msg != "" {
			return nil, &Error{Op: "sign", Path: path, Addr: s.c.addr, Messages: []string{msg}, Err: fmt.Errorf("batch item %d", i)}
		}
		sig, err := s.accept(path, str(m["signature"]), num(m["key_version"]), digests[i], opts, salt)
		if err != nil {
			return nil, fmt.Errorf("%w (batch item %d)", err, i)
		}
		sigs[i] = sig
	}
	return sigs, nil
}

// signError names the key in a not-found error ("signing key not found").
func (s *Signer) signError(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Kind == ErrNotFound {
		e.Subject = "transit key " + s.key.String()
		e.Hint = "it was deleted or renamed after it was opened"
		return &keystore.NotFoundError{Missing: keystore.MissingKey, Key: s.key.String(), Err: err}
	}
	return err
}

// request returns the sign request's parameters for opts and, for PSS,
// the salt length asked for.
func (s *Signer) request(opts crypto.SignerOpts) (map[string]any, int, error) {
	if opts == nil {
		return nil, 0, errors.New("vault: sign: no hash given")
	}
	alg, err := transitHash(opts.HashFunc())
	if err != nil {
		return nil, 0, err
	}
	body := map[string]any{
		"prehashed":      true,
		"hash_algorithm": alg,
		"key_version":    s.version,
	}
	salt := 0
	switch s.pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			body["signature_algorithm"] = "pss"
			switch pss.SaltLength {
			case rsa.PSSSaltLengthEqualsHash:
				body["salt_length"], salt = "hash", opts.HashFunc().Size()
			case rsa.PSSSaltLengthAuto:
				body["salt_length"], salt = "auto", rsa.PSSSaltLengthAuto
			default:
				if pss.SaltLength < 0 {
					return nil, 0, fmt.Errorf("vault: sign: PSS salt length %d not supported", pss.SaltLength)
				}
				body["salt_length"], salt = strconv.Itoa(pss.SaltLength), pss.SaltLength
			}
		} else {
			// Transit's default for RSA is PSS; PDF signers expect PKCS#1 v1.5 unless told.
			body["signature_algorithm"] = "pkcs1v15"
		}
	case *ecdsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return nil, 0, errors.New("vault: sign: PSS needs an RSA key")
		}
		body["marshaling_algorithm"] = "asn1"
	}
	return body, salt, nil
}

func checkDigest(d []byte, opts crypto.SignerOpts) error {
	if n := opts.HashFunc().Size(); len(d) != n {
		return fmt.Errorf("vault: sign: digest is %d bytes, %v needs %d", len(d), opts.HashFunc(), n)
	}
	return nil
}

// accept parses a returned signature, checks the key version and verifies
// the signature with the version's public key.
func (s *Signer) accept(path, value string, version int, digest []byte, opts crypto.SignerOpts, salt int) ([]byte, error) {
	v, sig, err := parseSignature(value)
	if err != nil {
		return nil, &Error{Op: "sign", Path: path, Addr: s.c.addr, Err: err}
	}
	if version == 0 {
		version = v
	}
	if v != s.version || version != s.version {
		return nil, fmt.Errorf("%w: %s signed with key version %d, not the requested %d", ErrSignatureMismatch, path, v, s.version)
	}
	if err := verify(s.pub, digest, sig, opts, salt); err != nil {
		return nil, fmt.Errorf("%w: %s returned a signature that does not verify with version %d's public key: %v", ErrSignatureMismatch, path, s.version, err)
	}
	s.mu.Lock()
	s.last = v
	s.mu.Unlock()
	return sig, nil
}

func verify(pub crypto.PublicKey, digest, sig []byte, opts crypto.SignerOpts, salt int) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return rsa.VerifyPSS(k, opts.HashFunc(), digest, sig, &rsa.PSSOptions{SaltLength: salt, Hash: opts.HashFunc()})
		}
		return rsa.VerifyPKCS1v15(k, opts.HashFunc(), digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("the ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", pub)
}

func decodeB64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	return b, err
}
