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

now() { date +%s.%N; }

# measure CMD...: runs CMD under /usr/bin/time -v; sets ELAPSED (wall s), CPU (user+sys s),
# RSS_KB (peak) and LOAD (1-min load average when it started). CPU time is the fairer number on
# a busy shared machine. Needs $WORK (where time.log goes).
measure() {
  local log="$WORK/time.log" start end
  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  # Earlier outputs' dirty pages are written back first, so their writeback is not charged
  # to (or throttling) the tool measured next.
  sync
  start=$(now)
  /usr/bin/time -v -o "$log" "$@"
  end=$(now)
  ELAPSED=$(echo "$end - $start" | bc -l)
  RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  CPU=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$log")
}

# median N...: the median of the numbers given.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# Background processes a bench starts (append their pids to `pids`); `stop_all` ends them (a
# bench that wants them gone on exit says `trap stop_all EXIT`).
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }

# The first line of every bench's output: what ran where, so figures can be compared.
machine_banner() {
  commit="${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
  echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $commit, $(date -u +%FT%TZ)"
}
