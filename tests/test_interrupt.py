"""Ctrl-C (and SIGTERM) during an episode: the container is removed and the command exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.sandbox.gc import leftover_containers

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker


def _inherit(disposition: signal.Handlers) -> Callable[[], None]:
    """Start the child with SIGINT set to ``disposition``: a shell without job control starts `cmd &` with it
    ignored, and Python keeps an ignored SIGINT ignored unless the program says otherwise."""
    def set_it() -> None:
        signal.signal(signal.SIGINT, disposition)

    return set_it


@pytest.mark.parametrize(("sig", "inherited"), [(signal.SIGINT, signal.SIG_DFL), (signal.SIGINT, signal.SIG_IGN),
                                                (signal.SIGTERM, signal.SIG_DFL)],
                         ids=["SIGINT", "SIGINT-started-in-background", "SIGTERM"])
def test_signal_mid_episode_removes_the_container(sig: signal.Signals, inherited: signal.Handlers, tmp_path: Path,
                                                  desktop_image: str) -> None:
    run_dir = tmp_path / f"pytest-interrupt-{sig.name}"
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE / "terminal" / "count-errors.json"),
         "--agent", "tests.slow_agent:SlowAgent", "--run-dir", str(run_dir)],
        cwd=REPO, env={**os.environ, "SLOW_AGENT_MARKER": str(marker)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_inherit(inherited))
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


def test_a_second_ctrl_c_during_removal_still_removes_the_container(monkeypatch: pytest.MonkeyPatch,
                                                                     desktop_image: str) -> None:
    """The impatient user: Ctrl-C, then Ctrl-C again while the container is being removed."""
    from harness.sandbox import container as container_module

    real_remove = container_module.remove_container
    calls: list[str] = []

    def interrupted_once(target: object) -> None:
        calls.append(str(getattr(target, "name", "")))
        if len(calls) == 1:
            raise KeyboardInterrupt  # the second Ctrl-C lands inside the first removal
        real_remove(target)

    monkeypatch.setattr(container_module, "remove_container", interrupted_once)
    run_id = "pytest-double-ctrl-c"
    with pytest.raises(KeyboardInterrupt):
        with container_module.start_sandbox("desktop", labels={"deskbench.run": run_id}):
            assert leftover_containers(run_id)
            raise KeyboardInterrupt  # the first Ctrl-C, mid-episode
    assert len(calls) == 2, "the removal was restarted after the second interrupt"
    assert leftover_containers(run_id) == []


def test_ctrl_c_while_the_engine_creates_the_container_removes_it(monkeypatch: pytest.MonkeyPatch,
                                                                  desktop_image: str) -> None:
    """An interrupt after the engine made the container but before it answered: found by name, removed."""
    from harness.sandbox import container as container_module
    from harness.sandbox.engine import docker_client

    real_client = docker_client()

    class InterruptedContainers:
        def run(self, **kwargs: object) -> None:
            real_client.containers.run(**kwargs)
            raise KeyboardInterrupt

        def get(self, name: str) -> object:
            return real_client.containers.get(name)

    class Client:
        containers = InterruptedContainers()

    monkeypatch.setattr(container_module, "docker_client", lambda: Client())
    run_id = "pytest-ctrl-c-at-create"
    with pytest.raises(KeyboardInterrupt):
        with container_module.start_sandbox("desktop", labels={"deskbench.run": run_id}):
            pass
    assert leftover_containers(run_id) == []
