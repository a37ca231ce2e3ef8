# segel-tsa: what `segel tsa serve --key vault:transit/tsa` needs, and
# nothing else: sign with the time-stamping key, read its versions and its
# certificate chain.
#
#   vault policy write segel-tsa deploy/vault/segel-tsa.hcl
#
# The certificate itself is requested once by the key officer (segel-admin):
#   segel cert request --profile tsa --key vault:transit/tsa --pki pki_int \
#       --role tsa --cn "TSA Pemerintah Provinsi Jawa Timur"

path "transit/sign/tsa" {
  capabilities = ["update"]
}
path "transit/keys/tsa" {
  capabilities = ["read"]
}
path "secret/data/segel/certs/transit/tsa" {
  capabilities = ["read"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Never: the key must not leave Transit.
path "transit/export/*" {
  capabilities = ["deny"]
}
path "transit/backup/*" {
  capabilities = ["deny"]
}
path "transit/keys/+/config" {
  capabilities = ["deny"]
}
