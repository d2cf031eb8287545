#!/usr/bin/env bash
# Installs htslib's bgzip and tabix (Debian package `tabix`) when missing: vep-function's
# custom-source tests build a dense source with them, the same tools sites use to prepare
# their ClinVar/gnomAD VCFs, and bench/custom.sh indexes its generated source with them.
set -euo pipefail
here="$(dirname "$0")"
"$here/../../scripts/ensure-debian-package.sh" bgzip tabix
"$here/../../scripts/ensure-debian-package.sh" tabix tabix
