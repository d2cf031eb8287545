#!/usr/bin/env bash
# Installs redis-server (Debian package) for the cross-replica tests, only when it is missing.
# The tests start their own redis-server processes on free loopback ports; the package's
# system service is not used (tests never use port 6379). Also openssl, which the OIDC
# security test uses to generate its RSA keys.
set -euo pipefail
"$(dirname "$0")/ensure-debian-package.sh" openssl openssl
exec "$(dirname "$0")/ensure-debian-package.sh" redis-server redis-server
