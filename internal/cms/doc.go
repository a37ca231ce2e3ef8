// Package cms implements the subset of Cryptographic Message Syntax
// (RFC 5652) SignedData needed for PDF signatures.
//
// It has two halves:
//
//   - A builder, [SignDetached], that produces PAdES baseline B-B
//     (ETSI.CAdES.detached) signatures: detached id-data content, signed
//     attributes contentType, messageDigest and ESS signing-certificate-v2,
//     and no signingTime. [MaxSize] gives a tight upper bound of the encoded
//     size so the PDF placeholder can be reserved before signing.
//
//   - A hardened parser, [Parse], and verification helpers on [SignedData]
//     and [SignerInfo] for judging signatures written by arbitrary (and
//     possibly hostile) producers. The parser accepts BER (indefinite lengths,
//     constructed strings) by normalising it to DER with a bounded,
//     depth-limited converter before handing it to encoding/asn1, tolerates the
//     zero padding of a PDF /Contents string, and enforces size limits.
//
// Two quirks of honest producers are read rather than refused, and
// reported so that callers can warn: a SignerInfo digestAlgorithm that
// names a signature or key algorithm (see [DigestSource]), and
// certificates that crypto/x509 refuses only for the string types of their
// names (see [ParseCertificate]; only the displayed text of those values
// is approximate, everything else is parsed and checked as usual).
//
// Verification errors are typed so that callers can tell "cannot be
// evaluated" ([ErrUnsupportedAlgorithm]) from "cryptographically wrong"
// ([ErrSignatureInvalid], [ErrDigestMismatch],
// [ErrSigningCertificateMismatch]).
package cms
