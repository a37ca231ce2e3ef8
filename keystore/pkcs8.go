package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/pbkdf2"
)

// Encrypted PKCS#8 (RFC 5958, section 3) with PBES2 (RFC 8018).

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}

	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// maxPBKDF2Iterations bounds the work a key file can demand.
const maxPBKDF2Iterations = 1 << 24

type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           asn1.RawValue
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

// errNotEncryptedPKCS8 means the data is not an EncryptedPrivateKeyInfo.
var errNotEncryptedPKCS8 = errors.New("keystore: not an encrypted PKCS#8 key")

// errConvertPKCS8 is the advice for encryption schemes we do not read.
const errConvertPKCS8 = "convert the key with: openssl pkcs8 -topk8 -v2 aes256 -in OLD.pem -out NEW.pem"

// parseEncryptedPKCS8 parses an EncryptedPrivateKeyInfo. It fails with
// errNotEncryptedPKCS8 if der is not one.
func parseEncryptedPKCS8(der []byte) (*encryptedPrivateKeyInfo, error) {
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil || len(rest) != 0 || len(info.Algorithm.Algorithm) == 0 {
		return nil, errNotEncryptedPKCS8
	}
	return &info, nil
}

// decryptPKCS8 decrypts info with password and returns the PKCS#8
// PrivateKeyInfo DER. A padding failure is reported as ErrWrongPassword.
// The caller should zero the result after parsing it.
func decryptPKCS8(info *encryptedPrivateKeyInfo, password []byte) ([]byte, error) {
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("keystore: the key is encrypted with %s, which is not supported (only PBES2 is); %s",
			info.Algorithm.Algorithm, errConvertPKCS8)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, errors.New("keystore: malformed PBES2 parameters in the encrypted key")
	}

	// Cipher.
	var (
		keyLen   int
		newBlock func([]byte) (cipher.Block, error)
	)
	enc := params.EncryptionScheme.Algorithm
	switch {
	case enc.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case enc.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case enc.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case enc.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("keystore: the key is encrypted with cipher %s, which is not supported; %s", enc, errConvertPKCS8)
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(rest) != 0 {
		return nil, errors.New("keystore: malformed cipher parameters in the encrypted key")
	}

	// Key derivation.
	kdf := params.KeyDerivationFunc
	if kdf.Algorithm.Equal(oidScrypt) {
		return nil, fmt.Errorf("keystore: the key uses scrypt key derivation, which is not supported; %s", errConvertPKCS8)
	}
	if !kdf.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("keystore: the key uses key derivation %s, which is not supported; %s", kdf.Algorithm, errConvertPKCS8)
	}
	var kp pbkdf2Params
	if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &kp); err != nil || len(rest) != 0 {
		return nil, errors.New("keystore: malformed PBKDF2 parameters in the encrypted key")
	}
	if kp.Salt.Class != asn1.ClassUniversal || kp.Salt.Tag != asn1.TagOctetString || kp.Salt.IsCompound {
		return nil, fmt.Errorf("keystore: the key's PBKDF2 salt is not an octet string; %s", errConvertPKCS8)
	}
	if kp.IterationCount < 1 || kp.IterationCount > maxPBKDF2Iterations {
		return nil, fmt.Errorf("keystore: the key's PBKDF2 iteration count %d is out of range (1 to %d)", kp.IterationCount, maxPBKDF2Iterations)
	}
	if kp.KeyLength != 0 && kp.KeyLength != keyLen {
		return nil, fmt.Errorf("keystore: the key's PBKDF2 key length %d does not fit its cipher", kp.KeyLength)
	}
	var prf func() hash.Hash
	switch p := kp.PRF.Algorithm; {
	case len(p) == 0, p.Equal(oidHMACWithSHA1):
		prf = sha1.New
	case p.Equal(oidHMACWithSHA224):
		prf = sha256.New224
	case p.Equal(oidHMACWithSHA256):
		prf = sha256.New
	case p.Equal(oidHMACWithSHA384):
		prf = sha512.New384
	case p.Equal(oidHMACWithSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("keystore: the key uses PBKDF2 with PRF %s, which is not supported; %s", p, errConvertPKCS8)
	}

	key := pbkdf2.Key(password, kp.Salt.Bytes, kp.IterationCount, keyLen, prf)
	defer clear(key)
	block, err := newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("keystore: cannot set up the key's cipher: %w", err)
	}
	bs := block.BlockSize()
	if len(iv) != bs {
		return nil, errors.New("keystore: the encrypted key has an IV of the wrong length")
	}
	ct := info.EncryptedData
	if len(ct) == 0 || len(ct)%bs != 0 {
		return nil, errors.New("keystore: the encrypted key data is truncated or corrupted")
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)

	// PKCS#7 padding, checked without early exit.
	n := int(pt[len(pt)-1])
	if n == 0 || n > bs {
		clear(pt)
		return nil, ErrWrongPassword
	}
	pad := pt[len(pt)-n:]
	want := make([]byte, n)
	for i := range want {
		want[i] = byte(n)
	}
	if subtle.ConstantTimeCompare(pad, want) != 1 {
		clear(pt)
		return nil, ErrWrongPassword
	}
	return pt[:len(pt)-n], nil
}
