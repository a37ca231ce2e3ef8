// Package devca is a small, clearly labelled development PKI: a root CA, an
// issuing (intermediate) CA and document-signing leaf identities.
//
// It exists for tests and for the `segel demo` command. Every certificate it
// makes says "NOT FOR PRODUCTION" in its subject; nothing it issues must ever
// be trusted outside a development machine.
//
// The package deliberately does not import "testing", so that product code
// may use it.
package devca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"segel/keystore"
)

// KeyType names a key algorithm and size: keystore's vocabulary, so that
// a development identity and a key in a keystore are spelled alike. The
// zero value means "the default" of the place it is used in (ECDSA P-256
// for the CAs, RSA 2048 for leaves).
type KeyType = keystore.KeyType

// Supported key types.
const (
	RSA2048   = keystore.RSA2048
	RSA3072   = keystore.RSA3072
	RSA4096   = keystore.RSA4096
	ECDSAP256 = keystore.ECDSAP256
	ECDSAP384 = keystore.ECDSAP384
	ECDSAP521 = keystore.ECDSAP521
)

// KeyTypes lists the key types of identities commonly issued, in a stable
// order; GenerateKey also makes ECDSAP521 keys. [keystore.ParseKeyType]
// reads their names.
var KeyTypes = []KeyType{RSA2048, RSA3072, RSA4096, ECDSAP256, ECDSAP384}

// GenerateKey makes a fresh private key of the given type.
func GenerateKey(k KeyType) (crypto.Signer, error) {
	switch k {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case ECDSAP521:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	return nil, fmt.Errorf("devca: unknown key type %q", string(k))
}

// Subject names of the development CAs.
const (
	RootCommonName         = "SEGEL DEVELOPMENT ROOT CA - NOT FOR PRODUCTION"
	IntermediateCommonName = "SEGEL DEVELOPMENT ISSUING CA - NOT FOR PRODUCTION"
	DefaultOrganization    = "segel development"
	Country                = "ID"
)

// OIDDocumentSigning is id-kp-documentSigning (RFC 9336), 1.3.6.1.5.5.7.3.36.
var OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// DefaultLeafKeyUsage is the key usage of a leaf when the request does not
// override it: digitalSignature + contentCommitment (nonRepudiation).
const DefaultLeafKeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment

// DefaultLeafExtKeyUsage is the extended key usage of a leaf when the request
// does not override it. emailProtection is there because poppler's pdfsig
// (NSS certificateUsageEmailSigner) rejects signers whose EKU lacks it; the
// document-signing OID is added as an unknown EKU (see [OIDDocumentSigning]).
var DefaultLeafExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}

// Options configures [New]. The zero value is usable.
type Options struct {
	// KeyType of the root and intermediate keys. Default ECDSAP256.
	KeyType KeyType
	// Validity of the CA certificates, counted from Now-1h. Default 10 years
	// (the intermediate gets the same end date as the root).
	Validity time.Duration
	// Now is the reference time. Default time.Now().
	Now time.Time
	// Organization of the CA subjects. Default "segel development".
	Organization string
	// RevocationURL, when set, is the base URL of a test responder: the
	// intermediate certificate names the CRL BASE/root.crl, and every leaf
	// the OCSP responder BASE/ocsp and the CRL BASE/intermediate.crl.
	RevocationURL string
}

// CA is a development root CA plus the intermediate CA that issues leaves.
type CA struct {
	// Root is the self-signed root certificate; RootKey its key.
	Root    *x509.Certificate
	RootKey crypto.Signer
	// Intermediate is the issuing CA (pathLen 0) signed by Root; it signs
	// every leaf. IntermediateKey is its key.
	Intermediate    *x509.Certificate
	IntermediateKey crypto.Signer

	now    time.Time
	org    string
	revURL string
}

// New creates a fresh development root CA and an intermediate CA signed by it.
func New(opts Options) (*CA, error) {
	if opts.KeyType == "" {
		opts.KeyType = ECDSAP256
	}
	if opts.Validity == 0 {
		opts.Validity = 10 * 365 * 24 * time.Hour
	}
	if opts.Validity < 0 {
		return nil, errors.New("devca: negative validity")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Organization == "" {
		opts.Organization = DefaultOrganization
	}
	notBefore := opts.Now.Add(-time.Hour).UTC().Truncate(time.Second)
	notAfter := notBefore.Add(opts.Validity)

	rootKey, err := GenerateKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	rootTmpl := caTemplate(RootCommonName, opts.Organization, notBefore, notAfter, 1)
	root, err := create(rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("devca: root: %w", err)
	}

	interKey, err := GenerateKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	interTmpl := caTemplate(IntermediateCommonName, opts.Organization, notBefore, notAfter, 0)
	if opts.RevocationURL != "" {
		interTmpl.CRLDistributionPoints = []string{opts.RevocationURL + "/root.crl"}
	}
	inter, err := create(interTmpl, root, interKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("devca: intermediate: %w", err)
	}
	return &CA{
		Root:            root,
		RootKey:         rootKey,
		Intermediate:    inter,
		IntermediateKey: interKey,
		now:             opts.Now,
		org:             opts.Organization,
		revURL:          opts.RevocationURL,
	}, nil
}

// caTemplate is a CA certificate template; pathLen 0 allows only leaves
// below it.
func caTemplate(cn, org string, notBefore, notAfter time.Time, pathLen int) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{org}, Country: []string{Country}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            pathLen,
		MaxPathLenZero:        pathLen == 0,
	}
}

// Now returns the reference time the CA was created with.
func (ca *CA) Now() time.Time { return ca.now }

// RootPool returns a pool holding only the root certificate.
func (ca *CA) RootPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Root)
	return p
}

// IntermediatePool returns a pool holding only the intermediate certificate.
func (ca *CA) IntermediatePool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Intermediate)
	return p
}

// LeafRequest describes a signer certificate for [CA.Issue].
type LeafRequest struct {
	CommonName         string
	Organization       string
	OrganizationalUnit string
	// Email, when set, goes into the subject alternative name (rfc822Name).
	Email string
	// KeyType of the leaf key. Default RSA2048.
	KeyType KeyType
	// NotBefore defaults to the CA's Now - 1h; NotAfter to Now + 2 years
	// (but not after the intermediate's NotAfter). Explicit values are
	// used as given, so expired or not-yet-valid leaves can be made.
	NotBefore, NotAfter time.Time
	// KeyUsage overrides DefaultLeafKeyUsage when non-zero.
	KeyUsage x509.KeyUsage
	// ExtKeyUsage and UnknownExtKeyUsage override the default EKU
	// (emailProtection + document signing) when either is non-nil. Use an
	// empty, non-nil slice to ask for "none of this kind".
	ExtKeyUsage        []x509.ExtKeyUsage
	UnknownExtKeyUsage []asn1.ObjectIdentifier
	// TSA makes a time-stamping authority's certificate (RFC 3161 §2.3):
	// extended key usage timeStamping only, marked critical, and key usage
	// digitalSignature. ExtKeyUsage, UnknownExtKeyUsage and KeyUsage are
	// then ignored.
	TSA bool
}

// Identity is a signer: a private key, its certificate and the chain to
// present with it.
type Identity struct {
	Key  crypto.Signer
	Cert *x509.Certificate
	// Chain is leaf first, then the intermediate. The root is not included.
	Chain []*x509.Certificate
}

// Issue makes a new key and a leaf certificate signed by the intermediate CA.
func (ca *CA) Issue(req LeafRequest) (*Identity, error) {
	if strings.TrimSpace(req.CommonName) == "" {
		return nil, errors.New("devca: leaf CommonName is empty")
	}
	if req.KeyType == "" {
		req.KeyType = RSA2048
	}
	if req.NotBefore.IsZero() {
		req.NotBefore = ca.now.Add(-time.Hour)
	}
	if req.NotAfter.IsZero() {
		req.NotAfter = ca.now.AddDate(2, 0, 0)
		// A defaulted leaf never outlives its issuer.
		if req.NotAfter.After(ca.Intermediate.NotAfter) {
			req.NotAfter = ca.Intermediate.NotAfter
		}
	}
	if !req.NotAfter.After(req.NotBefore) {
		return nil, errors.New("devca: leaf NotAfter is not after NotBefore")
	}
	ku := req.KeyUsage
	if ku == 0 {
		ku = DefaultLeafKeyUsage
	}
	eku := append([]x509.ExtKeyUsage(nil), DefaultLeafExtKeyUsage...)
	unknown := []asn1.ObjectIdentifier{OIDDocumentSigning}
	if req.ExtKeyUsage != nil || req.UnknownExtKeyUsage != nil {
		eku, unknown = req.ExtKeyUsage, req.UnknownExtKeyUsage
	}
	key, err := GenerateKey(req.KeyType)
	if err != nil {
		return nil, err
	}
	subj := pkix.Name{CommonName: req.CommonName, Country: []string{Country}}
	if req.Organization != "" {
		subj.Organization = []string{req.Organization}
	}
	if req.OrganizationalUnit != "" {
		subj.OrganizationalUnit = []string{req.OrganizationalUnit}
	}
	tmpl := &x509.Certificate{
		Subject:               subj,
		NotBefore:             req.NotBefore.UTC().Truncate(time.Second),
		NotAfter:              req.NotAfter.UTC().Truncate(time.Second),
		KeyUsage:              ku,
		ExtKeyUsage:           eku,
		UnknownExtKeyUsage:    unknown,
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
	if req.Email != "" {
		tmpl.EmailAddresses = []string{req.Email}
	}
	if ca.revURL != "" {
		tmpl.OCSPServer = []string{ca.revURL + "/ocsp"}
		tmpl.CRLDistributionPoints = []string{ca.revURL + "/intermediate.crl"}
	}
	if req.TSA {
		// crypto/x509 writes the EKU extension non-critical; RFC 3161
		// wants it critical, so it is written by hand.
		ekuDER, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			return nil, err
		}
		tmpl.ExtKeyUsage, tmpl.UnknownExtKeyUsage = nil, nil
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: ekuDER})
	}
	cert, err := create(tmpl, ca.Intermediate, key.Public(), ca.IntermediateKey)
	if err != nil {
		return nil, fmt.Errorf("devca: leaf: %w", err)
	}
	return &Identity{Key: key, Cert: cert, Chain: []*x509.Certificate{cert, ca.Intermediate}}, nil
}

// create fills in the serial number and subject key identifier and signs.
func create(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	tmpl.SubjectKeyId = ski
	if parent == tmpl {
		// Self-signed: the AKI equals the SKI.
		tmpl.AuthorityKeyId = ski
	} else {
		tmpl.AuthorityKeyId = parent.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// randomSerial returns a random positive serial number of up to 128 bits.
func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		n := new(big.Int).SetBytes(b)
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID is RFC 5280 section 4.2.1.2 method (1): SHA-1 of the
// subjectPublicKey BIT STRING.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm        pkix.AlgorithmIdentifier
		SubjectPublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.SubjectPublicKey.Bytes)
	return sum[:], nil
}
