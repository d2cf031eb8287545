#!/usr/bin/env bash
# Usage: ensure-debian-package.sh COMMAND PACKAGE
# Installs PACKAGE with apt-get when COMMAND is not on PATH; does nothing otherwise. The test
# set-up scripts use it so a fresh machine gets what the tests need.
set -euo pipefail
cmd="${1:?usage: ensure-debian-package.sh COMMAND PACKAGE}"
pkg="${2:?usage: ensure-debian-package.sh COMMAND PACKAGE}"

if command -v "$cmd" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$cmd is missing and apt-get is unavailable: install the $pkg package" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$pkg"
command -v "$cmd" >/dev/null
