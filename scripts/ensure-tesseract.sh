#!/usr/bin/env bash
# Debian's tesseract on the host: the compare_image_text metric reads text from images with it (metrics run on
# the host, never in the desktop).
set -euo pipefail
if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "ensure-tesseract: install Debian's tesseract-ocr and tesseract-ocr-eng (needed by compare_image_text)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-eng >/dev/null
echo "ensure-tesseract: $(tesseract --version 2>/dev/null | head -1 || echo installed)" >&2
