"""Static compatibility verdicts, the download cache, the extra loaders and relative dates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from harness.agents import NoopAgent
from harness.checkers.relative_time import fill_relative_dates, resolve
from harness.runner import EpisodeOptions, EpisodeSpec, run_episode
from harness.tasks import load_tasks
from harness.tasks.cache import add_to_cache, cached_file, cached_urls
from harness.tasks.compat import assess, assess_all, missing_names
from harness.tasks.loader import task_from_dict

from .conftest import REPO, SMOKE

OSWORLD = REPO.parent / "shared" / "osworld"
URL = "https://drive.example.invalid/download?id=abc&export=download"


def _task(config: list[dict[str, object]], evaluator: dict[str, object] | None = None) -> object:
    data = {"id": "t1", "instruction": "do it", "config": config,
            "evaluator": evaluator or {"func": "exact_match", "result": {"type": "rule", "rules": {}},
                                       "expected": {"type": "rule", "rules": {"expected": 1}}}}
    return task_from_dict(data, Path("/nowhere/os/t1.json"))


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_download_needs_network_until_the_url_is_cached(tmp_path: Path) -> None:
    task = _task([{"type": "download", "parameters": {"files": [{"url": URL, "path": "/home/user/a.xlsx"}]}}])
    before = assess(task, {"download"}, {"rule"}, {"exact_match"})  # type: ignore[arg-type]
    assert before.verdict == "needs_network" and URL[:40] in before.needs_network[0]
    source = tmp_path / "a.xlsx"
    source.write_bytes(b"PK\x03\x04 not really")
    cached = add_to_cache(URL, source)
    assert cached_file(URL) == cached and cached.read_bytes() == source.read_bytes()
    assert cached_urls() == {URL: cached}
    after = assess(task, {"download"}, {"rule"}, {"exact_match"})  # type: ignore[arg-type]
    assert after.verdict == "offline"


def test_accounts_live_pages_and_unknown_names_are_reported() -> None:
    task = _task([{"type": "googledrive", "parameters": {}},
                  {"type": "chrome_open_tabs", "parameters": {"urls_to_open": ["https://www.example.com/"]}},
                  {"type": "mystery_step", "parameters": {}}],
                 {"func": ["nosuch_metric"], "result": [{"type": "nosuch_getter"}]})
    verdict = assess(task, {"chrome_open_tabs"}, set(), set())  # type: ignore[arg-type]
    assert verdict.verdict == "needs_account"
    assert any("chrome_open_tabs https://www.example.com/" in n for n in verdict.needs_network)
    assert verdict.unsupported == ["getter:nosuch_getter", "metric:nosuch_metric", "step:mystery_step"]
    assert not verdict.checkers_implemented



def test_a_program_the_image_lacks_and_sudo_are_unsupported() -> None:
    task = _task([{"type": "launch", "parameters": {"command": ["/usr/bin/xterm"]}},
                  {"type": "launch", "parameters": {"command": "code --new-window"}},
                  {"type": "execute", "parameters": {"command": "echo password | sudo -S mkdir /srv/x", "shell": True}}])
    verdict = assess(task, {"launch", "execute"}, {"rule"}, {"exact_match"},  # type: ignore[arg-type]
                     frozenset({"xterm"}))
    assert verdict.verdict == "unsupported"
    assert verdict.unsupported == ["program:code", "program:sudo"]
    assert verdict.checkers_implemented


def test_every_image_declares_what_the_core_suite_launches() -> None:
    report = assess_all(load_tasks(REPO / "tasks" / "core"))
    assert [(c.key, c.unsupported) for c in report if c.unsupported] == []

def test_smoke_suite_is_fully_offline() -> None:
    report = assess_all(load_tasks(SMOKE))
    assert [c.verdict for c in report] == ["offline"] * len(report)


@pytest.mark.skipif(not OSWORLD.is_dir(), reason="shared/osworld is beside the project")
def test_osworld_report_accounts_for_every_task() -> None:
    tasks = load_tasks(OSWORLD / "test_all.json")
    report = assess_all(tasks)
    assert len(report) == len(tasks) == 369
    assert {c.verdict for c in report} <= {"offline", "needs_network", "needs_account", "unsupported"}
    accounts = [c for c in report if c.verdict == "needs_account"]
    assert len(accounts) == 8  # the googledrive/login tasks counted in the format spec
    names = missing_names(report)
    assert names == sorted(names, key=lambda item: -item[1])


def test_a_task_that_needs_the_network_ends_before_any_container() -> None:
    task = _task([{"type": "download", "parameters": {"files": [{"url": URL, "path": "/home/user/a"}]}}])
    record = run_episode(EpisodeSpec(task, 5), NoopAgent(), EpisodeOptions(run_id="pytest-net"))  # type: ignore[arg-type]
    assert record.status == "needs_network" and URL[:30] in (record.error or "")
    assert record.timings.env_start == 0.0 and record.score is None


def test_jsonl_and_hf_datasets_load(tmp_path: Path) -> None:
    rows = [json.loads(p.read_text()) for p in sorted(SMOKE.rglob("*.json")) if "assets" not in p.parts]
    (tmp_path / "suite.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert {t.id for t in load_tasks(tmp_path / "suite.jsonl")} == {r["id"] for r in rows}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rows[0]) + "\n" + '{"id": "x"}\n')
    with pytest.raises(Exception, match=r"bad\.jsonl:2: \$\.instruction"):
        load_tasks(bad)
    import datasets

    encoded = [{k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in r.items()} for r in rows]
    datasets.Dataset.from_list(encoded).save_to_disk(str(tmp_path / "hf"))
    loaded = load_tasks(f"hf:{tmp_path / 'hf'}")
    assert {t.id for t in loaded} == {r["id"] for r in rows}
    assert all(t.solution for t in loaded)


def test_relative_dates() -> None:
    sunday = dt.date(2026, 11, 22)
    assert resolve("tomorrow", sunday) == dt.date(2026, 11, 23)
    assert resolve("this Saturday", sunday) == dt.date(2026, 11, 28)
    assert resolve("next Monday", sunday) == dt.date(2026, 11, 23)
    assert resolve("next Friday", dt.date(2026, 11, 18)) == dt.date(2026, 11, 27)
    assert resolve("10th next month", sunday) == dt.date(2026, 12, 10)
    assert resolve("first monday four months later", sunday) == dt.date(2027, 3, 1)
    filled = fill_relative_dates({"from": "tomorrow"}, {"from": "{DoW}, {Month} {Day0D} {Year}", "n": 2}, sunday)
    assert filled == {"from": "Mon, Nov 23 2026", "n": 2}
    with pytest.raises(ValueError, match="unknown relative date"):
        resolve("someday", sunday)
