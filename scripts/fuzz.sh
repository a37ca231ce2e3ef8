#!/usr/bin/env bash
# Runs every fuzz target for a while (default 15 s each, as CI does).
#   scripts/fuzz.sh            # 15 s per target
#   FUZZTIME=10m scripts/fuzz.sh pdf:FuzzLexer   # one target, longer
# Crashers land in PKG/testdata/fuzz/TARGET/ and then run with go test ./...
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-15s}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(pdf:FuzzLexer pdf:FuzzOpen internal/cms:FuzzParse internal/cms:FuzzNormalizeBER
           keystore:FuzzParseKeyFile verify:FuzzVerify signer:FuzzSign
           internal/cms:FuzzParseCertificate verify/internal/changes:FuzzAnalyze
           pkinet:FuzzGuard certfile:FuzzParse pdf/textpos:FuzzContent pdf/textpos:FuzzCMap)
fi
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t##*:}
  echo "fuzz: $pkg $name for $FUZZTIME"
  log=$(mktemp)
  if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=100x "./$pkg" >"$log" 2>&1; then
    cat "$log"
    echo "fuzz: $pkg $name failed; the input is in $pkg/testdata/fuzz/$name/ — commit it as a regression" >&2
    rm -f "$log"
    exit 1
  fi
  tail -n 3 "$log"
  rm -f "$log"
done
