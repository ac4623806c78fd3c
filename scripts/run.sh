#!/usr/bin/env bash
# The main job: set up the local stack (installing what is missing), apply migrations, then run
# the whole fleet (`switchyard up`: ingress + every worker) in the foreground. Ctrl-C drains and
# stops it; the broker this script started is stopped too.
#
# Local secrets are created once under .stack/ (mode 600) and reused: the encryption key for
# secrets at rest, and the operator API token (.stack/admin.token) unless SWITCHYARD_ADMIN__TOKEN
# is already set. Idempotent: safe to re-run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"

ensure_tansu
ensure_postgres
started_broker=no
if ! port_open 127.0.0.1 9092; then start_broker tansu 9092 "memory://tansu/"; started_broker=yes; fi
cleanup() { [ "$started_broker" = yes ] && stop_broker tansu; }
trap cleanup EXIT

cd "$ROOT"
cargo build --release -p switchyard
export SWITCHYARD_SECRETS__ENCRYPTION_KEY="${SWITCHYARD_SECRETS__ENCRYPTION_KEY:-$(ensure_local_key)}"
if [ -n "${SWITCHYARD_ADMIN__TOKEN:-}" ]; then
  token_from="SWITCHYARD_ADMIN__TOKEN (your environment)"
  token_flag=""
else
  token_file="$(ensure_local_admin_token)"
  SWITCHYARD_ADMIN__TOKEN="$(cat "$token_file")"
  export SWITCHYARD_ADMIN__TOKEN
  token_from="${token_file#"$ROOT"/}"
  token_flag=" --token-file $token_from"
fi
./target/release/switchyard migrate
# The local stack's partners are simulators on 127.0.0.1: let partner and callback clients reach
# them. Production leaves this off (the SSRF guard refuses internal hosts).
export SWITCHYARD_WORKERS__ALLOW_PRIVATE_PARTNER_URLS="${SWITCHYARD_WORKERS__ALLOW_PRIVATE_PARTNER_URLS:-true}"
admin_url="http://${SWITCHYARD_ADMIN__LISTEN:-127.0.0.1:9464}"
printf '[run] operator API: %s/admin/v1 (README, "Operator API")\n' "$admin_url"
printf '[run] admin token:  %s\n' "$token_from"
printf '[run] try:          ./target/release/switchyard admin --url %s%s connections\n' "$admin_url" "$token_flag"
./target/release/switchyard up "$@"
