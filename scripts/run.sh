#!/usr/bin/env bash
# The main job: set up the local stack (installing what is missing), apply migrations, then run
# the whole fleet (`switchyard up`: ingress + every worker) in the foreground. Ctrl-C drains and
# stops it; the broker this script started is stopped too.
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
./target/release/switchyard migrate
./target/release/switchyard up "$@"
