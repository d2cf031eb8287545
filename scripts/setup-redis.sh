#!/usr/bin/env bash
# Installs redis-server (Debian package) for the cross-replica tests, only when it is missing.
# Idempotent: a second run does nothing. The tests start their own redis-server processes on
# free loopback ports; the package's system service is not used.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-redis: redis-server is missing and apt-get is unavailable; install Redis >= 6" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps redis-tools out; policy-rc.d is not touched, the service may
# start and is harmless (tests never use port 6379).
$SUDO apt-get install -y -qq --no-install-recommends redis-server
command -v redis-server >/dev/null
