#!/usr/bin/env bash
# Sustained load through the real pipeline on loopback, bounded in count and time, with the
# count check (every variant ends exactly once): SESSIONS WebSocket sessions each run
# ANALYSES analyses of VARIANTS variants back to back against gateway + vep-function (release
# builds, `make run`'s wiring), at most MAX_SECONDS. Then the reference in the same run: the
# same analyses POSTed as CloudEvents straight to a vep-function without K_SINK (no gateway),
# so the gateway's cost shows as a ratio. Prints figures for RELIABILITY.md.
# Usage: bench/pipeline_load.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR/release, built here)
set -euo pipefail
cd "$(dirname "$0")/.."
sessions="${SESSIONS:-200}"
analyses="${ANALYSES:-5}"
variants="${VARIANTS:-50}"
max_secs="${MAX_SECONDS:-60}"
. bench/lib.sh
bench_bin "${1:-}" -p loadgen
ulimit -n "$(( sessions * 4 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

input="$(generated_vcf 20000 20261128)"
work="$target/bench"

trap stop_all EXIT

machine_banner

gw_port=$(free_port); ev_port=$(free_port); fn_port=$(free_port)
PORT="$fn_port" K_SINK="http://127.0.0.1:${ev_port}/" RUST_LOG=warn "$bin/vep-function" serve &
fn_pid=$!; pids+=($fn_pid)
wait_ready "http://127.0.0.1:${fn_port}/health/readiness"
# The per-session rate limit is lifted so ANALYSES can be raised; every other limit is default.
PORT="$gw_port" EVENTS_PORT="$ev_port" BROKER_URL="http://127.0.0.1:${fn_port}/" \
  RATE_LIMIT_PER_MINUTE=1000000 RATE_LIMIT_BURST=1000000 RUST_LOG=warn "$bin/gateway" &
gw_pid=$!; pids+=($gw_pid)
wait_ready "http://127.0.0.1:${gw_port}/q/health/ready"
echo "== pipeline: gateway (pid $gw_pid) + vep-function (pid $fn_pid)"
"$bin/pipeline-load" gateway "ws://127.0.0.1:${gw_port}/ws" "$sessions" "$analyses" "$variants" \
  "$max_secs" "$input" "$gw_pid" "$fn_pid" | tee "$work/pipeline-load.gateway.txt"
stop_all

ref_port=$(free_port)
PORT="$ref_port" RUST_LOG=warn "$bin/vep-function" serve &
ref_pid=$!; pids+=($ref_pid)
wait_ready "http://127.0.0.1:${ref_port}/health/readiness"
echo
echo "== reference: vep-function alone (pid $ref_pid), same analyses as direct CloudEvents"
"$bin/pipeline-load" function "http://127.0.0.1:${ref_port}/" "$sessions" "$analyses" "$variants" \
  "$max_secs" "$input" "$ref_pid" | tee "$work/pipeline-load.function.txt"
stop_all

field() { grep '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
g="$work/pipeline-load.gateway.txt"; f="$work/pipeline-load.function.txt"
echo
echo "== ratios (pipeline / function alone)"
awk -v gt="$(field "$g" throughput)" -v ft="$(field "$f" throughput)" \
    -v g50="$(field "$g" p50_ms)" -v f50="$(field "$f" p50_ms)" \
    -v g99="$(field "$g" p99_ms)" -v f99="$(field "$f" p99_ms)" 'BEGIN {
  printf "throughput %.2fx, latency p50 %.2fx, p99 %.2fx\n", gt/ft, (f50>0?g50/f50:0), (f99>0?g99/f99:0) }'
