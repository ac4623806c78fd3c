#!/usr/bin/env bash
# The whole test suite: set up the stack (installing what is missing), check formatting and
# lints, then run every test against a real broker and a real PostgreSQL. The broker started
# here is private to the run (its own port) and is stopped when the script exits, pass or fail.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
cd "$ROOT"

ensure_tansu
ensure_postgres
python3 -c 'import fastavro' 2>/dev/null || python3 -m pip install --quiet fastavro

TEST_BROKER_PORT="${SWITCHYARD_TEST_BROKER_PORT:-19092}"
stop_broker test-broker
start_broker test-broker "$TEST_BROKER_PORT" "memory://tansu/"
trap 'stop_broker test-broker' EXIT
export SWITCHYARD_TEST_BROKER="127.0.0.1:$TEST_BROKER_PORT"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# Two test threads: the machines have 2 cores and many tests run real brokers and servers.
cargo test --workspace -- --test-threads=2
