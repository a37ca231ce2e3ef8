# segel-admin: for the bureau's key officer who runs
#   segel keys create|list|show|rotate|import   and   segel cert request
# It manages Transit keys and their certificates but can neither read nor
# export a private key, nor delete keys.
#
#   vault policy write segel-admin deploy/vault/segel-admin.hcl
#
# Mounts: transit/ (keys), pki_int/ with role document-signing (the
# issuing CA), secret/ (KV v2, certificate chains). Change them to match
# your Vault.

path "transit/keys" {
  capabilities = ["list"]
}
# Create a key (segel keys create) and read its public keys (keys show).
# Transit treats a key's creation as an update (writing an existing key
# changes nothing); its settings are changed only through .../config, denied
# below.
path "transit/keys/+" {
  capabilities = ["create", "read", "update"]
}
path "transit/keys/+/rotate" {
  capabilities = ["update"]
}
# Wrapped import of an existing key (segel keys import).
path "transit/wrapping_key" {
  capabilities = ["read"]
}
path "transit/keys/+/import" {
  capabilities = ["update"]
}
# Sign the certificate request with the key itself (segel cert request).
path "transit/sign/+" {
  capabilities = ["update"]
}
# Have the issuing CA sign it, and keep the chain for the signers.
path "pki_int/sign/document-signing" {
  capabilities = ["update"]
}
# Time-stamping certificates (segel cert request --profile tsa): issued
# verbatim, so that the request's critical extended key usage
# timeStamping survives. Verbatim issuance takes every extension from the
# request: only the key officer may use it, and segel refuses to store a
# certificate whose extended key usage is not timeStamping alone.
path "pki_int/sign-verbatim/tsa" {
  capabilities = ["update"]
}
path "secret/data/segel/certs/*" {
  capabilities = ["create", "read", "update"]
}

path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Never: export, back up, re-configure (exportable, deletion_allowed) or
# trim keys.
path "transit/export/*" {
  capabilities = ["deny"]
}
path "transit/backup/*" {
  capabilities = ["deny"]
}
path "transit/keys/+/config" {
  capabilities = ["deny"]
}
path "transit/keys/+/trim" {
  capabilities = ["deny"]
}
