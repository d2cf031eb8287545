#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS each (default 60). Crashes are saved under
# <crate>/fuzz/artifacts/<target>/ and make this script fail; each one found becomes a
# regression test beside the code it broke.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz needs sanitizer flags that only nightly accepts; the stable toolchain here
# accepts them when bootstrapping is allowed.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target/fuzz}"

run() {
  local dir=$1 target=$2
  echo "== fuzz $dir :: $target (${seconds}s)"
  (cd "$dir" && cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536)
}

for t in notation gff3 gtf refseq_gff3 submitted_event; do run vep-function/fuzz "$t"; done
run gateway/fuzz protocol
echo "fuzzing finished: no crash in ${seconds}s per target"
