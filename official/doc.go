// Package official is segel's official mode: every signature is authorised
// by the official's own Vault login, a password and a TOTP code, so that
// the signature-creation data stay under the signer's sole control (PP
// 71/2019 Pasal 59(3)).
//
// Each official is a Vault identity: a userpass user whose entity has a
// TOTP secret enrolled through Vault's Login MFA, and whose policy allows
// transit/sign/<their key> and nothing else. segel's own (service) token
// reads keys, certificates and profiles but cannot sign with an
// official's key (deploy/vault/segel-official-service.hcl).
//
// Per signature ([Service.Sign]): the official's username, password and
// TOTP code log in to Vault (userpass, then sys/mfa/validate); the
// short-lived token that login yields signs exactly the documents of this
// request through keystore.CredentialBinder; the token is then revoked
// (auth/token/revoke-self). Nothing of the login is stored and the
// password is never logged. Failed logins are counted per user and per
// client address, and a [Limiter] locks either out for a while after too
// many. The [Evidence] of each signing (entity ID, token accessor, MFA
// method) is what the caller puts into its audit log.
//
// [Admin] enrols officials: the Transit key, its certificate from Vault's
// PKI, the profile in KV, the userpass user with its own policy, the
// entity and its TOTP secret.
package official
