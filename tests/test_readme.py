"""The README's examples run as written: the custom agent and the commands CI calls."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from harness.runner import RunConfig, execute_run
from harness.store import RunFolder
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE

README = (REPO / "README.md").read_text()


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    assert "scripts/test.sh\n" in blocks
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text()


@pytest.mark.docker
def test_readme_agent_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desktop_image: str) -> None:
    code = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "class TypeHello" in b)
    (tmp_path / "my_agent.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_agent", None)
    task = load_tasks(SMOKE / "terminal" / "hello-file.json")
    results = execute_run(task, RunConfig(agent="my_agent:TypeHello"), RunFolder(tmp_path / "pytest-readme"))
    assert [(r.status, r.steps_used, r.last_control) for r in results] == [("failure", 3, "DONE")]
