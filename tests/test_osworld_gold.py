"""The OSWorld gold suite: deskbench's reference solutions for OSWorld's offline tasks, put on OSWorld's own
task files (vendored unchanged in tasks/osworld-gold/osworld).  A fast subset is validated here in real
desktops (solution 1, noop 0); ``benchmarks/osworld_gold.py`` validates the whole suite."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.errors import TaskFileError
from harness.runner.validate import describe, validate_suite
from harness.tasks.gold import file_sha256, gold_tasks, overlay, read_gold
from harness.tasks.loader import load_index, load_tasks

from .conftest import REPO

GOLD = REPO / "tasks" / "osworld-gold"
INDEX = GOLD / "osworld" / "offline.json"
SOLUTIONS = GOLD / "solutions"
# One or two per domain and per kind of proof: browser prefs edited with the browser closed, the active tab
# over DevTools, LibreOffice's user registry, an accessibility-tree check, a rename in a root-made folder,
# GNOME's dconf settings, VS Code's settings and keybindings, VLC's vlcrc, and an infeasible task (the answer is FAIL).
SUBSET = (
    "chrome/030eeff7-b492-4218-b312-701ec99ee0cc",
    "chrome/12086550-11c0-466b-b367-1d9e75b3910e",
    "chrome/44ee5668-ecd5-4366-a6ce-c1c9b8d4e938",
    "libreoffice_impress/2cd43775-7085-45d8-89fa-9e35c0a915cf",
    "libreoffice_impress/ef9d12bd-bcee-4ba0-a40e-918400f43ddf",
    "os/e0df059f-28a6-4169-924f-b9623e7184cc",
    "os/bedcedc4-4d72-425e-ad62-21960b11fe0d",  # gsettings read by the checker user: the desktop user's dconf
    "vs_code/930fdb3b-11a8-46fe-9bac-577332e2640e",
    "vs_code/982d12a5-beab-424f-8d38-d2a48429e511",
    "gimp/fbb548ca-c2a6-4601-9204-e39a2efc507b",
    "vlc/a5bbbcd5-b398-4c91-83d4-55e1e31bbb81",  # vlcrc edited with VLC stopped; postconfig kills and restarts VLC
)


def _copy_suite(tmp_path: Path) -> Path:
    target = tmp_path / "gold"
    shutil.copytree(GOLD, target)
    return target


def test_every_vendored_task_has_one_gold_file_written_for_exactly_that_file() -> None:
    index = json.loads(INDEX.read_text())
    keys = {f"{domain}/{task_id}" for domain, ids in index.items() for task_id in ids}
    gold = read_gold(SOLUTIONS)
    assert set(gold) == keys
    for key, g in gold.items():
        assert g.sha256 == file_sha256(GOLD / "osworld" / "examples" / f"{key}.json"), key
        assert g.solution or g.finding, key
    assert set(SUBSET) <= {k for k, g in gold.items() if g.solution}


def test_the_suite_folder_loads_osworlds_files_with_the_gold_solutions_on() -> None:
    tasks = load_tasks(GOLD)
    by_key = {t.key: t for t in tasks}
    assert len(tasks) == len(read_gold(SOLUTIONS))
    task = by_key["os/e0df059f-28a6-4169-924f-b9623e7184cc"]
    assert task.solution and task.path == GOLD / "osworld" / "examples" / "os" / f"{task.id}.json"
    raw = json.loads(task.path.read_text())
    assert "solution" not in raw  # OSWorld's file is untouched; the solution comes from the gold file
    assert by_key["gimp/fbb548ca-c2a6-4601-9204-e39a2efc507b"].solution == ["FAIL"]
    assert load_tasks(GOLD / "suite.json") == tasks


def test_solutions_put_on_an_index_keep_only_gold_tasks_and_name_what_was_left_out() -> None:
    tasks = load_index(INDEX)
    assert not any(t.solution for t in tasks)
    kept, skipped = gold_tasks(tasks, INDEX, SOLUTIONS)
    findings = {k for k, g in read_gold(SOLUTIONS).items() if g.finding is not None}
    assert {t.key for t in kept} == {t.key for t in tasks} - findings
    assert all(t.solution for t in kept)
    assert len(skipped) == len(findings) and all("finding (" in line for line in skipped)


def test_a_gold_file_for_another_version_of_the_task_is_refused_before_anything_runs(tmp_path: Path) -> None:
    suite = _copy_suite(tmp_path)
    task_file = suite / "osworld" / "examples" / "os" / "e0df059f-28a6-4169-924f-b9623e7184cc.json"
    task_file.write_text(task_file.read_text().replace("todo_list_Jan_2", "todo_list_Jan_3"))
    with pytest.raises(TaskFileError, match=r"e0df059f.*written for another version of .*sha256"):
        load_tasks(suite)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda g: g.update(osworld="os/not-a-task", id="not-a-task"), r"names os/not-a-task, which is not among"),
    (lambda g: g.update(solutoin=g.pop("solution")), r"\$\.solutoin: Extra inputs are not permitted"),
    (lambda g: g.pop("solution"), r"needs a 'solution' or a 'finding'"),
    (lambda g: g.update(id="other"), r"does not end in the id 'other'"),
])
def test_a_bad_gold_file_is_one_line_naming_the_file(tmp_path: Path, edit: object, message: str) -> None:
    suite = _copy_suite(tmp_path)
    path = suite / "solutions" / "os" / "e0df059f-28a6-4169-924f-b9623e7184cc.json"
    data = json.loads(path.read_text())
    edit(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    with pytest.raises(TaskFileError, match=message) as caught:
        load_tasks(suite)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_overlay_leaves_the_loaded_tasks_as_they_were() -> None:
    tasks = load_index(INDEX)
    solved = overlay(tasks, read_gold(SOLUTIONS))
    assert any(t.solution for t in solved) and not any(t.solution for t in tasks)


def test_validate_names_a_missing_solutions_folder_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run([str(REPO / ".venv" / "bin" / "deskbench"), "validate", str(INDEX),
                           "--solutions", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() + done.stdout.splitlines() if line.strip()]
    assert lines == [f"deskbench: error: {tmp_path / 'nowhere'}: no such folder of gold solutions"], lines


@pytest.fixture(scope="session")
def osworld_image() -> str:
    """The built osworld image's tag (built now, with its parents, if its content changed)."""
    from harness.sandbox.images import build_image

    tag, _ = build_image("osworld")
    return tag


@pytest.mark.docker
def test_a_subset_over_the_domains_scores_1_with_its_solution_and_0_doing_nothing(
        tmp_path: Path, office_image: str, osworld_image: str) -> None:
    tasks = [t for t in load_tasks(GOLD) if t.key in SUBSET]
    assert len(tasks) == len(SUBSET)
    rows = validate_suite(tasks, tmp_path / "pytest-osworld-gold", parallel=2, timeout=300)
    bad = {r.key: (describe(r.oracle), describe(r.noop)) for r in rows if not r.ok}
    assert not bad, f"not calibrated: {bad}"
