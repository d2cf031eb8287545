#!/usr/bin/env bash
# Engine benchmark: the built-in annotation engine (`vep-function annotate`, release build)
# against `bcftools csq` on the same GFF3 + FASTA and the same generated VCF, in one run.
# Prints variants/s of both and their ratio, the engine's `--format json` on the same input
# against its own `--format vcf` (the JSON writer's peer), cold start (process start to first
# annotation on a 1-variant input, from GFF3 and from a prebuilt index) and peak RSS.
#
#   bench/engine.sh [N_VARIANTS]        (default 1000000; env BENCH_DIR, CARGO_TARGET_DIR)
#
# Heavy: a release build and two passes over N variants. Don't run it casually on a shared
# machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-1000000}"
SEED=20261128
DATA="$ROOT/vep-function/data/chr21"
GFF="$DATA/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz"
FASTA="$DATA/GRCh38.chr21.vep_test_region.fa.gz"
BED="$DATA/covered_regions.bed"
WORK="${BENCH_DIR:-$ROOT/target/bench}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/vep-function/target}"
BIN="$TARGET/release/vep-function"
mkdir -p "$WORK"

"$ROOT/scripts/ensure-debian-package.sh" bcftools bcftools >&2
[ -x /usr/bin/time ] || "$ROOT/scripts/ensure-debian-package.sh" /usr/bin/time time >&2

echo "building vep-function (release)" >&2
cargo build --release --manifest-path "$ROOT/vep-function/Cargo.toml" >&2

INPUT="$WORK/variants.$N.vcf"
if [ ! -s "$INPUT" ]; then
  echo "generating $N variants (seed $SEED)" >&2
  python3 "$ROOT/bench/gen_variants.py" "$FASTA" "$BED" "$N" "$SEED" > "$INPUT.tmp"
  mv "$INPUT.tmp" "$INPUT"
fi
RECORDS=$(grep -vc '^#' "$INPUT")

# now, measure: bench/lib.sh.
. "$ROOT/bench/lib.sh"

# Outputs of an earlier run are removed first: truncating a large file on open would be
# charged to whichever tool opens it.
rm -f "$WORK/engine.vcf" "$WORK/bcftools.vcf"
echo "annotating $RECORDS records with vep-function" >&2
# One thread, as in every figure of BENCHMARKS.md's engine table (threads: bench/genome.sh).
measure "$BIN" annotate --threads 1 --gff "$GFF" --fasta "$FASTA" --input "$INPUT" --format vcf \
  --output "$WORK/engine.vcf" 2>"$WORK/engine.stderr"
ENGINE_S=$ELAPSED ENGINE_RSS=$RSS_KB ENGINE_CPU=$CPU
ENGINE_OUT=$(grep -vc '^#' "$WORK/engine.vcf")
ENGINE_ERR=$(grep -c 'VEP_ERROR=' "$WORK/engine.vcf" || true)

# The same input as VEP JSON Lines: the JSON writer measured against the VCF writer above.
rm -f "$WORK/engine.json"
echo "annotating $RECORDS records with vep-function --format json" >&2
measure "$BIN" annotate --threads 1 --gff "$GFF" --fasta "$FASTA" --input "$INPUT" --format json \
  --output "$WORK/engine.json" 2>"$WORK/engine-json.stderr"
JSON_S=$ELAPSED JSON_CPU=$CPU
JSON_BYTES=$(stat -c %s "$WORK/engine.json")
rm -f "$WORK/engine.json"

echo "annotating $RECORDS records with bcftools csq" >&2
measure bcftools csq -f "$FASTA" -g "$GFF" -Ov -o "$WORK/bcftools.vcf" "$INPUT" \
  2>"$WORK/bcftools.stderr"
BCF_S=$ELAPSED BCF_RSS=$RSS_KB BCF_CPU=$CPU
BCF_OUT=$(grep -vc '^#' "$WORK/bcftools.vcf")

# Cold start: a fresh process on a 1-variant input, until its first output line.
head -3 "$INPUT" > "$WORK/one.vcf"
printf '21\t25585733\trs142513484\tC\tT\t.\t.\t.\n' >> "$WORK/one.vcf"
"$BIN" index --gff "$GFF" --fasta "$FASTA" --output "$WORK/chr21.vepidx" 2>/dev/null
cold() {
  local start end
  start=$(now)
  "$@" --input "$WORK/one.vcf" --format json 2>/dev/null | head -1 > "$WORK/cold.json"
  end=$(now)
  [ -s "$WORK/cold.json" ] || { echo "cold start produced no output: $*" >&2; exit 1; }
  echo "($end - $start) * 1000" | bc -l
}
COLD_GFF=$(cold "$BIN" annotate --gff "$GFF" --fasta "$FASTA")
COLD_IDX=$(cold "$BIN" annotate --index "$WORK/chr21.vepidx")

rate() { echo "$1 / $2" | bc -l; }
ENGINE_RATE=$(rate "$RECORDS" "$ENGINE_S")
BCF_RATE=$(rate "$RECORDS" "$BCF_S")
printf '\n== engine benchmark: %s records over the chr21 region (seed %s) ==\n' "$RECORDS" "$SEED"
printf '%-26s %12s %10s %10s %14s %12s\n' tool "variants/s" "wall s" "cpu s" "peak RSS MiB" \
  "out records"
printf '%-26s %12.0f %10.2f %10.2f %14.1f %12s\n' "vep-function annotate" "$ENGINE_RATE" \
  "$ENGINE_S" "$ENGINE_CPU" "$(echo "$ENGINE_RSS / 1024" | bc -l)" "$ENGINE_OUT"
printf '%-26s %12.0f %10.2f %10.2f %14.1f %12s\n' \
  "bcftools csq $(bcftools --version | head -1 | cut -d' ' -f2)" "$BCF_RATE" "$BCF_S" "$BCF_CPU" \
  "$(echo "$BCF_RSS / 1024" | bc -l)" "$BCF_OUT"
printf 'ratio vep-function / bcftools csq: %.2f (wall), %.2f (cpu)\n' \
  "$(echo "$ENGINE_RATE / $BCF_RATE" | bc -l)" "$(echo "$BCF_CPU / $ENGINE_CPU" | bc -l)"
printf 'vep-function records with VEP_ERROR: %s\n' "$ENGINE_ERR"
printf 'vep-function --format json: %.2f s wall, %.2f s cpu, %.0f MB; json / vcf: %.2f (wall), %.2f (cpu)\n' \
  "$JSON_S" "$JSON_CPU" "$(echo "$JSON_BYTES / 1000000" | bc -l)" \
  "$(echo "$JSON_S / $ENGINE_S" | bc -l)" "$(echo "$JSON_CPU / $ENGINE_CPU" | bc -l)"
printf 'cold start to first annotation: %.0f ms from GFF3+FASTA, %.0f ms from the index\n' \
  "$COLD_GFF" "$COLD_IDX"
