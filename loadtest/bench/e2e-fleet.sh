#!/usr/bin/env bash
# End to end through the live fleet in one command: a private tansu broker (memory), a throwaway
# database, the Dujiao-Next upstream simulator as a process (release `dujiao-upstream-sim`:
# auto-fulfil, signed callbacks, and a downstream callback sink), a release `switchyard up`
# (ingress + procurer + callback-relayer, production settings), provisioning (provision.sh for the
# downstream credential and SKU, then a dujiao_upstream connection to the simulator and the SKU
# mapped to its SKU 12), then `loadtest e2e` at each rate in RATES: signed orders at the
# ingress's provider API, each polled until delivered, then every acknowledged order's event
# verified on orders.accepted exactly once. Prints accepted -> delivered p50/p99 and delivered
# orders/s per rate; JSON reports and logs go to OUT_DIR.
# Everything it started is stopped and the database dropped on exit.
#
# The upstream connection's rate limit is UPSTREAM_PER_MINUTE (default 60000, i.e. 1000 calls/s):
# a connection's default of 60/min paces placements to 1 order/s, which would measure that quota,
# not the fleet.
#
# Usage: [RATES="10 25 50 100 200"] [DURATION=20] [UPSTREAM_PER_MINUTE=60000] loadtest/bench/e2e-fleet.sh [OUT_DIR]
#   after `cargo build --release -p switchyard -p switchyard-loadtest -p switchyard-simulators`.
# Ports (override if taken): BROKER_PORT=39192 INGRESS_PORT=18180 ADMIN_PORT=19564 SIM_PORT=18190.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/bench-e2e}"
RATES=${RATES:-"10 25 50 100 200"}
DURATION=${DURATION:-20}
BROKER_PORT=${BROKER_PORT:-39192}
INGRESS_PORT=${INGRESS_PORT:-18180}
ADMIN_PORT=${ADMIN_PORT:-19564}
SIM_PORT=${SIM_PORT:-18190}
UPSTREAM_PER_MINUTE=${UPSTREAM_PER_MINUTE:-60000}
mkdir -p "$OUT"
cd "$ROOT"
for binary in switchyard loadtest dujiao-upstream-sim; do
  [ -x "target/release/$binary" ] || { echo "target/release/$binary missing: build first (see Usage)" >&2; exit 2; }
done
source scripts/stack.sh
DB_NAME=switchyard_bench_e2e
DB_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
INGRESS=http://127.0.0.1:$INGRESS_PORT
ADMIN=http://127.0.0.1:$ADMIN_PORT
SIM=http://127.0.0.1:$SIM_PORT
# The hub's key at the simulator (a bench-only value, never a real credential).
SIM_KEY=bench-hub-at-sim
export DUJIAO_SIM_SECRET=bench-hub-at-sim-secret

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_broker bench-e2e-broker
  psql "$DB_ADMIN" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" || true
}
trap cleanup EXIT
if port_open 127.0.0.1 "$BROKER_PORT"; then
  echo "127.0.0.1:$BROKER_PORT is taken; this bench needs a private broker (set BROKER_PORT)" >&2
  exit 2
fi
start_broker bench-e2e-broker "$BROKER_PORT" "memory://tansu/"
psql "$DB_ADMIN" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"

./target/release/dujiao-upstream-sim --listen "127.0.0.1:$SIM_PORT" --api-key "$SIM_KEY" \
  >"$OUT/simulator.log" 2>&1 &
pids+=($!)

export SWITCHYARD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB_NAME
export SWITCHYARD_KAFKA__BROKERS=127.0.0.1:$BROKER_PORT SWITCHYARD_KAFKA__TOPIC_PREFIX=bench.
export SWITCHYARD_KAFKA__GROUP_PREFIX=bench.
export SWITCHYARD_INGRESS__LISTEN=127.0.0.1:$INGRESS_PORT SWITCHYARD_ADMIN__LISTEN=127.0.0.1:$ADMIN_PORT
# The downstream shop's callback URL is the simulator's sink on loopback.
export SWITCHYARD_INGRESS__ALLOW_PRIVATE_CALLBACK_URLS=true
export SWITCHYARD_WORKERS__PUBLIC_BASE_URL=$INGRESS
export SWITCHYARD_WORKERS__ALLOW_PRIVATE_PARTNER_URLS=true
export SWITCHYARD_ADMIN__TOKEN=bench-operator-token SWITCHYARD_TELEMETRY__FILTER=warn,librdkafka=off,rdkafka=off
SWITCHYARD_SECRETS__ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64)
export SWITCHYARD_SECRETS__ENCRYPTION_KEY
./target/release/switchyard migrate >"$OUT/migrate.log" 2>&1
./target/release/switchyard up >"$OUT/fleet.log" 2>&1 &
pids+=($!)
ready=""
for _ in $(seq 1 150); do
  if curl -sf "$ADMIN/readyz" >/dev/null && curl -sf "$SIM/_sink/count" >/dev/null; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { echo "the fleet or the simulator did not become ready; see $OUT/*.log" >&2; exit 1; }

# Downstream credential (large wallet) and our SKU; the printed flags name both.
ADMIN_URL=$ADMIN ADMIN_TOKEN=bench-operator-token loadtest/bench/provision.sh >"$OUT/flags"
eval "$(grep export "$OUT/flags")"
FLAGS=$(head -1 "$OUT/flags")
sku=$(sed -n 's/.*--dujiao-sku \([0-9]*\).*/\1/p' <<<"$FLAGS")
connection=$(jq -n --arg base "$SIM" --arg key "$SIM_KEY" --arg secret "$DUJIAO_SIM_SECRET" \
  --argjson per_minute "$UPSTREAM_PER_MINUTE" \
  '{kind: "dujiao_upstream", status: "active", name: "bench-simulator", base_url: $base,
    api_key: $key, secret: $secret, rate_limit_per_minute: $per_minute}' |
  curl -sS --fail-with-body -X POST "$ADMIN/admin/v1/connections" -H "Authorization: Bearer $SWITCHYARD_ADMIN__TOKEN" \
    -H 'Content-Type: application/json' -d @- | jq -r .id)
# The SKU is bought from the simulator's SKU 12.
jq -n --argjson sku "$sku" --argjson connection "$connection" \
  '{sku_id: $sku, fulfiller: "dujiao_upstream", connection_id: $connection, upstream_sku_id: 12}' |
  curl -sS --fail-with-body -X POST "$ADMIN/admin/v1/mappings" -H "Authorization: Bearer $SWITCHYARD_ADMIN__TOKEN" \
    -H 'Content-Type: application/json' -d @- >/dev/null

LT=./target/release/loadtest
# breakdown SINCE: where the time goes, from the hub's own timestamps (orders accepted at or
# after SINCE): ms from acceptance until the procurer created the sub-order, the upstream answered
# the placement, the relayer stored the confirmed delivery, and the shop's callback was answered.
breakdown() {
  psql "$SWITCHYARD_DATABASE_URL" -qAt -F $'\t' -v since="$1" <<'SQL'
WITH o AS (
  SELECT o.created_at AS accepted, p.created_at AS sub_order, p.updated_at AS confirmed,
         (SELECT min(a.attempted_at) FROM procurement_attempts a
           WHERE a.procurement_order_id = p.id AND a.outcome = 'succeeded') AS placed,
         (SELECT min(c.delivered_at) FROM callback_deliveries c WHERE c.order_id = o.id) AS told
  FROM orders o JOIN procurement_orders p ON p.order_id = o.id
  WHERE o.created_at >= :'since'::timestamptz AND p.status = 'fulfilled'),
s AS (
  SELECT 1 AS n, 'sub-order created' AS stage, sub_order - accepted AS d FROM o
  UNION ALL SELECT 2, 'placed upstream', placed - accepted FROM o
  UNION ALL SELECT 3, 'delivery confirmed', confirmed - accepted FROM o
  UNION ALL SELECT 4, 'shop told', told - accepted FROM o)
SELECT '  ms after acceptance: ' || stage, count(d),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d)) * 1000) AS p50,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d)) * 1000) AS p99,
       round(max(extract(epoch FROM d)) * 1000) AS max
FROM s GROUP BY n, stage ORDER BY n
SQL
}
summary="$OUT/summary.txt"
{
  echo "rate/s sent acked delivered undelivered delivered/s p50_ms p99_ms max_ms exactly_once"
} >"$summary"
for rate in $RATES; do
  echo "### loadtest e2e at $rate orders/s for $DURATION s"
  rm -f "$OUT/e2e-$rate.json"
  since=$(psql "$SWITCHYARD_DATABASE_URL" -qAtc "SELECT now()")
  # shellcheck disable=SC2086
  $LT e2e --target "$INGRESS" $FLAGS --dujiao-callback-url "$SIM/_sink/callback" \
    --rate "$rate" --duration "$DURATION" --warmup 0 --deliver-timeout 120 \
    --brokers "127.0.0.1:$BROKER_PORT" --topic-prefix bench. --verify-patience 60 \
    --no-progress --json-out "$OUT/e2e-$rate.json" || echo "(loadtest e2e exited $?: see above)"
  [ -f "$OUT/e2e-$rate.json" ] || { echo "$rate  (no report)" >>"$summary"; continue; }
  jq -r --arg rate "$rate" '[$rate, .runs[0].sent, .runs[0].acked, .end_to_end.delivered,
      (.end_to_end.not_delivered_in_time + .end_to_end.failed),
      (.end_to_end.delivered_per_s * 10 | round / 10),
      (.end_to_end.delivery_latency.p50_ms | round), (.end_to_end.delivery_latency.p99_ms | round),
      (.end_to_end.delivery_latency.max_ms | round), .topic_verification.passed] | @tsv' \
    "$OUT/e2e-$rate.json" >>"$summary"
  # Let the last callbacks drain before the next rate.
  sleep 5
  echo "### where the time went at $rate/s (hub timestamps; stage, orders, p50, p99, max)"
  breakdown "$since" | tee -a "$OUT/breakdown.txt"
done
echo "### downstream callbacks received by the sink: $(curl -sf "$SIM/_sink/count" | jq .received)"
column -t "$summary"
