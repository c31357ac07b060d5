"""Shared fixtures.  Tests marked ``docker`` need the engine and the built images: in CI
``scripts/test.sh`` provides both, and a missing engine is a failure, never a skip."""

from __future__ import annotations

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


def test_containers() -> set[str]:
    """Containers of runs whose id starts with ``pytest-`` (tests name their runs so)."""
    from harness.sandbox.engine import list_containers

    found = list_containers({"label": ["deskbench.run"]})
    return {str(c.name) for c in found if str(c.labels.get("deskbench.run", "")).startswith(TEST_RUN_PREFIX)}


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Fail the test if it leaves a container of a ``pytest-`` run behind."""
    before = test_containers()
    yield
    after = test_containers() - before
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
