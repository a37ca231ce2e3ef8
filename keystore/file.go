package keystore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"segel/certfile"
)

func init() {
	Register("file", openFile)
}

// maxKeyFileSize bounds how much of a key or certificate file is read.
const maxKeyFileSize = 1 << 20

// minRSABits is the smallest RSA modulus accepted for signing.
const minRSABits = 2048

// errNeedCert is returned for a bare private key without certificates.
var errNeedCert = fmt.Errorf("%w: a bare private key carries no certificate, and no certificate file was given", ErrCertificateRequired)

// fileKey is a key opened from a file.
type fileKey struct {
	signer crypto.Signer
	chain  []*x509.Certificate
}

func (k *fileKey) Signer() crypto.Signer { return k.signer }

func (k *fileKey) Chain() []*x509.Certificate {
	return append([]*x509.Certificate(nil), k.chain...)
}

func (k *fileKey) Close() error { return nil }

// openFile is the Opener of the "file" scheme.
func openFile(ctx context.Context, rest string, opts Options) (Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	path, err := filePath(rest)
	if err != nil {
		return nil, err
	}
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	var extra []*x509.Certificate
	if opts.CertFile != "" {
		cdata, err := readLimited(opts.CertFile)
		if err != nil {
			return nil, err
		}
		if extra, err = certfile.Parse(opts.CertFile, cdata); err != nil {
			return nil, fmt.Errorf("keystore: %w", err)
		}
	}
	// The parsed key and certificates do not share memory with data, so
	// the file contents (possibly a plaintext key) can be wiped.
	defer clear(data)
	k, err := parseKeyFile(path, data, extra, opts.Password)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// filePath extracts the path from the rest of a file: reference. Besides a
// plain path it accepts the URI form file:///abs/path (or
// file://localhost/abs/path).
func filePath(rest string) (string, error) {
	if rest == "" {
		return "", errors.New("keystore: empty file name; write file:PATH")
	}
	if !strings.HasPrefix(rest, "//") {
		return rest, nil
	}
	u, err := url.Parse("file:" + rest)
	if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", fmt.Errorf("keystore: cannot use %q as a file name; write file:PATH or file:///ABSOLUTE/PATH", rest)
	}
	p := u.Path
	// file:///C:/dir/key.p12 names C:/dir/key.p12 on Windows.
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return p, nil
}

// readLimited reads a whole key or certificate file of reasonable size.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keystore: reading %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("keystore: %s is larger than %d bytes, too large for a key or certificate file", path, maxKeyFileSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("keystore: %s is empty", path)
	}
	return data, nil
}

// parseKeyFile parses a key file's contents. certs, if not nil, replace
// any certificates found in the file.
func parseKeyFile(name string, data []byte, certs []*x509.Certificate, password func() ([]byte, error)) (k *fileKey, err error) {
	// The parsers below come partly from other packages; a malformed file
	// must never crash the program.
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("keystore: %s is malformed", name)
		}
	}()

	var (
		signer crypto.Signer
		found  []*x509.Certificate
	)
	switch {
	case isPEM(data):
		signer, found, err = parsePEMKey(name, data, password)
		if err == nil && len(certs) == 0 && len(found) == 0 {
			err = errNeedCert
		}
	case isPKCS12(data):
		signer, found, err = parsePKCS12(name, data, password)
	case isBERIndefinite(data):
		err = fmt.Errorf("keystore: %s uses BER indefinite-length encoding, which is not supported; re-export it with openssl pkcs12 -export", name)
	default:
		signer, err = parseDERKey(name, data, password)
		if err == nil && len(certs) == 0 {
			err = errNeedCert
		}
	}
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		certs = found
	}
	chain, err := orderChain(signer.Public(), certs)
	if err != nil {
		return nil, err
	}
	return &fileKey{signer: signer, chain: chain}, nil
}

func isPEM(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN "))
}

// isPKCS12 reports whether data starts like a PFX PDU: a SEQUENCE whose
// first element is INTEGER 3. It works on truncated files too, so that
// they get a PKCS#12 error message.
func isPKCS12(data []byte) bool {
	if len(data) < 2 || data[0] != 0x30 {
		return false
	}
	hdr := 2
	if l := data[1]; l&0x80 != 0 {
		n := int(l & 0x7f)
		if n == 0 || n > 4 {
			return false
		}
		hdr += n
	}
	return len(data) >= hdr+3 && bytes.Equal(data[hdr:hdr+3], []byte{0x02, 0x01, 0x03})
}

func isBERIndefinite(data []byte) bool {
	return len(data) >= 2 && data[0] == 0x30 && data[1] == 0x80
}

// parsePKCS12 decodes a PKCS#12 file, trying the empty password first.
func parsePKCS12(name string, data []byte, password func() ([]byte, error)) (crypto.Signer, []*x509.Certificate, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(data, "")
	if isPKCS12PasswordError(err) {
		var pw []byte
		if pw, err = getPassword(name, password); err != nil {
			return nil, nil, err
		}
		s := string(pw)
		clear(pw)
		key, leaf, cas, err = pkcs12.DecodeChain(data, s)
		if isPKCS12PasswordError(err) {
			return nil, nil, fmt.Errorf("%w for %s", ErrWrongPassword, name)
		}
		if err != nil && strings.Contains(err.Error(), "UCS-2") {
			return nil, nil, fmt.Errorf("keystore: the password for %s contains characters a PKCS#12 file cannot hold", name)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("keystore: %s is not a readable PKCS#12 file: %w", name, err)
	}
	signer, err := checkPrivateKey(name, key)
	if err != nil {
		return nil, nil, err
	}
	return signer, append([]*x509.Certificate{leaf}, cas...), nil
}

func isPKCS12PasswordError(err error) bool {
	return errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption)
}

// getPassword asks the callback for a password.
func getPassword(name string, password func() ([]byte, error)) ([]byte, error) {
	if password == nil {
		return nil, fmt.Errorf("%w: %s is encrypted", ErrPasswordRequired, name)
	}
	pw, err := password()
	if err != nil {
		clear(pw)
		if strings.HasPrefix(err.Error(), "keystore: ") {
			return nil, err
		}
		return nil, fmt.Errorf("keystore: getting the password for %s: %w", name, err)
	}
	return pw, nil
}

// parsePEMKey reads the single private key in a PEM file and any
// certificates that accompany it.
func parsePEMKey(name string, data []byte, password func() ([]byte, error)) (crypto.Signer, []*x509.Certificate, error) {
	var (
		keyBlock *pem.Block
		certs    []*x509.Certificate
	)
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if keyBlock != nil {
				return nil, nil, fmt.Errorf("keystore: %s contains more than one private key", name)
			}
			keyBlock = b
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("keystore: %s contains a malformed certificate: %w", name, err)
			}
			certs = append(certs, c)
		case "OPENSSH PRIVATE KEY":
			return nil, nil, fmt.Errorf("keystore: %s is an OpenSSH key, which cannot sign PDFs; use a PKCS#12 file or a PEM key with its certificate", name)
		case "DSA PRIVATE KEY":
			return nil, nil, fmt.Errorf("keystore: %s is a DSA key, which is not supported; use an RSA (%d bits or more) or ECDSA P-256/P-384/P-521 key", name, minRSABits)
		}
	}
	if keyBlock == nil {
		if len(certs) > 0 {
			return nil, nil, fmt.Errorf("keystore: %s contains certificates but no private key", name)
		}
		return nil, nil, fmt.Errorf("keystore: %s contains no PEM private key", name)
	}
	if _, ok := keyBlock.Headers["Proc-Type"]; ok || keyBlock.Headers["DEK-Info"] != "" {
		return nil, nil, fmt.Errorf("keystore: %s uses legacy PEM encryption (Proc-Type: 4,ENCRYPTED), which is not supported; convert it with: openssl pkcs8 -topk8 -v2 aes256 -in %s -out NEW.pem", name, name)
	}

	var (
		key any
		err error
	)
	switch keyBlock.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(keyBlock.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(keyBlock.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		info, perr := parseEncryptedPKCS8(keyBlock.Bytes)
		if perr != nil {
			return nil, nil, fmt.Errorf("keystore: %s contains a malformed encrypted private key", name)
		}
		key, err = decryptKey(name, info, password)
		if err != nil {
			return nil, nil, err
		}
	}
	clear(keyBlock.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("keystore: %s contains a malformed %s: %w", name, strings.ToLower(keyBlock.Type), err)
	}
	signer, err := checkPrivateKey(name, key)
	if err != nil {
		return nil, nil, err
	}
	return signer, certs, nil
}

// parseDERKey reads a DER private key: PKCS#8, encrypted PKCS#8, PKCS#1
// or SEC1.
func parseDERKey(name string, der []byte, password func() ([]byte, error)) (crypto.Signer, error) {
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return checkPrivateKey(name, key)
	}
	if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return checkPrivateKey(name, key)
	}
	if key, err := x509.ParseECPrivateKey(der); err == nil {
		return checkPrivateKey(name, key)
	}
	if info, err := parseEncryptedPKCS8(der); err == nil {
		key, err := decryptKey(name, info, password)
		if err != nil {
			return nil, err
		}
		return checkPrivateKey(name, key)
	}
	return nil, fmt.Errorf("keystore: %s is neither a PKCS#12 file nor a PEM or DER private key", name)
}

// decryptKey decrypts an encrypted PKCS#8 key with a password from the
// callback.
func decryptKey(name string, info *encryptedPrivateKeyInfo, password func() ([]byte, error)) (any, error) {
	pw, err := getPassword(name, password)
	if err != nil {
		return nil, err
	}
	der, err := decryptPKCS8(info, pw)
	clear(pw)
	if errors.Is(err, ErrWrongPassword) {
		return nil, fmt.Errorf("%w for %s", ErrWrongPassword, name)
	}
	if err != nil {
		return nil, err
	}
	defer clear(der)
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		// The padding happened to look right but the content is garbage:
		// almost certainly a wrong password.
		return nil, fmt.Errorf("%w for %s", ErrWrongPassword, name)
	}
	return key, nil
}

// checkPrivateKey accepts the key types usable for PDF signatures.
func checkPrivateKey(name string, key any) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, fmt.Errorf("keystore: the RSA key in %s has %d bits; at least %d are required, so create a new key", name, bits, minRSABits)
		}
		return k, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return k, nil
		}
		return nil, fmt.Errorf("keystore: the ECDSA key in %s uses curve %s; only P-256, P-384 and P-521 are supported", name, curveName(k.Curve))
	case ed25519.PrivateKey, *ed25519.PrivateKey:
		return nil, fmt.Errorf("keystore: the key in %s is an Ed25519 key, which is not supported for PDF signatures yet; use an RSA (%d bits or more) or ECDSA P-256/P-384/P-521 key", name, minRSABits)
	case *ecdh.PrivateKey:
		return nil, fmt.Errorf("keystore: the key in %s is an X25519 key, which can not sign", name)
	default:
		return nil, fmt.Errorf("keystore: the key in %s has unsupported type %T; use an RSA or ECDSA key", name, key)
	}
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "unknown"
	}
	return c.Params().Name
}
