#!/usr/bin/env bash
# Installs what the manifest tests need: a venv with pytest, PyYAML, jsonschema and a real
# kubectl (kustomize v5.8.1 embedded). Idempotent: re-runs only when requirements.txt changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${MANIFESTS_VENV:-$root/.artifacts/manifests-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/kubectl" version --client >/dev/null
echo "$want" >"$stamp"
echo "manifest test tools installed in $venv"
