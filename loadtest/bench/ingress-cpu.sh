#!/usr/bin/env bash
# Where an ingress request's CPU goes: one constant-rate run (RATE, default 400/s, 20 s, the
# bench's mix unless MIX is set) against the same stack as ingress-vs-bare.sh, reporting the CPU
# seconds each process group used during it (the ingress, every PostgreSQL process, the tansu
# broker, the harness) per second and per acknowledged request. Single run: indicative.
# Usage: loadtest/bench/ingress-cpu.sh [OUT_DIR]   (after `cargo build --release -p switchyard -p switchyard-loadtest`)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/bench-cpu}"
source "$ROOT/loadtest/bench/ingress-stack.sh"
RATE=${RATE:-400}
HZ=$(getconf CLK_TCK)

# CPU ticks (user + system) of the given pids.
ticks_of() {
  local total=0 pid fields
  for pid in "$@"; do
    read -r -a fields <"/proc/$pid/stat" 2>/dev/null || continue
    total=$((total + fields[13] + fields[14]))
  done
  echo "$total"
}
# shellcheck disable=SC2046
snapshot() {
  echo "$(ticks_of "$ingress") $(ticks_of $(pgrep -f postgres)) $(ticks_of $(pgrep -f 'tansu broker')) $(ticks_of $(pgrep -f 'release/loadtest'))"
}

# shellcheck disable=SC2086
$LT run $COMMON --rate "$RATE" --duration 5 --warmup 1 >/dev/null 2>&1 || true # warm caches
read -r -a before <<<"$(snapshot)"
started=$(date +%s.%N)
# shellcheck disable=SC2086
$LT run $COMMON --rate "$RATE" --duration 20 --warmup 0 --verify-patience 30 --json-out "$OUT/cpu-run.json" >"$OUT/cpu-run.txt" 2>&1 &
harness=$!
sleep 19.5 # read the counters while the harness is still alive
read -r -a after <<<"$(snapshot)"
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
wait "$harness" || true
acked=$(jq -r '.runs[0].acked // .acked // empty' "$OUT/cpu-run.json" 2>/dev/null || true)
grep -E "achieved|acked|shed \(|errors|p99 ms" "$OUT/cpu-run.txt" || true
names=(ingress postgres tansu harness)
for i in 0 1 2 3; do
  cpu=$(echo "scale=3; (${after[$i]} - ${before[$i]}) / $HZ" | bc)
  per_request=""
  [ -n "$acked" ] && per_request=$(echo "scale=2; 1000 * $cpu / $acked" | bc)
  printf '%-9s %6.2f cores   %s ms CPU per acked request\n' "${names[$i]}" \
    "$(echo "scale=3; $cpu / $elapsed" | bc)" "${per_request:-?}"
done
