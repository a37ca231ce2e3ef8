package vault

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"segel/keystore"
)

// KeyType is a Transit key type: keystore's vocabulary, whose names are
// Transit's ("ecdsa-p256", "rsa-3072", …). KeyInfo.Type may also hold
// Transit types that cannot sign PDF documents ("aes256-gcm96", …).
type KeyType = keystore.KeyType

// The Transit key types segel signs with.
const (
	ECDSAP256 = keystore.ECDSAP256
	ECDSAP384 = keystore.ECDSAP384
	ECDSAP521 = keystore.ECDSAP521
	RSA2048   = keystore.RSA2048
	RSA3072   = keystore.RSA3072
	RSA4096   = keystore.RSA4096
)

// KeyTypes lists the key types [Client.CreateKey] accepts.
var KeyTypes = []KeyType{ECDSAP256, ECDSAP384, RSA2048, RSA3072, RSA4096}

// KeyName names a Transit key: the secrets engine's mount path and the
// key's name, written MOUNT/NAME (e.g. transit/pks-tuban).
type KeyName struct {
	Mount, Name string
}

// ParseKeyName parses MOUNT/NAME. The mount may contain slashes; the last
// element is the key's name.
func ParseKeyName(s string) (KeyName, error) {
	s = strings.Trim(strings.TrimSpace(s), "/")
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return KeyName{}, fmt.Errorf("vault: key %q is not MOUNT/NAME, e.g. transit/pks-tuban", s)
	}
	k := KeyName{Mount: s[:i], Name: s[i+1:]}
	if !validPath(k.Mount) || !validName(k.Name) {
		return KeyName{}, fmt.Errorf("vault: key %q is not MOUNT/NAME (letters, digits, '-', '_' and '.')", s)
	}
	return k, nil
}

// String returns MOUNT/NAME.
func (k KeyName) String() string { return k.Mount + "/" + k.Name }

// KeyVersion is one version of a Transit key.
type KeyVersion struct {
	Version int
	Created time.Time
	Public  crypto.PublicKey
}

// KeyInfo describes a Transit key. It holds public information only:
// Transit never returns a private key unless the key is exportable, and
// segel creates and imports keys as not exportable.
type KeyInfo struct {
	Key                  KeyName
	Type                 KeyType
	LatestVersion        int
	MinDecryptionVersion int
	MinEncryptionVersion int
	Exportable           bool
	AllowPlaintextBackup bool
	DeletionAllowed      bool
	Imported             bool
	// Versions holds the versions still usable, oldest first.
	Versions []KeyVersion
}

// Public returns the public key of version v, or nil.
func (i *KeyInfo) Public(v int) crypto.PublicKey {
	for _, kv := range i.Versions {
		if kv.Version == v {
			return kv.Public
		}
	}
	return nil
}

// VersionOf returns the newest version whose public key is pub, or 0.
func (i *KeyInfo) VersionOf(pub crypto.PublicKey) int {
	for j := len(i.Versions) - 1; j >= 0; j-- {
		if keystore.PublicKeysEqual(pub, i.Versions[j].Public) {
			return i.Versions[j].Version
		}
	}
	return 0
}

// Key reads a Transit key's public information. A key that does not exist
// yields a *keystore.NotFoundError (Missing: keystore.MissingKey) wrapping
// an *Error of kind ErrNotFound.
func (c *Client) Key(ctx context.Context, k KeyName) (*KeyInfo, error) {
	path := k.Mount + "/keys/" + k.Name
	s, err := c.call(ctx, "read key", http.MethodGet, path, nil)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrNotFound {
			e.Subject = "transit key " + k.String()
			return nil, &keystore.NotFoundError{Missing: keystore.MissingKey, Key: k.String(), Err: err}
		}
		return nil, err
	}
	info, err := parseKeyInfo(k, s.Data)
	if err != nil {
		return nil, fmt.Errorf("vault: read key %s: %w", path, err)
	}
	return info, nil
}

func parseKeyInfo(k KeyName, d map[string]any) (*KeyInfo, error) {
	if d == nil {
		return nil, errors.New("empty answer")
	}
	info := &KeyInfo{
		Key:                  k,
		Type:                 KeyType(str(d["type"])),
		LatestVersion:        num(d["latest_version"]),
		MinDecryptionVersion: num(d["min_decryption_version"]),
		MinEncryptionVersion: num(d["min_encryption_version"]),
		Exportable:           d["exportable"] == true,
		AllowPlaintextBackup: d["allow_plaintext_backup"] == true,
		DeletionAllowed:      d["deletion_allowed"] == true,
		Imported:             d["imported_key"] == true,
	}
	keys, _ := d["keys"].(map[string]any)
	for vs, raw := range keys {
		v, err := strconv.Atoi(vs)
		if err != nil {
			continue
		}
		m, ok := raw.(map[string]any)
		if !ok {
			// Symmetric keys list only creation times.
			continue
		}
		kv := KeyVersion{Version: v}
		if t, err := time.Parse(time.RFC3339Nano, str(m["creation_time"])); err == nil {
			kv.Created = t
		}
		if p := str(m["public_key"]); p != "" {
			pub, err := parsePublicKey(p)
			if err != nil {
				return nil, fmt.Errorf("version %d: %w", v, err)
			}
			kv.Public = pub
		}
		info.Versions = append(info.Versions, kv)
	}
	slices.SortFunc(info.Versions, func(a, b KeyVersion) int { return a.Version - b.Version })
	return info, nil
}

func parsePublicKey(p string) (crypto.PublicKey, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return nil, errors.New("public key is not PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return pub, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case float64:
		return int(n)
	case int:
		return n
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

// CreateKey creates a Transit signing key of type t (one of [KeyTypes])
// that can never be exported or backed up in plain text. If the key
// exists, the error wraps ErrExists.
func (c *Client) CreateKey(ctx context.Context, k KeyName, t KeyType) (*KeyInfo, error) {
	if !slices.Contains(KeyTypes, t) {
		return nil, fmt.Errorf("vault: key type %q is not offered for new keys (offered: %v)", string(t), KeyTypes)
	}
	if _, err := c.Key(ctx, k); err == nil {
		return nil, fmt.Errorf("%w: transit key %s", ErrExists, k)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	_, err := c.call(ctx, "create key", http.MethodPut, k.Mount+"/keys/"+k.Name, map[string]any{
		"type":                   string(t),
		"exportable":             false,
		"allow_plaintext_backup": false,
	})
	if err != nil {
		return nil, err
	}
	return c.Key(ctx, k)
}

// RotateKey adds a new version to a Transit key. Signatures made with
// earlier versions stay valid; the certificate must be renewed for the new
// version.
func (c *Client) RotateKey(ctx context.Context, k KeyName) (*KeyInfo, error) {
	if _, err := c.Key(ctx, k); err != nil {
		return nil, err
	}
	if _, err := c.call(ctx, "rotate key", http.MethodPut, k.Mount+"/keys/"+k.Name+"/rotate", map[string]any{}); err != nil {
		return nil, err
	}
	return c.Key(ctx, k)
}

// ListKeys lists the key names in a Transit mount.
func (c *Client) ListKeys(ctx context.Context, mount string) ([]string, error) {
	if !validPath(mount) {
		return nil, fmt.Errorf("vault: %q is not a mount path", mount)
	}
	s, err := c.call(ctx, "list keys", "LIST", mount+"/keys", nil)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrNotFound {
			return nil, nil // no keys yet
		}
		return nil, err
	}
	var names []string
	keys, _ := s.Data["keys"].([]any)
	for _, k := range keys {
		if n := str(k); n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

// transitHash names h as Transit's hash_algorithm.
func transitHash(h crypto.Hash) (string, error) {
	switch h {
	case crypto.SHA256:
		return "sha2-256", nil
	case crypto.SHA384:
		return "sha2-384", nil
	case crypto.SHA512:
		return "sha2-512", nil
	}
	return "", fmt.Errorf("vault: hash %v is not supported (use SHA-256, SHA-384 or SHA-512)", h)
}

// parseSignature parses Transit's "vault:vN:BASE64" signature form.
func parseSignature(s string) (version int, sig []byte, err error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || parts[0] != "vault" || !strings.HasPrefix(parts[1], "v") {
		return 0, nil, errors.New("signature is not in the vault:vN:… form")
	}
	version, err = strconv.Atoi(parts[1][1:])
	if err != nil || version <= 0 {
		return 0, nil, fmt.Errorf("signature has a bad key version %q", parts[1])
	}
	sig, err = decodeB64(parts[2])
	if err != nil || len(sig) == 0 {
		return 0, nil, errors.New("signature is not base64")
	}
	return version, sig, nil
}

// secretData returns s.Data, never nil.
func secretData(s *api.Secret) map[string]any {
	if s == nil || s.Data == nil {
		return map[string]any{}
	}
	return s.Data
}
