#!/usr/bin/env bash
# The main job on built-in defaults: install, make sure Docker answers, build the desktop
# images (a no-op when unchanged), run the built-in core suite with the reference-solution agent.
# The core suite needs desktop and office only; `deskbench images build` (no names) adds osworld.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-docker.sh
scripts/ensure-tesseract.sh
.venv/bin/deskbench images build desktop office
.venv/bin/deskbench run "$@"
