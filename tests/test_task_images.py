"""Which image a task runs in: checked on OSWorld's 369 tasks and on the smoke suite."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from harness.tasks import Task, load_tasks
from harness.tasks.images import image_for_task, normalize_app, task_apps

REPO = Path(__file__).resolve().parents[1]
OSWORLD_INDEX = REPO.parent / "shared" / "osworld" / "test_all.json"
OFFICE_DOMAINS = {"chrome", "libreoffice_calc", "libreoffice_impress", "libreoffice_writer", "multi_apps"}
OSWORLD_DOMAINS = {"gimp", "thunderbird", "vlc", "vs_code"}


def _task(**fields: object) -> Task:
    return Task.model_validate({"id": "t", "instruction": "do it", "evaluator": {"func": "exact_match"}, **fields})


@pytest.mark.parametrize(("label", "app"), [
    ("libreoffice calc", "libreoffice_calc"), ("libreoffice_calc", "libreoffice_calc"), ("calc", "libreoffice_calc"),
    ("LibreOffice-Calc", "libreoffice_calc"), ("Writer", "libreoffice_writer"), ("impress", "libreoffice_impress"),
    ("chrome", "chrome"), ("Chrome", "chrome"), ("google-chrome", "chrome"), ("Google Chrome", "chrome"),
    ("chromium-browser", "chrome"), ("browser", "chrome"), ("vs_code", "vscode"), ("VSCode", "vscode"),
    ("OS", "os"), ("  gimp ", "gimp"),
])
def test_app_labels_are_normalized(label: str, app: str) -> None:
    assert normalize_app(label) == app


def test_explicit_image_wins() -> None:
    assert image_for_task(_task(image="custom", related_apps=["chrome"])) == "custom"
    assert image_for_task(_task(image="desktop", domain="libreoffice_calc")) == "desktop"


@pytest.mark.parametrize(("fields", "image"), [
    ({"related_apps": ["calc", "os"]}, "office"),
    ({"related_apps": ["Chrome", "OS"]}, "office"),
    ({"related_apps": ["browser"]}, "office"),
    ({"related_apps": ["os", "pdf"]}, "office"),
    ({"related_apps": [], "domain": "multi_apps"}, "office"),
    ({"related_apps": ["gimp", "os"]}, "osworld"),
    ({"related_apps": ["chrome"], "config": [{"type": "launch", "parameters": {"command": ["code"]}}]}, "osworld"),
    ({"related_apps": ["os"], "config": [{"type": "execute", "parameters": {"command": "echo password | sudo -S ls"}}]},
     "osworld"),
    ({"related_apps": ["terminal"], "domain": "terminal"}, "desktop"),
    ({"related_apps": []}, "desktop"),
])
def test_apps_decide_the_image(fields: dict[str, object], image: str) -> None:
    assert image_for_task(_task(**fields)) == image


@pytest.mark.skipif(not OSWORLD_INDEX.is_file(), reason="the OSWorld example files are not on this machine")
def test_osworld_tasks_get_the_lightest_image_with_their_apps() -> None:
    tasks = load_tasks(OSWORLD_INDEX)
    assert len(tasks) == 369
    by_domain: dict[str, set[str]] = collections.defaultdict(set)
    for task in tasks:
        by_domain[str(task.domain)].add(image_for_task(task))
    for domain in OSWORLD_DOMAINS:
        assert by_domain[domain] == {"osworld"}, domain
    for domain in OFFICE_DOMAINS - {"chrome", "multi_apps"}:
        assert by_domain[domain] == {"office"}, domain
    # Every spelling of LibreOffice and Chrome in related_apps was recognized, wherever it appears; a task that
    # also needs an app only osworld has (or sudo) gets osworld, which has office's apps too.
    office_apps = {"libreoffice_calc", "libreoffice_writer", "libreoffice_impress", "libreoffice", "chrome"}
    osworld_apps = {"gimp", "vlc", "thunderbird", "nautilus", "vscode", "sudo"}
    for task in tasks:
        apps = task_apps(task)
        expected = "osworld" if apps & osworld_apps else "office" if apps & office_apps else None
        if expected:
            assert image_for_task(task) == expected, task.key
    counts = collections.Counter(image_for_task(t) for t in tasks)
    assert counts == {"office": 214, "osworld": 134, "desktop": 21}


def test_smoke_tasks_run_on_the_desktop_image() -> None:
    tasks = load_tasks(REPO / "tasks" / "smoke")
    assert tasks
    assert {image_for_task(t) for t in tasks} == {"desktop"}
