package cms

import (
	"crypto"
	"encoding/asn1"

	// Register the SHA-3 hashes with crypto.Hash so SHA3_* digests work.
	_ "crypto/sha3"
)

// Object identifiers used by this package.
var (
	// OIDData is id-data (RFC 5652).
	OIDData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	// OIDSignedData is id-signedData (RFC 5652).
	OIDSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	// OIDTSTInfo is id-ct-TSTInfo (RFC 3161).
	OIDTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

	// OIDAttrContentType is the contentType attribute.
	OIDAttrContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	// OIDAttrMessageDigest is the messageDigest attribute.
	OIDAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	// OIDAttrSigningTime is the signingTime attribute.
	OIDAttrSigningTime = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	// OIDAttrSigningCertificate is the ESS signing-certificate attribute (RFC 2634).
	OIDAttrSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	// OIDAttrSigningCertificateV2 is the ESS signing-certificate-v2 attribute (RFC 5035).
	OIDAttrSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	// OIDAttrTimeStampToken is id-aa-signatureTimeStampToken (RFC 3161 appendix A).
	OIDAttrTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	// OIDAttrAdbeRevocationInfoArchival is Adobe's adbe-revocationInfoArchival attribute.
	OIDAttrAdbeRevocationInfoArchival = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}

	oidSHA1       = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHA512_224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 5}
	oidSHA512_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 6}
	oidSHA3_224   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 7}
	oidSHA3_256   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}
	oidSHA3_384   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 9}
	oidSHA3_512   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 10}

	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA1WithRSAOIW  = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 29}
	oidSHA224WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidSHA3_224WithRSA = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 13}
	oidSHA3_256WithRSA = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}
	oidSHA3_384WithRSA = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 15}
	oidSHA3_512WithRSA = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 16}
	oidRSAPSS          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}

	oidECPublicKey       = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA224   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidECDSAWithSHA3_224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 9}
	oidECDSAWithSHA3_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 10}
	oidECDSAWithSHA3_384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 11}
	oidECDSAWithSHA3_512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 12}

	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
)

var digestOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{oidSHA1, crypto.SHA1},
	{oidSHA224, crypto.SHA224},
	{oidSHA256, crypto.SHA256},
	{oidSHA384, crypto.SHA384},
	{oidSHA512, crypto.SHA512},
	{oidSHA512_224, crypto.SHA512_224},
	{oidSHA512_256, crypto.SHA512_256},
	{oidSHA3_224, crypto.SHA3_224},
	{oidSHA3_256, crypto.SHA3_256},
	{oidSHA3_384, crypto.SHA3_384},
	{oidSHA3_512, crypto.SHA3_512},
}

// hashFromOID maps a digest algorithm OID to a crypto.Hash. It returns 0 for
// unknown or unavailable algorithms.
func hashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for _, d := range digestOIDs {
		if d.oid.Equal(oid) {
			if !d.hash.Available() {
				return 0
			}
			return d.hash
		}
	}
	return 0
}

// oidFromHash is the inverse of hashFromOID.
func oidFromHash(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, d := range digestOIDs {
		if d.hash == h {
			return d.oid, true
		}
	}
	return nil, false
}

type sigKind int

const (
	sigUnknown sigKind = iota
	sigRSAPKCS1
	sigRSAPSS
	sigECDSA
	sigEd25519
)

// signatureOIDs maps signature algorithm OIDs to their kind and, where the OID
// names one, the hash. hash 0 means "use the SignerInfo digestAlgorithm".
var signatureOIDs = []struct {
	oid  asn1.ObjectIdentifier
	kind sigKind
	hash crypto.Hash
}{
	{oidRSAEncryption, sigRSAPKCS1, 0},
	{oidSHA1WithRSA, sigRSAPKCS1, crypto.SHA1},
	{oidSHA1WithRSAOIW, sigRSAPKCS1, crypto.SHA1},
	{oidSHA224WithRSA, sigRSAPKCS1, crypto.SHA224},
	{oidSHA256WithRSA, sigRSAPKCS1, crypto.SHA256},
	{oidSHA384WithRSA, sigRSAPKCS1, crypto.SHA384},
	{oidSHA512WithRSA, sigRSAPKCS1, crypto.SHA512},
	{oidSHA3_224WithRSA, sigRSAPKCS1, crypto.SHA3_224},
	{oidSHA3_256WithRSA, sigRSAPKCS1, crypto.SHA3_256},
	{oidSHA3_384WithRSA, sigRSAPKCS1, crypto.SHA3_384},
	{oidSHA3_512WithRSA, sigRSAPKCS1, crypto.SHA3_512},
	{oidRSAPSS, sigRSAPSS, 0},
	{oidECPublicKey, sigECDSA, 0},
	{oidECDSAWithSHA1, sigECDSA, crypto.SHA1},
	{oidECDSAWithSHA224, sigECDSA, crypto.SHA224},
	{oidECDSAWithSHA256, sigECDSA, crypto.SHA256},
	{oidECDSAWithSHA384, sigECDSA, crypto.SHA384},
	{oidECDSAWithSHA512, sigECDSA, crypto.SHA512},
	{oidECDSAWithSHA3_224, sigECDSA, crypto.SHA3_224},
	{oidECDSAWithSHA3_256, sigECDSA, crypto.SHA3_256},
	{oidECDSAWithSHA3_384, sigECDSA, crypto.SHA3_384},
	{oidECDSAWithSHA3_512, sigECDSA, crypto.SHA3_512},
	{oidEd25519, sigEd25519, 0},
}

func signatureKind(oid asn1.ObjectIdentifier) (sigKind, crypto.Hash) {
	for _, s := range signatureOIDs {
		if s.oid.Equal(oid) {
			return s.kind, s.hash
		}
	}
	return sigUnknown, 0
}

// algorithmNames are the conventional names of the OIDs this package
// knows, for messages.
var algorithmNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{oidSHA1, "sha1"}, {oidSHA224, "sha224"}, {oidSHA256, "sha256"}, {oidSHA384, "sha384"},
	{oidSHA512, "sha512"}, {oidSHA512_224, "sha512-224"}, {oidSHA512_256, "sha512-256"},
	{oidSHA3_224, "sha3-224"}, {oidSHA3_256, "sha3-256"}, {oidSHA3_384, "sha3-384"}, {oidSHA3_512, "sha3-512"},
	{oidRSAEncryption, "rsaEncryption"}, {oidSHA1WithRSA, "sha1WithRSAEncryption"},
	{oidSHA1WithRSAOIW, "sha1WithRSASignature (OIW)"}, {oidSHA224WithRSA, "sha224WithRSAEncryption"},
	{oidSHA256WithRSA, "sha256WithRSAEncryption"}, {oidSHA384WithRSA, "sha384WithRSAEncryption"},
	{oidSHA512WithRSA, "sha512WithRSAEncryption"}, {oidSHA3_224WithRSA, "id-rsassa-pkcs1-v1_5-with-sha3-224"},
	{oidSHA3_256WithRSA, "id-rsassa-pkcs1-v1_5-with-sha3-256"}, {oidSHA3_384WithRSA, "id-rsassa-pkcs1-v1_5-with-sha3-384"},
	{oidSHA3_512WithRSA, "id-rsassa-pkcs1-v1_5-with-sha3-512"}, {oidRSAPSS, "id-RSASSA-PSS"},
	{oidECPublicKey, "id-ecPublicKey"}, {oidECDSAWithSHA1, "ecdsa-with-SHA1"}, {oidECDSAWithSHA224, "ecdsa-with-SHA224"},
	{oidECDSAWithSHA256, "ecdsa-with-SHA256"}, {oidECDSAWithSHA384, "ecdsa-with-SHA384"},
	{oidECDSAWithSHA512, "ecdsa-with-SHA512"}, {oidECDSAWithSHA3_224, "id-ecdsa-with-sha3-224"},
	{oidECDSAWithSHA3_256, "id-ecdsa-with-sha3-256"}, {oidECDSAWithSHA3_384, "id-ecdsa-with-sha3-384"},
	{oidECDSAWithSHA3_512, "id-ecdsa-with-sha3-512"}, {oidEd25519, "id-Ed25519"},
}

// AlgorithmName returns the conventional name of a digest, signature or
// key algorithm OID followed by the OID in parentheses, for example
// "sha256WithRSAEncryption (1.2.840.113549.1.1.11)", or only the dotted
// OID when the package does not know it.
func AlgorithmName(oid asn1.ObjectIdentifier) string {
	for _, a := range algorithmNames {
		if a.oid.Equal(oid) {
			return a.name + " (" + oid.String() + ")"
		}
	}
	return oid.String()
}
