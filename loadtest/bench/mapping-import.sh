#!/usr/bin/env bash
# Mapping import throughput: rows/s of `POST /admin/v1/mappings/import` (CSV) for each row count
# given (default 10000 100000), first import (every row created) and re-import (every row
# unchanged). Starts a throwaway database `switchyard_bench_mappings` and a `switchyard ingress`
# whose broker is unreachable (the admin listener serves without one); seeds the SKUs with psql.
# Usage: cargo build --release -p switchyard && loadtest/bench/mapping-import.sh [ROWS...]
# `BENCH_SWITCHYARD` picks another switchyard binary.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${BENCH_SWITCHYARD:-./target/release/switchyard}
ADMIN_PORT=${ADMIN_PORT:-19474}
ADMIN=http://127.0.0.1:$ADMIN_PORT
DB_ADMIN="postgres://postgres@127.0.0.1:5432/postgres"
DB=switchyard_bench_mappings
export PGOPTIONS=--client-min-messages=warning
WORK=$(mktemp -d)
psql "$DB_ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
export SWITCHYARD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export SWITCHYARD_KAFKA__BROKERS=127.0.0.1:9 SWITCHYARD_TELEMETRY__FILTER=error
export SWITCHYARD_INGRESS__LISTEN=127.0.0.1:0 SWITCHYARD_ADMIN__LISTEN=127.0.0.1:$ADMIN_PORT
export SWITCHYARD_ADMIN__TOKEN=bench-operator-token
SWITCHYARD_SECRETS__ENCRYPTION_KEY=$(head -c32 /dev/urandom | base64)
export SWITCHYARD_SECRETS__ENCRYPTION_KEY
"$BIN" migrate >/dev/null
"$BIN" ingress >"$WORK/ingress.log" 2>&1 &
ingress=$!
cleanup() {
  kill "$ingress" 2>/dev/null; wait "$ingress" 2>/dev/null || true
  psql "$DB_ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "$ADMIN/admin/v1/spool" && break; sleep 0.2; done
auth=(-H "Authorization: Bearer $SWITCHYARD_ADMIN__TOKEN")
connection=$(curl -sS --fail-with-body "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"kind":"dujiao_upstream","name":"bench","base_url":"https://upstream.example.com","status":"active","api_key":"k","secret":"s"}' \
  "$ADMIN/admin/v1/connections" | jq -r .id)
printf 'rows\trun\tseconds\trows/s\tcreated\tunchanged\trejected\n'
for rows in ${*:-10000 100000}; do
  psql "$SWITCHYARD_DATABASE_URL" -qc "TRUNCATE product_mappings, skus, products RESTART IDENTITY CASCADE"
  # 100 SKUs per product (each new SKU touches its product's updated_at).
  psql "$SWITCHYARD_DATABASE_URL" -qc "INSERT INTO products (slug)
    SELECT 'bench-' || p FROM generate_series(1, ($rows + 99) / 100) AS p;
    INSERT INTO skus (product_id, sku_code, price_minor, currency)
    SELECT 1 + (n - 1) / 100, 'S' || n, 100, 'CNY' FROM generate_series(1, $rows) AS n"
  { echo "sku_id,fulfiller,connection_id,upstream_sku_id"
    seq 1 "$rows" | awk -v c="$connection" '{print $1 ",dujiao_upstream," c "," $1 + 500000}'
  } >"$WORK/mappings.csv"
  for run in first again; do
    curl -sS --fail-with-body "${auth[@]}" -H 'Content-Type: text/csv' --data-binary @"$WORK/mappings.csv" \
      -w '\n%{time_total}\n' "$ADMIN/admin/v1/mappings/import" >"$WORK/answer"
    seconds=$(tail -1 "$WORK/answer")
    head -1 "$WORK/answer" | jq -r --arg rows "$rows" --arg run "$run" --arg s "$seconds" \
      '[$rows, $run, $s, (($rows | tonumber) / ($s | tonumber) | floor), .created, .unchanged, .rejected] | @tsv'
  done
done
