#!/usr/bin/env bash
# Installs what the browser tests need, idempotently: Debian's chromium (only when missing) and
# the pinned playwright-core from package-lock.json. Safe to run on every `make test-browser`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: /usr/bin/chromium is missing and installing it needs root (apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

cd "$here"
# npm ci is exact and fast when node_modules is already in step with the lock file.
if [[ ! -d node_modules/playwright-core ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
