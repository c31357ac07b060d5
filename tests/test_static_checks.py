"""mypy --strict and ruff stay clean: on the package, the tests, and the code that runs inside the containers."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO

IN_CONTAINER = sorted(str(p.relative_to(REPO)) for folder in ("envs/desktop/guest", "envs/desktop/compat")
                      for p in (REPO / folder).glob("*.py"))


def test_mypy_strict_is_clean_on_the_package_the_tests_the_benchmarks_and_the_in_container_code() -> None:
    # pyproject's mypy section excludes envs/ from discovery (the images' Python, not ours); named files are checked.
    # One run for all of it: mypy resolves the shared imports once, so the tests cost seconds, not another run.
    done = subprocess.run([sys.executable, "-m", "mypy", "harness", "tests", "benchmarks", *IN_CONTAINER], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_ruff_is_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "harness", "tests", "benchmarks", "envs"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
