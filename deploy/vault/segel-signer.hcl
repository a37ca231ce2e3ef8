# segel-signer: the least a signing service or a signer's workstation needs
# to run `segel sign --key vault:transit/KEY`, and nothing else.
#
#   vault policy write segel-signer deploy/vault/segel-signer.hcl
#
# It names each signing key: to add a signer, copy the three path blocks
# of one key and change the key name. Mount names are the ones
# scripts/vault-dev.sh sets up (transit/ for keys, secret/ as KV v2 for
# certificate chains); change them to match your Vault.
#
# Give tokens this policy alone (token_no_default_policy=true on the
# AppRole, or -no-default-policy for `vault token create`): the two
# auth/token paths at the end are all segel needs of Vault's default policy.

# Bupati Tuban (Kabupaten)
path "transit/sign/pks-tuban" {
  capabilities = ["update"]
}
path "transit/keys/pks-tuban" {
  capabilities = ["read"] # versions and public keys only
}
path "secret/data/segel/certs/transit/pks-tuban" {
  capabilities = ["read"]
}

# Gubernur Jawa Timur (Provinsi)
path "transit/sign/pks-jatim" {
  capabilities = ["update"]
}
path "transit/keys/pks-jatim" {
  capabilities = ["read"]
}
path "secret/data/segel/certs/transit/pks-jatim" {
  capabilities = ["read"]
}

# Keep its own token alive while signing (renewal), and tell an expired
# token from a missing permission (lookup).
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Never: a private key must not leave Transit, even if another policy of
# the same token would allow it ("deny" wins over every other grant).
path "transit/export/*" {
  capabilities = ["deny"]
}
path "transit/backup/*" {
  capabilities = ["deny"]
}
path "transit/keys/+/config" {
  capabilities = ["deny"] # would allow exportable=true or deletion
}
