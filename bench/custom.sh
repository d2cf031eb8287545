#!/usr/bin/env bash
# Custom annotation sources (issue #21): N variants (default 1M) annotated with one known-variant
# source, in ClinVar's conventions and as VEP users configure ClinVar,
#   --custom file=...,short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN
# against the same binary without it, in one run, one thread, `--format vcf` (and JSON for the
# dense case), outputs to /dev/null. Two cases:
#   - genome: the genome world of bench/genome.sh (GENOME_WORLD=DIR, or built) with a source of
#     ClinVar's density: every 20th input variant known plus 2.5M records over the genome;
#   - dense: bench/engine.sh's 1M generated variants over the chr21 region, with a source that
#     holds half of them (a record every ~1.5 bp): the stress case, where reading the source is
#     most of the work.
# PEER_BIN (e.g. a binary built from main, before custom sources) runs without a source beside,
# so that the no-source case shows whether it got slower. CPU time (user+sys) is the figure to
# compare on a shared machine; the load average is printed.
#
#   bench/custom.sh            CASES="genome dense" by default
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
. bench/lib.sh
export CARGO_TARGET_DIR="$target"
N="${CUSTOM_VARIANTS:-1000000}"
CASES="${CASES:-genome dense}"
WORK="$target/bench/custom"
mkdir -p "$WORK"

bash tests/custom/setup.sh >&2
[ -x /usr/bin/time ] || scripts/ensure-debian-package.sh /usr/bin/time time >&2
echo "building vep-function (release)" >&2
cargo build --release --manifest-path vep-function/Cargo.toml --bins >&2
BIN="$target/release/vep-function"
commit="${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $commit, $(date -u +%FT%TZ)"

# source_for INPUT MODE [ARGS...]: a bgzipped, tabix-indexed source in $WORK/source.vcf.gz.
source_for() {
  local input=$1
  shift
  python3 bench/gen_custom_source.py "$input" 20261128 "$@" > "$WORK/source.vcf"
  bgzip -f "$WORK/source.vcf"
  tabix -f -p vcf "$WORK/source.vcf.gz"
  echo "source: $(zcat "$WORK/source.vcf.gz" | grep -vc '^#') records, $(stat -c %s "$WORK/source.vcf.gz") bytes" >&2
}
SPEC="file=$WORK/source.vcf.gz,short_name=ClinVar,format=vcf,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN"

# run LABEL BIN ARGS...: one annotation to /dev/null; prints a table row.
run() {
  local label=$1
  shift
  measure "$@" --threads 1 --output /dev/null 2>"$WORK/run.log"
  printf '%-34s %8.2f %8.2f %10.1f %6s\n' "$label" "$ELAPSED" "$CPU" "$(echo "$RSS_KB / 1024" | bc -l)" "$LOAD"
  LAST_CPU=$CPU
}
header() {
  printf '\n== %s\n%-34s %8s %8s %10s %6s\n' "$1" run "wall s" "cpu s" "RSS MiB" load
}
ratio() { echo "$1 / $2" | bc -l; }

for case in $CASES; do
  case $case in
    genome)
      if [ -n "${GENOME_WORLD:-}" ]; then WORLD="$GENOME_WORLD"; else
        WORLD="$(bash tests/genome/setup.sh "$target/genome-world/full" "" "$N")"
      fi
      INPUT="$WORLD/variants_$N.vcf"
      [ -s "$WORK/genome.vepidx" ] || "$BIN" index --gff "$WORLD/genes.gff3" --fasta "$WORLD/genome.fa" \
        --output "$WORK/genome.vepidx" >&2
      source_for "$INPUT" clinvar "$WORLD/genome.fa.fai" 2500000
      MODELS=(--index "$WORK/genome.vepidx")
      FORMATS="vcf"
      ;;
    dense)
      INPUT="$(generated_vcf "$N" 20261128)"
      source_for "$INPUT" dense
      DATA=vep-function/data/chr21
      MODELS=(--gff "$DATA/Homo_sapiens.GRCh38.chr21_vep_test_subset.gff3.gz" --fasta "$DATA/GRCh38.chr21.vep_test_region.fa.gz")
      FORMATS="vcf json"
      ;;
    *) echo "unknown case $case (genome, dense)" >&2; exit 1 ;;
  esac
  for format in $FORMATS; do
    header "$case: $(grep -vc '^#' "$INPUT") variants, --format $format"
    if [ -n "${PEER_BIN:-}" ]; then
      run "peer, no source" "$PEER_BIN" annotate "${MODELS[@]}" --input "$INPUT" --format "$format"
      PEER_CPU=$LAST_CPU
    fi
    run "this build, no source" "$BIN" annotate "${MODELS[@]}" --input "$INPUT" --format "$format"
    PLAIN_CPU=$LAST_CPU
    run "this build, one source" "$BIN" annotate "${MODELS[@]}" --input "$INPUT" --format "$format" --custom "$SPEC"
    printf 'one source / none (cpu): %.2f' "$(ratio "$LAST_CPU" "$PLAIN_CPU")"
    if [ -n "${PEER_BIN:-}" ]; then
      printf '; no source, this build / peer (cpu): %.2f' "$(ratio "$PLAIN_CPU" "$PEER_CPU")"
    fi
    echo
  done
  rm -f "$WORK/source.vcf.gz" "$WORK/source.vcf.gz.tbi"
done
