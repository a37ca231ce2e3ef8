// Package vault is segel's HashiCorp Vault backend: signing keys live in
// Vault's Transit secrets engine and never leave it, certificates come
// from Vault's PKI engine, and certificate chains are kept in a KV
// version 2 secrets engine.
//
// # Key references
//
// Importing this package registers the keystore scheme "vault":
//
//	vault:transit/pks-tuban
//
// names the Transit key pks-tuban in the engine mounted at transit/. The
// registered backend reads its connection settings with [ConfigFromEnv]
// (VAULT_ADDR, VAULT_TOKEN or ~/.vault-token, VAULT_CACERT,
// VAULT_NAMESPACE, or AppRole credentials); programs that configure Vault
// themselves call [Open] with a [Config]. Nothing else in this package
// reads the environment.
//
// # Signing
//
// The key's [Signer] is a [crypto.Signer]. Each signature is exactly one
// request to MOUNT/sign/NAME with the prehashed digest, hash_algorithm
// sha2-256/384/512, signature_algorithm pkcs1v15 for RSA (Transit's
// default is PSS, which is used only when asked for with
// *rsa.PSSOptions) and marshaling_algorithm asn1 for ECDSA. The
// signature is asked for from, and checked to come from, the key version
// the certificate belongs to, and is verified with that version's public
// key before it is returned. [Signer.SignBatch] signs up to [MaxBatch]
// digests with one request (Transit's batch_input).
//
// crypto.Signer's Sign has no context parameter, so the context is bound
// when the signer is made (as sigstore's CryptoSigner does); every request
// also has the client's timeout ([Config.Timeout]).
//
// # Certificates
//
// [Client.RequestCertificate] builds a CSR signed through Transit, has
// the PKI engine sign it (PKI/sign/ROLE), checks that the certificate
// holds the Transit key's public key, and stores the chain in KV at
// [Client.CertPath]: by default secret/data/segel/certs/MOUNT/NAME. [Open]
// reads it from there unless a certificate file is given.
//
// # Tokens
//
// A [Client] renews a renewable token while it is open (Vault's
// LifetimeWatcher); with AppRole it logs in again before the token's
// lifetime ends. Tokens and secret IDs never appear in errors or logs.
//
// [Key.WithCredentials] (keystore.CredentialBinder) signs with a caller's
// own token instead, such as an official's short-lived one, without
// changing the key or anything global.
//
// # Keystore capabilities
//
// A [Key] has keystore.HealthChecker ([Key.Health]: one read of the key)
// and keystore.CredentialBinder; its [Signer] has keystore.ContextSigner,
// keystore.BatchSigner and keystore.KeyVersioner.
//
// # Errors
//
// Failed calls are *[Error] values naming the operation and the path, and
// wrap one of [ErrUnreachable], [ErrTimeout], [ErrSealed],
// [ErrPermissionDenied], [ErrTokenInvalid] or [ErrNotFound], each of which
// also matches the keystore sentinel of the same failure
// (keystore.ErrUnreachable, …, keystore.ErrCredentialsExpired for
// ErrTokenInvalid). A missing key or certificate chain is a
// *keystore.NotFoundError that says which. A 403 answer is told apart into
// a refused token and a missing policy capability by one token lookup.
// Messages state facts; they name no segel command or flag.
package vault
