package vault

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"

	"segel/certfile"
	"segel/keystore"
)

func init() {
	keystore.Register("vault", openFromEnv)
}

// openFromEnv is the keystore backend for "vault:MOUNT/NAME" references.
// Its connection settings come from ConfigFromEnv.
func openFromEnv(ctx context.Context, rest string, opts keystore.Options) (keystore.Key, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	k, err := Open(ctx, cfg, rest, opts)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	return k, nil
}

// Key is a Transit key opened for signing, with its certificate chain. It
// implements keystore.Key; its Signer is a *[Signer]. It has the keystore
// capabilities keystore.HealthChecker and keystore.CredentialBinder.
type Key struct {
	c        *Client
	info     *KeyInfo
	signer   *Signer
	chain    []*x509.Certificate
	chainSrc string
}

// Open connects to Vault with cfg and opens the Transit key ref (MOUNT/NAME,
// e.g. transit/pks-tuban) for signing. The certificate chain comes from
// opts.CertFile when set, otherwise from KV (see [Client.CertPath]). The
// signer signs with the key version whose public key is the certificate's,
// so a key rotated after its certificate was issued keeps signing with the
// certified version until a new certificate is stored. ctx is bound to the
// signer (see [Signer]); Close the key when done.
func Open(ctx context.Context, cfg Config, ref string, opts keystore.Options) (*Key, error) {
	name, err := ParseKeyName(strings.TrimPrefix(ref, "//"))
	if err != nil {
		return nil, err
	}
	c, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	k, err := OpenWith(ctx, c, name, opts)
	if err != nil {
		c.Close()
		return nil, err
	}
	k.c = c
	return k, nil
}

// OpenWith opens the Transit key name through an existing client, as Open
// does. Closing the returned key does not close c.
func OpenWith(ctx context.Context, c *Client, name KeyName, opts keystore.Options) (*Key, error) {
	info, err := c.Key(ctx, name)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	var src string
	if opts.CertFile != "" {
		if certs, err = certfile.Read(opts.CertFile); err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		src = opts.CertFile
	} else {
		sc, err := c.Chain(ctx, name)
		if err != nil {
			return nil, err
		}
		certs, src = sc.Chain, sc.Path
	}
	// The signer's certificate: the first whose key is a version of the
	// Transit key, the newest version if several.
	leaf, version := -1, 0
	for i, cert := range certs {
		if v := info.VersionOf(cert.PublicKey); v > version {
			leaf, version = i, v
		}
	}
	if leaf < 0 {
		return nil, fmt.Errorf("vault: %w: the certificate for %s (from %s) belongs to no version of transit key %s",
			keystore.ErrCertificateMismatch, describe(certs[0]), src, name)
	}
	chain := append([]*x509.Certificate{certs[leaf]}, certs[:leaf]...)
	chain = append(chain, certs[leaf+1:]...)
	s, err := c.signerFor(ctx, info, version)
	if err != nil {
		return nil, err
	}
	return &Key{info: info, signer: s, chain: chain, chainSrc: src}, nil
}

// Signer returns the Transit signer, a *Signer.
func (k *Key) Signer() crypto.Signer { return k.signer }

// TransitSigner returns the Transit signer with its batch method.
func (k *Key) TransitSigner() *Signer { return k.signer }

// Chain returns the signer's certificate and its issuers.
func (k *Key) Chain() []*x509.Certificate { return k.chain }

// Info returns the Transit key's public information as read when the key
// was opened.
func (k *Key) Info() *KeyInfo { return k.info }

// ChainSource says where the chain was read from: a KV path or a file.
func (k *Key) ChainSource() string { return k.chainSrc }

// Close closes the Vault client if Open (or WithCredentials) made it.
func (k *Key) Close() error {
	if k.c != nil {
		return k.c.Close()
	}
	return nil
}

// Capabilities of the Key.
var (
	_ keystore.HealthChecker    = (*Key)(nil)
	_ keystore.CredentialBinder = (*Key)(nil)
)

// Health reads the Transit key's public information: one request that
// succeeds only when Vault is reachable and unsealed, the token is valid
// and its policy lets it read the key. It fails, too, when the version
// the key signs with is gone (wrapping keystore.ErrNotFound).
func (k *Key) Health(ctx context.Context) error {
	info, err := k.signer.c.Key(ctx, k.info.Key)
	if err != nil {
		return err
	}
	if info.Public(k.signer.version) == nil {
		return &keystore.NotFoundError{Missing: keystore.MissingKey, Key: k.info.Key.String(),
			Err: fmt.Errorf("vault: %w: transit key %s has no version %d any more", ErrNotFound, k.info.Key, k.signer.version)}
	}
	return nil
}

// WithCredentials returns a view of the key that signs with cred.Token,
// a caller's own Vault token, instead of the key's token: the same
// Transit key version and certificate chain, the same connection
// settings. It makes no request; a token Vault refuses fails the signing
// call (with ErrTokenInvalid, or ErrPermissionDenied when its policy does
// not cover the key). The token is not renewed. Close the view when done;
// the key stays open.
func (k *Key) WithCredentials(ctx context.Context, cred keystore.Credentials) (keystore.Key, error) {
	c, err := k.signer.c.withToken(cred.Token)
	if err != nil {
		return nil, err
	}
	o := k.signer
	s := &Signer{c: c, key: o.key, version: o.version, latest: o.latest, pub: o.pub, ctx: ctx}
	return &Key{c: c, info: k.info, signer: s, chain: k.chain, chainSrc: k.chainSrc}, nil
}

func describe(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return "serial " + c.SerialNumber.String()
}
