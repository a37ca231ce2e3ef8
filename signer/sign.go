package signer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"segel/internal/cms"
	"segel/pdf"
)

// Sign reads the PDF in (of the given size), and writes it to out followed
// by an incremental update holding one new signature. It calls
// opts.Signer.Sign exactly once.
func Sign(ctx context.Context, in io.ReaderAt, size int64, out Output, opts Options) (*Result, error) {
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
	maxSize, err := cms.MaxSize(cmsOpts)
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
	// Copy the input while hashing it.
	h := opts.Hash.New()
	bw := bufio.NewWriterSize(out, 1<<20)
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sig, err := cms.SignDetached(digest, cmsOpts)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	if len(sig) > reserved {
		// Cannot happen when cms.MaxSize is an upper bound; refuse rather
		// than sign twice.
		return nil, fmt.Errorf("signer: internal error: CMS of %d bytes exceeds the %d reserved", len(sig), reserved)
	}
	hexSig := make([]byte, 2*reserved)
	for i := range hexSig {
		hexSig[i] = '0'
	}
	hex.Encode(hexSig, sig)
	for i := 0; i < 2*len(sig); i++ {
		if c := hexSig[i]; c >= 'a' && c <= 'f' {
			hexSig[i] = c - 'a' + 'A'
		}
	}
	if _, err := out.WriteAt(hexSig, size+int64(gapStart)+1); err != nil {
		return nil, fmt.Errorf("signer: write signature: %w", err)
	}
	return &Result{Field: p.fieldName, ByteRange: br, Digest: digest, CMSSize: len(sig), Reserved: reserved, Size: size + int64(len(upd))}, nil
}

const byteRangeWidth = 3 * 11

// sigDictionary returns the body of the signature dictionary with a zeroed
// /Contents of reserved bytes, the offset of its '<' and the offset of the
// ByteRange numbers' slot.
func sigDictionary(o *Options, reserved int) (body []byte, contentsAt, rangeAt int) {
	var b bytes.Buffer
	b.WriteString("<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached\n")
	b.WriteString("/ByteRange [0 ")
	rangeAt = b.Len()
	b.Write(bytes.Repeat([]byte{' '}, byteRangeWidth))
	b.WriteString("]\n/Contents ")
	contentsAt = b.Len()
	b.WriteByte('<')
	b.Write(bytes.Repeat([]byte{'0'}, 2*reserved))
	b.WriteString(">\n/M ")
	b.WriteString(pdf.Format(pdf.String{Value: []byte(pdfDate(o.Time))}))
	for _, kv := range []struct {
		k pdf.Name
		v string
	}{{"Name", o.Name}, {"Reason", o.Reason}, {"Location", o.Location}, {"ContactInfo", o.ContactInfo}} {
		if kv.v != "" {
			b.WriteString("\n")
			b.WriteString(pdf.Format(kv.k))
			b.WriteString(" ")
			b.WriteString(pdf.Format(pdf.TextString(kv.v)))
		}
	}
	if o.Certify > 0 {
		ref := pdf.Dict{
			"Type":            pdf.Name("SigRef"),
			"TransformMethod": pdf.Name("DocMDP"),
			"TransformParams": pdf.Dict{"Type": pdf.Name("TransformParams"), "P": pdf.Int(o.Certify), "V": pdf.Name("1.2")},
		}
		b.WriteString("\n/Reference ")
		b.WriteString(pdf.Format(pdf.Array{ref}))
	}
	b.WriteString("\n/Prop_Build <</App <</Name /segel>> /Filter <</Name /Adobe.PPKLite>>>>\n>>")
	return b.Bytes(), contentsAt, rangeAt
}

func writeByteRange(slot []byte, br [4]int64) {
	s := strconv.FormatInt(br[1], 10) + " " + strconv.FormatInt(br[2], 10) + " " + strconv.FormatInt(br[3], 10)
	copy(slot[:byteRangeWidth], s)
}
