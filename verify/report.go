package verify

import (
	"encoding/json"
	"slices"
	"time"

	"segel/verify/internal/changes"
)

// Change is one difference between a signed revision and a later one, as
// the modification analysis judged it.
type Change = changes.Change

// Kinds of Change.
const (
	ChangeSignature   = changes.KindSignature
	ChangeDSS         = changes.KindDSS
	ChangeTimestamp   = changes.KindTimestamp
	ChangeMetadata    = changes.KindMetadata
	ChangeFormFill    = changes.KindFormFill
	ChangeAnnotation  = changes.KindAnnotation
	ChangePageContent = changes.KindPageContent
	ChangePageTree    = changes.KindPageTree
	ChangeResources   = changes.KindResources
	ChangeSigDict     = changes.KindSigDict
	ChangeCatalog     = changes.KindCatalog
	ChangeAcroForm    = changes.KindAcroForm
	ChangeFreed       = changes.KindFreed
	ChangeStructure   = changes.KindStructure
	ChangeHiddenRef   = changes.KindHiddenRef
	ChangeOther       = changes.KindOther
)

// Indications, as in ETSI EN 319 102-1 and EU DSS.
const (
	TotalPassed      = "TOTAL_PASSED"
	Indeterminate    = "INDETERMINATE"
	TotalFailed      = "TOTAL_FAILED"
	NoSignatureFound = "NO_SIGNATURE_FOUND"
)

// Sub-indications used by segel (ETSI EN 319 102-1 / DSS words).
const (
	FormatFailure              = "FORMAT_FAILURE"
	HashFailure                = "HASH_FAILURE"
	SigCryptoFailure           = "SIG_CRYPTO_FAILURE"
	NoSigningCertificateFound  = "NO_SIGNING_CERTIFICATE_FOUND"
	NoCertificateChainFound    = "NO_CERTIFICATE_CHAIN_FOUND"
	Revoked                    = "REVOKED"
	Expired                    = "EXPIRED"
	NotYetValid                = "NOT_YET_VALID"
	CryptoConstraintsFailure   = "CRYPTO_CONSTRAINTS_FAILURE"
	ChainConstraintsFailure    = "CHAIN_CONSTRAINTS_FAILURE"
	SigConstraintsFailure      = "SIG_CONSTRAINTS_FAILURE"
	RevocationOutOfBoundsNoPOE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
	TryLater                   = "TRY_LATER"
)

// Coverage values.
const (
	CoverageWholeFile = "whole-file"
	CoverageRevision  = "revision"
	CoverageAnomalous = "anomalous"
)

// Report is the verification result for one file.
type Report struct {
	File          string      `json:"file"`
	Indication    string      `json:"indication"`
	SubIndication string      `json:"sub_indication,omitempty"`
	Signatures    []Signature `json:"signatures"`
	// Revisions is the number of revisions (the original and each update).
	Revisions int `json:"revisions"`
	// ValidationTime is the time at which certificates were judged.
	ValidationTime time.Time `json:"validation_time"`
	Errors         []string  `json:"errors,omitempty"`
	Warnings       []string  `json:"warnings,omitempty"`
}

// Signature is the verification result for one signature or document
// timestamp.
type Signature struct {
	Field     string `json:"field"`
	Signer    string `json:"signer"`
	SubFilter string `json:"subfilter"`
	// Kind is "approval", "certification" or "document-timestamp".
	Kind string `json:"kind"`
	// DocMDP is the permission level of a certification signature.
	DocMDP int `json:"docmdp,omitempty"`
	// Level is the PAdES baseline level reached: B-B, B-T, B-LT, B-LTA, or
	// "" for signatures that are not PAdES (adbe.pkcs7.*).
	Level string `json:"level,omitempty"`

	// Intact: the byte-range digest matches the CMS message digest.
	Intact bool `json:"intact"`
	// Valid: the CMS signature value verifies with the signer certificate.
	Valid bool `json:"valid"`
	// Trusted: a chain from the signer certificate to a trust root exists.
	Trusted bool `json:"trusted"`

	Coverage  string  `json:"coverage"`
	ByteRange []int64 `json:"byte_range,omitempty"`
	// Revision is the revision the signature covers, counted from 0 (the
	// original file); -1 when its byte range ends at no revision. In JSON
	// it is counted from 1, as the readable report counts ("revision 2
	// of 5"), and 0 there means none.
	Revision int `json:"revision"`
	// Modification is "none", "allowed" or "disallowed": what changed after
	// the signature, judged by the rules of docs/verify-policy.md.
	Modification string `json:"modification"`
	// ModificationReason is the first change that is not allowed.
	ModificationReason string   `json:"modification_reason,omitempty"`
	Changes            []Change `json:"changes,omitempty"`
	// Orphan: no signature field of any revision has this signature as its
	// value. Viewers do not show it; it is reported but does not decide the
	// file's indication.
	Orphan bool `json:"orphan,omitempty"`

	// ClaimedTime is the /M entry (or CMS signing time): shown, never trusted.
	ClaimedTime *time.Time `json:"claimed_time,omitempty"`
	// ExistenceTime is the earliest time the signature is proven to have
	// existed: by its own signature timestamp, or by a trusted document
	// timestamp over a later revision (ExistenceProof says which). The
	// signer's certificates and their revocation are judged at it (past
	// signature validation, ETSI EN 319 102-1 §5.6.2.4); without it, now
	// (or --at). For a document timestamp: the time a later document
	// timestamp proves.
	ExistenceTime  *time.Time `json:"existence_time,omitempty"`
	ExistenceProof string     `json:"existence_proof,omitempty"`
	// TimestampTime is the time proven by a verified signature timestamp.
	TimestampTime      *time.Time `json:"timestamp_time,omitempty"`
	Reason             string     `json:"reason,omitempty"`
	Location           string     `json:"location,omitempty"`
	DigestAlgorithm    string     `json:"digest_algorithm,omitempty"`
	SignatureAlgorithm string     `json:"signature_algorithm,omitempty"`
	// Chain lists the subjects from the signer to the trust root.
	Chain []string `json:"chain,omitempty"`
	// SignerOrganization is the signer certificate's organisation, and
	// CertificateNotAfter the end of its validity (for archive reports).
	SignerOrganization  string     `json:"signer_organization,omitempty"`
	CertificateNotAfter *time.Time `json:"certificate_not_after,omitempty"`
	// Revocation is the revocation status of the signer's certificate
	// ("good", "unknown", "not-checked"), or "revoked" when any
	// certificate of the chain was revoked; empty when no chain was
	// built. See revocation.go for how it is established.
	Revocation string `json:"revocation,omitempty"`
	// RevocationSource says where the status came from: "embedded-ocsp",
	// "embedded-crl", "online-ocsp" or "online-crl".
	RevocationSource string `json:"revocation_source,omitempty"`

	Indication    string   `json:"indication"`
	SubIndication string   `json:"sub_indication,omitempty"`
	Errors        []string `json:"errors,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`

	// Facts are the conditions a caller may turn into advice (see
	// [Fact]). They are not in the JSON report: its errors and warnings
	// say the same in neutral words.
	Facts []Fact `json:"-"`
}

// Fact is a condition of a verification that its caller may act on: a
// command can suggest a flag, a web page say what the service does. The
// verifier states facts; it gives no advice, since it does not know who
// reads the report.
type Fact string

// Facts.
const (
	// FactNoTrustRoots: no trust roots were given (Options.Roots was
	// nil), so no chain could be trusted.
	FactNoTrustRoots Fact = "no-trust-roots"
	// FactRevocationOffline: the revocation status of a certificate of
	// the chain was not established and nothing was fetched, because
	// Options.Online was not set; an online check might establish it.
	FactRevocationOffline Fact = "revocation-offline"
)

// HasFact reports whether f was found for the signature.
func (s *Signature) HasFact(f Fact) bool { return slices.Contains(s.Facts, f) }

// HasFact reports whether f was found for any signature of the file.
func (r *Report) HasFact(f Fact) bool {
	for i := range r.Signatures {
		if r.Signatures[i].HasFact(f) {
			return true
		}
	}
	return false
}

// fact records f once.
func (s *Signature) fact(f Fact) {
	if !s.HasFact(f) {
		s.Facts = append(s.Facts, f)
	}
}

func rank(ind string) int {
	switch ind {
	case TotalPassed:
		return 0
	case Indeterminate:
		return 1
	case TotalFailed:
		return 2
	}
	return 3
}

// fail records an error with the given indication unless a worse one is
// already set.
func (s *Signature) fail(ind, sub, msg string) {
	if msg != "" {
		s.Errors = append(s.Errors, msg)
	}
	if rank(ind) > rank(s.Indication) {
		s.Indication, s.SubIndication = ind, sub
	}
}

func (s *Signature) warn(msg string) { s.Warnings = append(s.Warnings, msg) }

// conclude sets the file's indication from its signatures: the worst one.
// Orphan signatures are reported but do not count.
func (r *Report) conclude() {
	counted := 0
	for _, s := range r.Signatures {
		if !s.Orphan {
			counted++
		}
	}
	if counted == 0 {
		if r.Indication == "" {
			r.Indication = NoSignatureFound
		}
		return
	}
	r.Indication, r.SubIndication = TotalPassed, ""
	for _, s := range r.Signatures {
		if !s.Orphan && rank(s.Indication) > rank(r.Indication) {
			r.Indication, r.SubIndication = s.Indication, s.SubIndication
		}
	}
}

// MarshalJSON writes the signature with its revision counted from 1, as
// the readable report and the web page count.
func (s Signature) MarshalJSON() ([]byte, error) {
	type plain Signature
	p := plain(s)
	if p.Revision < 0 {
		p.Revision = 0
	} else {
		p.Revision++
	}
	return json.Marshal(p)
}
