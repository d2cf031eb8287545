#!/usr/bin/env bash
# Builds the two images with podman or buildah (called by `make images`).
#   IMAGE_REPO (default localhost/genomics-platform) and IMAGE_TAG (default: git short hash).
# Docker is not used: it needs a daemon, and the images must build rootless on developer
# machines and in OpenShift builds alike.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="${IMAGE_REPO:-localhost/genomics-platform}"
tag="${IMAGE_TAG:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo dev)}"

if command -v podman >/dev/null 2>&1; then
  build=(podman build)
elif command -v buildah >/dev/null 2>&1; then
  build=(buildah bud)
else
  echo "images: no container engine (podman or buildah) on this machine; nothing was built." >&2
  echo "images: install podman (apt-get install podman) and re-run, or build in the cluster." >&2
  exit 1
fi

set -x
"${build[@]}" -f "$root/gateway/Containerfile" -t "$repo/gateway:$tag" "$root"
"${build[@]}" -f "$root/vep-function/Containerfile" -t "$repo/vep-function:$tag" "$root/vep-function"
