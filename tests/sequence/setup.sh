#!/usr/bin/env bash
# Installs bcftools (Debian package) when missing: vep-function's sequence tests compare their
# normalised calls with `bcftools norm -f` on the same edits. Idempotent: a second run does
# nothing. Without bcftools those tests fail with a message naming this script.
set -euo pipefail

if command -v bcftools >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "tests/sequence/setup.sh: bcftools is missing and apt-get is unavailable" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends bcftools
command -v bcftools >/dev/null
