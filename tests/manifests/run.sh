#!/usr/bin/env bash
# Validates every manifest (eventing/, config/ and the rendered overlays, func.yaml) against the
# real CRD / Kubernetes / func schemas and checks the wiring. Usage: tests/manifests/run.sh [pytest args]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${MANIFESTS_VENV:-$root/.artifacts/manifests-venv}"
"$here/setup.sh"
export PATH="$venv/bin:$PATH"
cd "$root"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
