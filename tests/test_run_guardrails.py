"""The run-level guardrails in real episodes: the confirmation policy and the egress allowlist, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from harness.actions.vocabulary import BashAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.runner.run import RunConfig, execute_run
from harness.store.manifest import read_manifest
from harness.store.run_folder import RunFolder
from harness.store.trajectory import read_steps
from harness.tasks import load_tasks

from .conftest import SMOKE
from .web_support import HelloHandler, serve

pytestmark = pytest.mark.docker
TASK = load_tasks(SMOKE / "terminal" / "hello-file.json")


class ScriptedBash(Agent):
    """Runs ``COMMANDS`` one per turn (with ``TEXT`` as its words), keeps every tool result it is shown."""

    name = "scripted-bash"
    COMMANDS: ClassVar[list[str]] = []
    TEXT: ClassVar[str] = ""
    seen: ClassVar[list[tuple[str | None, str | None]]] = []

    def start(self, episode: EpisodeInfo) -> None:
        ScriptedBash.seen = []

    def act(self, observation: Observation) -> Turn:
        ScriptedBash.seen += [(r.output, r.error) for r in observation.tool_results]
        if observation.step >= len(self.COMMANDS):
            return Turn(control="DONE")
        return Turn(text=self.TEXT, actions=[BashAction(command=self.COMMANDS[observation.step])])


def test_the_policy_stops_a_recursive_delete_and_records_it(tmp_path: Path, desktop_image: str,
                                                             no_leftovers: None) -> None:
    ScriptedBash.COMMANDS = ["mkdir -p ~/Desktop/keep && echo made", "rm -rf ~/Desktop/keep && echo gone",
                             "test -d ~/Desktop/keep && echo still-here"]
    folder = RunFolder(tmp_path / "pytest-policy")
    [record] = execute_run(TASK, RunConfig(agent="tests.test_run_guardrails:ScriptedBash", policy="default"), folder)
    assert record.policy == {"denied": 1}
    outputs = [(o or "").strip() for o, _ in ScriptedBash.seen]
    errors = [e for _, e in ScriptedBash.seen if e]
    assert "made" in outputs and "still-here" in outputs and "gone" not in outputs
    assert len(errors) == 1 and "recursive delete" in errors[0] and "ask the user" in errors[0]
    [trajectory] = (folder.path / "episodes").iterdir()
    verdicts = [v for step in read_steps(trajectory) for v in step.policy]
    assert verdicts == [{"rule": "recursive delete", "decision": "ask", "verdict": "denied",
                         "action": "rm -rf ~/Desktop/keep && echo gone"}]
    manifest = read_manifest(folder.path)
    assert manifest is not None and str(manifest.identity["policy"]).startswith("default@")


@pytest.fixture
def host_server() -> Iterator[int]:
    with serve(HelloHandler) as port:
        yield port


# A raw request to the relay's proxy port inside the desktop: no environment variable, no bypass list involved.
GET_THROUGH_PROXY = ("python3 -c \"import socket,sys; s=socket.create_connection(('127.0.0.1', 3128), 10); "
                     "s.sendall(('GET http://%s/x HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' % (sys.argv[1], sys.argv[1]))"
                     ".encode()); print(s.recv(200).decode().splitlines()[0])\" {}")


def test_allow_host_reaches_the_listed_host_only(tmp_path: Path, desktop_image: str, host_server: int,
                                                 no_leftovers: None) -> None:
    listed = f"localhost:{host_server}"
    ScriptedBash.COMMANDS = [GET_THROUGH_PROXY.format(listed), GET_THROUGH_PROXY.format("example.org:80")]
    folder = RunFolder(tmp_path / "pytest-allow-host")
    [record] = execute_run(TASK, RunConfig(agent="tests.test_run_guardrails:ScriptedBash", allow_hosts=(listed,)),
                           folder)
    assert record.status in ("success", "failure"), record.error
    first_lines = [(o or "").strip() for o, _ in ScriptedBash.seen]
    assert first_lines[0].startswith("HTTP/1.") and " 200 " in first_lines[0]
    assert " 403 " in first_lines[1]
    [trajectory] = (folder.path / "episodes").iterdir()
    log = [json.loads(line) for line in (trajectory / "egress.jsonl").read_text().splitlines()]
    assert [(d["host"], d["port"], d["allowed"]) for d in log] == [("localhost", host_server, True),
                                                                   ("example.org", 80, False)]
    manifest = read_manifest(folder.path)
    assert manifest is not None and manifest.identity["allow_hosts"] == [listed]
