package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"sort"
	"sync"
	"time"

	"segel/internal/cms"
)

// Cache keeps what verifying one file learns that holds for other files
// too: the chains found from a certificate to the caller's roots, the
// verdicts on OCSP responses and the signature checks of CRLs. An
// archive's files share their CAs, time-stamping authority and often
// their revocation data, and checking those signatures again for every
// file is most of the work (see docs/benchmarks.md). Nothing a file's
// own signatures prove is cached: every signature value, time-stamp token
// and byte range is checked for every file.
//
// Every cached answer is a pure function of the bytes in its key; the one
// time-dependent part, whether each certificate of a chain is valid at
// the time it is judged at, is checked again on every use. A Cache is safe
// for concurrent use and bounded: share one for a whole run with
// [Options.Cache].
type Cache struct {
	mu     sync.Mutex
	chains map[chainKey][]*x509.Certificate
	ocsp   map[ocspKey]ocspResult
	crls   map[crlKey]error
	certs  map[certKey]parsedCert
}

// maxCacheEntries bounds each of a Cache's tables; a full table is
// emptied (an archive's CAs fit many times over).
const maxCacheEntries = 4096

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{
		chains: map[chainKey][]*x509.Certificate{},
		ocsp:   map[ocspKey]ocspResult{},
		crls:   map[crlKey]error{},
		certs:  map[certKey]parsedCert{},
	}
}

type chainKey struct {
	leaf  [32]byte
	inter [32]byte
	roots *x509.CertPool
	eku   x509.ExtKeyUsage
}

type ocspKey struct {
	der, cert, issuer [32]byte
	asked             bool
}

type ocspResult struct {
	st  *revStatus // never handed out: callers get a copy
	err error
}

type crlKey struct{ crl, issuer [32]byte }

// certKey names a certificate's DER and how it was read: leniently (as
// cms.ParseCertificate reads a CMS's certificates) or strictly (as
// x509.ParseCertificate reads a /DSS's).
type certKey struct {
	der     [32]byte
	lenient bool
}

type parsedCert struct {
	cert   *x509.Certificate // shared by every file: never modified
	quirks []cms.NameQuirk
	err    error
}

// parseCert reads one certificate, leniently or not, from the cache when
// it can: an archive's files carry the same few certificates again and
// again.
func (v *verifier) parseCert(der []byte, lenient bool) (*x509.Certificate, []cms.NameQuirk, error) {
	parse := func() (p parsedCert) {
		if lenient {
			p.cert, p.quirks, p.err = cms.ParseCertificate(der)
		} else {
			p.cert, p.err = x509.ParseCertificate(der)
		}
		return p
	}
	c := v.opts.Cache
	if c == nil {
		p := parse()
		return p.cert, p.quirks, p.err
	}
	key := certKey{der: sha256.Sum256(der), lenient: lenient}
	c.mu.Lock()
	p, ok := c.certs[key]
	c.mu.Unlock()
	if !ok {
		p = parse()
		c.mu.Lock()
		if len(c.certs) >= maxCacheEntries {
			clear(c.certs)
		}
		c.certs[key] = p
		c.mu.Unlock()
	}
	return p.cert, p.quirks, p.err
}

// parseCMS is cms.Parse reading certificates through the cache.
func (v *verifier) parseCMS(b []byte) (*cms.SignedData, error) {
	return cms.ParseWith(b, func(der []byte) (*x509.Certificate, []cms.NameQuirk, error) { return v.parseCert(der, true) })
}

// certSet is a set of certificates offered as intermediates, as a pool
// and as a fingerprint of its members (the pool cannot list them).
type certSet struct {
	pool *x509.CertPool
	key  [32]byte
}

// certSet makes the set of the certificates in lists; its fingerprint
// only when there is a cache to key.
func (v *verifier) certSet(lists ...[]*x509.Certificate) certSet {
	pool := x509.NewCertPool()
	var sums [][32]byte
	for _, l := range lists {
		for _, c := range l {
			pool.AddCert(c)
			if v.opts.Cache != nil {
				sums = append(sums, sha256.Sum256(c.Raw))
			}
		}
	}
	set := certSet{pool: pool}
	if v.opts.Cache == nil {
		return set
	}
	sort.Slice(sums, func(i, j int) bool { return bytes.Compare(sums[i][:], sums[j][:]) < 0 })
	h := sha256.New()
	for i, s := range sums {
		if i == 0 || s != sums[i-1] {
			h.Write(s[:])
		}
	}
	h.Sum(set.key[:0])
	return set
}

// validAt reports whether every certificate of chain is valid at t.
func validAt(chain []*x509.Certificate, t time.Time) bool {
	for _, c := range chain {
		if t.Before(c.NotBefore) || t.After(c.NotAfter) {
			return false
		}
	}
	return true
}

// verifyChain is cert.Verify to the caller's roots through inter at time
// at for the extended key usage eku, answered from the cache when a chain
// was found before whose certificates are all valid at at too: the
// signatures, names and constraints such a chain was built on do not
// depend on the time. Only successes are kept.
func (v *verifier) verifyChain(cert *x509.Certificate, inter certSet, at time.Time, eku x509.ExtKeyUsage) ([]*x509.Certificate, error) {
	c := v.opts.Cache
	var key chainKey
	if c != nil {
		key = chainKey{leaf: sha256.Sum256(cert.Raw), inter: inter.key, roots: v.opts.Roots, eku: eku}
		c.mu.Lock()
		chain, ok := c.chains[key]
		c.mu.Unlock()
		if ok && validAt(chain, at) {
			return chain, nil
		}
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: v.opts.Roots, Intermediates: inter.pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{eku}})
	if err != nil {
		return nil, err
	}
	if c != nil {
		c.mu.Lock()
		if len(c.chains) >= maxCacheEntries {
			clear(c.chains)
		}
		c.chains[key] = chains[0]
		c.mu.Unlock()
	}
	return chains[0], nil
}

// evalOCSP is evalOCSP answered from the cache when it can be.
func (v *verifier) evalOCSP(der []byte, cert, issuer *x509.Certificate, asked bool) (*revStatus, error) {
	c := v.opts.Cache
	if c == nil {
		return evalOCSP(der, cert, issuer, asked)
	}
	key := ocspKey{der: sha256.Sum256(der), cert: sha256.Sum256(cert.Raw), issuer: sha256.Sum256(issuer.Raw), asked: asked}
	c.mu.Lock()
	r, ok := c.ocsp[key]
	c.mu.Unlock()
	if !ok {
		r.st, r.err = evalOCSP(der, cert, issuer, asked)
		c.mu.Lock()
		if len(c.ocsp) >= maxCacheEntries {
			clear(c.ocsp)
		}
		c.ocsp[key] = r
		c.mu.Unlock()
	}
	if r.st == nil {
		return nil, r.err
	}
	st := *r.st
	return &st, r.err
}

// checkCRLSignature is crl.CheckSignatureFrom(issuer), answered from the
// cache when it can be.
func (v *verifier) checkCRLSignature(crl *x509.RevocationList, issuer *x509.Certificate) error {
	c := v.opts.Cache
	if c == nil {
		return crl.CheckSignatureFrom(issuer)
	}
	key := crlKey{crl: sha256.Sum256(crl.Raw), issuer: sha256.Sum256(issuer.Raw)}
	c.mu.Lock()
	err, ok := c.crls[key]
	c.mu.Unlock()
	if ok {
		return err
	}
	err = crl.CheckSignatureFrom(issuer)
	c.mu.Lock()
	if len(c.crls) >= maxCacheEntries {
		clear(c.crls)
	}
	c.crls[key] = err
	c.mu.Unlock()
	return err
}

// evalCRL is evalCRL with the CRL's signature check answered from the
// cache when it can be.
func (v *verifier) evalCRL(crl *x509.RevocationList, cert, issuer *x509.Certificate) (*revStatus, error) {
	return evalCRLWith(crl, cert, issuer, func(iss *x509.Certificate) error { return v.checkCRLSignature(crl, iss) })
}
