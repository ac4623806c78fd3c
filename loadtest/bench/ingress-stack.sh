# Sourced by the ingress benchmarks (not run on its own): starts a private tansu broker (:39092,
# memory), a throwaway database `switchyard_bench`, a release `switchyard ingress` (its pid in
# `$ingress`), provisions 16 Dujiao sites and the other connections, and sets `$LT`, `$MIX` and
# `$COMMON` (the harness flags every run shares). Needs `ROOT` and `OUT`; an EXIT trap stops
# everything it started and drops the database. `BENCH_SWITCHYARD` picks another switchyard binary.
mkdir -p "$OUT"
cd "$ROOT"
source scripts/stack.sh
stop_broker bench-broker || true
# BENCH_STORAGE picks the broker storage (default memory; e.g. sqlite://bench.db, file under .stack/).
start_broker bench-broker 39092 "${BENCH_STORAGE:-memory://tansu/}"
DB_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
psql "$DB_ADMIN" -qc "DROP DATABASE IF EXISTS switchyard_bench WITH (FORCE)"
export SWITCHYARD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/switchyard_bench
export SWITCHYARD_KAFKA__BROKERS=127.0.0.1:39092 SWITCHYARD_KAFKA__TOPIC_PREFIX=bench.
export SWITCHYARD_INGRESS__LISTEN=127.0.0.1:18080 SWITCHYARD_ADMIN__LISTEN=127.0.0.1:19464
export SWITCHYARD_ADMIN__TOKEN=bench-operator-token SWITCHYARD_TELEMETRY__FILTER=warn,librdkafka=off,rdkafka=off
# The harness posts vending reports to `/vending/notify?machine_no=…` for orders the hub never
# placed, so it has no notify token: the rollout setting takes them, as before tokens existed.
export SWITCHYARD_INGRESS__VENDING_NOTIFY_TOKENS=optional
SWITCHYARD_SECRETS__ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64)
export SWITCHYARD_SECRETS__ENCRYPTION_KEY
./target/release/switchyard migrate
"${BENCH_SWITCHYARD:-./target/release/switchyard}" ingress >"$OUT/ingress.log" 2>&1 &
ingress=$!
cleanup() {
  kill "$ingress" 2>/dev/null; wait "$ingress" 2>/dev/null || true
  stop_broker bench-broker
  psql "$DB_ADMIN" -qc "DROP DATABASE IF EXISTS switchyard_bench WITH (FORCE)"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:19464/readyz >/dev/null && break; sleep 0.2; done
# 16 downstream sites share the Dujiao orders (one site's orders serialise on its wallet row).
SITES=16 SITES_FILE="$OUT/dujiao-sites.txt" ADMIN_URL=http://127.0.0.1:19464 ADMIN_TOKEN=bench-operator-token \
  loadtest/bench/provision.sh >"$OUT/flags"
eval "$(grep export "$OUT/flags")"
FLAGS=$(head -1 "$OUT/flags")
LT=./target/release/loadtest
# Every protocol is in the mix. D-Store requests are RSA-signed by the harness (~1 ms each, on one
# generator thread per core), which caps what the harness can generate at roughly 7 500 req/s with
# this share; the report's "harness late sends" says when that limit is reached.
MIX=${MIX:-"dujiao-order=30,dujiao-callback=15,dstore-create-order=15,daojia-push=20,vending-notify=20"}
# shellcheck disable=SC2086
COMMON="--target http://127.0.0.1:18080 --connections ${CONNECTIONS:-1024} $FLAGS --mix $MIX --duplicates 0.05 --bad-signatures 0.02 --oversized 0.01 --brokers 127.0.0.1:39092 --topic-prefix bench. --no-progress"
