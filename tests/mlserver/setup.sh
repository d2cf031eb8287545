#!/usr/bin/env bash
# Installs a real MLServer (PyPI) into a venv and builds the small scikit-learn model the
# scoring integration test serves. Idempotent: re-runs only when requirements.txt or train.py
# changed. Prints the venv path; tests find it at $MLSERVER_VENV or .artifacts/mlserver-venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${MLSERVER_VENV:-$root/.artifacts/mlserver-venv}"
stamp="$venv/.setup.sha256"
want="$(cat "$here/requirements.txt" "$here/train.py" | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/mlserver" && -f "$venv/model/model.joblib" && -f "$stamp" \
  && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" "$here/train.py" "$venv/model"
"$venv/bin/mlserver" --help >/dev/null
echo "$want" >"$stamp"
echo "MLServer and the test model installed in $venv"
