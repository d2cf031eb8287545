#!/usr/bin/env bash
# Runs the browser tests against the real binaries. Builds nothing: pass the directory holding
# `gateway` and `vep-function` (default: $CARGO_TARGET_DIR/debug, else target/debug).
# Each spec file starts its own vep-function + gateway on free loopback ports (so tests can
# kill and restart the gateway) and stops them when it ends. Artefacts (screenshots, service
# logs) go to .artifacts/browser/ at the repository root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug}"
bin="$(cd "$bin" && pwd)"

for b in gateway vep-function; do
  if [[ ! -x "$bin/$b" ]]; then
    echo "run.sh: $bin/$b is missing; build first (make build)" >&2
    exit 1
  fi
done
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  echo "run.sh: playwright-core is not installed; run tests/browser/setup.sh first" >&2
  exit 1
fi

artifacts="$root/.artifacts/browser"
rm -rf "$artifacts"
mkdir -p "$artifacts"

cd "$here"
BIN_DIR="$bin" ARTIFACTS_DIR="$artifacts" \
  node --test --test-concurrency=1 --test-timeout=180000 specs/*.test.js
echo "browser test artefacts: $artifacts"
