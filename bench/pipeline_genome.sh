#!/usr/bin/env bash
# The pipeline at genome scale (issue #18 "Pipeline" targets): 100k variants of the genome
# world uploaded over REST -> gateway -> vep-function (VEP_INDEX: the world indexed) -> gateway
# -> VCF download, timed from upload start to download complete, beside its peers in the same
# run: the engine CLI on the same file (`--format vcf`, the same output, and `--format json`),
# with the same index. Prints wall and CPU (user+sys) of each, peak RSS of both services, the
# event traffic (parts, bytes), and checks the download byte for byte against the CLI's VCF.
#
#   GENOME_WORLD=/work/world/full bench/pipeline_genome.sh [BIN_DIR]
#     (default: the world tests/genome/setup.sh builds under the target dir, 3.5 GB)
# Settings: VARIANTS (100000, the first records of the world's variants file),
# UPLOAD_CHUNK_SIZE (the gateway's default when unset), EVENT_MAX_BYTES (1000000); PERF=1
# profiles both services during the run (perf record; the top symbols are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
variants="${VARIANTS:-100000}"
bench_bin "${1:-}"
WORK="$target/bench/pipeline-genome"
mkdir -p "$WORK"
if [ -n "${GENOME_WORLD:-}" ]; then
  world="$GENOME_WORLD"
else
  world="$(bash tests/genome/setup.sh "$target/genome-world/full" "" 1000000)"
fi
source_vcf="$(ls "$world"/variants_*.vcf | head -1)"
[ -x /usr/bin/time ] || scripts/ensure-debian-package.sh /usr/bin/time time >&2

index="$WORK/world.vepidx"
if [ ! -s "$index" ] || [ "$index" -ot "$bin/vep-function" ]; then
  echo "indexing the world ($world)" >&2
  "$bin/vep-function" index --gff "$world/genes.gff3" --fasta "$world/genome.fa" \
    --output "$index" >&2
fi
input="$WORK/input-$variants.vcf"
awk -v n="$variants" '/^#/ {print; next} {print; if (++k == n) exit}' "$source_vcf" > "$input"

results="$(mktemp -d "$WORK/results.XXXXXX")"
cleanup() { stop_all; rm -rf "$results"; }
trap cleanup EXIT
cpu_s() { awk '{printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM:/ {print int($2/1024) " MiB"}' "/proc/$1/status"; }

machine_banner
echo "== input: $variants variants of $source_vcf ($(stat -c %s "$input") bytes), index $(stat -c %s "$index") bytes"

gw_port=$(free_port); ev_port=$(free_port); fn_port=$(free_port)
PORT="$fn_port" K_SINK="http://127.0.0.1:${ev_port}/" VEP_INDEX="$index" RUST_LOG=warn \
  "$bin/vep-function" serve &
fn_pid=$!; pids+=($fn_pid)
wait_ready "http://127.0.0.1:${fn_port}/health/readiness"
PORT="$gw_port" EVENTS_PORT="$ev_port" BROKER_URL="http://127.0.0.1:${fn_port}/" \
  RESULTS_DIR="$results" RUST_LOG=warn "$bin/gateway" &
gw_pid=$!; pids+=($gw_pid)
wait_ready "http://127.0.0.1:${gw_port}/q/health/ready"
fn_cpu0=$(cpu_s "$fn_pid"); gw_cpu0=$(cpu_s "$gw_pid")
# PERF=1: where each service spends its CPU during the run (perf record, then the top of
# `perf report` per process after the download).
perf_pids=()
if [ -n "${PERF:-}" ]; then
  for p in "$fn_pid" "$gw_pid"; do
    perf record -F 499 -g -p "$p" -o "$WORK/perf-$p.data" 2>/dev/null &
    perf_pids+=($!)
  done
  sleep 0.5
fi

load=$(cut -d' ' -f1 /proc/loadavg)
start=$(now)
reply=$(curl -fsS --data-binary @"$input" "http://127.0.0.1:${gw_port}/api/analyses")
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["analysis_id"])' <<<"$reply")
token=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["download_token"])' <<<"$reply")
accepted=$(now)
while :; do
  status=$(curl -fsS -H "X-Download-Token: $token" "http://127.0.0.1:${gw_port}/api/analyses/$id")
  state=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <<<"$status")
  [ "$state" = complete ] && break
  [ "$state" = running ] || { echo "unexpected status: $status" >&2; exit 1; }
  sleep 0.05
done
done_at=$(now)
curl -fsS -H "X-Download-Token: $token" -o "$results/out.vcf" \
  "http://127.0.0.1:${gw_port}/api/analyses/$id/results?format=vcf"
downloaded=$(now)
fn_cpu=$(echo "$(cpu_s "$fn_pid") - $fn_cpu0" | bc -l); gw_cpu=$(echo "$(cpu_s "$gw_pid") - $gw_cpu0" | bc -l)
if [ ${#perf_pids[@]} -gt 0 ]; then
  kill -INT "${perf_pids[@]}" 2>/dev/null || true
  wait "${perf_pids[@]}" 2>/dev/null || true
  for p in "$fn_pid" "$gw_pid"; do
    name=$([ "$p" = "$fn_pid" ] && echo vep-function || echo gateway)
    echo "== perf, $name: the functions with the most samples (self)"
    { perf report -i "$WORK/perf-$p.data" --stdio --no-children --sort symbol 2>/dev/null \
      | grep -E '^ +[0-9.]+%' | head -n "${PERF_TOP:-15}"; } || true
    rm -f "$WORK/perf-$p.data"
  done
fi
parts=$(ls "$results/$id/parts" | grep -c '\.part$' || true)
part_bytes=$(cat "$results/$id/parts"/*.part 2>/dev/null | wc -c)
echo "== status: $status"
echo "== events: $parts parts, $part_bytes bytes of compact data ($(( part_bytes / variants )) per variant)"
echo "peak RSS: gateway $(hwm "$gw_pid"), vep-function $(hwm "$fn_pid"); CPU: gateway ${gw_cpu} s, vep-function ${fn_cpu} s; load at start $load"

# Peers, same file, same index, one after the other.
WORK="$WORK" measure "$bin/vep-function" annotate --index "$index" -i "$input" --format vcf -o "$results/cli.vcf"
cli_vcf_s=$ELAPSED cli_vcf_cpu=$CPU cli_vcf_rss=$RSS_KB
WORK="$WORK" measure "$bin/vep-function" annotate --index "$index" -i "$input" --format json -o "$results/cli.json"
cli_json_s=$ELAPSED cli_json_cpu=$CPU

# Byte for byte: the same lines but the `##` header lines naming the program or the run.
comparable() { grep -v '^##' "$1" | cat - <(grep '^##INFO=<ID=CSQ' "$1"); }
if cmp -s <(comparable "$results/cli.vcf") <(comparable "$results/out.vcf"); then
  identical=identical
else
  identical="DIFFERENT ($(diff <(comparable "$results/cli.vcf") <(comparable "$results/out.vcf") | head -3))"
fi
records=$(grep -vc '^#' "$results/out.vcf")
[ "$records" -eq "$variants" ] || { echo "download has $records records, expected $variants" >&2; exit 1; }

python3 - "$variants" "$start" "$accepted" "$done_at" "$downloaded" "$cli_vcf_s" "$cli_vcf_cpu" \
  "$cli_json_s" "$cli_json_cpu" "$fn_cpu" "$gw_cpu" "$cli_vcf_rss" "$identical" <<'PY'
import sys
n = int(sys.argv[1])
start, accepted, done, downloaded, vcf_s, vcf_cpu, json_s, json_cpu, fn_cpu, gw_cpu = map(float, sys.argv[2:12])
rss, identical = sys.argv[12], sys.argv[13]
total = downloaded - start
print(f"pipeline: {total:.2f} s upload start to VCF downloaded ({n / total:,.0f} variants/s): "
      f"upload+validation {accepted - start:.2f} s, to complete {done - accepted:.2f} s, "
      f"download {downloaded - done:.2f} s; CPU {fn_cpu + gw_cpu:.2f} s ({fn_cpu:.2f} function + {gw_cpu:.2f} gateway)")
print(f"engine CLI, same file and index: --format vcf {vcf_s:.2f} s wall / {vcf_cpu:.2f} s cpu "
      f"({int(rss) // 1024} MiB); --format json {json_s:.2f} s wall / {json_cpu:.2f} s cpu")
print(f"ratio pipeline / CLI vcf: {total / vcf_s:.2f} wall, {(fn_cpu + gw_cpu) / vcf_cpu:.2f} cpu; "
      f"download vs CLI vcf: {identical}")
PY
