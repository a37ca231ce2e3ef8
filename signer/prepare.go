package signer

import (
	"bufio"
	"context"
	"crypto"
	"encoding/hex"
	"fmt"
	"io"

	"segel/internal/cms"
	"segel/pdf"
)

// Prepared is a signature written to its output in full except for the
// signature value: the two-phase form of [Sign] for keys that sign many
// documents in one request (a batch in Vault's Transit engine). Make one
// with [Prepare], have [Prepared.Digest] signed with
// [Prepared.SignerOpts], then call [Prepared.Finish] with the value.
//
// Until Finish succeeds the output holds a signature placeholder of zeros:
// it must not be published (write it to a temporary file, as segel does).
type Prepared struct {
	out       Output
	cms       *cms.Prepared
	contentAt int64 // offset in out of the first hex digit of /Contents
	reserved  int
	res       Result
	done      bool
}

// Prepare reads the PDF in (of the given size) and writes it to out followed
// by an incremental update holding one new signature whose value is left
// blank. opts is the same as for [Sign]; opts.Signer is used only for its
// public key, its Sign method is never called. The digest to sign is
// [Prepared.Digest].
func Prepare(ctx context.Context, in io.ReaderAt, size int64, out Output, opts Options) (*Prepared, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	doc, err := pdf.Open(in, size, nil)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	p, err := plan(doc, &opts)
	if err != nil {
		return nil, err
	}
	cmsOpts := cms.SignOptions{Signer: opts.Signer, Chain: opts.Chain, Hash: opts.Hash, PSS: opts.PSS}
	extra := cms.Extra{RevocationInfo: opts.revocation, UnsignedReserve: opts.timestampReserve}
	maxSize, err := cms.MaxSizeExtra(cmsOpts, extra)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	reserved := maxSize + 16
	sigBody, contentsAt, rangeAt := sigDictionary(&opts, reserved)
	p.upd.SetRaw(p.sigRef, sigBody)
	w, err := p.upd.Write()
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	upd := w.Bytes
	bodyAt := w.Offsets[p.sigRef]
	gapStart := bodyAt + contentsAt     // offset of '<' in upd
	gapEnd := gapStart + 2 + 2*reserved // offset after '>'
	br := [4]int64{0, size + int64(gapStart), size + int64(gapEnd), int64(len(upd) - gapEnd)}
	writeByteRange(upd[bodyAt+rangeAt:], br)

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := opts.Hash.New()
	bw := bufio.NewWriterSize(out, copyBuffer(size+int64(len(upd))))
	if _, err := io.Copy(io.MultiWriter(bw, h), io.NewSectionReader(in, 0, size)); err != nil {
		return nil, fmt.Errorf("signer: copy input: %w", err)
	}
	h.Write(upd[:gapStart])
	h.Write(upd[gapEnd:])
	digest := h.Sum(nil)
	if _, err := bw.Write(upd); err != nil {
		return nil, fmt.Errorf("signer: write update: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("signer: write update: %w", err)
	}
	var cp *cms.Prepared
	if extra.RevocationInfo != nil || extra.UnsignedReserve > 0 {
		cp, err = cms.PrepareDetachedExtra(digest, cmsOpts, extra)
	} else {
		cp, err = cms.PrepareDetached(digest, cmsOpts)
	}
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return &Prepared{
		out:       out,
		cms:       cp,
		contentAt: size + int64(gapStart) + 1,
		reserved:  reserved,
		res: Result{Field: p.fieldName, ByteRange: br, Digest: digest, Reserved: reserved,
			Size: size + int64(len(upd)), Level: "B-B"},
	}, nil
}

// Digest returns the hash the key must sign (the hash of the CMS signed
// attributes, not of the document; the document's digest is in the
// Result). The caller must not modify it.
func (p *Prepared) Digest() []byte { return p.cms.Digest() }

// SignerOpts returns the options for the signing key: a [crypto.Hash], or
// *[crypto/rsa.PSSOptions] when Options.PSS was set.
func (p *Prepared) SignerOpts() crypto.SignerOpts { return p.cms.SignerOpts() }

// Finish verifies sig, the signature value over [Prepared.Digest], with the
// signer certificate's public key, and writes the CMS into the placeholder.
// A value that does not verify is refused with an error wrapping
// [cms.ErrSignatureMismatch] and nothing is written. Finish succeeds at
// most once.
func (p *Prepared) Finish(sig []byte) (*Result, error) {
	if p.done {
		return nil, fmt.Errorf("signer: %w: Finish called twice", ErrBadOptions)
	}
	der, err := p.cms.Finish(sig)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return p.write(der, "B-B")
}

// Accept verifies sig, the signature value over [Prepared.Digest], and
// returns the value as it will be embedded: what a signature time-stamp
// covers. [Prepared.Complete] then writes the signature with the token.
// It is the alternative to Finish for PAdES B-T.
func (p *Prepared) Accept(sig []byte) ([]byte, error) {
	if p.done {
		return nil, fmt.Errorf("signer: %w: the signature is written already", ErrBadOptions)
	}
	v, err := p.cms.Accept(sig)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return v, nil
}

// Complete writes the signature accepted by [Prepared.Accept] with token,
// an RFC 3161 time-stamp token over the signature value, as its
// signature-time-stamp unsigned attribute (PAdES B-T).
func (p *Prepared) Complete(token []byte) (*Result, error) {
	if p.done {
		return nil, fmt.Errorf("signer: %w: the signature is written already", ErrBadOptions)
	}
	der, err := p.cms.Complete(cms.SignatureTimeStamp(token))
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return p.write(der, "B-T")
}

// write puts the CMS der into the placeholder.
func (p *Prepared) write(der []byte, level string) (*Result, error) {
	if len(der) > p.reserved {
		return nil, fmt.Errorf("signer: internal error: CMS of %d bytes exceeds the %d reserved", len(der), p.reserved)
	}
	hexSig := make([]byte, 2*len(der))
	hex.Encode(hexSig, der)
	for i, c := range hexSig {
		if c >= 'a' && c <= 'f' {
			hexSig[i] = c - 'a' + 'A'
		}
	}
	// The rest of the placeholder already holds '0's.
	if _, err := p.out.WriteAt(hexSig, p.contentAt); err != nil {
		return nil, fmt.Errorf("signer: write signature: %w", err)
	}
	p.done = true
	res := p.res
	res.CMSSize = len(der)
	res.Level = level
	return &res, nil
}

// copyBuffer is the write buffer for an output of n bytes: 1 MiB for
// large files, no bigger than the file for small ones.
func copyBuffer(n int64) int {
	const max = 1 << 20
	if n < 4096 {
		return 4096
	}
	if n > max {
		return max
	}
	return int(n)
}
