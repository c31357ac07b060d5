"""The CLI and the agent interface import no Docker SDK, pandas or office library until a command needs one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import REPO

HEAVY = ("docker", "pandas", "openpyxl", "docx", "pptx", "anthropic", "openai", "ray")


@pytest.mark.parametrize("module", ["harness", "harness.cli.app", "harness.agents.base", "harness.tools",
                                    "harness.sandbox", "harness.store", "harness.runner"])
def test_importing_loads_nothing_heavy(module: str) -> None:
    probe = (f"import json, sys; import {module}; "
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [], f"import {module} loaded {done.stdout.strip()}"
