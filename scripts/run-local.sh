#!/usr/bin/env bash
# Starts vep-function and the gateway wired as in the cluster, minus Kafka:
# gateway BROKER_URL -> function; function K_SINK -> gateway's internal events port.
# Ctrl-C stops both.
set -euo pipefail
bin="${1:?usage: run-local.sh BIN_DIR}"
gateway_port="${GATEWAY_PORT:-8080}"
events_port="${EVENTS_PORT:-8081}"
function_port="${FUNCTION_PORT:-8090}"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_ready() {
  local url=$1 name=$2
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$name did not become ready at $url" >&2
  exit 1
}

PORT="$function_port" K_SINK="http://127.0.0.1:${events_port}/" \
  "$bin/vep-function" serve &
pids+=($!)
wait_ready "http://127.0.0.1:${function_port}/health/readiness" vep-function

PORT="$gateway_port" EVENTS_PORT="$events_port" \
  BROKER_URL="http://127.0.0.1:${function_port}/" \
  "$bin/gateway" &
pids+=($!)
wait_ready "http://127.0.0.1:${gateway_port}/q/health/ready" gateway

echo
echo "  Variant annotation is running: http://127.0.0.1:${gateway_port}/"
echo "  (WebSocket at ws://127.0.0.1:${gateway_port}/ws; Ctrl-C stops both processes)"
echo
wait -n "${pids[@]}"
