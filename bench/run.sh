#!/usr/bin/env bash
# Benchmarks segel side by side with its peers; prints markdown tables.
#
#   bench/run.sh            # full run: 1, 50, 200 MB and 2,000 small files
#   REPS=3 SIZES="1 50" N_SMALL=200 bench/run.sh   # a quicker one
#
# Needs: Go, /usr/bin/time (Debian time), mutool (mupdf-tools), podofosign
# (libpodofo-utils), pdfsig (poppler-utils), certutil (libnss3-tools).
# Inputs and binaries go to bench/out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out}
REPS=${REPS:-5}
SIZES=${SIZES:-"1 50 200"}
N_SMALL=${N_SMALL:-2000}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT/bin" "$OUT/in"

for tool in /usr/bin/time mutool podofosign pdfsig certutil; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

echo "bench: building" >&2
go build -o "$OUT/bin/segel" ./cmd/segel
go build -o "$OUT/bin/pdfsign-sign" ./bench/peers/pdfsign-sign
go build -o "$OUT/bin/pdfsign-verify" ./bench/peers/pdfsign-verify
go build -o "$OUT/bin/sha256floor" ./bench/sha256floor
go build -o "$OUT/bin/compare" ./bench/compare

echo "bench: inputs" >&2
if [ ! -f "$OUT/keys/signer.p12" ] || [ "$(ls "$OUT/small" 2>/dev/null | wc -l)" -ne "$N_SMALL" ]; then
  rm -rf "$OUT/small" "$OUT/keys"
  go run ./bench/gensigned -n "$N_SMALL" -dir "$OUT/small" -keys "$OUT/keys"
fi
K=$OUT/keys
for s in $SIZES; do
  [ -f "$OUT/in/$s.pdf" ] || go run ./bench/genpdf -size "$s" -o "$OUT/in/$s.pdf"
done
NSS=$OUT/nss
rm -rf "$NSS" && mkdir -p "$NSS"
certutil -N -d "sql:$NSS" --empty-password
certutil -A -d "sql:$NSS" -n root -t "CT,C,C" -i "$K/root.pem"
B=$OUT/bin
W=$OUT/work
mkdir -p "$W"

spec=$(mktemp)
for s in $SIZES; do
  in=$OUT/in/$s.pdf
  # Signed inputs for the verify rows, one per tool that signs.
  "$B/segel" sign --force --key "file:$K/signer.p12" --key-password-file "$K/signer.pass" --field Signature1 -o "$W/v-$s.pdf" "$in" 2>/dev/null
  cat >>"$spec" <<SPEC
sign $s MB | segel sign | $B/segel sign --key file:$K/signer.p12 --key-password-file $K/signer.pass --field Signature1 -o $W/segel-$s.pdf $in 2>/dev/null | rm -f $W/segel-$s.pdf
sign $s MB | mutool sign | mutool sign -s $K/signer.p12 -P bench -o $W/mutool-$s.pdf $in 4 | rm -f $W/mutool-$s.pdf
sign $s MB | podofosign | podofosign -in $in -out $W/podofo-$s.pdf -cert $K/signer-chain.pem -pkey $K/signer.key -digest SHA256 | rm -f $W/podofo-$s.pdf
sign $s MB | digitorus/pdfsign | $B/pdfsign-sign $K/signer.key $K/signer-chain.pem $in $W/pdfsign-$s.pdf | rm -f $W/pdfsign-$s.pdf
sign $s MB | floor: SHA-256 + copy | $B/sha256floor $in $W/floor-$s.pdf | rm -f $W/floor-$s.pdf
sign $s MB | floor: SHA-256 + copy + fsync | SYNC=1 $B/sha256floor $in $W/floorsync-$s.pdf | rm -f $W/floorsync-$s.pdf
verify $s MB | segel verify | $B/segel verify --trust $K/root.pem $W/v-$s.pdf >/dev/null
verify $s MB | pdfsig | pdfsig -nssdir sql:$NSS $W/v-$s.pdf >/dev/null 2>&1
verify $s MB | mutool sign -v | mutool sign -v $W/v-$s.pdf >/dev/null
verify $s MB | digitorus/pdfsign verify | $B/pdfsign-verify $W/v-$s.pdf >/dev/null
verify $s MB | floor: SHA-256 | $B/sha256floor $W/v-$s.pdf >/dev/null
SPEC
done
cat >>"$spec" <<SPEC
bulk verify $N_SMALL files | segel verify DIR (--jobs $JOBS) | $B/segel verify --jobs $JOBS --json --trust $K/root.pem $OUT/small >/dev/null
bulk verify $N_SMALL files | pdfsig loop | for f in $OUT/small/*.pdf; do pdfsig -nssdir sql:$NSS \$f >/dev/null 2>&1; done
SPEC

echo "## segel benchmarks ($(date -u +%Y-%m-%d), $(nproc) cores, $(go version | cut -d' ' -f3))"
"$B/compare" -reps "$REPS" <"$spec"
rm -f "$spec"
