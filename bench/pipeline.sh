#!/usr/bin/env bash
# 100k variants end to end through the real pipeline on loopback (release builds, `make run`'s
# wiring): the VCF is POSTed to the gateway's REST API (gateway/API.md), split into chunks,
# annotated by vep-function, fanned back in; timed until the status says complete. In the same
# run, `vep-function annotate` on the same file: the ratio is the pipeline's overhead.
# Prints wall time, variants/s, peak RSS of both processes, and the ratio.
# Usage: bench/pipeline.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR/release, built here)
# Settings: VARIANTS (100000), SEED (20261128), UPLOAD_CHUNK_SIZE (gateway default 250).
set -euo pipefail
cd "$(dirname "$0")/.."
variants="${VARIANTS:-100000}"
seed="${SEED:-20261128}"
. bench/lib.sh
bench_bin "${1:-}"
input="$(generated_vcf "$variants" "$seed")"
work="$target/bench"

pids=()
results="$(mktemp -d)"
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$results"; }
trap stop_all EXIT
hwm() { awk '/^VmHWM:/ {print int($2/1024) " MiB"}' "/proc/$1/status"; }
now() { date +%s.%N; }

commit="${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $commit, $(date -u +%FT%TZ)"
echo "== input: $variants variants ($(stat -c %s "$input") bytes), seed $seed"

gw_port=$(free_port); ev_port=$(free_port); fn_port=$(free_port)
PORT="$fn_port" K_SINK="http://127.0.0.1:${ev_port}/" RUST_LOG=warn "$bin/vep-function" serve &
fn_pid=$!; pids+=($fn_pid)
wait_ready "http://127.0.0.1:${fn_port}/health/readiness"
PORT="$gw_port" EVENTS_PORT="$ev_port" BROKER_URL="http://127.0.0.1:${fn_port}/" \
  RESULTS_DIR="$results" RUST_LOG=warn "$bin/gateway" &
gw_pid=$!; pids+=($gw_pid)
wait_ready "http://127.0.0.1:${gw_port}/q/health/ready"

start=$(now)
reply=$(curl -fsS --data-binary @"$input" "http://127.0.0.1:${gw_port}/api/analyses")
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["analysis_id"])' <<<"$reply")
accepted=$(now)
while :; do
  status=$(curl -fsS "http://127.0.0.1:${gw_port}/api/analyses/$id")
  state=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <<<"$status")
  [ "$state" = complete ] && break
  [ "$state" = running ] || { echo "unexpected status: $status" >&2; exit 1; }
  sleep 0.05
done
done_at=$(now)
curl -fsS -o "$results/out.vcf" "http://127.0.0.1:${gw_port}/api/analyses/$id/results?format=vcf"
downloaded=$(now)
records=$(grep -vc '^#' "$results/out.vcf")
echo "== status: $status"
[ "$records" -eq "$variants" ] || { echo "download has $records records, expected $variants" >&2; exit 1; }

# The function produces VEP JSON per chunk, so `--format json` is the like-for-like engine
# figure; `--format vcf` (CSQ written straight from the engine) is the CLI's fastest path.
cli_start=$(now)
"$bin/vep-function" annotate -i "$input" --format json > "$results/cli.jsonl" 2>/dev/null
cli_json=$(now)
"$bin/vep-function" annotate -i "$input" --format vcf > "$results/cli.vcf" 2>/dev/null
cli_vcf=$(now)

python3 - "$variants" "$start" "$accepted" "$done_at" "$downloaded" "$cli_start" "$cli_json" "$cli_vcf" <<'PY'
import sys
n = int(sys.argv[1])
start, accepted, done, downloaded, cli_start, cli_json, cli_vcf = map(float, sys.argv[2:])
pipeline = done - start
json_s = cli_json - cli_start
vcf_s = cli_vcf - cli_json
print(f"pipeline: {pipeline:.2f} s upload to complete ({n / pipeline:,.0f} variants/s); "
      f"upload+validation {accepted - start:.2f} s; VCF download {downloaded - done:.2f} s")
print(f"engine CLI, same file: --format json {json_s:.2f} s ({n / json_s:,.0f} variants/s); "
      f"--format vcf {vcf_s:.2f} s ({n / vcf_s:,.0f} variants/s)")
print(f"ratio pipeline/engine: {pipeline / json_s:.2f} (vs json), {pipeline / vcf_s:.2f} (vs vcf)")
PY
echo "peak RSS: gateway $(hwm "$gw_pid"), vep-function $(hwm "$fn_pid")"
