#!/bin/sh
# Regenerates the PKCS#12 fixtures used by TestOpenPKCS12Fixtures.
# Needs OpenSSL 3. Run from this directory: sh gen.sh
# The password and keys are throwaway test material, not secrets.
set -eu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'fixture-Passw0rd\n' > password.txt

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ec "$tmp/root.key"
ec "$tmp/inter.key"
ec "$tmp/leaf.key"

openssl req -new -x509 -key "$tmp/root.key" -subj "/C=ID/O=Segel Test/CN=Fixture Root" \
	-days 36500 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign -out "$tmp/root.pem"

cat > "$tmp/inter.ext" <<EXT
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
EXT
openssl req -new -key "$tmp/inter.key" -subj "/C=ID/O=Segel Test/CN=Fixture Intermediate" -out "$tmp/inter.csr"
openssl x509 -req -in "$tmp/inter.csr" -CA "$tmp/root.pem" -CAkey "$tmp/root.key" -CAcreateserial \
	-days 36500 -extfile "$tmp/inter.ext" -out "$tmp/inter.pem"

cat > "$tmp/leaf.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=emailProtection,1.3.6.1.5.5.7.3.36
EXT
openssl req -new -key "$tmp/leaf.key" -subj "/C=ID/O=Segel Test/CN=Fixture Signer" -out "$tmp/leaf.csr"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/inter.pem" -CAkey "$tmp/inter.key" -CAcreateserial \
	-days 36500 -extfile "$tmp/leaf.ext" -out "$tmp/leaf.pem"

# CA certificates in root-first order on purpose: Open must reorder them.
cat "$tmp/root.pem" "$tmp/inter.pem" > "$tmp/ca.pem"

# OpenSSL 3 default: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), HMAC-SHA256 MAC.
openssl pkcs12 -export -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -certfile "$tmp/ca.pem" \
	-passout file:password.txt -out openssl3-default.p12

# Legacy: pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates, SHA-1 MAC.
openssl pkcs12 -export -inkey "$tmp/leaf.key" -in "$tmp/leaf.pem" -certfile "$tmp/ca.pem" \
	-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 \
	-passout file:password.txt -out openssl3-legacy.p12
