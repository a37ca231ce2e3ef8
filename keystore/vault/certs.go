package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"segel/certfile"
	"segel/keystore"
)

// CertPath returns the KV version 2 API path where the certificate chain
// of Transit key k is kept: MOUNT/data/PREFIX/<transit mount>/<key>, by
// default secret/data/segel/certs/transit/<key>.
func (c *Client) CertPath(k KeyName) string {
	mount, prefix, _ := c.cfg.certStore()
	p := mount + "/data/"
	if prefix != "" {
		p += prefix + "/"
	}
	return p + k.Mount + "/" + k.Name
}

// StoredChain is a certificate chain kept in KV for a Transit key.
type StoredChain struct {
	// Chain is the signer certificate first, then its issuers.
	Chain []*x509.Certificate
	// KeyVersion is the Transit key version the certificate was issued
	// for (0 when not recorded).
	KeyVersion int
	// Path is the KV API path it was read from, and Version the KV
	// secret's version.
	Path    string
	Version int
}

// Chain reads the certificate chain kept for k. If there is none, the
// error is a *keystore.NotFoundError (Missing:
// keystore.MissingCertificate) wrapping an *Error of kind ErrNotFound.
func (c *Client) Chain(ctx context.Context, k KeyName) (*StoredChain, error) {
	path := c.CertPath(k)
	subject := "the certificate chain of " + k.String()
	s, err := c.call(ctx, "read certificate chain", http.MethodGet, path, nil)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrNotFound {
			e.Subject = subject
			return nil, &keystore.NotFoundError{Missing: keystore.MissingCertificate, Key: k.String(), Err: err}
		}
		return nil, err
	}
	data, _ := secretData(s)["data"].(map[string]any)
	meta, _ := secretData(s)["metadata"].(map[string]any)
	if data == nil {
		return nil, &keystore.NotFoundError{Missing: keystore.MissingCertificate, Key: k.String(),
			Err: &Error{Op: "read certificate chain", Subject: subject, Path: path, Addr: c.addr, Kind: ErrNotFound, Hint: "its KV entry was deleted"}}
	}
	chain, err := certfile.Parse("the stored chain", []byte(str(data["chain"])))
	if err != nil {
		return nil, fmt.Errorf("vault: certificate chain at %s: %w", path, err)
	}
	return &StoredChain{Chain: chain, KeyVersion: num(data["key_version"]), Path: path, Version: num(meta["version"])}, nil
}

// StoreChain keeps chain (signer certificate first) as the chain of k,
// issued for key version keyVersion. Earlier chains stay in the KV
// secret's history.
func (c *Client) StoreChain(ctx context.Context, k KeyName, chain []*x509.Certificate, keyVersion int) (string, error) {
	if len(chain) == 0 {
		return "", errors.New("vault: no certificates to store")
	}
	var pemChain bytes.Buffer
	for _, cert := range chain {
		pem.Encode(&pemChain, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	}
	leaf := chain[0]
	path := c.CertPath(k)
	_, err := c.call(ctx, "store certificate chain", http.MethodPut, path, map[string]any{
		"data": map[string]any{
			"chain":       pemChain.String(),
			"key":         k.String(),
			"key_version": strconv.Itoa(keyVersion),
			"subject":     leaf.Subject.String(),
			"serial":      serialHex(leaf),
			"not_after":   leaf.NotAfter.UTC().Format(time.RFC3339),
		},
	})
	if err != nil {
		return "", err
	}
	return path, nil
}

func serialHex(c *x509.Certificate) string {
	b := c.SerialNumber.Bytes()
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}

// CertRequest asks Vault's PKI engine for a certificate for a Transit key.
type CertRequest struct {
	// Key is the Transit key; KeyVersion its version (0: the latest).
	Key        KeyName
	KeyVersion int
	// PKI is the PKI mount (e.g. pki_int) and Role the role to sign with.
	PKI, Role string
	// CommonName and Organization form the CSR's subject. Vault's
	// sign endpoint takes the common name from the CSR (with the role's
	// use_csr_common_name) and the organization from the role.
	CommonName   string
	Organization string
	// TTL is the certificate's lifetime; zero means the role's default.
	TTL time.Duration
	// Extensions are put into the request (a time-stamping certificate's
	// critical extended key usage, for example).
	Extensions []pkix.Extension
	// Verbatim has the request signed at PKI/sign-verbatim/ROLE: the
	// certificate gets the request's subject and extensions as they are,
	// critical flags included (PKI/sign takes them from the role and
	// never marks the extended key usage critical), and the role gives
	// only the lifetime, the backdating and the issuer.
	Verbatim bool
	// Check, when set, judges the issued certificate instead of the
	// document-signing check; the chain is stored only if it passes.
	Check func(*x509.Certificate) error
}

// CertResult is the outcome of [Client.RequestCertificate].
type CertResult struct {
	// Chain is the new certificate followed by its issuers.
	Chain []*x509.Certificate
	// KeyVersion is the Transit key version the certificate is for.
	KeyVersion int
	// Path is where the chain was stored in KV.
	Path string
	// Warnings note differences between what was asked and issued.
	Warnings []string
}

// RequestCertificate builds a certificate signing request signed by the
// Transit key (one Transit signature), has the PKI engine sign it at
// PKI/sign/ROLE (PKI/sign-verbatim/ROLE with req.Verbatim), checks that
// the certificate's public key is the Transit key's and that it may sign
// documents (or passes req.Check), and stores the chain in KV (see
// [Client.CertPath]).
func (c *Client) RequestCertificate(ctx context.Context, req CertRequest) (*CertResult, error) {
	if !validPath(req.PKI) || !validName(req.Role) {
		return nil, fmt.Errorf("vault: PKI mount %q and role %q must be Vault path names", req.PKI, req.Role)
	}
	if strings.TrimSpace(req.CommonName) == "" {
		return nil, errors.New("vault: the certificate request has no common name")
	}
	signer, err := c.Signer(ctx, req.Key, req.KeyVersion)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: req.CommonName}, ExtraExtensions: req.Extensions}
	if req.Organization != "" {
		tmpl.Subject.Organization = []string{req.Organization}
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, tmpl, signer)
	if err != nil {
		return nil, fmt.Errorf("vault: making the certificate request with %s: %w", req.Key, err)
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err == nil {
		err = csr.CheckSignature()
	}
	if err != nil {
		return nil, fmt.Errorf("vault: the certificate request signed by %s does not verify: %w", req.Key, err)
	}
	body := map[string]any{
		"csr":    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
		"format": "pem",
	}
	if req.TTL > 0 {
		body["ttl"] = fmt.Sprintf("%ds", int64(req.TTL/time.Second))
	}
	path := req.PKI + "/sign/" + req.Role
	if req.Verbatim {
		path = req.PKI + "/sign-verbatim/" + req.Role
		// The key usage goes into the request; these only replace
		// sign-verbatim's defaults (key and data encipherment), which a
		// key usage extension in the request overrides anyway.
		body["key_usage"] = []string{"DigitalSignature"}
		body["ext_key_usage"] = []string{}
	}
	s, err := c.call(ctx, "sign certificate request", http.MethodPut, path, body)
	if err != nil {
		return nil, err
	}
	d := secretData(s)
	var all bytes.Buffer
	all.WriteString(str(d["certificate"]) + "\n")
	if chain, ok := d["ca_chain"].([]any); ok && len(chain) > 0 {
		for _, p := range chain {
			all.WriteString(str(p) + "\n")
		}
	} else {
		all.WriteString(str(d["issuing_ca"]) + "\n")
	}
	certs, err := certfile.Parse("the issued certificate", all.Bytes())
	if err != nil {
		return nil, fmt.Errorf("vault: the answer of %s: %w", path, err)
	}
	chain := dedupe(certs)
	leaf := chain[0]
	if !keystore.PublicKeysEqual(leaf.PublicKey, signer.Public()) {
		return nil, fmt.Errorf("vault: %s issued a certificate (%s) whose public key is not %s version %d's; refusing to store it", path, leaf.Subject, req.Key, signer.KeyVersion())
	}
	if req.Check != nil {
		if err := req.Check(leaf); err != nil {
			return nil, fmt.Errorf("vault: %s issued a certificate (serial %s) that is not what was asked for, and it is not stored: %w", path, serialHex(leaf), err)
		}
	} else if err := keystore.CheckSigningCertificate(leaf, time.Now()); err != nil {
		return nil, fmt.Errorf("vault: %s issued a certificate that cannot sign documents (%w); fix the role: key_usage DigitalSignature,ContentCommitment, ext_key_usage_oids 1.3.6.1.5.5.7.3.36, email_protection_flag true", path, err)
	}
	res := &CertResult{Chain: chain, KeyVersion: signer.KeyVersion()}
	if req.Organization != "" && !containsString(leaf.Subject.Organization, req.Organization) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the certificate's organization is %q, not %q: Vault takes O from the role (set organization on %s/roles/%s)",
			strings.Join(leaf.Subject.Organization, ", "), req.Organization, req.PKI, req.Role))
	}
	res.Path, err = c.StoreChain(ctx, req.Key, chain, signer.KeyVersion())
	if err != nil {
		return nil, fmt.Errorf("%w (the certificate was issued but not stored; serial %s)", err, serialHex(leaf))
	}
	return res, nil
}

func dedupe(certs []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		dup := false
		for _, o := range out {
			if bytes.Equal(o.Raw, c.Raw) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
