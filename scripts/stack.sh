#!/usr/bin/env bash
# The local stack Switchyard runs on: the tansu Kafka broker and PostgreSQL.
#
#   scripts/stack.sh up      install what is missing, start the broker (memory://) and PostgreSQL
#   scripts/stack.sh down    stop the broker this script started
#   scripts/stack.sh status  say what is running
#
# Idempotent: safe to re-run; a broker already answering on its port is reused, tansu is built
# only when version 0.6.0 is not installed, PostgreSQL is installed from Debian's packages only
# when absent. Sourced by run.sh and test.sh, which use the functions below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${SWITCHYARD_STACK_DIR:-$ROOT/.stack}"
TANSU_VERSION="0.6.0"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[stack] %s\n' "$*" >&2; }

# --- tansu -------------------------------------------------------------------------------------

ensure_tansu() {
  if command -v tansu >/dev/null 2>&1 && tansu --version 2>/dev/null | grep -q "tansu $TANSU_VERSION"; then
    return
  fi
  log "installing tansu $TANSU_VERSION (about 12-15 minutes on 2 cores, once)"
  cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore,libsql
}

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0 || return 1
}

# start_broker NAME PORT STORAGE: starts a tansu broker in the background and records its pid.
start_broker() {
  local name=$1 port=$2 storage=$3
  mkdir -p "$STACK_DIR"
  if port_open 127.0.0.1 "$port"; then
    log "a broker already answers on 127.0.0.1:$port; reusing it"
    return
  fi
  log "starting tansu ($name) on 127.0.0.1:$port with $storage"
  # `$!` is the broker's own pid (no wrapper process), so stop_broker signals the broker itself.
  (cd "$STACK_DIR"
   tansu broker \
      --storage-engine "$storage" \
      --listener-url "tcp://127.0.0.1:$port" \
      --advertised-listener-url "tcp://127.0.0.1:$port" \
      </dev/null >"$STACK_DIR/$name.log" 2>&1 & echo $! >"$STACK_DIR/$name.pid")
  for _ in $(seq 1 100); do
    port_open 127.0.0.1 "$port" && return
    sleep 0.1
  done
  log "tansu did not open port $port; see $STACK_DIR/$name.log"
  return 1
}

stop_broker() { # NAME
  local pidfile="$STACK_DIR/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped tansu ($1)"
  fi
  rm -f "$pidfile"
}

# --- PostgreSQL ---------------------------------------------------------------------------------

database_url() { echo "${SWITCHYARD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/switchyard}"; }

pg_host_port() { # prints "host port" of the database URL
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  local host="${rest%%:*}" port=5432
  [[ "$rest" == *:* ]] && port="${rest##*:}"
  echo "$host $port"
}

ensure_postgres() {
  local host port
  read -r host port < <(pg_host_port "$(database_url)")
  if port_open "$host" "$port"; then return; fi
  if [ "$host" != "127.0.0.1" ] && [ "$host" != "localhost" ]; then
    log "PostgreSQL at $host:$port is not reachable and is not local; start it, or unset SWITCHYARD_DATABASE_URL"
    return 1
  fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "PostgreSQL is not installed; installing it from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    # Local development only: trust loopback connections, as the test machines do.
    local hba; hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -1)
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  log "starting the local PostgreSQL cluster"
  local version; version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 100); do port_open "$host" "$port" && return; sleep 0.1; done
  log "PostgreSQL did not start on $host:$port"
  return 1
}

# --- secrets for local runs ---------------------------------------------------------------------

# A per-checkout AES-256 key for secrets at rest, generated once (local runs only; production
# injects SWITCHYARD_SECRETS__ENCRYPTION_KEY from a secret store).
ensure_local_key() {
  mkdir -p "$STACK_DIR"
  [ -f "$STACK_DIR/encryption.key" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$STACK_DIR/encryption.key")
  chmod 600 "$STACK_DIR/encryption.key"
  cat "$STACK_DIR/encryption.key"
}

# A per-checkout operator API token (32 random bytes, hex), generated once and reused; prints its
# path. `switchyard admin --token-file <path>` reads it (local runs only; production injects
# SWITCHYARD_ADMIN__TOKEN from a secret store).
ensure_local_admin_token() {
  mkdir -p "$STACK_DIR"
  local file="$STACK_DIR/admin.token"
  [ -s "$file" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
  chmod 600 "$file"
  printf '%s\n' "$file"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-}" in
    up) ensure_tansu; ensure_postgres; start_broker tansu 9092 "memory://tansu/" ;;
    down) stop_broker tansu ;;
    status)
      port_open 127.0.0.1 9092 && echo "broker: up on 127.0.0.1:9092" || echo "broker: down"
      read -r h p < <(pg_host_port "$(database_url)")
      port_open "$h" "$p" && echo "postgres: up on $h:$p" || echo "postgres: down" ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
  esac
fi
