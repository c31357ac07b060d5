"""deskbench's checkers against OSWorld's reference implementation (``desktop-env``), on a representative slice.

Under ``osworld`` semantics, task-derived cases (each task's own rules and
options, on generated files, LibreOffice round trips included) must agree
with the reference on at least 99%, and every disagreement must be in the
explained allowlist.  Each ``strict`` deviation is shown to change exactly
its case.  The full sweep is ``benchmarks/checker_parity.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.checkers.semantics import DEVIATIONS, corrects, parse_semantics, scoring_under
from harness.store.manifest import RunManifest
from harness.store.records import EpisodeResult
from tests.differential.allowlist import explanation
from tests.differential.runner import Outcome, run_case
from tests.differential.sweep import summary, sweep  # imports every generator module
from tests.differential.uses import OSWORLD, load_uses

# Every metric family with a generator; compare_table by its first 12 tasks (the slow part: workbooks and LibreOffice).
SLICE_TASKS = 12

# deviation -> the case that shows it (key as in the allowlist)
DEVIATION_CASES = {
    "sheet-data-ignore-case": ("compare_table", "3a93cae4:case-changed"),
    "utc-zone-line": ("is_utc_0", "b6781586:utc-no-rtc"),
    "page-break-without-rules": ("contains_page_break", "ecc2413d:page-break"),
    "green-background-axes": ("check_green_background", "734d6579:green"),
    "brightness-same-size": ("check_brightness_decrease_and_structure_sim", "7a4deb26:resized"),
    "thunderbird-folder-messages": ("check_thunderbird_folder", "78aed49a:one-missing"),
    "image-list-same-size": ("compare_image_list", "46407397:resized"),
}


@pytest.fixture(scope="module")
def osworld_slice(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    uses, outcomes = sweep(tmp_path_factory.mktemp("parity"), "osworld", tasks_per_metric=SLICE_TASKS)
    print(summary(uses, outcomes))
    return outcomes


def test_task_derived_cases_agree_with_the_reference(osworld_slice: list[Outcome]) -> None:
    derived = [o for o in osworld_slice if o.case.task_derived]
    assert len(derived) > 500 and len({o.case.metric for o in derived}) >= 25
    unexplained = [f"{o.case.key}: ours {o.ours} ({o.ours_error}), reference {o.ref} ({o.ref_error})"
                   for o in osworld_slice if not o.agree and explanation(o.case.key) is None]
    assert not unexplained, "\n".join(unexplained)
    agree = sum(o.agree for o in derived) / len(derived)
    assert agree >= 0.99, f"{agree:.1%} of task-derived cases agree"


def test_libreoffice_round_trips_are_in_the_slice(osworld_slice: list[Outcome]) -> None:
    saved = [o for o in osworld_slice if o.case.label.endswith(":libreoffice-saved")]
    assert len(saved) >= SLICE_TASKS - 1, "LibreOffice did not re-save the gold workbooks"


def test_where_the_reference_crashes_deskbench_scores_zero(osworld_slice: list[Outcome]) -> None:
    crashed = [o for o in osworld_slice if o.ref_error is not None]
    assert crashed, "the slice has no case where the reference raises (missing files, invalid JSON...)"
    silent_ones = [o.case.key for o in crashed if o.ours != 0.0]
    assert not silent_ones
    for o in crashed:  # a reason is kept: deskbench's own error text, or its metric's 0
        assert o.ours_error is None or o.ours_error.strip()


@pytest.mark.parametrize("deviation", sorted(DEVIATIONS))
def test_strict_deviations(deviation: str, tmp_path: Path) -> None:
    """Each deviation names real tasks that use its metric, and changes its case under strict only."""
    found = DEVIATIONS[deviation]
    uses = load_uses()
    assert found.tasks and all(t in {u.task for u in uses[found.metric]} for t in found.tasks)
    metric, label = DEVIATION_CASES[deviation]
    assert metric == found.metric
    task = next(t for t in found.tasks if t.startswith(label.split(":")[0]))
    _, outcomes = sweep(tmp_path, "osworld", [metric], tasks={task})
    case = next(o.case for o in outcomes if o.case.label == label and task in o.case.tasks)
    under_osworld, under_strict = run_case(case, "osworld"), run_case(case, "strict")
    assert under_osworld.agree, "osworld semantics must score as the reference does"
    assert not under_strict.agree and under_strict.ours != under_osworld.ours


def test_every_deviation_has_a_case_and_a_known_id() -> None:
    assert set(DEVIATION_CASES) == set(DEVIATIONS)
    with pytest.raises(KeyError):
        corrects("no-such-deviation")
    with scoring_under("strict"):
        assert all(corrects(d) for d in DEVIATIONS)
    assert not any(corrects(d) for d in DEVIATIONS)  # osworld is the default


def test_semantics_names_and_defaults_for_old_files() -> None:
    assert parse_semantics("strict") == "strict"
    with pytest.raises(ValueError, match="osworld, strict"):
        parse_semantics("lenient")
    old_record = {"run_id": "r", "episode_id": "e", "task_id": "t", "domain": "d", "agent": "a", "budget": 15,
                  "status": "success"}
    assert EpisodeResult.model_validate(old_record).checkers == "osworld"
    assert RunManifest.model_validate({"deskbench_version": "0", "identity": {}}).checkers == "osworld"


def test_every_metric_the_tasks_use_has_a_case_generator() -> None:
    """A metric test_all.json uses without a generator would show 0 cases in the table: coverage must not shrink."""
    from tests.differential import gen_files
    from tests.differential.cases import GENERATORS

    uses = load_uses()
    gen_files.register(uses)  # the generic document and image generators, as the sweep adds them
    missing = sorted(set(uses) - set(GENERATORS))
    assert not missing, f"metrics without differential cases: {missing}"


def test_the_index_is_there() -> None:
    assert (OSWORLD / "test_all.json").is_file(), json.dumps(str(OSWORLD))


def test_the_docs_list_every_deviation() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "checker-semantics.md").read_text()
    missing = [d for d in DEVIATIONS if f"`{d}`" not in text]
    assert not missing, f"docs/checker-semantics.md does not list {missing}"


def _strict_only(result: object, expected: object, **options: object) -> float:
    """1 only when scored under strict: shows which semantics reached the metric inside a run."""
    from harness.checkers.semantics import current

    return float(current() == "strict")


@pytest.mark.parametrize("semantics", ["osworld", "strict"])
def test_a_run_scores_under_its_semantics_and_records_it(semantics: str, tmp_path: Path, desktop_image: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """--checkers reaches the metric (in the metric server's process too), the manifest, the record and the report."""
    from harness.checkers import METRICS
    from harness.cli.report_cmds import semantics_lines
    from harness.runner import RunConfig, execute_run
    from harness.store import RunFolder, load_results
    from harness.tasks import load_tasks

    from .conftest import SMOKE

    monkeypatch.setitem(METRICS, "pytest_strict_only", _strict_only)
    base = next(t for t in load_tasks(SMOKE) if t.id == "hello-file")
    task = base.model_copy(update={"evaluator": base.evaluator.model_copy(update={"func": "pytest_strict_only"})})
    folder = RunFolder(tmp_path / f"pytest-semantics-{semantics}")
    execute_run([task], RunConfig(agent="oracle", checkers=parse_semantics(semantics)), folder)
    frame = load_results(folder.path)
    assert list(frame["checkers"]) == [semantics]
    assert list(frame["score"]) == [1.0 if semantics == "strict" else 0.0]
    manifest = json.loads((folder.path / "manifest.json").read_text())
    assert manifest["checkers"] == semantics and manifest["identity"].get("checkers", "osworld") == semantics
    assert semantics_lines([folder.path]) == [f"{folder.path}: scored under {semantics} checker semantics"]
