#!/usr/bin/env bash
# The main job on built-in defaults: install, make sure Docker answers, build the desktop
# images (a no-op when unchanged), run the built-in core suite with the reference-solution agent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-docker.sh
.venv/bin/deskbench images build
.venv/bin/deskbench run "$@"
