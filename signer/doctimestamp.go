package signer

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"encoding/hex"
	"fmt"
	"io"

	"segel/pdf"
)

// PreparedTimestamp is a document time-stamp (PAdES B-LTA) written in full
// except for the token: an invisible signature field whose value is a
// /Type /DocTimeStamp dictionary with /SubFilter /ETSI.RFC3161, over the
// whole file as it is then. Have an RFC 3161 authority time-stamp
// [PreparedTimestamp.Digest] and give the token to
// [PreparedTimestamp.Finish].
type PreparedTimestamp struct {
	out       Output
	digest    []byte
	contentAt int64
	reserved  int
	res       Result
	done      bool
}

// PrepareDocTimestamp reads the PDF in (of the given size) and writes it to
// out followed by an incremental update that adds a document time-stamp
// field with room for a token of reserve bytes; h is the hash of the
// token's message imprint (SHA-256 when 0). Document time-stamps are
// allowed after every certification level, P=1 included.
func PrepareDocTimestamp(ctx context.Context, in io.ReaderAt, size int64, out Output, h crypto.Hash, reserve int) (*PreparedTimestamp, error) {
	if h == 0 {
		h = crypto.SHA256
	}
	if reserve <= 0 {
		return nil, fmt.Errorf("signer: %w: no room for the time-stamp token", ErrBadOptions)
	}
	doc, err := pdf.Open(in, size, nil)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	o := &Options{NoAppearance: true, docTimestamp: true}
	p, err := plan(doc, o)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("<</Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161\n/ByteRange [0 ")
	rangeAt := b.Len()
	b.Write(bytes.Repeat([]byte{' '}, byteRangeWidth))
	b.WriteString("]\n/Contents ")
	contentsAt := b.Len()
	b.WriteByte('<')
	b.Write(bytes.Repeat([]byte{'0'}, 2*reserve))
	b.WriteString(">\n/Prop_Build <</App <</Name /segel>>>>\n>>")
	p.upd.SetRaw(p.sigRef, b.Bytes())
	w, err := p.upd.Write()
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	upd := w.Bytes
	bodyAt := w.Offsets[p.sigRef]
	gapStart := bodyAt + contentsAt
	gapEnd := gapStart + 2 + 2*reserve
	br := [4]int64{0, size + int64(gapStart), size + int64(gapEnd), int64(len(upd) - gapEnd)}
	writeByteRange(upd[bodyAt+rangeAt:], br)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hh := h.New()
	bw := bufio.NewWriterSize(out, copyBuffer(size+int64(len(upd))))
	if _, err := io.Copy(io.MultiWriter(bw, hh), io.NewSectionReader(in, 0, size)); err != nil {
		return nil, fmt.Errorf("signer: copy input: %w", err)
	}
	hh.Write(upd[:gapStart])
	hh.Write(upd[gapEnd:])
	if _, err := bw.Write(upd); err != nil {
		return nil, fmt.Errorf("signer: write update: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("signer: write update: %w", err)
	}
	digest := hh.Sum(nil)
	return &PreparedTimestamp{out: out, digest: digest, contentAt: size + int64(gapStart) + 1, reserved: reserve,
		res: Result{Field: p.fieldName, ByteRange: br, Digest: digest, Reserved: reserve, Size: size + int64(len(upd)), Level: "B-LTA"}}, nil
}

// Digest is the hash of the byte ranges: the token's message imprint.
func (p *PreparedTimestamp) Digest() []byte { return p.digest }

// Finish writes token (a DER time-stamp token whose imprint is Digest)
// into the placeholder.
func (p *PreparedTimestamp) Finish(token []byte) (*Result, error) {
	if p.done {
		return nil, fmt.Errorf("signer: %w: Finish called twice", ErrBadOptions)
	}
	if len(token) == 0 || len(token) > p.reserved {
		return nil, fmt.Errorf("signer: %w: a time-stamp token of %d bytes does not fit the %d reserved", ErrTimestamp, len(token), p.reserved)
	}
	hexTok := []byte(hex.EncodeToString(token))
	if _, err := p.out.WriteAt(bytes.ToUpper(hexTok), p.contentAt); err != nil {
		return nil, fmt.Errorf("signer: write time-stamp: %w", err)
	}
	p.done = true
	res := p.res
	res.CMSSize = len(token)
	return &res, nil
}
