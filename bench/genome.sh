#!/usr/bin/env bash
# Genome-scale benchmark (issues #15 and #18) on the genome world: GENCODE-derived models of all
# 252,913 human transcripts on a random GRCh38-shaped reference (../shared/tools/genome_world.py, run by tests/genome/setup.sh).
# In one run, release build:
#   - `index`: wall, CPU, peak RSS, index size;
#   - index load alone (a header-only input) and cold start to the first annotation (one
#     variant through the CLI): median of 5 fresh processes each;
#   - function readiness with VEP_INDEX: exec to /health/readiness 200 (median of 5), and its
#     peak RSS after a 1000-variant chunk (every 1000th record of the input) POSTed as a
#     submitted CloudEvent;
#   - N variants (default 1M) with `annotate --format vcf`, one thread and all cores, against
#     `bcftools csq` on the same GFF3, FASTA and VCF: CPU, wall, peak RSS, ratios. Outputs go to
#     /dev/null (2.9 GB of CSQ would charge the disk to whoever writes it); then, untimed, the
#     threaded output is checked byte for byte against one thread's.
#
#   bench/genome.sh                 world built once into $CARGO_TARGET_DIR/genome-world/full
#                                   (a PyPI venv, ~1 min and 3.5 GB of disk)
#   GENOME_WORLD=DIR bench/genome.sh    use a prebuilt world (genes.gff3, genome.fa + .fai,
#                                   variants_N.vcf), read only
# Settings: GENOME_VARIANTS (1000000), THREADS (all cores), PEER_BIN (another vep-function
# binary, e.g. one built from main, measured beside this one for index, load, cold start and
# readiness; its index is built in its own format).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
. bench/lib.sh
# Where `cargo build` puts the binary used below (the standalone crate would use its own).
export CARGO_TARGET_DIR="$target"
N="${GENOME_VARIANTS:-1000000}"
THREADS="${THREADS:-$(nproc)}"
WORK="$target/bench/genome"
mkdir -p "$WORK"

if [ -n "${GENOME_WORLD:-}" ]; then
  WORLD="$GENOME_WORLD"
else
  WORLD="$(bash tests/genome/setup.sh "$target/genome-world/full" "" "$N")"
fi
GFF="$WORLD/genes.gff3" FASTA="$WORLD/genome.fa" INPUT="$WORLD/variants_$N.vcf"
for f in "$GFF" "$FASTA" "$FASTA.fai" "$INPUT"; do
  [ -s "$f" ] || { echo "genome world incomplete: $f missing" >&2; exit 1; }
done

"$ROOT/scripts/ensure-debian-package.sh" bcftools bcftools >&2
[ -x /usr/bin/time ] || "$ROOT/scripts/ensure-debian-package.sh" /usr/bin/time time >&2
echo "building vep-function (release)" >&2
cargo build --release --manifest-path vep-function/Cargo.toml --bins >&2
BIN="$target/release/vep-function"
RECORDS=$(grep -vc '^#' "$INPUT")

machine_banner
echo "== world: $WORLD, $RECORDS records"

# Inputs: the VCF header alone (index load), plus its first record (cold start); the
# 1000-variant chunk as the gateway would submit it.
grep '^#' "$INPUT" > "$WORK/header.vcf"
{ cat "$WORK/header.vcf"; awk '!/^#/ {print; exit}' "$INPUT"; } > "$WORK/one.vcf"
python3 - "$INPUT" "$WORK/chunk1000.json" <<'PY'
import json, sys
records = [l.rstrip("\n") for l in open(sys.argv[1]) if not l.startswith("#")]
chunk = records[::1000][:1000]
json.dump({"analysis_id": "bench", "session_id": "bench", "request_id": "bench",
           "chunk_index": 0, "chunk_count": 1, "variants": chunk}, open(sys.argv[2], "w"))
PY

# index_build BIN NAME: builds NAME.vepidx; sets INDEX_S, INDEX_CPU, INDEX_RSS_KB, INDEX_BYTES.
index_build() {
  rm -f "$WORK/$2.vepidx"
  measure "$1" index --gff "$GFF" --fasta "$FASTA" --output "$WORK/$2.vepidx" 2>"$WORK/$2.index.log"
  echo "$2: $(cat "$WORK/$2.index.log")"
  INDEX_S=$ELAPSED INDEX_CPU=$CPU INDEX_RSS_KB=$RSS_KB
  INDEX_BYTES=$(stat -c %s "$WORK/$2.vepidx")
}

# fresh_ms BIN INDEX INPUT: median ms of 5 fresh `annotate` processes on INPUT until exit.
fresh_ms() {
  local runs=() start end
  for _ in 1 2 3 4 5; do
    start=$(now)
    "$1" annotate --index "$2" --input "$3" --format json > "$WORK/fresh.json" 2>/dev/null
    end=$(now)
    runs+=("$(echo "($end - $start) * 1000" | bc -l)")
  done
  median "${runs[@]}"
}

# ready_ms BIN INDEX: median ms of 5 starts from exec to /health/readiness 200. The last start
# stays up for a 1000-variant chunk; sets FN_RSS_MIB (peak RSS after it) and CHUNK_S.
ready_ms() {
  local runs=() start end port pid
  for i in 1 2 3 4 5; do
    port=$(free_port)
    start=$(now)
    PORT="$port" VEP_INDEX="$2" RUST_LOG=warn "$1" serve 2>"$WORK/serve.log" &
    pid=$!
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/health/readiness" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || { echo "vep-function exited: $(cat "$WORK/serve.log")" >&2; exit 1; }
      sleep 0.005
    done
    end=$(now)
    runs+=("$(echo "($end - $start) * 1000" | bc -l)")
    if [ "$i" = 5 ]; then
      start=$(now)
      curl -fsS -o "$WORK/chunk.out" "http://127.0.0.1:$port/" \
        -H 'ce-specversion: 1.0' -H 'ce-id: bench-1' -H 'ce-source: urn:genomics:gateway' \
        -H 'ce-type: dev.genomics.variants.submitted.v1' -H 'ce-subject: bench' \
        -H 'ce-sessionid: bench' -H 'ce-analysisid: bench' -H 'ce-partitionkey: bench' \
        -H 'ce-dataschema: urn:genomics:schemas:variants-submitted:v1' \
        -H 'content-type: application/json' --data-binary @"$WORK/chunk1000.json"
      end=$(now)
      CHUNK_S=$(echo "$end - $start" | bc -l)
      FN_RSS_MIB=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  done
  READY_MS=$(median "${runs[@]}")
}

# start_figures BIN NAME: index, load, cold start, readiness of one binary into NAME_* variables.
start_figures() {
  index_build "$1" "$2"
  local idx="$WORK/$2.vepidx"
  printf -v "${2}_index" '%.2f s wall, %.2f s cpu, %.0f MiB peak RSS, %.1f MB' "$INDEX_S" \
    "$INDEX_CPU" "$(echo "$INDEX_RSS_KB / 1024" | bc -l)" "$(echo "$INDEX_BYTES / 1000000" | bc -l)"
  printf -v "${2}_load" '%.0f' "$(fresh_ms "$1" "$idx" "$WORK/header.vcf")"
  printf -v "${2}_cold" '%.0f' "$(fresh_ms "$1" "$idx" "$WORK/one.vcf")"
  ready_ms "$1" "$idx"
  printf -v "${2}_ready" '%.0f' "$READY_MS"
  printf -v "${2}_fn" '%s MiB peak RSS after the chunk (%.2f s for it)' "$FN_RSS_MIB" "$CHUNK_S"
}

start_figures "$BIN" engine
[ -z "${PEER_BIN:-}" ] || start_figures "$PEER_BIN" peer

# Throughput: one thread, bcftools csq, all cores, in turn, to /dev/null.
echo "annotating $RECORDS records: vep-function --threads 1, bcftools csq, vep-function --threads $THREADS" >&2
measure "$BIN" annotate --threads 1 --index "$WORK/engine.vepidx" --input "$INPUT" --format vcf \
  --output /dev/null 2>"$WORK/engine1.stderr"
E1_S=$ELAPSED E1_CPU=$CPU E1_RSS=$RSS_KB E1_LOAD=$LOAD
measure bcftools csq -f "$FASTA" -g "$GFF" -Ov -o /dev/null "$INPUT" 2>"$WORK/bcftools.stderr"
B_S=$ELAPSED B_CPU=$CPU B_RSS=$RSS_KB B_LOAD=$LOAD
measure "$BIN" annotate --threads "$THREADS" --index "$WORK/engine.vepidx" --input "$INPUT" \
  --format vcf --output /dev/null 2>"$WORK/engineN.stderr"
EN_S=$ELAPSED EN_CPU=$CPU EN_RSS=$RSS_KB EN_LOAD=$LOAD
END_LOAD=$(cut -d' ' -f1 /proc/loadavg)

echo "checking --threads $THREADS output against one thread's (untimed)" >&2
one=$("$BIN" annotate --threads 1 --index "$WORK/engine.vepidx" --input "$INPUT" --format vcf 2>/dev/null | sha256sum)
many=$("$BIN" annotate --threads "$THREADS" --index "$WORK/engine.vepidx" --input "$INPUT" --format vcf 2>/dev/null | sha256sum)
[ "$one" = "$many" ] && IDENTICAL="byte-identical (sha256 ${one:0:16})" || IDENTICAL="DIFFERENT"

mib() { echo "$1 / 1024" | bc -l; }
printf '\n== genome scale: %s records, %s\n' "$RECORDS" "$WORLD"
printf 'index build:               %s\n' "$engine_index"
printf 'index load (no variant):   %s ms (median of 5 processes)\n' "$engine_load"
printf 'cold start, one variant:   %s ms (median of 5)\n' "$engine_cold"
printf 'function ready:            %s ms (median of 5); %s\n' "$engine_ready" "$engine_fn"
if [ -n "${PEER_BIN:-}" ]; then
  printf 'peer %s:\n' "$PEER_BIN"
  printf '  index build %s; load %s ms; cold start %s ms; ready %s ms; %s\n' "$peer_index" \
    "$peer_load" "$peer_cold" "$peer_ready" "$peer_fn"
  printf '  ratios peer / this: load %.1f, cold start %.1f, ready %.1f\n' \
    "$(echo "$peer_load / $engine_load" | bc -l)" "$(echo "$peer_cold / $engine_cold" | bc -l)" \
    "$(echo "$peer_ready / $engine_ready" | bc -l)"
fi
printf '%-30s %10s %10s %14s %10s\n' tool "wall s" "cpu s" "peak RSS MiB" "load avg"
printf '%-30s %10.2f %10.2f %14.0f %10s\n' "vep-function --threads 1" "$E1_S" "$E1_CPU" "$(mib "$E1_RSS")" "$E1_LOAD"
printf '%-30s %10.2f %10.2f %14.0f %10s\n' "bcftools csq $(bcftools --version | head -1 | cut -d' ' -f2)" \
  "$B_S" "$B_CPU" "$(mib "$B_RSS")" "$B_LOAD"
printf '%-30s %10.2f %10.2f %14.0f %10s\n' "vep-function --threads $THREADS" "$EN_S" "$EN_CPU" "$(mib "$EN_RSS")" "$EN_LOAD"
printf 'load average at the end: %s\n' "$END_LOAD"
printf 'bcftools / vep-function, 1 thread:  %.2f (cpu), %.2f (wall)\n' \
  "$(echo "$B_CPU / $E1_CPU" | bc -l)" "$(echo "$B_S / $E1_S" | bc -l)"
printf 'bcftools / vep-function, %s threads: %.2f (wall)\n' "$THREADS" "$(echo "$B_S / $EN_S" | bc -l)"
printf 'speed-up %s threads / 1 thread: %.2f (wall); cpu %.2f s vs %.2f s\n' "$THREADS" \
  "$(echo "$E1_S / $EN_S" | bc -l)" "$EN_CPU" "$E1_CPU"
printf 'threaded output: %s\n' "$IDENTICAL"
[ "$IDENTICAL" != DIFFERENT ] || exit 1
