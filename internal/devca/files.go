package devca

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// P12 encodes the identity (key, leaf and intermediate) as PKCS#12. With
// legacy false it uses go-pkcs12's Modern encoder (AES-256-CBC, PBKDF2,
// SHA-256 MAC); with legacy true the Legacy one (3DES, SHA-1 MAC), which old
// tools such as some NSS or Windows versions still need.
func (id *Identity) P12(password string, legacy bool) ([]byte, error) {
	enc := pkcs12.Modern
	if legacy {
		enc = pkcs12.Legacy
	}
	var cas []*x509.Certificate
	if len(id.Chain) > 1 {
		cas = id.Chain[1:]
	}
	return enc.Encode(id.Key, id.Cert, cas, password)
}

// KeyPEM returns the private key as an unencrypted PKCS#8 "PRIVATE KEY" PEM
// block.
func (id *Identity) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// CertPEM returns the leaf certificate alone as PEM.
func (id *Identity) CertPEM() []byte { return CertsPEM(id.Cert) }

// ChainPEM returns the chain (leaf, then intermediate) as PEM.
func (id *Identity) ChainPEM() []byte { return CertsPEM(id.Chain...) }

// RootPEM returns the root certificate as PEM.
func (ca *CA) RootPEM() []byte { return CertsPEM(ca.Root) }

// IntermediatePEM returns the intermediate certificate as PEM.
func (ca *CA) IntermediatePEM() []byte { return CertsPEM(ca.Intermediate) }

// CertsPEM concatenates the certificates as "CERTIFICATE" PEM blocks.
func CertsPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// WriteP12 writes the PKCS#12 from [Identity.P12] to path with mode 0600.
// It fails if path exists, unless overwrite is true.
func (id *Identity) WriteP12(path, password string, legacy, overwrite bool) error {
	data, err := id.P12(password, legacy)
	if err != nil {
		return fmt.Errorf("devca: encode p12: %w", err)
	}
	return writeSecret(path, data, overwrite)
}

// WritePEM writes the PKCS#8 private key to keyPath (mode 0600) and the
// chain (leaf, intermediate) to chainPath (mode 0644). Both fail if the file
// exists, unless overwrite is true.
func (id *Identity) WritePEM(keyPath, chainPath string, overwrite bool) error {
	key, err := id.KeyPEM()
	if err != nil {
		return fmt.Errorf("devca: encode key: %w", err)
	}
	if !overwrite {
		// Check both first, so that a refusal leaves no half-written pair.
		for _, p := range []string{keyPath, chainPath} {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("devca: %s: %w", p, fs.ErrExist)
			}
		}
	}
	if err := writeSecret(keyPath, key, overwrite); err != nil {
		return err
	}
	return writePublic(chainPath, id.ChainPEM(), overwrite)
}

// WriteRootPEM writes the root certificate as PEM to path (mode 0644),
// replacing any existing file: it holds no secret.
func (ca *CA) WriteRootPEM(path string) error {
	return writePublic(path, ca.RootPEM(), true)
}

// writeSecret creates path with mode 0600 and O_EXCL, removing an existing
// file first when overwrite is set (so that the new file never inherits
// looser permissions).
func writeSecret(path string, data []byte, overwrite bool) error {
	return writeFile(path, data, 0o600, overwrite)
}

func writePublic(path string, data []byte, overwrite bool) error {
	return writeFile(path, data, 0o644, overwrite)
}

func writeFile(path string, data []byte, mode fs.FileMode, overwrite bool) error {
	if overwrite {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("devca: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("devca: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("devca: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("devca: close %s: %w", path, err)
	}
	return nil
}
