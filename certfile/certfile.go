// Package certfile reads X.509 certificates from files and byte strings:
// PEM (one or more CERTIFICATE blocks) or DER (one certificate, or
// several concatenated). Every certificate loader of segel uses it — trust
// roots of `segel verify --trust` and of the server's trust sets, client
// CAs, the chains of keys — so that all of them accept the same files and
// refuse the same mistakes with the same words.
//
// Nothing is skipped silently. A PEM block that is not a certificate (a
// private key, a CRL, a "TRUSTED CERTIFICATE"), a block that cannot be
// decoded, a certificate that does not parse, or binary data outside the
// blocks is an [*Error] that names the file, the block (its number and
// line) and what is wrong. Text outside the blocks is allowed, as RFC 7468
// section 2 requires of parsers: OpenSSL writes "subject=…" and "Bag
// Attributes" lines there, and CA bundles carry comments.
//
// It is a package of its own, not part of the PKI network package
// (pkinet), because most of its callers never touch the network: the
// keystore and the trust settings read local files.
package certfile

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Sentinels, matched with errors.Is by an [*Error].
var (
	// ErrNoCertificate: the data holds no certificate at all (neither PEM
	// blocks nor DER).
	ErrNoCertificate = errors.New("holds no certificate (PEM or DER expected)")
	// ErrNotCertificate: a PEM block of another type.
	ErrNotCertificate = errors.New("not a certificate")
	// ErrMalformed: a PEM block that cannot be decoded, a certificate
	// that does not parse, or data that is neither.
	ErrMalformed = errors.New("malformed")
)

// Error is a problem with one file (or byte string) of certificates.
type Error struct {
	// Name is the file name, or what the data is.
	Name string
	// Block is the number of the PEM block or DER certificate, from 1;
	// 0 when the problem is outside any block.
	Block int
	// Line is the line of the PEM block's BEGIN line or of the stray
	// data; Offset the byte offset of a DER certificate or stray data.
	Line, Offset int
	// Type is the PEM block's type.
	Type string
	// Err is the sentinel, wrapping the parser's error if there is one.
	Err error
}

func (e *Error) Error() string {
	var where string
	switch {
	case e.Block > 0 && e.Line > 0:
		where = fmt.Sprintf("PEM block %d (line %d", e.Block, e.Line)
		if e.Type != "" {
			where += ", " + e.Type
		}
		where += ")"
	case e.Block > 0:
		where = fmt.Sprintf("DER certificate %d (byte %d)", e.Block, e.Offset)
	case e.Line > 0:
		where = fmt.Sprintf("line %d", e.Line)
	case e.Offset > 0:
		where = fmt.Sprintf("byte %d", e.Offset)
	}
	switch {
	case errors.Is(e.Err, ErrNoCertificate):
		return e.Name + " " + e.Err.Error()
	case errors.Is(e.Err, ErrNotCertificate):
		return fmt.Sprintf("%s: PEM block %d (line %d) is a %q, not a certificate", e.Name, e.Block, e.Line, e.Type)
	case where == "":
		return e.Name + ": " + e.Err.Error()
	}
	return e.Name + ": " + where + ": " + e.Err.Error()
}

// Unwrap returns the sentinel, which wraps the parser's error if any.
func (e *Error) Unwrap() error { return e.Err }

// Read reads the certificates of the file at path (see [Parse]).
func Read(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ReadPool reads the certificates of every file into one pool. Each file
// must hold at least one certificate.
func ReadPool(paths ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, p := range paths {
		certs, err := Read(p)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

// Parse returns the certificates in data, in order: PEM when data holds a
// "-----BEGIN" line, else DER. name says where data comes from, for
// errors. At least one certificate is required; anything that is not a
// certificate, except text and white space outside PEM blocks, is an
// error (see the package documentation).
func Parse(name string, data []byte) ([]*x509.Certificate, error) {
	var (
		certs []*x509.Certificate
		err   error
	)
	if bytes.Contains(data, []byte("-----BEGIN")) {
		certs, err = parsePEM(name, data)
	} else {
		certs, err = parseDER(name, data)
	}
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, &Error{Name: name, Err: ErrNoCertificate}
	}
	return certs, nil
}

var (
	pemBegin = []byte("-----BEGIN")
	pemEnd   = []byte("-----END")
)

func parsePEM(name string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	line := func(off int) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	rest, block := data, 0
	for len(rest) > 0 {
		off := len(data) - len(rest)
		i := bytes.Index(rest, pemBegin)
		if i < 0 {
			i = len(rest)
		}
		if bad := notText(rest[:i]); bad >= 0 {
			return nil, &Error{Name: name, Line: line(off + bad), Offset: off + bad, Err: fmt.Errorf("%w: data outside the PEM blocks that is not text", ErrMalformed)}
		}
		if j := bytes.Index(rest[:i], pemEnd); j >= 0 {
			return nil, &Error{Name: name, Line: line(off + j), Offset: off + j, Err: fmt.Errorf("%w: an END line without its BEGIN line", ErrMalformed)}
		}
		if i == len(rest) {
			break
		}
		block++
		start := off + i
		blk, after := pem.Decode(rest[i:])
		consumed := rest[i : len(rest)-len(after)]
		if blk == nil || bytes.Count(consumed, pemBegin) != 1 {
			// pem.Decode skips a block it cannot decode and goes on to
			// the next one; that block is reported instead.
			return nil, &Error{Name: name, Block: block, Line: line(start), Err: fmt.Errorf("%w: the PEM block cannot be decoded (a damaged BEGIN or END line, or bad base64)", ErrMalformed)}
		}
		rest = after
		if blk.Type != "CERTIFICATE" && blk.Type != "X509 CERTIFICATE" {
			return nil, &Error{Name: name, Block: block, Line: line(start), Type: blk.Type, Err: ErrNotCertificate}
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, &Error{Name: name, Block: block, Line: line(start), Type: blk.Type, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// notText returns the offset of the first byte of b that is not part of
// readable text (UTF-8 without control characters other than white
// space; a byte order mark is allowed), or -1.
func notText(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return i
		case r == '\uFEFF', unicode.IsSpace(r):
		case unicode.IsControl(r):
			return i
		}
		i += n
	}
	return -1
}

func parseDER(name string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	in := cryptobyte.String(data)
	skipSpace := func() {
		for len(in) > 0 && (in[0] == ' ' || in[0] == '\t' || in[0] == '\r' || in[0] == '\n') {
			in = in[1:]
		}
	}
	skipSpace()
	for len(in) > 0 {
		off := len(data) - len(in)
		if in[0] != 0x30 {
			if len(certs) == 0 {
				return nil, &Error{Name: name, Err: ErrNoCertificate}
			}
			return nil, &Error{Name: name, Offset: off, Err: fmt.Errorf("%w: data after the last DER certificate", ErrMalformed)}
		}
		var el cryptobyte.String
		if !in.ReadASN1Element(&el, casn1.SEQUENCE) {
			return nil, &Error{Name: name, Block: len(certs) + 1, Offset: off, Err: fmt.Errorf("%w: a truncated or invalid DER element", ErrMalformed)}
		}
		c, err := x509.ParseCertificate(el)
		if err != nil {
			return nil, &Error{Name: name, Block: len(certs) + 1, Offset: off, Err: fmt.Errorf("%w: %w", ErrMalformed, err)}
		}
		certs = append(certs, c)
		skipSpace()
	}
	return certs, nil
}
