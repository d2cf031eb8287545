#!/usr/bin/env bash
# The in-memory result store's byte bound (MEMORY_STORE_MAX_BYTES) under sustained load, no
# Redis: the same pipeline load (bench/pipeline_load.sh's tool: SESSIONS sessions x ANALYSES
# analyses x VARIANTS variants, release builds) against a gateway with the default bound and,
# in the same run, against one whose bound is out of reach (1 TiB: every result kept for
# STREAM_TTL_SECS, the behaviour before the bound). Prints the gateway's peak RSS (VmHWM) of
# each, and their ratio, for RELIABILITY.md.
# Usage: bench/store_bound.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR/release, built here)
set -euo pipefail
cd "$(dirname "$0")/.."
sessions="${SESSIONS:-200}"
analyses="${ANALYSES:-20}"
variants="${VARIANTS:-50}"
max_secs="${MAX_SECONDS:-120}"
. bench/lib.sh
bench_bin "${1:-}" -p loadgen
ulimit -n "$(( sessions * 4 + 1024 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

input="$(generated_vcf 20000 20261128)"
work="$target/bench"
trap stop_all EXIT
peak_kib() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
# user+sys CPU seconds of a process so far (fields 14 and 15 of /proc/PID/stat, in ticks).
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

machine_banner

# run LABEL BUDGET_BYTES: one gateway + function pair under the load; prints its peak RSS.
run() {
  local gw_port ev_port fn_port fn_pid gw_pid
  gw_port=$(free_port); ev_port=$(free_port); fn_port=$(free_port)
  PORT="$fn_port" K_SINK="http://127.0.0.1:${ev_port}/" RUST_LOG=warn "$bin/vep-function" serve &
  fn_pid=$!; pids+=($fn_pid)
  wait_ready "http://127.0.0.1:${fn_port}/health/readiness"
  PORT="$gw_port" EVENTS_PORT="$ev_port" BROKER_URL="http://127.0.0.1:${fn_port}/" \
    MEMORY_STORE_MAX_BYTES="$2" RATE_LIMIT_PER_MINUTE=1000000 RATE_LIMIT_BURST=1000000 \
    RUST_LOG=warn "$bin/gateway" &
  gw_pid=$!; pids+=($gw_pid)
  wait_ready "http://127.0.0.1:${gw_port}/q/health/ready"
  echo "== $1: MEMORY_STORE_MAX_BYTES=$2"
  "$bin/pipeline-load" gateway "ws://127.0.0.1:${gw_port}/ws" "$sessions" "$analyses" "$variants" \
    "$max_secs" "$input" "$gw_pid" "$fn_pid" | tee "$work/store-bound.$1.txt"
  echo "PEAK $1 gateway_vmhwm_kib=$(peak_kib "$gw_pid") gateway_cpu_s=$(cpu_secs "$gw_pid") load=$(cut -d' ' -f1 /proc/loadavg)" \
    | tee -a "$work/store-bound.$1.txt"
  stop_all
}

run bounded $((64 << 20))
run unbounded $((1 << 40))

b=$(sed -n 's/^PEAK bounded gateway_vmhwm_kib=\([0-9]*\).*/\1/p' "$work/store-bound.bounded.txt")
u=$(sed -n 's/^PEAK unbounded gateway_vmhwm_kib=\([0-9]*\).*/\1/p' "$work/store-bound.unbounded.txt")
echo
awk -v b="$b" -v u="$u" 'BEGIN { printf "== gateway peak RSS: bounded %d KiB, unbounded %d KiB, ratio %.2fx\n", b, u, b/u }'
