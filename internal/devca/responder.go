package devca

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Responder answers OCSP requests about the CA's leaves and serves its two
// CRLs, at the paths the certificates of a CA made with
// Options.RevocationURL name: /ocsp, /intermediate.crl and /root.crl. It is
// what makes development signatures long-term verifiable (PAdES B-LT) in
// segel demo and in the tests; like the rest of devca it is not a
// production CA.
type Responder struct {
	ca      *CA
	mu      sync.Mutex
	revoked map[string]time.Time // serial (decimal) → revocation time
	// Now is the responder's clock (time.Now when nil).
	Now func() time.Time
}

// Responder returns the CA's OCSP responder and CRL server.
func (ca *CA) Responder() *Responder {
	return &Responder{ca: ca, revoked: map[string]time.Time{}}
}

// Revoke marks cert revoked since at.
func (r *Responder) Revoke(cert *x509.Certificate, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.revoked[cert.SerialNumber.String()] = at.UTC().Truncate(time.Second)
}

func (r *Responder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// ServeHTTP answers OCSP (GET with the request in the path, or POST) and
// the CRLs.
func (r *Responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.URL.Path == "/root.crl":
		r.writeCRL(w, r.ca.Root, r.ca.RootKey, nil)
	case req.URL.Path == "/intermediate.crl":
		r.mu.Lock()
		var entries []x509.RevocationListEntry
		for s, at := range r.revoked {
			n, _ := new(big.Int).SetString(s, 10)
			entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at})
		}
		r.mu.Unlock()
		r.writeCRL(w, r.ca.Intermediate, r.ca.IntermediateKey, entries)
	case req.URL.Path == "/ocsp" || strings.HasPrefix(req.URL.Path, "/ocsp/"):
		var der []byte
		if req.Method == http.MethodPost {
			der, _ = io.ReadAll(io.LimitReader(req.Body, 64<<10))
		} else {
			p, _ := url.PathUnescape(strings.TrimPrefix(req.URL.Path, "/ocsp/"))
			der, _ = base64.StdEncoding.DecodeString(p)
		}
		q, err := ocsp.ParseRequest(der)
		if err != nil {
			http.Error(w, "bad OCSP request", http.StatusBadRequest)
			return
		}
		now := r.now().UTC().Truncate(time.Second)
		tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: q.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(24 * time.Hour)}
		r.mu.Lock()
		if at, ok := r.revoked[q.SerialNumber.String()]; ok {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
		}
		r.mu.Unlock()
		resp, err := ocsp.CreateResponse(r.ca.Intermediate, r.ca.Intermediate, tmpl, r.ca.IntermediateKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	default:
		http.NotFound(w, req)
	}
}

func (r *Responder) writeCRL(w http.ResponseWriter, issuer *x509.Certificate, key crypto.Signer, entries []x509.RevocationListEntry) {
	now := r.now().UTC().Truncate(time.Second)
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(now.Unix()), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, issuer, key)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Write(der)
}

// Transport answers requests with the responder in this process: no
// network at all (segel demo stays offline).
func (r *Responder) Transport() http.RoundTripper { return inProcess{h: r} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	t.h.ServeHTTP(rec, req)
	return &http.Response{StatusCode: rec.code, Status: http.StatusText(rec.code), Header: rec.header,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()), Request: req,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }
