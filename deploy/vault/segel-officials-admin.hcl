# segel-officials-admin: for the bureau's key officer who runs
#   segel officials add | list | disable
# Use it from the officer's own login, not from a service.
#
#   vault policy write segel-officials-admin deploy/vault/segel-officials-admin.hcl
#
# `officials add` creates the official's Transit key, has the PKI sign a
# certificate request signed by that key (so this policy can sign with
# Transit keys: it is the one grant the officer needs beyond what a service
# gets; keep this token with the officer), stores the chain and the
# profile, writes the official's own policy, makes the userpass user, the
# Vault entity and its alias, and enrols the TOTP secret.

path "transit/keys/+" {
  capabilities = ["create", "read", "update"]
}
path "transit/sign/+" {
  capabilities = ["update"]
}
path "pki_int/sign/document-signing" {
  capabilities = ["update"]
}
path "secret/data/segel/certs/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/data/segel/officials/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/segel/officials" {
  capabilities = ["list"]
}
path "secret/metadata/segel/officials/" {
  capabilities = ["list"]
}

# Officials' own policies only.
path "sys/policies/acl/segel-official-*" {
  capabilities = ["create", "read", "update"]
}
# Find (and once, enable) the userpass mount.
path "sys/auth" {
  capabilities = ["read"]
}
path "sys/auth/userpass" {
  capabilities = ["create", "update", "sudo"]
}
path "auth/userpass/users/*" {
  capabilities = ["create", "read", "update"]
}
# Identities and Login MFA (TOTP).
path "identity/entity" {
  capabilities = ["create", "update"]
}
path "identity/entity/id/*" {
  capabilities = ["read", "update"]
}
path "identity/entity-alias" {
  capabilities = ["create", "update"]
}
path "identity/mfa/method/totp" {
  capabilities = ["create", "update"]
}
path "identity/mfa/method/totp/admin-generate" {
  capabilities = ["update"]
}
path "identity/mfa/login-enforcement/segel-officials" {
  capabilities = ["create", "read", "update"]
}

path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

path "transit/export/*" {
  capabilities = ["deny"]
}
path "transit/backup/*" {
  capabilities = ["deny"]
}
path "transit/keys/+/config" {
  capabilities = ["deny"]
}
