// Package ltv makes signed PDF files long-term verifiable (PAdES B-LT and
// B-LTA), also files signed by other producers.
//
// [Extend] adds, in one incremental update, a document security store
// (/DSS) holding the certificates, OCSP responses (preferred) and CRLs of
// every signature's chain and of every time-stamp's TSA chain, with a /VRI
// entry per signature; for B-LTA a document time-stamp (/Type
// /DocTimeStamp, /SubFilter /ETSI.RFC3161) follows in a second update and
// seals it. Existing /DSS content is kept: the store only grows.
//
// Re-running B-LTA renews the archive: when the newest document
// time-stamp's TSA certificate expires within Options.RenewBefore, a new
// /DSS (now also covering that time-stamp) and a new document time-stamp
// are added. A file that is already fresh is left alone (Result.Skipped).
package ltv

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"segel/internal/cms"
	"segel/pdf"
	"segel/signer"
	"segel/tsa"
	"segel/verify"
)

// Levels Extend reaches.
const (
	LevelLT  = "B-LT"
	LevelLTA = "B-LTA"
)

// Errors of Extend.
var (
	// ErrNoSignatures means the file has no signature to extend.
	ErrNoSignatures = errors.New("ltv: the file has no signatures")
	// ErrChain means a certificate chain could not be completed from the
	// file and the given certificates.
	ErrChain = errors.New("ltv: a certificate chain is incomplete")
	// ErrNoStatus means no revocation status could be found for a
	// certificate (Options.AllowMissing accepts that).
	ErrNoStatus = errors.New("ltv: no revocation status for a certificate")
)

// Options configure Extend.
type Options struct {
	// Level is LevelLT or LevelLTA.
	Level string
	// Fetcher fetches OCSP responses and CRLs (through pkinet).
	Fetcher *verify.Fetcher
	// TSA time-stamps the document (B-LTA; required then).
	TSA *tsa.Client
	// Certs complete chains beyond what the signatures carry: trust
	// roots and intermediates.
	Certs []*x509.Certificate
	// Now is the time of the extension (time.Now when zero).
	Now time.Time
	// RenewBefore: a B-LTA file is renewed when its newest document
	// time-stamp's TSA certificate expires within this (one year when 0).
	RenewBefore time.Duration
	// AllowMissing writes what was found when a certificate has no
	// revocation status, instead of failing (Result.Missing lists them).
	AllowMissing bool
}

// Result says what Extend did.
type Result struct {
	// Skipped is true when the file was already at the level and fresh;
	// nothing was written. Reason says why, or what was done.
	Skipped bool
	Reason  string
	// Signatures and Timestamps count what the file holds.
	Signatures, Timestamps int
	// Certs, OCSPs and CRLs count what was added to the /DSS.
	Certs, OCSPs, CRLs int
	// Missing lists certificates without a revocation status.
	Missing []string
	// DocTimestamp is true when a document time-stamp was added.
	DocTimestamp bool
	// Size is the size of the output.
	Size int64
}

// sigInfo is one signature or document time-stamp of the file.
type sigInfo struct {
	field    string
	contents []byte // the /Contents string as stored (padded)
	docTS    bool
	covers   bool // its byte range ends at the end of the file
	chains   [][]*x509.Certificate
	// signedAt is when the signature was made, as proven by its
	// signature time-stamp, else as claimed (/M): revocation data must
	// be produced after it.
	signedAt time.Time
	tsaCert  *x509.Certificate // for document time-stamps
	// tokenSize is the size of the largest time-stamp token it holds.
	tokenSize int
}

// Extend writes in (of the given size) to out with the validation data
// (and for B-LTA a document time-stamp) appended. out must be empty; on
// error its content is undefined (write to a temporary file).
func Extend(ctx context.Context, in io.ReaderAt, size int64, out signer.Output, o Options) (*Result, error) {
	if o.Level != LevelLT && o.Level != LevelLTA {
		return nil, fmt.Errorf("ltv: level %q: use %s or %s", o.Level, LevelLT, LevelLTA)
	}
	if o.Level == LevelLTA && o.TSA == nil {
		return nil, errors.New("ltv: B-LTA needs a time-stamping authority")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.RenewBefore == 0 {
		o.RenewBefore = 365 * 24 * time.Hour
	}
	doc, err := pdf.Open(in, size, nil)
	if err != nil {
		return nil, fmt.Errorf("ltv: %w", err)
	}
	sigs, err := signatures(doc, size, o.Certs)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, s := range sigs {
		if s.docTS {
			res.Timestamps++
		} else {
			res.Signatures++
		}
	}
	if res.Signatures == 0 {
		return nil, ErrNoSignatures
	}
	existing, vriHave, err := readDSS(doc)
	if err != nil {
		return nil, err
	}
	if reason, fresh := isFresh(sigs, vriHave, o); fresh {
		res.Skipped, res.Reason = true, reason
		return res, nil
	}

	// Validation data for every chain, and the VRI of each signature.
	// Signatures share chains (the TSA's, the issuing CA's): each chain is
	// collected and checked once per signing time.
	all := &verify.ValidationData{}
	vri := map[string]*verify.ValidationData{}
	collected := map[string]*verify.ValidationData{}
	for _, s := range sigs {
		vd := &verify.ValidationData{}
		for _, ch := range s.chains {
			key := string(ch[0].Raw) + s.signedAt.String()
			d, ok := collected[key]
			if !ok {
				var err error
				d, err = verify.CollectValidationData(ctx, ch, verify.CollectOptions{Fetcher: o.Fetcher, At: o.Now, After: s.signedAt})
				if err != nil {
					return nil, fmt.Errorf("ltv: field %s: %w", s.field, err)
				}
				collected[key] = d
			}
			vd.Add(d)
		}
		if len(vd.Missing) > 0 && !o.AllowMissing {
			return nil, fmt.Errorf("%w: field %s: %s", ErrNoStatus, s.field, strings.Join(vd.Missing, "; "))
		}
		all.Add(vd)
		vri[verify.VRIKey(s.contents)] = vd
	}
	res.Missing = all.Missing

	upd, added, err := dssUpdate(doc, existing, all, vri)
	if err != nil {
		return nil, err
	}
	res.Certs, res.OCSPs, res.CRLs = added[0], added[1], added[2]
	if o.Level == LevelLT {
		if _, err := io.Copy(out, io.NewSectionReader(in, 0, size)); err != nil {
			return nil, fmt.Errorf("ltv: %w", err)
		}
		if _, err := out.Write(upd); err != nil {
			return nil, fmt.Errorf("ltv: %w", err)
		}
		res.Size = size + int64(len(upd))
		res.Reason = "validation data added"
		return res, nil
	}

	// B-LTA: the document time-stamp over the file with its /DSS.
	withDSS := concat{a: in, an: size, b: upd}
	h := o.TSA.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	// Room for the token: a probe token's size, unless the file's own
	// time-stamp tokens tell it (they come from TSAs of the same kind).
	reserve := 0
	for _, s := range sigs {
		reserve = max(reserve, s.tokenSize)
	}
	if reserve == 0 {
		probe, _, err := o.TSA.Stamp(ctx, make([]byte, h.Size()))
		if err != nil {
			return nil, fmt.Errorf("ltv: %w: %w", signer.ErrTimestamp, err)
		}
		reserve = len(probe)
	}
	pt, err := signer.PrepareDocTimestamp(ctx, withDSS, size+int64(len(upd)), out, h, reserve+2048)
	if err != nil {
		return nil, err
	}
	token, _, err := o.TSA.Stamp(ctx, pt.Digest())
	if err != nil {
		return nil, fmt.Errorf("ltv: %w: %w", signer.ErrTimestamp, err)
	}
	r, err := pt.Finish(token)
	if err != nil {
		return nil, err
	}
	res.DocTimestamp, res.Size = true, r.Size
	res.Reason = "validation data and a document time-stamp added"
	return res, nil
}

// isFresh decides whether the file is already at the level: B-LT when
// every signature has a /VRI entry; B-LTA when, besides, the file ends
// with a document time-stamp whose TSA certificate stays valid for
// RenewBefore.
func isFresh(sigs []*sigInfo, vri map[string]bool, o Options) (string, bool) {
	for _, s := range sigs {
		if !s.docTS && !vri[verify.VRIKey(s.contents)] {
			return "", false
		}
	}
	if o.Level == LevelLT {
		return "every signature already has validation data (/VRI)", true
	}
	for _, s := range sigs {
		if s.docTS && s.covers && s.tsaCert != nil {
			if s.tsaCert.NotAfter.After(o.Now.Add(o.RenewBefore)) {
				return fmt.Sprintf("the last document time-stamp's TSA certificate is valid until %s", s.tsaCert.NotAfter.UTC().Format(time.DateOnly)), true
			}
			return "", false
		}
	}
	return "", false
}

// signatures lists the file's signatures and document time-stamps with
// the certificate chains their validation needs.
func signatures(doc *pdf.Document, size int64, extra []*x509.Certificate) ([]*sigInfo, error) {
	fields, err := doc.Fields()
	if err != nil {
		return nil, fmt.Errorf("ltv: reading the form: %w", err)
	}
	var out []*sigInfo
	for _, f := range fields {
		if f.Type != "Sig" {
			continue
		}
		v, err := doc.GetDict(f.Dict["V"])
		if err != nil || v == nil {
			continue
		}
		cs, ok := v["Contents"].(pdf.String)
		if !ok || len(cs.Value) == 0 {
			continue
		}
		s := &sigInfo{field: f.Name, contents: cs.Value}
		if br, ok := v["ByteRange"].(pdf.Array); ok && len(br) == 4 {
			c, _ := br[2].(pdf.Int)
			d, _ := br[3].(pdf.Int)
			s.covers = int64(c)+int64(d) == size
		}
		sub, _ := v["SubFilter"].(pdf.Name)
		s.docTS = sub == "ETSI.RFC3161"
		if t, ok := pdf.ParseDate(pdf.Text(v["M"])); ok {
			s.signedAt = t
		}
		der := cs.Value
		if n := cms.DERLength(der); n > 0 && n <= len(der) {
			der = der[:n]
		}
		sd, err := cms.Parse(der)
		if err != nil || len(sd.Signers) == 0 {
			return nil, fmt.Errorf("ltv: field %s: the signature cannot be read: %v", f.Name, err)
		}
		pool := append(append([]*x509.Certificate{}, sd.Certificates...), extra...)
		leaf, err := sd.SignerCertificate(sd.Signers[0])
		if err != nil {
			return nil, fmt.Errorf("ltv: field %s: %w", f.Name, err)
		}
		ch, err := chainOf(leaf, pool)
		if err != nil {
			return nil, fmt.Errorf("%w: field %s: %v", ErrChain, f.Name, err)
		}
		s.chains = append(s.chains, ch)
		if s.docTS {
			s.tsaCert = leaf
			s.tokenSize = len(der)
			if info, err := cms.ParseTSTInfo(sd.EContent); err == nil {
				s.signedAt = info.GenTime
			}
		}
		// The TSA chains of signature time-stamps.
		for _, ua := range sd.Signers[0].UnsignedAttributes {
			if !ua.Type.Equal(cms.OIDAttrTimeStampToken) {
				continue
			}
			for _, tok := range ua.Values {
				s.tokenSize = max(s.tokenSize, len(tok))
				tsd, err := cms.Parse(tok)
				if err != nil || len(tsd.Signers) == 0 {
					continue
				}
				tl, err := tsd.SignerCertificate(tsd.Signers[0])
				if err != nil {
					continue
				}
				if info, err := cms.ParseTSTInfo(tsd.EContent); err == nil {
					s.signedAt = info.GenTime
				}
				tch, err := chainOf(tl, append(append([]*x509.Certificate{}, tsd.Certificates...), extra...))
				if err != nil {
					return nil, fmt.Errorf("%w: field %s, its time-stamp: %v", ErrChain, f.Name, err)
				}
				s.chains = append(s.chains, tch)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// chainOf builds leaf's chain from pool by issuer name and signature, up
// to a self-signed certificate.
func chainOf(leaf *x509.Certificate, pool []*x509.Certificate) ([]*x509.Certificate, error) {
	ch := []*x509.Certificate{leaf}
	cur := leaf
	for len(ch) < 10 {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && cur.CheckSignatureFrom(cur) == nil {
			return ch, nil
		}
		var next *x509.Certificate
		for _, c := range pool {
			if bytes.Equal(c.RawSubject, cur.RawIssuer) && !bytes.Equal(c.Raw, cur.Raw) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			return nil, fmt.Errorf("the issuer of %s is neither in the signature nor among the given certificates (give the root with --trust)", cur.Subject)
		}
		ch = append(ch, next)
		cur = next
	}
	return nil, errors.New("the chain is longer than 10 certificates")
}

// concat is a ReaderAt over a followed by b.
type concat struct {
	a  io.ReaderAt
	an int64
	b  []byte
}

func (c concat) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < c.an {
		k := int64(len(p))
		if off+k > c.an {
			k = c.an - off
		}
		m, err := c.a.ReadAt(p[:k], off)
		n += m
		if err != nil && err != io.EOF {
			return n, err
		}
		if int64(m) < k {
			return n, io.ErrUnexpectedEOF
		}
		off += k
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	bo := off - c.an
	if bo >= int64(len(c.b)) {
		return n, io.EOF
	}
	m := copy(p, c.b[bo:])
	n += m
	if m < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Revocation is a signer.RevocationSource: the chain's revocation data,
// fetched and checked like Extend's, to be signed into the signature
// itself (adbe-revocationInfoArchival) when a later /DSS update is not
// wanted — a certification that allows no changes.
type Revocation struct {
	Fetcher *verify.Fetcher
	// Certs complete the chain (the root, when the key's chain ends
	// below it).
	Certs []*x509.Certificate
}

// Revocation returns the OCSP responses and CRLs of chain; a certificate
// without a status is an error wrapping ErrNoStatus.
func (r Revocation) Revocation(ctx context.Context, chain []*x509.Certificate) (ocsps, crls [][]byte, err error) {
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("%w: no certificate", ErrChain)
	}
	full, err := chainOf(chain[0], append(append([]*x509.Certificate{}, chain...), r.Certs...))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrChain, err)
	}
	vd, err := verify.CollectValidationData(ctx, full, verify.CollectOptions{Fetcher: r.Fetcher})
	if err != nil {
		return nil, nil, err
	}
	if len(vd.Missing) > 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrNoStatus, strings.Join(vd.Missing, "; "))
	}
	return vd.OCSPs, vd.CRLs, nil
}
