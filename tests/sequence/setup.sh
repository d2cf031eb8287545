#!/usr/bin/env bash
# Installs bcftools (Debian package) when missing: vep-function's sequence tests compare their
# normalised calls with `bcftools norm -f` on the same edits. Without bcftools those tests fail
# with a message naming this script.
set -euo pipefail
exec "$(dirname "$0")/../../scripts/ensure-debian-package.sh" bcftools bcftools
