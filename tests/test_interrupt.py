"""Ctrl-C (and SIGTERM) during an episode: the container is removed and the command exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.sandbox.gc import leftover_containers

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_episode_removes_the_container(sig: signal.Signals, tmp_path: Path, desktop_image: str) -> None:
    run_dir = tmp_path / f"pytest-interrupt-{sig.name}"
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE / "terminal" / "count-errors.json"),
         "--agent", "tests.slow_agent:SlowAgent", "--run-dir", str(run_dir)],
        cwd=REPO, env={**os.environ, "SLOW_AGENT_MARKER": str(marker)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the episode never started"
        time.sleep(0.05)
    assert leftover_containers(run_dir.name), "the episode's container should be running now"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert leftover_containers(run_dir.name) == []
