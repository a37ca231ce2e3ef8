// Package signer adds PAdES signatures to PDF files as incremental updates.
//
// # What it writes
//
// [Sign] appends one update to the input: a signature dictionary with
// /Filter /Adobe.PPKLite and /SubFilter /ETSI.CAdES.detached whose /Contents
// holds a detached CMS SignedData (PAdES baseline B-B: content-type,
// message-digest and ESS signing-certificate-v2 signed attributes, no CMS
// signing time), the signature field (an existing empty one, or a new
// invisible one), the AcroForm, and for certification signatures the DocMDP
// transform and the catalog's /Perms. The input's bytes are copied
// unchanged and hashed while they are copied; nothing is held in memory but
// the update itself.
//
// # Exactly one signature
//
// The /Contents placeholder is sized from the key and the certificate chain
// before anything is written, so the [crypto.Signer] (which may be a remote
// key in Vault or an HSM) is asked for exactly one signature per document.
//
// # Many documents with one key
//
// [SignAll] is the signing workflow that the command line and the server
// share: it takes a keystore key and documents, checks the key's
// certificate once, prepares each document, has the digests signed in
// batches when the key's signer is a keystore.BatchSigner (one backend
// call per batch) and one by one otherwise (with the caller's context
// when it is a keystore.ContextSigner), finishes each document and
// returns a result per document. The first failure stops the run; the
// documents signed before it are kept. [Timestamper] and
// [RevocationSource] mark where signature timestamps and validation data
// (PAdES B-T and B-LT) will join the workflow.
package signer

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"segel/internal/cms"
)

// Options describe one signature.
type Options struct {
	// Signer makes the signature value; its public key must be the one in
	// Chain[0].
	Signer crypto.Signer
	// Chain is the signer's certificate followed by intermediates.
	Chain []*x509.Certificate
	// Hash is the digest algorithm (SHA-256 when zero; SHA-384, SHA-512).
	Hash crypto.Hash
	// PSS selects RSASSA-PSS for RSA keys instead of PKCS#1 v1.5.
	PSS bool

	// Field is the fully qualified name of an existing empty signature field
	// to sign. When empty a new invisible field is added.
	Field string
	// Certify, when 1, 2 or 3, makes a certification (DocMDP) signature
	// with that permission level. Only allowed as the first signature.
	Certify int

	// Reason, Location, ContactInfo and Name fill the signature dictionary's
	// entries of the same names; empty ones are left out.
	Reason, Location, ContactInfo, Name string
	// Time is the claimed signing time written to /M (now when zero). Its
	// time zone is kept.
	Time time.Time
	// Appearance controls the visible appearance drawn into a field with
	// a non-empty rectangle. The default draws the signer's name and the
	// time.
	NoAppearance bool
	// Stamp, when set, is drawn into the signature's visible field instead
	// of the default appearance.
	Stamp *Stamp
	// Page (from 1) and Rect (x, y, width, height in points) place a new
	// visible signature field, when Field is empty.
	Page int
	Rect [4]float64
	// Anchor, when set, places a new visible field at the text it names
	// (a marker such as "#ttd_kabupaten#" in the document's content):
	// the field's top-left corner at the marker's top-left, AnchorSize
	// wide and high (DefaultAnchorSize when zero). AnchorIndex picks the
	// occurrence (from 1; 0 is the first) when the marker is shown more
	// than once. The marker stays in the content, under the stamp. Not
	// with Field or Rect; ErrAnchorNotFound when the pages do not show it.
	Anchor      string
	AnchorSize  [2]float64
	AnchorIndex int
	// Footer, when set, is written on every page, in the signature's own
	// revision (so it covers it); only the first signature may do that.
	// See DefaultFooter and FooterText.
	Footer string
	// FooterFirstOnly, with Footer, leaves the footer out (instead of
	// refusing) when the document is signed already: "a footer with the
	// first signature", as official mode writes it.
	FooterFirstOnly bool
	// FirstEmpty, when Field is empty and no Rect is given, signs the
	// document's first empty signature field if it has one (a template's
	// own field) instead of adding an invisible one.
	FirstEmpty bool

	// Set by SignAll: the room kept for a signature time-stamp token
	// (bytes; 0 for none) and revocation data signed with the signature.
	timestampReserve int
	revocation       *cms.RevocationInfo
	// docTimestamp marks a document time-stamp field, allowed even after
	// a certification that allows no changes (PAdES).
	docTimestamp bool
}

// Result describes a signature that was written.
type Result struct {
	// Field is the name of the signature field that was signed.
	Field string
	// ByteRange is the signature's /ByteRange.
	ByteRange [4]int64
	// Digest is the hash of the signed bytes.
	Digest []byte
	// CMSSize is the size of the CMS and Reserved the size of the
	// placeholder, in bytes.
	CMSSize, Reserved int
	// Size is the size of the output file.
	Size int64
	// Level is the PAdES baseline level the signature has as written:
	// "B-B", or "B-T" with a signature time-stamp.
	Level string
}

// Output is where the signed file is written: sequentially, then patched
// in place once the signature value is known.
type Output interface {
	io.Writer
	io.WriterAt
}

// Errors the signer returns for documents it refuses to sign. They are
// wrapped; test with errors.Is.
var (
	// ErrFieldNotFound means Options.Field names no field of the document.
	ErrFieldNotFound = errors.New("signature field not found")
	// ErrFieldSigned means the named field already holds a signature.
	ErrFieldSigned = errors.New("signature field is already signed")
	// ErrNotSignatureField means the named field is not a signature field.
	ErrNotSignatureField = errors.New("field is not a signature field")
	// ErrCertifyNotFirst means a certification signature was requested for
	// a document that is already signed.
	ErrCertifyNotFirst = errors.New("a certification signature must be the first signature")
	// ErrNoChangesAllowed means the document is certified with DocMDP P=1.
	ErrNoChangesAllowed = errors.New("the document is certified with no changes allowed (DocMDP P=1)")
	// ErrBadOptions means the options are inconsistent.
	ErrBadOptions = errors.New("invalid signing options")
)

func (o *Options) check() error {
	if o.Signer == nil {
		return fmt.Errorf("signer: %w: no signer", ErrBadOptions)
	}
	if len(o.Chain) == 0 {
		return fmt.Errorf("signer: %w: no certificate", ErrBadOptions)
	}
	switch o.Hash {
	case 0:
		o.Hash = crypto.SHA256
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return fmt.Errorf("signer: %w: hash %v not supported (use sha256, sha384 or sha512)", ErrBadOptions, o.Hash)
	}
	if o.Certify < 0 || o.Certify > 3 {
		return fmt.Errorf("signer: %w: certification level must be 1, 2 or 3", ErrBadOptions)
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	return nil
}
