#!/usr/bin/env bash
# Install deskbench (with its test tools) into ./.venv. Idempotent: a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "install: deskbench needs Python 3.11 or newer as python3" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf .venv && python3 -m venv .venv
    else
      echo "install: python3 -m venv failed; install python3-venv" >&2
      exit 1
    fi
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
# OSWorld's reference checkers for the differential test (tests/differential): the package alone, pinned, without
# its dependency tree (torch, OpenCV, easyocr...), which the compared metrics do not use.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps 'desktop-env==1.0.2'
echo "install: deskbench $(.venv/bin/python -c 'import harness; print(harness.__version__)') in .venv" >&2
