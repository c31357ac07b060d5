"""API keys never enter containers, trajectories, logs or manifests.

A real run of the smoke suite by the ``claude`` agent against the local Messages API, started as the
``deskbench`` command in a subprocess with ``ANTHROPIC_API_KEY`` set to a unique marker: while its
episodes run, every live desktop of the run is inspected from outside (``docker inspect``) and from
inside (the environment of every process, read through the guest); afterwards every file of the run
folder and everything the command printed is searched.  The mock server confirms the key was in use.
An agent option that is a credential (``--agent-option api_key=...``) reaches the agent but is shown and
stored as ``redacted``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.agents.registry import REDACTED, AgentSpec, build_spec, is_secret_option, make_agent
from harness.errors import ConfigError
from harness.mockapi import MockServer, load_scripts
from harness.mockapi.faults import Faults
from harness.sandbox.container import GUEST_MOUNT
from harness.sandbox.engine import docker_client
from harness.sandbox.guest import GuestClient
from harness.store.manifest import read_manifest

from .conftest import REPO, SMOKE
from .secret_agent import KeyedAgent

MODEL = "claude-sonnet-4-5"
KEYED = "tests.secret_agent:KeyedAgent"
ONE_TASK = SMOKE / "terminal" / "hello-file.json"
# every process's environment, each prefixed by its file name, in one process (grep) to keep the probe light
ENVIRON_DUMP = "grep -a -H -s '' /proc/[0-9]*/environ; true"


def new_marker() -> str:
    """A key-shaped value that occurs nowhere else."""
    return f"sk-ant-api03-deskbench-marker-{uuid.uuid4().hex}"


# ------------------------------------------------------------------ redaction of agent options (no containers)


def test_secret_options_are_redacted_in_the_spec_yet_reach_the_agent() -> None:
    marker = new_marker()
    spec = build_spec(KEYED, {"api_key": marker})
    assert spec.options == {"api_key": REDACTED}
    shown = [str(spec), repr(spec), spec.model_dump_json(), json.dumps(spec.identity()), str(spec.model_dump())]
    assert not [text for text in shown if marker in text]
    agent = make_agent(spec)
    assert isinstance(agent, KeyedAgent) and agent.api_key == marker
    # pickled (as the Ray executor ships it to a node's process) the secret still reaches the agent
    assert make_agent(pickle.loads(pickle.dumps(spec))).api_key == marker  # type: ignore[attr-defined]
    assert make_agent(spec, {"api_key": "given-directly"}).api_key == "given-directly"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("option", "secret"), [
    ("api_key", True), ("x-api-key", True), ("apikey", True), ("access_token", True), ("client.secret", True),
    ("password", True), ("auth", True), ("max_tokens", False), ("thinking_budget", False),
    ("keep_screenshots", False), ("base_url", False), ("model", False), ("key_file", False)])
def test_which_options_are_credentials(option: str, secret: bool) -> None:
    assert is_secret_option(option) is secret


def test_hand_written_specs_and_error_messages_are_redacted() -> None:
    marker = new_marker()
    legacy = build_spec(f"{KEYED}?api_key={marker}")  # the old query-string form, still accepted
    assert legacy.options == {"api_key": REDACTED} and marker not in repr(legacy)
    with pytest.raises(ConfigError) as raised:
        build_spec(f"{KEYED}?api_key={marker}&api_key={marker}")
    assert marker not in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        build_spec(KEYED, {"api_key": marker, "api_kye": marker})
    assert "api_kye: unknown option" in str(raised.value) and marker not in str(raised.value)


def test_a_redacted_secret_this_process_was_never_given_is_asked_for_again() -> None:
    read_back = AgentSpec.model_validate({"name": KEYED, "options": {"api_key": REDACTED}})  # as from a manifest
    with pytest.raises(ConfigError, match=r"secret.*--agent-option api_key="):
        make_agent(read_back)


# ------------------------------------------------------------------ a real run, watched while it runs


@dataclass
class Watch:
    """What was seen of each live container of one run: its ``docker inspect`` and its processes' environments."""

    run_id: str
    inspected: dict[str, str] = field(default_factory=dict)  # container id -> inspect JSON (last seen)
    environs: dict[str, list[str]] = field(default_factory=dict)  # container id -> environment dumps
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Poll until stopped: a new container at once (every 0.1 s until its guest answers), then every 0.5 s."""
        api = docker_client().api
        last: dict[str, float] = {}
        while not self.stop.is_set():
            for summary in api.containers(filters={"label": [f"deskbench.run={self.run_id}"]}):
                container_id = str(summary["Id"])
                if time.monotonic() - last.get(container_id, 0.0) >= 0.5 and self._probe(api, container_id):
                    last[container_id] = time.monotonic()
            self.stop.wait(0.1)

    def _probe(self, api: Any, container_id: str) -> bool:
        """Inspect the container and read its processes' environments; False if the guest did not answer."""
        try:
            attrs = api.inspect_container(container_id)
        except Exception:  # noqa: BLE001 - removed between listing and inspecting
            return False
        self.inspected[container_id] = json.dumps(attrs)
        [source] = [m["Source"] for m in attrs["Mounts"] if m["Destination"] == GUEST_MOUNT]
        socket_path = Path(source) / "guest.sock"
        if not socket_path.exists():  # the desktop is still starting
            return False
        # Reading a process's environment takes its user (or CAP_SYS_PTRACE, which nothing here has): the init
        # is root's (docker exec), the guest uid 999's, the desktop uid 1000's; the dumps are joined.
        guest = GuestClient(str(socket_path), timeout=20)
        try:
            exec_id = api.exec_create(container_id, ["sh", "-c", ENVIRON_DUMP], user="0:0")["Id"]
            output = api.exec_start(exec_id).decode(errors="replace")
            for as_guest in (True, False):
                output += guest.run(ENVIRON_DUMP, timeout=15, as_guest=as_guest).stdout
        except Exception as exc:  # noqa: BLE001 - not up yet, or the episode ended while we asked
            self.errors.append(f"{container_id[:12]}: {exc}")
            return False
        finally:
            guest.close_connection()
        self.environs.setdefault(container_id, []).append(output)
        return True


class KeySeeingServer(MockServer):
    """The mock Messages API, remembering the key of every request (x-api-key, or a bearer token)."""

    keys: list[str]

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.keys.append(headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer "))
        return super().handle(path, headers, raw)


@pytest.fixture
def key_seeing_server() -> Iterator[KeySeeingServer]:
    # each answer takes 0.5 s, as a model's would: a smoke episode then lives long enough for the watcher to read
    # its desktop from inside before it ends (with instant answers one could end between inspect and exec)
    server = KeySeeingServer(load_scripts(SMOKE), Faults(delay=0.5))
    server.keys = []
    with server:
        yield server


def run_cli(args: list[str], env: Mapping[str, str], out: Path, watch: Watch | None = None) -> tuple[int, str]:
    """``deskbench run ...`` in a subprocess; returns its exit code and everything it printed."""
    with open(out, "wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", *args], cwd=REPO, env=dict(env),
                                   stdout=sink, stderr=subprocess.STDOUT)
        watcher = threading.Thread(target=watch.run, daemon=True) if watch is not None else None
        if watcher is not None:
            watcher.start()
        try:
            code = process.wait(timeout=240)
        finally:
            if watch is not None and watcher is not None:
                watch.stop.set()
                watcher.join(timeout=30)
            if process.poll() is None:
                process.kill()
    return code, out.read_text(errors="replace")


def texts_of(folder: Path) -> Iterator[tuple[Path, str]]:
    """Every file under ``folder`` as searchable text: raw bytes, unzipped, and Parquet as its cells."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield path, data.decode("latin-1")
        if path.suffix == ".gz":
            yield path, gzip.decompress(data).decode("latin-1")
        if path.suffix == ".parquet":  # compressed columns: search the values, not the bytes
            yield path, pd.read_parquet(path).to_csv()


def leaks(marker: str, folder: Path, output: str) -> list[str]:
    """Where the marker (or its random part alone) shows up."""
    needles = (marker, marker.rsplit("-", 1)[1])
    found = [str(path) for path, text in texts_of(folder) if any(n in text for n in needles)]
    return found + (["command output"] if any(n in output for n in needles) else [])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")}
    return {**env, **extra}


@pytest.mark.docker
def test_claude_run_keeps_the_api_key_out_of_containers_files_and_output(
        key_seeing_server: KeySeeingServer, tmp_path: Path, desktop_image: str) -> None:
    marker = new_marker()
    run_dir = tmp_path / f"pytest-secrets-{uuid.uuid4().hex[:8]}"
    watch = Watch(run_dir.name)
    code, output = run_cli(
        ["--suite", str(SMOKE), "--agent", "claude", "--model", MODEL, "--agent-option",
         f"base_url={key_seeing_server.url}", "--budgets", "15", "--parallel", "2", "--run-dir", str(run_dir)],
        clean_env(ANTHROPIC_API_KEY=marker), tmp_path / "output.txt", watch)
    assert code == 0, output
    records = [json.loads(line) for line in (run_dir / "episodes.jsonl").read_text().splitlines()]
    assert len(records) == 7 and {r["status"] for r in records} == {"success"}, output
    # the key was really in use: every request carried it
    assert key_seeing_server.keys and set(key_seeing_server.keys) == {marker}
    # every desktop of the run was seen from outside and from inside while it ran
    assert len(watch.inspected) == len(records), (len(watch.inspected), watch.errors)
    assert set(watch.environs) == set(watch.inspected), (set(watch.inspected) - set(watch.environs), watch.errors)
    for dumps in watch.environs.values():
        assert all("DESKBENCH_SCREEN=" in dump and "/proc/1/environ:" in dump for dump in dumps)
    # init, guest, bus, X, window manager and the probe itself -- and, at least once, an app an episode started
    counts = [dump.count("/environ:") for dumps in watch.environs.values() for dump in dumps]
    assert min(counts) >= 6 and max(counts) >= 7, counts
    assert not [c for c, text in watch.inspected.items() if marker in text]
    assert not [c for c, dumps in watch.environs.items() if any(marker in d for d in dumps)]
    # and nothing the run wrote or printed holds it
    assert (run_dir / "manifest.json").is_file() and (run_dir / "results.parquet").is_file()
    assert any(p.name == "steps.jsonl" for p in run_dir.rglob("*"))
    assert leaks(marker, run_dir, output) == []


@pytest.mark.docker
def test_api_key_option_is_redacted_in_manifest_records_and_output_and_a_resume_still_works(
        tmp_path: Path, desktop_image: str) -> None:
    marker = new_marker()
    run_dir = tmp_path / f"pytest-secrets-option-{uuid.uuid4().hex[:8]}"
    env = clean_env(KEYED_AGENT_KEY_SHA256=hashlib.sha256(marker.encode()).hexdigest())
    args = ["--suite", str(ONE_TASK), "--agent", KEYED, "--agent-option", f"api_key={marker}", "--run-dir",
            str(run_dir), "--quiet"]
    code, output = run_cli(args, env, tmp_path / "output.txt")
    assert code == 0, output  # the agent exists only if it got the real key
    manifest = read_manifest(run_dir)
    assert manifest is not None and manifest.identity["agent"] == {"name": KEYED, "options": {"api_key": REDACTED}}
    assert f'api_key="{REDACTED}"' in output
    assert leaks(marker, run_dir, output) == []
    # the spec in the manifest does not change with the key, so the same command resumes the run
    code, again = run_cli(args, env, tmp_path / "again.txt")
    assert code == 0 and "already finished" in again, again
    assert leaks(marker, run_dir, again) == []
