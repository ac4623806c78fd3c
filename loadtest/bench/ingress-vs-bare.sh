#!/usr/bin/env bash
# The ingress benchmark in one command: a private tansu broker (:39092, memory), a throwaway
# database, a release `switchyard ingress`, provisioning, then
#   1. `loadtest step` against the ingress and the bare handler in the same run (ratio);
#   2. constant-rate runs at 50 %, 80 % and 200 % of the ingress's max sustainable rate,
#      each verifying that every acknowledged event is on its topic exactly once.
# Everything it started is stopped and the database dropped on exit.
# Usage: loadtest/bench/ingress-vs-bare.sh [OUT_DIR]   (after `cargo build --release -p switchyard -p switchyard-loadtest`)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/bench}"
source "$ROOT/loadtest/bench/ingress-stack.sh"
source "$ROOT/loadtest/bench/explain-missing.sh"
# shellcheck disable=SC2086
$LT step $COMMON --baseline --start-rate 250 --max-rate 16000 --step-duration 5 --warmup 1 --json-out "$OUT/step.json" || echo "step: the search or its topic verification failed (see above)"
rm -f "$OUT/missing.txt"
explain_missing "$OUT/step.json"
max=$(jq -r '.baseline_ratio.target' "$OUT/step.json")
max=${max%.*}
for pct in 50 80 200; do
  rate=$((max * pct / 100))
  echo "### ${pct} % of the max sustainable rate: ${rate}/s"
  # shellcheck disable=SC2086
  $LT run $COMMON --rate "$rate" --duration 20 --warmup 2 --verify-patience 30 --json-out "$OUT/run-$pct.json" || true
  explain_missing "$OUT/run-$pct.json"
done
if [ -s "$OUT/missing.txt" ]; then
  echo "### acknowledged but missing (database view)"
  cat "$OUT/missing.txt"
fi
