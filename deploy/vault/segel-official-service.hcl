# segel-official-service: the token of `segel serve --mode official`.
#
#   vault policy write segel-official-service deploy/vault/segel-official-service.hcl
#
# It reads officials' profiles, keys (versions and public keys) and
# certificate chains, and NOTHING signs with it: every signature is made
# with the token of the official's own login (userpass + TOTP), whose
# policy segel-official-<username> allows transit/sign/<their key> only.
# Officials log in at auth/userpass/login/* and sys/mfa/validate, which
# need no token.

path "transit/keys/+" {
  capabilities = ["read"]
}
path "secret/data/segel/certs/*" {
  capabilities = ["read"]
}
path "secret/data/segel/officials/*" {
  capabilities = ["read"]
}

path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Never sign, export or re-configure ("deny" wins over any other policy
# of the same token).
path "transit/sign/*" {
  capabilities = ["deny"]
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
