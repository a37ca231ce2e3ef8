package vault

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"segel/keystore"
)

// ImportKey imports an existing private key (RSA or ECDSA, for example
// the one in a bureau's PKCS#12 file) into Transit as the new key k, with
// Transit's wrapped key import: the key, as PKCS#8, is wrapped with an
// ephemeral AES-256 key using AES-KWP (RFC 5649), and the AES key is
// encrypted to Transit's wrapping key with RSA-OAEP-SHA256. The imported
// key is neither exportable nor backed up in plain text: from then on it
// is used only inside Vault. k must not exist yet (else the error wraps
// ErrExists).
//
// ImportKey checks that Transit reports the same public key, and returns
// the key's information.
func (c *Client) ImportKey(ctx context.Context, k KeyName, key crypto.Signer) (*KeyInfo, error) {
	if key == nil {
		return nil, errors.New("vault: import: no key")
	}
	t, err := keystore.KeyTypeOf(key.Public())
	if err != nil {
		return nil, fmt.Errorf("vault: import: %w", err)
	}
	if _, err := c.Key(ctx, k); err == nil {
		return nil, fmt.Errorf("%w: transit key %s (a key is imported into a new name)", ErrExists, k)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	wrapPub, err := c.wrappingKey(ctx, k.Mount)
	if err != nil {
		return nil, err
	}
	ciphertext, err := wrapForImport(wrapPub, key)
	if err != nil {
		return nil, err
	}
	_, err = c.call(ctx, "import key", http.MethodPut, k.Mount+"/keys/"+k.Name+"/import", map[string]any{
		"ciphertext":             ciphertext,
		"type":                   string(t),
		"hash_function":          "SHA256",
		"exportable":             false,
		"allow_plaintext_backup": false,
	})
	if err != nil {
		return nil, err
	}
	info, err := c.Key(ctx, k)
	if err != nil {
		return nil, err
	}
	if info.VersionOf(key.Public()) == 0 {
		return nil, fmt.Errorf("vault: after the import, transit key %s has a different public key", k)
	}
	return info, nil
}

// wrappingKey reads Transit's import wrapping key.
func (c *Client) wrappingKey(ctx context.Context, mount string) (*rsa.PublicKey, error) {
	s, err := c.call(ctx, "read wrapping key", http.MethodGet, mount+"/wrapping_key", nil)
	if err != nil {
		return nil, err
	}
	pub, err := parsePublicKey(str(secretData(s)["public_key"]))
	if err != nil {
		return nil, fmt.Errorf("vault: %s/wrapping_key: %w", mount, err)
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok || rk.N.BitLen() < 2048 {
		return nil, fmt.Errorf("vault: %s/wrapping_key is not an RSA key of at least 2048 bits", mount)
	}
	return rk, nil
}

// wrapForImport returns base64(RSA-OAEP-SHA256(wrapPub, K) || AES-KWP(K,
// PKCS#8(key))) for a fresh AES-256 key K, the ciphertext Transit's import
// endpoint takes.
func wrapForImport(wrapPub *rsa.PublicKey, key crypto.Signer) (string, error) {
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("vault: import: %w", err)
	}
	defer clear(pkcs8)
	aesKey := make([]byte, 32)
	if _, err := rand.Read(aesKey); err != nil {
		return "", err
	}
	defer clear(aesKey)
	encKey, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, wrapPub, aesKey, nil)
	if err != nil {
		return "", fmt.Errorf("vault: import: wrapping the transport key: %w", err)
	}
	wrapped, err := wrapKWP(aesKey, pkcs8)
	if err != nil {
		return "", fmt.Errorf("vault: import: %w", err)
	}
	return base64.StdEncoding.EncodeToString(append(encKey, wrapped...)), nil
}
