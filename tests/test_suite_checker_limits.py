"""A suite's own metrics, loaded from a checker file, run in the metric server under the same limits as built-ins."""

from __future__ import annotations

import os
import resource
import textwrap
from pathlib import Path

import pytest

from harness.checkers import limits
from harness.checkers.evaluate import _apply
from harness.checkers.registry import get_metric, load_plugin

CHECKERS = '''
import os

from harness.checkers.registry import metric


@metric("suite_runs_where")
def suite_runs_where(result, expected, **options):
    """1 in a process other than the harness's (the pid the test passes as ``expected``)."""
    return 1.0 if os.getpid() != expected else 0.0


@metric("suite_eats_memory")
def suite_eats_memory(result, expected, **options):
    """What a metric does on a decompression bomb: it keeps allocating (bounded, should it ever run unlimited)."""
    hoard = [bytearray(64 * 1024**2) for _ in range(24)]
    return float(len(hoard) == 0)
'''


@pytest.fixture(scope="module")
def suite_checkers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "checkers.py"
    path.write_text(textwrap.dedent(CHECKERS), encoding="utf-8")
    load_plugin(path)
    return path


def test_a_suite_metric_runs_in_the_metric_server(suite_checkers: Path) -> None:
    score, _ = _apply("suite_runs_where", None, os.getpid(), {})
    assert score == 1.0, "the suite's metric ran in the harness's own process, outside the limits"


def test_a_suite_metric_that_hogs_memory_is_cut_at_the_limit(suite_checkers: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MEMORY_BYTES", 1024**3)
    assert limits._plugin_files(get_metric("suite_eats_memory")), "the call would not reach the metric server"
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(limits.CheckerLimit, match="memory"):
        _apply("suite_eats_memory", None, None, {})
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024 < 100, "the harness untouched"
