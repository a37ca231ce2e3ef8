// Package keystore turns a key reference string into a signing key: a
// [crypto.Signer] together with the certificate chain that belongs to it.
//
// # Key references
//
// A key reference has the form SCHEME:REST, for example
//
//	file:/etc/segel/kepala-dinas.p12
//	file:C:\Segel\kunci.pfx
//	vault:transit/kepala-dinas
//	pkcs11:token=BSrE;object=ttd
//
// The scheme selects a backend and is case-insensitive; REST is handed to
// the backend unchanged. A reference without a scheme is rejected with an
// error that tells the user to write file:PATH, so that a typo can never
// silently select a different backend. [Schemes] lists the schemes compiled
// into the program, for --help output.
//
// # Backends
//
// Each backend is an [Opener] registered under its scheme with [Register],
// normally from an init function, in the same way as the key managers in
// smallstep/crypto and sigstore. This package itself provides only the
// "file" backend; Vault and PKCS#11 backends live in their own packages
// and plug in by calling Register, without changes here.
//
// [Open] checks every key a backend returns: it must have a signer and a
// non-empty chain, and the signer's public key must match the first
// certificate of the chain. A backend that breaks this rule yields
// [ErrCertificateMismatch] instead of a key.
//
// A new backend is one package that calls Register in its init function,
// and one blank import in the program that wants it. internal/memkey, an
// in-memory backend for tests, is a complete example.
//
// # Capabilities
//
// The [Key] contract is small; what a backend can do beyond it is an
// optional interface defined here, which callers type-assert and do
// without when it is missing. On the signer that [Key.Signer] returns:
// [ContextSigner] (a context per signature), [BatchSigner] (up to
// [MaxBatch] digests in one backend call) and [KeyVersioner] (key
// versions). On the Key: [HealthChecker] (a cheap readiness check) and
// [CredentialBinder] (sign with a caller's own [Credentials], such as an
// official's short-lived token, for one use).
//
// # Key types and hashes
//
// [KeyType] is the one vocabulary of key types ("rsa-2048",
// "ecdsa-p256", …) and [ParseKeyType] reads it, older spellings
// ("rsa2048", "p256") included; [ParseHash] and [HashName] do the same for
// the digest algorithms sha256, sha384 and sha512.
//
// # Key files
//
// The file backend reads, by content and never by file name extension:
//
//   - PKCS#12 (.p12/.pfx) files, both the OpenSSL 3 default
//     (AES-256-CBC with PBKDF2 and an HMAC-SHA-256 MAC) and the legacy
//     format (3DES or RC2-40 with a SHA-1 MAC). An empty password is tried
//     first, silently; the password callback is used only if that fails.
//     If Options.CertFile is set, its certificates replace the chain
//     stored in the PKCS#12 file.
//   - PEM private keys: PKCS#8 ("PRIVATE KEY"), SEC1 ("EC PRIVATE KEY"),
//     PKCS#1 ("RSA PRIVATE KEY") and password-protected PKCS#8
//     ("ENCRYPTED PRIVATE KEY", PBES2 with PBKDF2-HMAC-SHA-1/SHA-2 and
//     AES-CBC or 3DES-CBC, as written by `openssl pkcs8 -topk8 -v2 aes256`
//     and `openssl genpkey -aes256`). The same encodings in DER form are
//     also accepted. Old OpenSSL "Proc-Type: 4,ENCRYPTED" keys are refused
//     with a hint to convert them.
//
// A bare private key needs certificates: from Options.CertFile, or else
// from CERTIFICATE blocks that follow the key in the same PEM file.
//
// Only RSA keys of at least 2048 bits and ECDSA keys on P-256, P-384 and
// P-521 are accepted. Ed25519 keys are refused because PDF signatures made
// with them are not widely verifiable yet.
//
// # Certificate chains
//
// Whatever the source, [Key.Chain] starts with the certificate whose public
// key matches the private key, followed by its issuers in order
// (intermediate, then root when present). Duplicates are dropped, and
// certificates that do not fit the chain are kept at the end in file order.
// If no certificate matches the private key, opening fails with
// [ErrCertificateMismatch].
//
// Opening a key does not judge the certificate. Callers check it with
// [CheckSigningCertificate] before they write anything.
//
// # Passwords
//
// Passwords come from the Options.Password callback, which is called only
// when a key is actually encrypted. [PasswordFromSources] builds such a
// callback for the command line: a password file, then an environment
// variable, then a no-echo prompt on the terminal. Passwords are never
// taken from the command line, never appear in error messages, and the
// byte slices handed to this package are zeroed after use.
//
// # Errors
//
// All errors of this package start with "keystore: ". Use [errors.Is] with
// [ErrWrongPassword], [ErrPasswordRequired], [ErrCertificateMismatch] and
// [ErrCertificateRequired], and with the sentinels every backend wraps for
// the failures of a remote key: [ErrUnreachable], [ErrTimeout],
// [ErrSealed], [ErrPermissionDenied], [ErrNotFound] and
// [ErrCredentialsExpired]. Use [errors.As] with [*UnknownSchemeError],
// [*NotFoundError] (a missing key or certificate, and which) and
// [*CertificateError]. Messages state facts; they name no command-line
// flag or command, so that each program phrases its own advice.
// Malformed, truncated or empty files produce errors, never panics. The
// package does not log.
package keystore
