package keystore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"strings"
)

// KeyType names a key algorithm and size in segel's one spelling:
// "rsa-2048", "ecdsa-p256", …, the names Vault Transit uses. Flags,
// configuration files and output use these names; [ParseKeyType] also
// reads the older spellings.
type KeyType string

// The key types that can sign PDF documents.
const (
	RSA2048   KeyType = "rsa-2048"
	RSA3072   KeyType = "rsa-3072"
	RSA4096   KeyType = "rsa-4096"
	ECDSAP256 KeyType = "ecdsa-p256"
	ECDSAP384 KeyType = "ecdsa-p384"
	ECDSAP521 KeyType = "ecdsa-p521"
)

// KeyTypes lists every key type, in a stable order.
var KeyTypes = []KeyType{ECDSAP256, ECDSAP384, ECDSAP521, RSA2048, RSA3072, RSA4096}

// keyTypeAliases maps spellings, lower-cased and without '-', '_' and
// spaces, to key types: the canonical names and the older ones
// ("rsa2048", "p256", and internal/devca's "rsa" and "ecdsa").
var keyTypeAliases = map[string]KeyType{
	"rsa2048":   RSA2048,
	"rsa":       RSA2048,
	"rsa3072":   RSA3072,
	"rsa4096":   RSA4096,
	"ecdsap256": ECDSAP256,
	"p256":      ECDSAP256,
	"ecp256":    ECDSAP256,
	"ecdsa":     ECDSAP256,
	"ec":        ECDSAP256,
	"ecdsap384": ECDSAP384,
	"p384":      ECDSAP384,
	"ecp384":    ECDSAP384,
	"ecdsap521": ECDSAP521,
	"p521":      ECDSAP521,
	"ecp521":    ECDSAP521,
}

// ParseKeyType reads a key type name, case-insensitively and with or
// without dashes: "ecdsa-p256", "RSA-2048", "rsa2048", "p384". The bare
// "rsa" and "ecdsa" (or "ec") mean rsa-2048 and ecdsa-p256.
func ParseKeyType(s string) (KeyType, error) {
	n := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	if t, ok := keyTypeAliases[n]; ok {
		return t, nil
	}
	return "", fmt.Errorf("keystore: unknown key type %q (known: %s)", s, keyTypeList(KeyTypes))
}

func keyTypeList(ts []KeyType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// String returns the key type's name.
func (t KeyType) String() string { return string(t) }

// KeyTypeOf returns the key type of a public key (or of a private key's
// public half).
func KeyTypeOf(pub crypto.PublicKey) (KeyType, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return RSA2048, nil
		case 3072:
			return RSA3072, nil
		case 4096:
			return RSA4096, nil
		}
		return "", fmt.Errorf("keystore: no key type for RSA-%d (only 2048, 3072 and 4096 bits)", k.N.BitLen())
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECDSAP256, nil
		case elliptic.P384():
			return ECDSAP384, nil
		case elliptic.P521():
			return ECDSAP521, nil
		}
		return "", fmt.Errorf("keystore: no key type for ECDSA on curve %s", curveName(k.Curve))
	case crypto.Signer:
		return KeyTypeOf(k.Public())
	}
	return "", fmt.Errorf("keystore: no key type for %T", pub)
}

// Hashes lists the digest algorithms of PDF signatures, in the order
// [ParseHash] names them.
var Hashes = []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512}

// ParseHash reads a digest algorithm's name: "sha256", "sha384" or
// "sha512", case-insensitively and with or without a dash ("SHA-384").
// The empty string is SHA-256, the default.
func ParseHash(s string) (crypto.Hash, error) {
	n := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	if n == "" {
		return crypto.SHA256, nil
	}
	for _, h := range Hashes {
		if n == HashName(h) {
			return h, nil
		}
	}
	names := make([]string, len(Hashes))
	for i, h := range Hashes {
		names[i] = HashName(h)
	}
	return 0, fmt.Errorf("keystore: unknown hash %q (known: %s)", s, strings.Join(names, ", "))
}

// HashName returns the name ParseHash reads for h, e.g. "sha256".
func HashName(h crypto.Hash) string {
	return strings.ToLower(strings.ReplaceAll(h.String(), "-", ""))
}
