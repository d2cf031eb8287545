#!/usr/bin/env bash
# `make chaos`: fault injection (tests/tests/chaos.rs) and hostile input (tests/tests/security.rs)
# against the real gateway, vep-function and redis-server binaries on loopback, then a
# per-fault summary: every submitted variant must end exactly once, as a result or a typed
# error (lost = 0, duplicated = 0). Fails when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-redis.sh
cargo build --workspace --bins --locked
cargo build --manifest-path vep-function/Cargo.toml --bins --locked
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test -p e2e --locked --no-fail-fast --test chaos --test security -- --nocapture 2>&1 | tee "$log" \
  || status=$?

echo
echo "== fault injection: count check per fault"
printf '%-48s %9s %8s %12s %5s %10s\n' fault submitted results "typed errors" lost duplicated
grep -o 'CHAOS-TALLY.*' "$log" | sort -t$'\t' -k2 | \
  awk -F'\t' '{ printf "%-48s %9s %8s %12s %5s %10s\n", $2, $3, $4, $5, $6, $7 }'
echo
echo "== hostile input: figures"
grep -o 'SECURITY-FIGURE.*' "$log" | sort | awk -F'\t' '{ printf "  %s: %s\n", $2, $3 }'
echo
echo "== tests"
grep -E '^test [a-z0-9_:]+ \.\.\. (ok|FAILED|ignored)' "$log" | sed 's/^test /  /' | sort
passed=$(grep -cE '^test .* \.\.\. ok$' "$log" || true)
failed=$(grep -cE '^test .* \.\.\. FAILED$' "$log" || true)
echo "chaos + security: $passed passed, $failed failed"
exit "$status"
