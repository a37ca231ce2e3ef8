package signer

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strconv"

	"segel/pdf"
)

// Sign reads the PDF in (of the given size), and writes it to out followed
// by an incremental update holding one new signature. It calls
// opts.Signer.Sign exactly once: it is [Prepare], one signature over
// [Prepared.Digest], and [Prepared.Finish]. An error of the signer is
// wrapped with ErrKey. [SignAll] signs many documents with a keystore key.
func Sign(ctx context.Context, in io.ReaderAt, size int64, out Output, opts Options) (*Result, error) {
	p, err := Prepare(ctx, in, size, out, opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sig, err := opts.Signer.Sign(rand.Reader, p.Digest(), p.SignerOpts())
	if err != nil {
		return nil, fmt.Errorf("signer: %w: %w", ErrKey, err)
	}
	return p.Finish(sig)
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
