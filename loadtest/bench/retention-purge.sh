#!/usr/bin/env bash
# Does the expiry-sweeper's retention purge slow the ingress? Seeds 1,000,000 ingress dedupe
# rows older than their retention, measures the ingress at a constant rate without a purge, then
# again while `switchyard worker expiry-sweeper` purges them (batches of
# `workers.sweeper.retention_batch`), and prints both p99s and how long the purge took.
# Uses the private stack of ingress-stack.sh (tansu :39092, database switchyard_bench, release
# ingress on :18080); everything it started is stopped on exit.
# Usage: RATE=500 loadtest/bench/retention-purge.sh [OUT_DIR]
#        (after `cargo build --release -p switchyard -p switchyard-loadtest`)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/bench/retention}"
RATE="${RATE:-500}"
DURATION="${DURATION:-30}"
ROWS="${ROWS:-1000000}"
source "$ROOT/loadtest/bench/ingress-stack.sh"
DB=postgres://postgres@127.0.0.1:5432/switchyard_bench

seed() {
  psql "$DB" -qc "insert into ingress_dedupe (channel, dedupe_key, event_id, created_at)
    select 'bench-old', 'old-' || n, gen_random_uuid(), now() - interval '30 days'
      from generate_series(1, $ROWS) n"
  psql "$DB" -qc "vacuum analyze ingress_dedupe"
}
old_rows() { psql "$DB" -tAc "select count(*) from ingress_dedupe where channel = 'bench-old'"; }
p99() { jq -r '.runs[0].latency.p99_ms' "$1"; }

seed
echo "### without a purge ($(old_rows) old rows in ingress_dedupe)"
# shellcheck disable=SC2086
$LT run $COMMON --rate "$RATE" --duration "$DURATION" --warmup 2 --json-out "$OUT/no-purge.json" || true

# The sweeper's retention runs at once when it leads; other jobs have nothing to do here.
SWITCHYARD_ADMIN__LISTEN=127.0.0.1:19465 SWITCHYARD_WORKERS__SWEEPER__RETENTION_PERIOD_SECS=3600 \
  "${BENCH_SWITCHYARD:-./target/release/switchyard}" worker expiry-sweeper >"$OUT/sweeper.log" 2>&1 &
sweeper=$!
trap 'kill $sweeper 2>/dev/null || true; cleanup' EXIT
purge_started=$(date +%s.%N)
echo "### during the purge"
# shellcheck disable=SC2086
$LT run $COMMON --rate "$RATE" --duration "$DURATION" --warmup 2 --json-out "$OUT/purge.json" || true
left=$(old_rows)
while [ "$(old_rows)" -gt 0 ]; do sleep 1; done
purge_secs=$(echo "$(date +%s.%N) - $purge_started" | bc)
purged=$(curl -s http://127.0.0.1:19465/metrics | grep '^switchyard_retention_purged_rows_total{table="ingress_dedupe"}' || true)
echo "### result"
echo "rate ${RATE}/s, ${DURATION} s per run, ${ROWS} old rows"
echo "p99 without purge: $(p99 "$OUT/no-purge.json") ms"
echo "p99 during purge:  $(p99 "$OUT/purge.json") ms (old rows left when the run ended: $left)"
echo "purge of ${ROWS} rows took ${purge_secs} s; ${purged}"
