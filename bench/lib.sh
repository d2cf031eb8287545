# Sourced by the bench scripts (run from the repository root): release binaries, generated
# inputs and the local processes they start.
target="${CARGO_TARGET_DIR:-$PWD/target}"

# Every process a bench starts signs and verifies events with one key, as `make run` does
# (EVENT_SIGNING_KEY_FILE, eventing/README.md "Signed events").
mkdir -p "$target/bench"
EVENT_SIGNING_KEY_FILE="$target/bench/event-signing-key"
[ -s "$EVENT_SIGNING_KEY_FILE" ] || head -c 48 /dev/urandom > "$EVENT_SIGNING_KEY_FILE"
chmod 600 "$EVENT_SIGNING_KEY_FILE"
export EVENT_SIGNING_KEY_FILE

# bench_bin BIN_DIR [-p CRATE ...]: sets $bin; with no BIN_DIR, builds the release binaries of
# the gateway (plus the crates named) and vep-function.
bench_bin() {
  bin="${1:-}"
  shift || true
  if [ -z "$bin" ]; then
    cargo build --release -p gateway "$@" --bins
    cargo build --release --manifest-path vep-function/Cargo.toml --bins
    bin="$target/release"
  fi
}

# generated_vcf N SEED: prints the path of N generated variants over the bundled chr21 region
# (bench/gen_variants.py, cached under $target/bench).
generated_vcf() {
  local data=vep-function/data/chr21 work="$target/bench"
  local out="$work/generated-$1-$2.vcf"
  mkdir -p "$work"
  if [ ! -s "$out" ]; then
    python3 bench/gen_variants.py "$data/GRCh38.chr21.vep_test_region.fa.gz" \
      "$data/covered_regions.bed" "$1" "$2" > "$out.tmp"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "not ready: $1" >&2
  exit 1
}
