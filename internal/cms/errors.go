package cms

import "errors"

// Sentinel errors returned (usually wrapped) by this package. Use errors.Is to
// test for them.
var (
	// ErrTooLarge is returned by Parse for inputs above MaxInputSize or with
	// more certificates or signer infos than the package accepts.
	ErrTooLarge = errors.New("cms: input too large")

	// ErrMalformed is returned by Parse for input that is not a well-formed
	// CMS SignedData (bad BER/DER, wrong structure, trailing garbage).
	ErrMalformed = errors.New("cms: malformed input")

	// ErrUnsupportedAlgorithm means a signature, digest or key algorithm is
	// unknown or not supported, so the signature cannot be evaluated. It is
	// wrapped together with the offending OID.
	ErrUnsupportedAlgorithm = errors.New("cms: unsupported algorithm")

	// ErrSignatureInvalid means the signature value does not verify under
	// the given certificate's public key.
	ErrSignatureInvalid = errors.New("cms: signature invalid")

	// ErrDigestMismatch means the messageDigest signed attribute does not
	// equal the digest of the signed content.
	ErrDigestMismatch = errors.New("cms: message digest mismatch")

	// ErrContentTypeMismatch means the contentType signed attribute is
	// missing or differs from the encapsulated content type.
	ErrContentTypeMismatch = errors.New("cms: content type mismatch")

	// ErrMissingAttribute means a mandatory signed attribute is missing.
	ErrMissingAttribute = errors.New("cms: missing mandatory attribute")

	// ErrNoSignerCertificate means the SignedData holds no certificate
	// matching the signer identifier.
	ErrNoSignerCertificate = errors.New("cms: signer certificate not found")

	// ErrSigningCertificateMismatch means the ESS signing-certificate(-v2)
	// attribute does not identify the given certificate.
	ErrSigningCertificateMismatch = errors.New("cms: signing certificate attribute mismatch")

	// ErrSignatureMismatch is returned by SignDetached when the signature
	// produced by the Signer does not verify under the leaf certificate's
	// public key (for example a remote signer using a different key).
	ErrSignatureMismatch = errors.New("cms: signer produced a signature that does not verify with the leaf certificate")

	// ErrInvalidOptions is returned by SignDetached and MaxSize for unusable
	// SignOptions.
	ErrInvalidOptions = errors.New("cms: invalid sign options")
)
