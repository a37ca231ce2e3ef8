#!/usr/bin/env bash
# Compares this checkout's `segel verify` with an earlier commit's, side by
# side in one run (commands alternate, see bench/compare): a 200 MB signed
# file, 2,000 small signed files, and a form of 1,000 fields and ~20,000
# objects signed twice (the second signature makes the first one's
# modification analysis walk both revisions).
#
#   BASE=9365a8d REPS=5 bench/regress.sh
#
# Inputs and binaries go to bench/out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${BASE:?set BASE to the commit to compare with}
OUT=${OUT:-bench/out}
REPS=${REPS:-5}
N_SMALL=${N_SMALL:-2000}
JOBS=${JOBS:-$(nproc)}
B=$OUT/bin
mkdir -p "$B" "$OUT/in"

echo "regress: building this checkout and $BASE" >&2
go build -o "$B/segel" ./cmd/segel
go build -o "$B/compare" ./bench/compare
wt=$(mktemp -d)
git worktree add -q --detach "$wt" "$BASE"
(cd "$wt" && go build -o "$OLDPWD/$B/segel-base" ./cmd/segel)
git worktree remove --force "$wt"

echo "regress: inputs" >&2
K=$OUT/keys
if [ ! -f "$K/signer.p12" ] || [ "$(ls "$OUT/small" 2>/dev/null | wc -l)" -ne "$N_SMALL" ]; then
  rm -rf "$OUT/small" "$K"
  go run ./bench/gensigned -n "$N_SMALL" -dir "$OUT/small" -keys "$K"
fi
sign() { "$B/segel" sign --force --key "file:$K/signer.p12" --key-password-file "$K/signer.pass" "$@" 2>/dev/null; }
[ -f "$OUT/in/200.pdf" ] || go run ./bench/genpdf -size 200 -o "$OUT/in/200.pdf"
[ -f "$OUT/in/v-200.pdf" ] || sign --field Signature1 -o "$OUT/in/v-200.pdf" "$OUT/in/200.pdf"
if [ ! -f "$OUT/in/fields-signed.pdf" ]; then
  go run ./bench/genfields -o "$OUT/in/fields.pdf"
  sign --field Signature1 --certify 2 -o "$OUT/in/fields-1.pdf" "$OUT/in/fields.pdf"
  sign -o "$OUT/in/fields-signed.pdf" "$OUT/in/fields-1.pdf"
fi

"$B/compare" -reps "$REPS" <<SPEC
verify 200 MB | segel (this checkout) | $B/segel verify --trust $K/root.pem $OUT/in/v-200.pdf >/dev/null
verify 200 MB | segel $BASE | $B/segel-base verify --trust $K/root.pem $OUT/in/v-200.pdf >/dev/null
verify $N_SMALL files | segel (this checkout) --jobs $JOBS | $B/segel verify --jobs $JOBS --json --trust $K/root.pem $OUT/small >/dev/null
verify $N_SMALL files | segel $BASE --jobs $JOBS | $B/segel-base verify --jobs $JOBS --json --trust $K/root.pem $OUT/small >/dev/null
verify 1,000 fields | segel (this checkout) | $B/segel verify --trust $K/root.pem $OUT/in/fields-signed.pdf >/dev/null
verify 1,000 fields | segel $BASE | $B/segel-base verify --trust $K/root.pem $OUT/in/fields-signed.pdf >/dev/null
SPEC
