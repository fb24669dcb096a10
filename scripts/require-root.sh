#!/usr/bin/env bash
# Fails loudly (never skips) when a target that needs root and network namespaces runs without them.
set -euo pipefail
what=${1:-this target}
if [ "$(id -u)" != 0 ]; then
  echo "error: $what needs root (network namespaces, raw sockets). Run it as root; nothing was skipped." >&2
  exit 2
fi
if ! ip netns list >/dev/null 2>&1; then
  echo "error: $what needs 'ip netns' (iproute2) and network namespace support in the kernel." >&2
  exit 2
fi
