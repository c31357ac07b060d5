"""Agent options are typed per agent: validated once into an AgentSpec, refused before anything exists, recorded typed.

No containers: a bad option must be refused before any is started, and an
old run folder is resumed here with every episode already finished.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from harness.agents.registry import REDACTED, make_agent
from harness.agents.scripted import NoopAgent
from harness.agents.spec import AgentSpec, build_spec
from harness.errors import ConfigError
from harness.runner.api import RunOptions, prepare_run
from harness.runner.run import RunConfig, execute_run, plan_jobs, run_manifest
from harness.store.manifest import MANIFEST, read_manifest, write_manifest
from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder
from harness.tasks.loader import load_tasks

from .conftest import REPO, SMOKE

ONE_TASK = SMOKE / "terminal" / "hello-file.json"


class LevelOptions(BaseModel):
    """A user's agent declaring its options as a pydantic model."""

    level: int = Field(default=1, ge=1)
    tags: tuple[str, ...] = ()


class LevelledAgent(NoopAgent):
    """Takes what its ``Options`` model says, as keywords."""

    name = "levelled"
    Options = LevelOptions

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = LevelOptions.model_validate(options)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_cli_text_and_python_values_make_the_same_typed_spec() -> None:
    text = build_spec("claude", {"thinking_budget": "2048", "price": "3/15", "tools": "computer,bash",
                                 "prompt_caching": "false", "keep_screenshots": "none"})
    typed = build_spec("claude", {"thinking_budget": 2048, "price": (3, 15), "tools": ["computer", "bash"],
                                  "prompt_caching": False, "keep_screenshots": None})
    assert text == typed
    assert text.options == {"thinking_budget": 2048, "price": [3.0, 15.0], "tools": ["computer", "bash"],
                            "prompt_caching": False, "keep_screenshots": None}
    assert json.loads(text.model_dump_json()) == {"name": "claude", "options": text.options}
    # defaults are not recorded: the spec says what was given
    assert build_spec("claude").options == {}


def test_scripted_random_and_user_agents_are_validated_by_their_models() -> None:
    assert build_spec("random", {"seed": "7", "actions": "3"}).options == {"seed": 7, "actions": 3}
    agent = make_agent(build_spec("tests.test_agent_spec:LevelledAgent", {"level": "3", "tags": ["a", "b"]}))
    assert isinstance(agent, LevelledAgent) and agent.options == LevelOptions(level=3, tags=("a", "b"))
    # a class without an Options model: its __init__ signature is the model
    keyed = build_spec("tests.secret_agent:KeyedAgent", {"api_key": "k"})
    assert keyed.options == {"api_key": REDACTED} and make_agent(keyed).api_key == "k"  # type: ignore[attr-defined]


def test_a_name_and_the_legacy_query_string_are_converted_once() -> None:
    assert RunConfig().agent == AgentSpec(name="oracle")
    legacy = RunConfig(agent="random?seed=1&actions=2").agent
    assert legacy == build_spec("random", {"seed": 1, "actions": 2}) and legacy.options == {"seed": 1, "actions": 2}
    with pytest.raises(ConfigError, match="agent 'random' option actions"):
        RunConfig(agent="random?actions=0")


@pytest.mark.parametrize(("agent", "options", "option"), [
    ("claude", {"thinking_budgt": "2048"}, "thinking_budgt: unknown option"),
    ("claude", {"thinking_budget": "lots"}, "thinking_budget: Input should be a valid integer"),
    ("random", {"seed": "-1"}, "seed: Input should be greater than or equal to 0"),
    ("oracle", {"model": "m"}, "model: unknown option"),
    ("tests.test_agent_spec:LevelledAgent", {"level": "0"}, "level: Input should be greater than or equal to 1"),
])
def test_a_bad_option_is_one_line_naming_agent_and_option_before_the_run_folder_exists(
        agent: str, options: dict[str, str], option: str, tmp_path: Path) -> None:
    folder = tmp_path / "pytest-spec-refused"
    with pytest.raises(ConfigError) as raised:
        prepare_run(RunOptions(suite=ONE_TASK, agent=agent, agent_options=options, run_dir=folder))
    line = str(raised.value)
    assert "\n" not in line and f"agent {agent!r} option {option}" in line and "(known options: " in line
    assert not folder.exists()


def test_the_command_refuses_a_bad_option_in_one_line_and_creates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "pytest-spec-cli"
    done = cli("run", "--suite", str(ONE_TASK), "--agent", "random", "--agent-option", "actions=none",
               "--run-dir", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "agent 'random' option actions:" in line and "known options: seed, actions" in line
    assert not folder.exists()


@pytest.mark.parametrize(("args", "says"), [
    (["--agent-option", "seed=1", "--agent-option", "seed=2"], "agent option 'seed' is given twice"),
    (["--model", "a", "--agent-option", "model=b"], "--model a and --agent-option model=b disagree"),
])
def test_an_option_given_twice_is_refused_not_silently_overridden(args: list[str], says: str,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "pytest-spec-twice"
    done = cli("run", "--suite", str(ONE_TASK), "--agent", "random", *args, "--run-dir", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert says in line, line
    assert not folder.exists()


def test_a_secret_option_is_redacted_in_the_manifest_and_every_shown_form() -> None:
    marker = f"sk-pytest-{uuid.uuid4().hex}"
    config = RunConfig(agent=build_spec("tests.secret_agent:KeyedAgent", {"api_key": marker}))
    tasks = load_tasks(ONE_TASK)
    manifest = run_manifest(tasks, config, {}, {})
    assert manifest.identity["agent"] == {"name": "tests.secret_agent:KeyedAgent", "options": {"api_key": REDACTED}}
    shown = [manifest.model_dump_json(), str(config.agent), repr(config.agent), repr(config),
             config.agent.model_dump_json()]
    assert not [text for text in shown if marker in text]
    assert make_agent(config.agent).api_key == marker  # type: ignore[attr-defined]


def finished(folder: RunFolder, config: RunConfig, tasks: list[Any]) -> None:
    """Every episode of the run recorded as finished, so resuming it needs no container."""
    records = [EpisodeResult(run_id=folder.path.name, episode_id=eid, task_id=job.spec.task.id,
                             domain=job.spec.task.domain or "", agent=config.agent.name, budget=budget,
                             status="failure", score=0.0)
               for job in plan_jobs(tasks, config).jobs for eid, budget in zip(job.episode_ids(), job.budgets,
                                                                                strict=True)]
    folder.create()
    folder.append_all(records)


def test_a_run_folder_with_the_old_string_form_resumes(tmp_path: Path) -> None:
    tasks = load_tasks(ONE_TASK)
    config = RunConfig(agent=build_spec("random", {"seed": "1", "actions": "2"}), budgets=(3,))
    folder = RunFolder(tmp_path / "pytest-spec-old-manifest")
    finished(folder, config, tasks)
    # the manifest as deskbench wrote it before typed options: the agent as its query string, values as text
    old = run_manifest(tasks, config, {}, {})
    old.identity["agent"] = "random?seed=1&actions=2"
    write_manifest(folder.path, old)
    before = (folder.path / MANIFEST).read_text()
    assert execute_run(tasks, config, folder) == []  # resumed: nothing left to run, the identities agree
    assert (folder.path / MANIFEST).read_text() == before
    other = RunConfig(agent=build_spec("random", {"seed": 1, "actions": 3}), budgets=(3,))
    with pytest.raises(ConfigError, match=r"agent: was .*'actions': 2.*now .*'actions': 3"):
        execute_run(tasks, other, folder)
    written = read_manifest(folder.path)
    assert written is not None and written.identity["agent"] == "random?seed=1&actions=2"


def test_deskbench_agents_lists_the_agents_and_one_agents_typed_options() -> None:
    listing = cli("agents")
    assert listing.returncode == 0 and {"oracle", "random", "claude", "vlm"} <= {
        line.split()[0] for line in listing.stdout.splitlines() if line.strip()}
    claude = cli("agents", "claude")
    assert claude.returncode == 0, claude.stderr
    [row] = [line for line in claude.stdout.splitlines() if line.split()[:1] == ["thinking_budget"]]
    assert row.split()[1:5] == ["int", "|", "None", "none"] and "Extended thinking budget" in row
    [secret] = [line for line in cli("agents", "openai").stdout.splitlines() if line.split()[:1] == ["api_key"]]
    assert "redacted" in secret
    unknown = cli("agents", "claud")
    assert unknown.returncode == 1 and "unknown agent 'claud'" in unknown.stderr
