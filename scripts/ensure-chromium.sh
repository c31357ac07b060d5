#!/usr/bin/env bash
# Debian's chromium on the host, for the HTML viewer's browser test (the desktops carry their own).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "ensure-chromium: install Debian's chromium package (needed by the viewer test)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "ensure-chromium: $(chromium --version 2>/dev/null || echo installed)" >&2
