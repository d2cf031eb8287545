#!/usr/bin/env bash
# `make bench`: the gateway (with the real vep-function behind it) and a bare actix-ws echo
# server, measured in the same run by the same load generator. Not a timed test.
#   SESSIONS (10000) idle sessions held; RATE (1000) sessions pinging once a second for
#   SECONDS (10); ANALYZE (200) sessions that then each submit one variant.
# Usage: bench/gateway.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR/release, built here)
set -euo pipefail
cd "$(dirname "$0")/.."
sessions="${SESSIONS:-10000}"
rate="${RATE:-1000}"
secs="${SECONDS_PER_RUN:-10}"
analyze="${ANALYZE:-200}"
. bench/lib.sh
bench_bin "${1:-}" -p loadgen
# Each session is a socket on both ends.
ulimit -n "$(( sessions * 2 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

trap stop_all EXIT

gw_port=$(free_port); ev_port=$(free_port); fn_port=$(free_port); echo_port=$(free_port)
PORT="$fn_port" K_SINK="http://127.0.0.1:${ev_port}/" RUST_LOG=warn "$bin/vep-function" serve &
pids+=($!)
wait_ready "http://127.0.0.1:${fn_port}/health/readiness"
PORT="$gw_port" EVENTS_PORT="$ev_port" BROKER_URL="http://127.0.0.1:${fn_port}/" \
  MAX_SESSIONS="$(( sessions + 100 ))" RUST_LOG=warn "$bin/gateway" &
gw_pid=$!; pids+=($gw_pid)
wait_ready "http://127.0.0.1:${gw_port}/q/health/ready"
PORT="$echo_port" "$bin/echo-server" &
echo_pid=$!; pids+=($echo_pid)
sleep 0.5

echo "== gateway (sessions=$sessions, rate=$rate msg/s, ${secs}s, analyses=$analyze)"
"$bin/gateway-load" "ws://127.0.0.1:${gw_port}/ws" "$sessions" "$rate" "$secs" "$gw_pid" --analyze "$analyze"
echo
echo "== reference: bare actix-ws echo server (same load, no analyses)"
"$bin/gateway-load" "ws://127.0.0.1:${echo_port}/ws" "$sessions" "$rate" "$secs" "$echo_pid"
echo
echo "Targets: 10k sessions held, < 16 KiB per idle session, p99 < 20 ms at 1k sessions x 1 msg/s."
