package attacks

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"

	"segel/internal/devca"
	"segel/signer"
)

// Env is the test PKI the cases sign with. Every certificate chains to
// Env.Roots, so an honest signature made with it verifies TOTAL_PASSED.
type Env struct {
	// CA is the development root and intermediate.
	CA *devca.CA
	// Victim signs (and certifies) the prepared agreement: the Kabupaten.
	Victim *devca.Identity
	// Other is the second party (the Provinsi), a trusted signer too. In
	// some cases the attacker is this party and signs the attacked update
	// with it.
	Other *devca.Identity
	// TSA is a trusted timestamping authority (extended key usage
	// timeStamping).
	TSA *devca.Identity
	// Roots holds only CA.Root.
	Roots *x509.CertPool
	// Now is the reference time of the PKI (certificates are valid from
	// Now-1h).
	Now time.Time
}

// NewEnv makes a fresh development PKI with ECDSA P-256 keys.
func NewEnv() (Env, error) {
	ca, err := devca.New(devca.Options{})
	if err != nil {
		return Env{}, err
	}
	e := Env{CA: ca, Roots: ca.RootPool(), Now: ca.Now()}
	if e.Victim, err = ca.Issue(devca.LeafRequest{CommonName: "H. BAMBANG SUSILO, S.H., M.H.",
		Organization: "Pemerintah Kabupaten Tuban", KeyType: devca.ECDSAP256}); err != nil {
		return Env{}, err
	}
	if e.Other, err = ca.Issue(devca.LeafRequest{CommonName: "Dr. H. ARIF WICAKSONO, M.Si.",
		Organization: "Pemerintah Provinsi Jawa Timur", KeyType: devca.ECDSAP256}); err != nil {
		return Env{}, err
	}
	if e.TSA, err = ca.Issue(devca.LeafRequest{CommonName: "segel development TSA", KeyType: devca.ECDSAP256,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		return Env{}, err
	}
	return e, nil
}

// memOut is a signer.Output in memory.
type memOut struct{ b []byte }

func (m *memOut) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }

func (m *memOut) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("attacks: write at %d outside the output", off)
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// sign signs in with segel as id, panicking on failure.
func sign(in []byte, id *devca.Identity, o signer.Options) []byte {
	o.Signer, o.Chain = id.Key, id.Chain
	out := &memOut{}
	if _, err := signer.Sign(context.Background(), bytes.NewReader(in), int64(len(in)), out, o); err != nil {
		panic(fmt.Sprintf("attacks: segel sign: %v", err))
	}
	return out.b
}

// certify is the victim's certification signature (DocMDP P) into
// SigKabupaten; P=0 makes an approval signature.
func (e Env) certify(in []byte, p int) []byte {
	return sign(in, e.Victim, signer.Options{Field: "SigKabupaten", Certify: p,
		Reason: "Menyetujui Perjanjian Kerja Sama", Location: "Tuban"})
}

// crl is a CRL of the intermediate CA (valid from Now-5min for a day)
// listing the given serial numbers as revoked at revokedAt.
func (e Env) crl(thisUpdate, revokedAt time.Time, serials ...*big.Int) []byte {
	rl := &x509.RevocationList{Number: big.NewInt(thisUpdate.Unix()), ThisUpdate: thisUpdate, NextUpdate: thisUpdate.Add(24 * time.Hour)}
	for _, s := range serials {
		rl.RevokedCertificateEntries = append(rl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: revokedAt, ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, rl, e.CA.Intermediate, e.CA.IntermediateKey)
	if err != nil {
		panic(fmt.Sprintf("attacks: CRL: %v", err))
	}
	return der
}

// emptyCRL is a current CRL of the intermediate CA that revokes nothing.
func (e Env) emptyCRL() []byte { return e.crl(e.Now.Add(-5*time.Minute), time.Time{}) }
