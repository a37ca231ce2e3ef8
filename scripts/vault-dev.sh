#!/usr/bin/env bash
# vault-dev.sh: a throw-away HashiCorp Vault dev server for developing and
# testing segel's vault: key backend.
#
#   eval "$(scripts/vault-dev.sh)"     build if needed, start, configure, export
#   scripts/vault-dev.sh build         only build (or find) the server binary
#   scripts/vault-dev.sh stop          stop the server started here
#
# The server is HashiCorp Vault v1.14.2 (MPL-2.0, the last line of Vault that
# is; with two small patches, see build), built from the Go module proxy in a
# wrapper module OUTSIDE this
# repository, under ${SEGEL_VAULT_CACHE:-$HOME/.cache/segel/vault}. Nothing of
# Vault's code or binary ever goes into the repository. A cold build takes a
# few minutes, ~4 GB of memory and several GB of Go caches; later runs reuse
# the binary. SEGEL_VAULT_BIN names an existing binary instead.
#
# The dev server listens on 127.0.0.1 only (port SEGEL_VAULT_PORT, default
# 8200), keeps everything in memory, is unsealed, and has:
#   transit/            Transit secrets engine (the signing keys)
#   secret/             KV v2 (certificate chains at secret/data/segel/certs/…)
#   pki/                root CA "segel dev root CA"
#   pki_int/            intermediate CA, role pki_int/roles/document-signing,
#                       and role pki_int/roles/tsa (time-stamping, sign-verbatim)
#   transit/keys/tsa    a time-stamping key with its certificate, when go is
#                       on PATH (segel cert request --profile tsa); serve it
#                       with: segel tsa serve --key vault:transit/tsa
# The root CA's PEM is written to $STATE/root.pem. Everything here is for
# development only: the root token is printed, the CA is throw-away.
set -euo pipefail

VAULT_VERSION=v1.14.2       # MPL-2.0; v1.14.10 and later are BSL
SDK_VERSION=v0.9.2          # the published sdk that compiles against it
BUILD=$VAULT_VERSION-segel1 # bump when the patches below change
CACHE=${SEGEL_VAULT_CACHE:-$HOME/.cache/segel/vault}
STATE=$CACHE/dev
PORT=${SEGEL_VAULT_PORT:-8200}
REPO=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "vault-dev: $*" >&2; }
die() { log "error: $*"; exit 1; }

# build prints the path of a Vault server binary, building it if needed.
build() {
  if [ -n "${SEGEL_VAULT_BIN:-}" ]; then
    [ -x "$SEGEL_VAULT_BIN" ] || die "SEGEL_VAULT_BIN=$SEGEL_VAULT_BIN is not an executable file"
    echo "$SEGEL_VAULT_BIN"; return
  fi
  local bin=$CACHE/bin/vault-$BUILD
  if [ -x "$bin" ]; then echo "$bin"; return; fi
  command -v go >/dev/null || die "go is not on PATH; it is needed to build Vault"
  local w=$CACHE/wrapper-$BUILD
  log "building Vault $VAULT_VERSION in $w (cold: many minutes, ~4 GB RAM)"
  rm -rf "$w"; mkdir -p "$w" "$CACHE/bin"
  (
    cd "$w"
    export GOFLAGS="${GOFLAGS:-} -mod=mod" GOWORK=off GOTOOLCHAIN=local
    cat > go.mod <<MOD
module segel.invalid/vault-dev-wrapper

go 1.26

// gosnowflake (linked into Vault) panics at init on Go 1.26 without it.
godebug x509negativeserial=1
MOD
    cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/hashicorp/vault"
GO
    go get "github.com/hashicorp/vault@$VAULT_VERSION" "github.com/hashicorp/vault/sdk@$SDK_VERSION" >&2
    # Vault's own go.mod points at its in-tree sdk with a replace directive,
    # which a dependency's go.mod cannot do. The published sdk compiles, but
    # its framework.Backend.init panics on a path that defines a create
    # operation without an existence check, which 1.14.2's built-in
    # plugins do ("managed-keys/... defines a CreateOperation but no
    # ExistenceCheck"). Use a copy of the sdk without that one check.
    local sdk; sdk=$(go list -m -f '{{.Dir}}' "github.com/hashicorp/vault/sdk")
    rm -rf sdk; cp -r "$sdk" sdk; chmod -R u+w sdk
    local f=sdk/framework/backend.go
    local n; n=$(grep -c 'if p.ExistenceCheck == nil {' "$f" || true)
    [ "$n" = 1 ] || die "cannot patch $f: expected one existence check, found $n"
    sed -i 's/if p.ExistenceCheck == nil {/if false \&\& p.ExistenceCheck == nil {/' "$f"
    go mod edit -replace "github.com/hashicorp/vault/sdk=./sdk"
    # Vault 1.14's OCSP responder stamps thisUpdate with the current time
    # while golang.org/x/crypto/ocsp rounds producedAt down to the minute,
    # so producedAt < thisUpdate and NSS (pdfsig, Firefox, Thunderbird)
    # rejects every answer ("OCSP response is not yet valid"). Round
    # thisUpdate down too in this test build. A production Vault of this
    # line has the same defect: see the README.
    local vdir; vdir=$(go list -m -f '{{.Dir}}' "github.com/hashicorp/vault")
    rm -rf vault; cp -r "$vdir" vault; chmod -R u+w vault
    local o=vault/builtin/logical/pki/path_ocsp.go
    n=$(grep -c 'ThisUpdate:         curTime,' "$o" || true)
    [ "$n" = 1 ] || die "cannot patch $o: expected one ThisUpdate, found $n"
    sed -i 's/ThisUpdate:         curTime,/ThisUpdate:         curTime.Truncate(time.Minute),/' "$o"
    go mod edit -replace "github.com/hashicorp/vault=./vault"
    go mod tidy >&2
    local start=$SECONDS
    go build -p 2 -trimpath -ldflags "-s -w" -o "$bin.tmp" github.com/hashicorp/vault >&2
    mv "$bin.tmp" "$bin"
    log "built $bin in $((SECONDS - start)) s"
  ) || die "building Vault failed (see above)"
  echo "$bin"
}

stop() {
  if [ -f "$STATE/pid" ]; then
    local pid; pid=$(cat "$STATE/pid")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; log "stopped Vault (pid $pid)"; fi
    rm -f "$STATE/pid"
  fi
}

start() {
  local bin; bin=$(build)
  mkdir -p "$STATE"; chmod 700 "$STATE"
  stop
  local token; token=dev-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export VAULT_ADDR=http://127.0.0.1:$PORT VAULT_TOKEN=$token
  unset VAULT_NAMESPACE VAULT_CACERT
  # The token goes through the environment, not argv.
  VAULT_DEV_ROOT_TOKEN_ID=$token nohup "$bin" server -dev -dev-no-store-token \
    -dev-listen-address="127.0.0.1:$PORT" >"$STATE/server.log" 2>&1 &
  echo $! > "$STATE/pid"
  local i
  for i in $(seq 1 100); do
    "$bin" status >/dev/null 2>&1 && break
    kill -0 "$(cat "$STATE/pid")" 2>/dev/null || die "the server exited; see $STATE/server.log"
    sleep 0.1
  done
  "$bin" status >/dev/null 2>&1 || die "the server did not come up; see $STATE/server.log"
  configure "$bin"
  log "Vault $VAULT_VERSION dev server on $VAULT_ADDR (pid $(cat "$STATE/pid"), log $STATE/server.log)"
  log "root CA: $STATE/root.pem; stop it with: $0 stop"
  echo "export VAULT_ADDR=$VAULT_ADDR"
  echo "export VAULT_TOKEN=$VAULT_TOKEN"
}

configure() {
  local v=$1 a=$VAULT_ADDR
  "$v" secrets enable transit >/dev/null
  # secret/ is KV v2 already in dev mode.
  "$v" secrets enable pki >/dev/null
  "$v" secrets tune -max-lease-ttl=87600h pki >/dev/null
  "$v" write pki/config/urls issuing_certificates="$a/v1/pki/ca" \
    crl_distribution_points="$a/v1/pki/crl" ocsp_servers="$a/v1/pki/ocsp" >/dev/null
  "$v" write -field=certificate pki/root/generate/internal \
    common_name="segel dev root CA" organization="segel development" key_type=ec key_bits=384 \
    ttl=87600h not_before_duration=1h > "$STATE/root.pem"
  "$v" secrets enable -path=pki_int pki >/dev/null
  "$v" secrets tune -max-lease-ttl=43800h pki_int >/dev/null
  "$v" write pki_int/config/urls issuing_certificates="$a/v1/pki_int/ca" \
    crl_distribution_points="$a/v1/pki_int/crl" ocsp_servers="$a/v1/pki_int/ocsp" >/dev/null
  "$v" write -field=csr pki_int/intermediate/generate/internal \
    common_name="segel dev document-signing CA" organization="segel development" \
    key_type=ec key_bits=384 > "$STATE/int.csr"
  "$v" write -field=certificate pki/root/sign-intermediate csr=@"$STATE/int.csr" \
    format=pem ttl=43800h not_before_duration=1h > "$STATE/int.pem"
  "$v" write pki_int/intermediate/set-signed certificate=@"$STATE/int.pem" >/dev/null
  "$v" write pki_int/roles/document-signing \
    key_usage=DigitalSignature,ContentCommitment email_protection_flag=true \
    ext_key_usage_oids=1.3.6.1.5.5.7.3.36 server_flag=false client_flag=false \
    key_type=any allow_any_name=true enforce_hostnames=false use_csr_common_name=true \
    max_ttl=8760h ttl=8760h not_before_duration=1h >/dev/null
  # Time-stamping certificates are issued at sign-verbatim (the request's
  # critical extended key usage timeStamping survives); the role gives
  # the lifetime.
  "$v" write pki_int/roles/tsa key_type=any allow_any_name=true enforce_hostnames=false \
    server_flag=false client_flag=false max_ttl=8760h ttl=8760h not_before_duration=1h >/dev/null
  "$v" policy write segel-tsa "$REPO/deploy/vault/segel-tsa.hcl" >/dev/null
  if command -v go >/dev/null; then
    (cd "$REPO" && go run ./cmd/segel keys create --type ecdsa-p256 transit/tsa >&2 &&
      go run ./cmd/segel cert request --profile tsa --key vault:transit/tsa --pki pki_int --role tsa \
        --cn "segel dev TSA" --org "segel development" >&2) ||
      log "warning: the TSA key or its certificate could not be made; see above"
  fi
}

case "${1:-start}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 [start|build|stop]" ;;
esac
