#!/usr/bin/env bash
# The test suite, on a fresh machine too: install, Docker engine, images, then pytest.
# Tests that need Docker run here; they are never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-docker.sh
scripts/ensure-chromium.sh
scripts/ensure-tesseract.sh
.venv/bin/deskbench images build
exec .venv/bin/python -m pytest -q "$@"
