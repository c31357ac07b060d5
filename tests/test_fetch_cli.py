"""``deskbench tasks fetch`` / ``tasks check --assume-network`` / ``run --network``, as a user types them.

The commands run as subprocesses against a small suite whose tasks name
files on the loopback stand-in (tests/fetch_host.py), reached through
``DESKBENCH_MIRRORS``; the end-to-end test starts a real desktop.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO
from .fetch_host import HOST_PREFIX, FileHost, content, serve_files

GOOD = f"{HOST_PREFIX}/redirect/2/notes.txt?size=3000"
GOLD = f"{HOST_PREFIX}/uc?id=notes.txt&export=download&size=3000"  # the same content behind Drive's warning page
GONE = f"{HOST_PREFIX}/gone.xlsx"


def _task(folder: Path, domain: str, task_id: str, url: str) -> None:
    data = {
        "id": task_id, "instruction": "Leave the downloaded notes where they are.", "image": "desktop",
        "config": [{"type": "download", "parameters": {"files": [{"url": url, "path": "/home/user/notes.txt"}]}}],
        "evaluator": {"func": "compare_text_file",
                      "result": {"type": "vm_file", "path": "/home/user/notes.txt", "dest": "notes.txt"},
                      "expected": {"type": "cloud_file", "path": GOLD, "dest": "gold.txt"}},
    }
    (folder / domain).mkdir(parents=True, exist_ok=True)
    (folder / domain / f"{task_id}.json").write_text(json.dumps(data))


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    _task(folder, "os", "fetched", GOOD)
    _task(folder, "files", "broken-link", GONE)
    return folder


@pytest.fixture
def host() -> Iterator[FileHost]:
    with serve_files() as served:
        yield served


def _deskbench(args: list[str], cache: Path, mirrors: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKBENCH_CACHE": str(cache), "DESKBENCH_MIRRORS": mirrors, "COLUMNS": "200"}
    return subprocess.run([str(REPO / ".venv" / "bin" / "deskbench"), *args], env=env, capture_output=True,
                          text=True, timeout=600)


def test_tasks_fetch_reports_failures_by_url_and_check_then_counts_the_rest_offline(
        suite: Path, host: FileHost, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = _deskbench(["tasks", "check", str(suite), "--assume-network"], cache, host.mirrors)
    assert before.returncode == 0, before.stderr
    assert "│ offline       │     0 │" in before.stdout and "│ needs_network │     2 │" in before.stdout
    assert "│ all    │     2 │       0 │            2 │ 100.0% │" in before.stdout

    fetched = _deskbench(["tasks", "fetch", str(suite), "--parallel", "2"], cache, host.mirrors)
    assert fetched.returncode == 1, fetched.stdout + fetched.stderr
    assert f"FAILED {GONE}: HTTP 404 Not Found" in fetched.stdout
    assert "1 of 3 files failed" in fetched.stdout and "files/broken-link" in fetched.stdout
    assert "2/3 files in the cache" in fetched.stdout

    after = _deskbench(["tasks", "check", str(suite), "--details", "--assume-network"], cache, host.mirrors)
    assert "offline        os/fetched" in after.stdout
    assert "needs_network  files/broken-link" in after.stdout and GONE in after.stdout
    assert "│ os     │     1 │       1 │            1 │ 100.0% │" in after.stdout

    listed = _deskbench(["cache", "list", "--verify"], cache, host.mirrors)
    assert listed.returncode == 0 and listed.stdout.count(" ok sha256 ") == 2
    stored = next(p for p in cache.rglob("notes.txt"))
    stored.write_text("edited behind the cache's back")
    broken = _deskbench(["cache", "list", "--verify"], cache, host.mirrors)
    assert broken.returncode == 1 and f"{GOOD}  30 bytes  CORRUPT: cached copy of {GOOD} is 30 bytes, 3000 were " \
        "stored" in broken.stdout


def test_bad_pins_and_mirrors_are_one_line_before_any_download(suite: Path, host: FileHost, tmp_path: Path) -> None:
    pins = tmp_path / "pins.json"
    pins.write_text('{"https://x.test/a": "not-a-digest"}')
    bad = _deskbench(["tasks", "fetch", str(suite), "--pins", str(pins)], tmp_path / "cache", host.mirrors)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0
    assert f"--pins {pins}: expected a JSON object of URL -> sha256" in bad.stderr
    mirrors = _deskbench(["tasks", "fetch", str(suite)], tmp_path / "cache", "files.test=http://127.0.0.1:1")
    assert mirrors.returncode == 1 and "DESKBENCH_MIRRORS: 'files.test=http://127.0.0.1:1' is not FROM=TO" \
        in mirrors.stderr
    assert host.requests == []


def test_a_run_with_pins_refuses_content_that_changed(suite: Path, host: FileHost, tmp_path: Path) -> None:
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps({GOOD: "0" * 64}))
    result = _deskbench(["tasks", "fetch", str(suite / "os"), "--pins", str(pins)], tmp_path / "cache", host.mirrors)
    assert result.returncode == 1 and f"FAILED {GOOD}: checksum mismatch" in result.stdout


@pytest.mark.docker
def test_run_with_network_fetches_on_the_host_and_the_file_arrives_in_the_desktop(
        suite: Path, host: FileHost, tmp_path: Path, desktop_image: str) -> None:
    run_dir = tmp_path / "run"
    result = _deskbench(["run", "--suite", str(suite), "--agent", "noop", "--network", "--run-dir", str(run_dir),
                         "--quiet", "--parallel", "2"], tmp_path / "cache", host.mirrors)
    assert result.returncode == 0, result.stdout + result.stderr
    records = {r["task_id"]: r for r in map(json.loads, (run_dir / "episodes.jsonl").read_text().splitlines())}
    assert records["fetched"]["status"] == "success", records["fetched"]  # noop scores 1: the file is in place
    broken = records["broken-link"]
    assert broken["status"] == "setup_error"
    assert broken["error"] == (f"task files/broken-link: config[0] download: {GONE}: HTTP 404 Not Found "
                               f"(from {host.base}/gone.xlsx)")
    digest = hashlib.sha256(content("notes.txt", 3000)).hexdigest()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["files"] == {GOOD: [digest], GOLD: [digest]}
    assert manifest["identity"]["network"] is True
    offline = _deskbench(["run", "--suite", str(suite / "os"), "--agent", "noop", "--run-dir", str(tmp_path / "off"),
                          "--quiet"], tmp_path / "cache", host.mirrors)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    again = json.loads((tmp_path / "off" / "episodes.jsonl").read_text().splitlines()[0])
    assert again["status"] == "success"  # offline, from the cache the first run filled


@pytest.mark.docker
def test_live_pages_run_with_network_or_a_covering_allowlist_and_reach_only_their_hosts(
        tmp_path: Path, office_image: str) -> None:
    """The page's host cannot be reached from here (no internet): what is proven is the route -- the desktop's
    browser asked the egress proxy for exactly that host, and the proxy let it through and logged it."""
    page = "http://pages.deskbench.test/hello"
    task = {"id": "live-page", "instruction": "Read the page.", "image": "office",
            "config": [{"type": "chrome_open_tabs", "parameters": {"urls_to_open": [page]}}],
            "evaluator": {"func": "infeasible"}}
    (tmp_path / "suite" / "chrome").mkdir(parents=True)
    (tmp_path / "suite" / "chrome" / "live-page.json").write_text(json.dumps(task))
    runs = {"closed": [], "network": ["--network"], "allowed": ["--allow-host", "pages.deskbench.test"],
            "elsewhere": ["--allow-host", "other.deskbench.test"]}
    for name, extra in runs.items():
        result = _deskbench(["run", "--suite", str(tmp_path / "suite"), "--agent", "noop", "--run-dir",
                             str(tmp_path / name), "--quiet", *extra], tmp_path / "cache", "")
        assert result.returncode == 0, result.stdout + result.stderr
    record = {name: json.loads((tmp_path / name / "episodes.jsonl").read_text().splitlines()[0]) for name in runs}
    assert record["closed"]["status"] == record["elsewhere"]["status"] == "needs_network"
    for name in ("network", "allowed"):
        assert record[name]["status"] not in ("needs_network", "infra_error"), record[name]
        log = tmp_path / name / "episodes" / record[name]["episode_id"] / "egress.jsonl"
        decisions = [json.loads(line) for line in log.read_text().splitlines()]
        asked = {(d["host"], d["port"], d["allowed"]) for d in decisions}
        assert ("pages.deskbench.test", 80, True) in asked, decisions
        assert all(d["allowed"] == (d["host"] == "pages.deskbench.test") for d in decisions), decisions
