#!/usr/bin/env bash
# Run the Docker-heavy tests several times in a row; print runs, failures and flaky test ids.
#   scripts/soak-tests.sh [--runs N] [-- PYTEST ARGS]     (default: 5 runs of the tests marked docker)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/ensure-docker.sh
scripts/ensure-chromium.sh
.venv/bin/deskbench images build >/dev/null
exec .venv/bin/python benchmarks/soak_tests.py "$@"
