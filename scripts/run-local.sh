#!/usr/bin/env bash
# Starts vep-function and the gateway wired as in the cluster, minus Kafka:
# gateway BROKER_URL -> function; function K_SINK -> gateway's internal events port; both
# sign and verify events with a key made for this run.
# REFERENCE=DIR serves a reference directory (`make reference`); without it the function
# serves VEP_INDEX if set (a reference directory or an index file), else the bundled regions.
# The gateway is told which reference that is (REFERENCE_* from `vep-function reference env`);
# custom sources the directory holds (VEP_CUSTOM, e.g. ClinVar from `make reference-clinvar`)
# go to both: the function annotates with them, the gateway names their download columns.
# VEP_CUSTOM set by the caller is used when the directory names none. Ctrl-C stops both.
set -euo pipefail
bin="${1:?usage: run-local.sh BIN_DIR}"
gateway_port="${GATEWAY_PORT:-8080}"
events_port="${EVENTS_PORT:-8081}"
function_port="${FUNCTION_PORT:-8090}"

index="${REFERENCE:-${VEP_INDEX:-}}"
settings=""
if [[ -n "$index" ]]; then
  if [[ -d "$index" ]]; then
    index="$(cd "$index" && pwd)"
    settings="$("$bin/vep-function" reference env "$index")"
  elif [[ ! -f "$index" ]]; then
    echo "run-local.sh: reference $index does not exist (make reference creates one)" >&2
    exit 1
  fi
else
  settings="$("$bin/vep-function" reference env)"
fi

# VEP_CUSTOM from the reference directory, if it names one (shell-quoted by `reference env`).
custom_line="$(sed -n 's/^VEP_CUSTOM=//p' <<<"$settings")"
if [[ -n "$custom_line" ]]; then
  eval "export VEP_CUSTOM=$custom_line"
fi

# One event signing key for this run, shared by both processes (in the cluster: the Secret
# event-signing-key). Removed when the run ends.
keydir="$(mktemp -d)"
head -c 48 /dev/urandom > "$keydir/event-signing-key"
chmod 600 "$keydir/event-signing-key"
export EVENT_SIGNING_KEY_FILE="$keydir/event-signing-key"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$keydir"
}
trap stop INT TERM EXIT

wait_ready() {
  local url=$1 name=$2
  # A whole-genome index takes longer to load than the bundled regions.
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$name did not become ready at $url" >&2
  exit 1
}

PORT="$function_port" K_SINK="http://127.0.0.1:${events_port}/" VEP_INDEX="$index" \
  "$bin/vep-function" serve &
pids+=($!)
wait_ready "http://127.0.0.1:${function_port}/health/readiness" vep-function

# The REFERENCE_* lines are shell-quoted by `reference env`; they go to the gateway only.
(
  if [[ -n "$settings" ]]; then eval "$(sed 's/^/export /' <<<"$settings")"; fi
  PORT="$gateway_port" EVENTS_PORT="$events_port" \
    BROKER_URL="http://127.0.0.1:${function_port}/" \
    exec "$bin/gateway"
) &
pids+=($!)
wait_ready "http://127.0.0.1:${gateway_port}/q/health/ready" gateway

echo
echo "  Variant annotation is running: http://127.0.0.1:${gateway_port}/"
if [[ -n "$index" ]]; then
  echo "  Reference: $index"
else
  echo "  Reference: the bundled regions (whole genome: make reference, then make run REFERENCE=DIR)"
fi
echo "  (WebSocket at ws://127.0.0.1:${gateway_port}/ws; Ctrl-C stops both processes)"
echo
wait -n "${pids[@]}"
