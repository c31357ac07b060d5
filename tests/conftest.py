"""Shared fixtures.  Tests marked ``docker`` need the engine and the built images: in CI
``scripts/test.sh`` provides both, and a missing engine is a failure, never a skip."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "tasks" / "smoke"


@pytest.fixture(scope="session")
def desktop_image() -> str:
    """The built desktop image's tag (built now if its content changed)."""
    from harness.sandbox.images import build_image

    tag, _ = build_image("desktop")
    return tag


@pytest.fixture(scope="session")
def office_image() -> str:
    """The built office image's tag (built now, with its parent, if its content changed)."""
    from harness.sandbox.images import build_image

    tag, _ = build_image("office")
    return tag


@pytest.fixture(scope="session")
def osworld_image() -> str:
    """The built osworld image's tag (GIMP, VLC, Thunderbird, Nautilus, VS Code; built now if its content changed)."""
    from harness.sandbox.images import build_image

    tag, _ = build_image("osworld")
    return tag


TEST_RUN_PREFIX = "pytest-"


def _descends_from_us(pid: int) -> bool:
    """Whether process ``pid`` is alive and this process is among its ancestors (a ``deskbench`` child a test ran)."""
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the parent's pid follows the state field
        if pid == os.getpid():
            return True
    return False


def test_containers(basetemp: Path) -> set[str]:
    """Containers of runs whose id starts with ``pytest-`` (tests name their runs so) that this session made.

    Made by this session: its own process, a child it started, or a run folder in its temporary folder (which
    outlives a child the test killed). Other test sessions on the same engine (a soak, a colleague's run) make
    ``pytest-`` containers too; they are theirs to account for.
    """
    from harness.sandbox.container import FOLDER_LABEL
    from harness.sandbox.engine import list_containers
    from harness.sandbox.ownership import PID_LABEL

    def ours(labels: dict[str, str]) -> bool:
        pid = int(labels.get(PID_LABEL, "0") or 0)
        folder = labels.get(FOLDER_LABEL, "")
        return (pid == os.getpid() or _descends_from_us(pid) or folder.startswith(str(basetemp))
                or PID_LABEL not in labels)

    found = list_containers({"label": ["deskbench.run"]})
    return {str(c.name) for c in found if str(c.labels.get("deskbench.run", "")).startswith(TEST_RUN_PREFIX)
            and ours(dict(c.labels))}


@pytest.fixture
def no_leftovers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the test if it leaves a container of a ``pytest-`` run of this session behind."""
    basetemp = tmp_path_factory.getbasetemp().resolve()
    before = test_containers(basetemp)
    yield
    after = test_containers(basetemp) - before
    assert not after, f"containers left behind: {sorted(after)}"


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory: pytest.TempPathFactory, desktop_image: str) -> dict[str, Path]:
    """Run folders ``oracle``, ``noop`` and ``claude`` (mock API) over the smoke suite: see tests/report_runs.py."""
    from .report_runs import make_report_runs

    return make_report_runs(tmp_path_factory.mktemp("report-runs"))


DOCKER_FIXTURES = frozenset({"desktop_image", "office_image", "osworld_image", "no_leftovers", "report_runs"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts containers (it asks for an image or the leftover check) as ``docker``.

    ``-m docker`` then selects the Docker-heavy tests, which is what
    ``benchmarks/soak_tests.py`` repeats to find flaky ones.
    """
    for item in items:
        if DOCKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)
