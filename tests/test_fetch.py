"""The host-side downloader against a loopback stand-in for the file hosts (tests/fetch_host.py).

Task URLs name ``https://files.deskbench.test/...``; ``DESKBENCH_MIRRORS``
(a real feature: a team's mirror of the task files) sends them to the
stand-in, so the real client, its retries and its cache are what is tested.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.store.manifest import RunManifest, note_files, read_manifest, write_manifest
from harness.tasks.cache import cache_dir, cached_file, verified_entry
from harness.tasks.download_pages import drive_confirmation
from harness.tasks.fetch import (
    FetchError,
    FetchOptions,
    MirrorMap,
    fetch_all,
    fetch_file,
    prepare_inputs,
)
from harness.tasks.resources import RemoteFile, ResourceUnavailable, remote_files, resolve_resource

from .fetch_host import HOST_PREFIX, FileHost, content, serve_files


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DESKBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> Iterator[FileHost]:
    with serve_files() as served:
        monkeypatch.setenv("DESKBENCH_MIRRORS", served.mirrors)
        yield served


def _need(path: str, **kwargs: object) -> RemoteFile:
    return RemoteFile(HOST_PREFIX + path, "config[0] download", **kwargs)  # type: ignore[arg-type]


def _quick(**kwargs: object) -> FetchOptions:
    return FetchOptions(backoff=0.01, **kwargs)  # type: ignore[arg-type]


def _nothing_half_written() -> list[Path]:
    """Files in the cache that are not part of a complete entry (partial downloads, staging folders)."""
    root = cache_dir()
    return [p for p in root.rglob("*") if p.is_file() and ".staging" in p.parts] if root.is_dir() else []


def test_a_file_behind_redirects_is_cached_with_its_size_and_digest(host: FileHost) -> None:
    entry = fetch_file(_need("/redirect/3/report.xlsx?size=70000"), _quick())
    data = content("report.xlsx", 70000)
    assert entry.path.read_bytes() == data and entry.size == len(data)
    assert entry.sha256 == hashlib.sha256(data).hexdigest()
    meta = json.loads((entry.path.parent / "meta.json").read_text())
    assert meta["sha256"] == entry.sha256 and meta["size"] == len(data)
    asked = len(host.requests)
    assert fetch_file(_need("/redirect/3/report.xlsx?size=70000"), _quick()) == entry
    assert len(host.requests) == asked  # the second time comes from the cache


def test_drive_confirmation_page_is_followed_to_the_file(host: FileHost) -> None:
    entry = fetch_file(_need("/uc?id=big.pptx&export=download&size=50000"), _quick())
    assert entry.path.read_bytes() == content("big.pptx", 50000)
    assert [p for p, _ in host.requests][-1].startswith("/download?id=big.pptx&export=download&confirm=t&uuid=u-1")


def test_503_then_success_is_retried_with_backoff(host: FileHost) -> None:
    entry = fetch_file(_need("/flaky/busy.docx?size=3000&fail=2"), _quick())
    assert entry.path.read_bytes() == content("busy.docx", 3000)
    assert len(host.requests) == 3


def test_a_connection_cut_mid_file_resumes_with_range(host: FileHost) -> None:
    size = 400_000
    entry = fetch_file(_need(f"/cut/movie.mp4?size={size}"), _quick())
    assert entry.path.read_bytes() == content("movie.mp4", size)
    ranges = [r for _, r in host.requests]
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=")
    assert 0 < int(ranges[1][6:-1]) < size  # resumed where it stopped, not started over


def test_a_file_that_changed_before_the_resume_comes_back_whole_not_spliced(host: FileHost) -> None:
    entry = fetch_file(_need("/changing/data.csv?size=300000"), _quick())
    assert entry.path.read_bytes() == content("data.csv-v2", 300000)
    resumed = host.requests[1]
    assert resumed[1] is not None and resumed[1].startswith("bytes=")  # it did try to resume, with If-Range


@pytest.mark.parametrize(("path", "options", "expected"), [
    ("/files/x.bin?size=5000", {"pins": {HOST_PREFIX + "/files/x.bin?size=5000": "0" * 64}}, "checksum mismatch"),
    ("/files/huge.iso?size=300000", {"max_bytes": 100_000}, "over the size cap of 100000"),
    ("/html/sheet.xlsx", {}, "got an HTML page where a file was expected ('Sign in - Files')"),
    ("/gone.xlsx", {}, "HTTP 404 Not Found"),
    ("/flaky/down?size=10&fail=9", {"attempts": 3}, "HTTP 503 Service Unavailable (gave up after 3 attempts)"),
])
def test_bad_answers_are_one_line_naming_the_url_and_nothing_is_cached(
        host: FileHost, path: str, options: dict[str, object], expected: str) -> None:
    need = _need(path)
    with pytest.raises(FetchError) as caught:
        fetch_file(need, _quick(**options))
    message = str(caught.value)
    assert message.startswith(need.url + ": ") and expected in message and "\n" not in message
    assert cached_file(need.url) is None and _nothing_half_written() == []


def test_a_404_is_not_retried(host: FileHost) -> None:
    with pytest.raises(FetchError):
        fetch_file(_need("/gone.xlsx"), _quick())
    assert len(host.requests) == 1


def test_an_unreachable_host_fails_after_its_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKBENCH_MIRRORS", f"{HOST_PREFIX}=http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(FetchError, match=r"ConnectError.*\(gave up after 2 attempts\)"):
        fetch_file(_need("/files/a.bin"), _quick(attempts=2))
    assert _nothing_half_written() == []


def test_after_a_host_proved_unreachable_its_other_files_fail_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKBENCH_MIRRORS", f"{HOST_PREFIX}=http://127.0.0.1:9")
    needs = {HOST_PREFIX + f"/files/{i}": (_need(f"/files/{i}"), [f"os/t{i}"]) for i in range(5)}
    outcomes = fetch_all(needs, parallel=1, options=_quick(attempts=2))
    errors = [o.error or "" for o in outcomes]
    assert "gave up after 2 attempts" in errors[0]
    assert errors[1:] == [f"{HOST_PREFIX}/files/{i}: 127.0.0.1:9 could not be reached for {HOST_PREFIX}/files/0 either"
                          for i in range(1, 5)]


def test_a_web_page_the_task_saves_as_html_is_a_file(host: FileHost) -> None:
    entry = fetch_file(_need("/html/page", html_ok=True), _quick())
    assert b"Please sign in" in entry.path.read_bytes()


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    host: FileHost) -> None:
    """A real full file system: a 256 KiB tmpfs as the cache (CI runs as root, like this machine)."""
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(small)], check=True)
    try:
        monkeypatch.setenv("DESKBENCH_CACHE", str(small / "cache"))
        need = _need("/files/big.bin?size=1000000")
        with pytest.raises(FetchError, match=r"cannot write the cache \(disk full\)"):
            fetch_file(need, _quick())
        assert cached_file(need.url) is None and _nothing_half_written() == []
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_a_corrupt_entry_is_refused_offline_and_fetched_again_online(host: FileHost) -> None:
    need = _need("/files/doc.odt?size=20000")
    entry = fetch_file(need, _quick())
    entry.path.write_bytes(entry.path.read_bytes()[:1000])  # truncated behind the cache's back
    with pytest.raises(ResourceUnavailable, match="is 1000 bytes, 20000 were stored"):
        resolve_resource(None, need.url)  # type: ignore[arg-type]  # remote refs do not read the task
    from harness.tasks.fetch import InputsUnavailable

    with pytest.raises(InputsUnavailable) as offline:
        prepare_inputs("os/t1", [need], network=False)
    assert offline.value.status == "needs_network" and "task os/t1: config[0] download" in str(offline.value)
    used = prepare_inputs("os/t1", [need], network=True, options=_quick())
    assert used == {need.url: hashlib.sha256(content("doc.odt", 20000)).hexdigest()}
    again = verified_entry(need.url)
    assert again is not None and again.path.read_bytes() == content("doc.odt", 20000)


def test_a_failed_fetch_ends_the_episode_as_setup_error(host: FileHost) -> None:
    from harness.tasks.fetch import InputsUnavailable

    with pytest.raises(InputsUnavailable) as caught:
        prepare_inputs("chrome/t9", [_need("/gone.xlsx")], network=True, options=_quick())
    assert caught.value.status == "setup_error"
    assert str(caught.value) == f"task chrome/t9: config[0] download: {HOST_PREFIX}/gone.xlsx: HTTP 404 Not Found " \
                                f"(from {host.base}/gone.xlsx)"


def test_fetch_all_runs_several_at_once_and_reports_each(host: FileHost) -> None:
    urls = [f"/files/f{i}.bin?size={10_000 + i}" for i in range(8)] + ["/gone.bin"]
    needs = {HOST_PREFIX + u: (_need(u), [f"os/t{i}"]) for i, u in enumerate(urls)}
    moved: list[int] = []
    outcomes = fetch_all(needs, parallel=4, options=_quick(), progress=moved.append)
    failed = [o for o in outcomes if o.error]
    assert [o.need.url for o in failed] == [HOST_PREFIX + "/gone.bin"] and failed[0].tasks == ["os/t8"]
    assert sum(moved) == sum(10_000 + i for i in range(8))
    sizes = {o.need.url: o.entry.size for o in outcomes if o.entry is not None}
    assert sizes == {HOST_PREFIX + u: 10_000 + i for i, u in enumerate(urls[:-1])}


def test_mirror_map_rewrites_longest_prefix_and_refuses_bad_rules() -> None:
    mirrors = MirrorMap.parse("https://a.test=http://m.test/a https://a.test/deep=http://m.test/d")
    assert mirrors.rewrite("https://a.test/deep/x?id=1") == "http://m.test/d/x?id=1"
    assert mirrors.rewrite("https://a.test/x") == "http://m.test/a/x"
    assert mirrors.rewrite("https://b.test/x") == "https://b.test/x"
    with pytest.raises(ConfigError, match=r"DESKBENCH_MIRRORS: 'ftp://x=y' is not FROM=TO"):
        MirrorMap.parse("ftp://x=y")


def test_drive_confirmation_forms_links_and_cookies() -> None:
    page = '<html><body><a href="/uc?export=download&amp;confirm=AbC&amp;id=9">Download anyway</a></body></html>'
    assert drive_confirmation("https://d.test/uc?id=9", page, {}) == "https://d.test/uc?export=download&confirm=AbC&id=9"
    assert drive_confirmation("https://d.test/uc?id=9", "<html></html>", {"download_warning_1_9": "tok"}) == \
        "https://d.test/uc?id=9&confirm=tok"
    assert drive_confirmation("https://d.test/uc?id=9", "<html><title>Sign in</title></html>", {}) is None


def test_remote_files_of_a_task_name_steps_and_cloud_file_getters() -> None:
    from harness.tasks.loader import task_from_dict

    task = task_from_dict({
        "id": "t1", "instruction": "x",
        "config": [{"type": "download", "parameters": {"files": [
            {"url": HOST_PREFIX + "/a.xlsx", "path": "/home/user/a.xlsx", "sha256": "AB" * 32},
            {"url": HOST_PREFIX + "/page", "path": "/home/user/page.html"}]}},
            {"type": "chrome_open_tabs", "parameters": {"urls_to_open": ["https://example.test/"]}}],
        "evaluator": {"func": "compare_table", "result": {"type": "vm_file", "path": "/home/user/a.xlsx", "dest": "a"},
                      "expected": {"type": "cloud_file", "path": [HOST_PREFIX + "/gold.xlsx", "local.xlsx"],
                                   "multi": True, "dest": ["g", "l"]}}}, Path("/nowhere/os/t1.json"))
    found = remote_files(task)
    assert [(f.url.removeprefix(HOST_PREFIX), f.where, f.html_ok, f.sha256) for f in found] == [
        ("/a.xlsx", "config[0] download", False, "ab" * 32),
        ("/page", "config[0] download", True, None),
        ("/gold.xlsx", "evaluator.expected cloud_file", False, None)]


def test_the_manifest_notes_the_files_a_run_used_and_old_manifests_load(tmp_path: Path) -> None:
    old = {"manifest_version": 1, "record_version": 1, "deskbench_version": "0.1.0", "identity": {"agent": "noop"}}
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    loaded = read_manifest(tmp_path)
    assert loaded is not None and loaded.files == {}
    note_files(tmp_path, {"https://x.test/a": "1" * 64})
    note_files(tmp_path, {"https://x.test/a": "1" * 64, "https://x.test/b": "2" * 64})
    note_files(tmp_path, {"https://x.test/a": "3" * 64})  # the cache changed mid-run: both are kept
    again = read_manifest(tmp_path)
    assert again is not None
    assert again.files == {"https://x.test/a": ["1" * 64, "3" * 64], "https://x.test/b": ["2" * 64]}
    assert again.identity == {"agent": "noop"}
    write_manifest(tmp_path, RunManifest(deskbench_version="x", identity={}))
    assert read_manifest(tmp_path).files == {}  # type: ignore[union-attr]


def test_live_pages_and_their_hosts_are_what_the_setup_opens() -> None:
    from harness.tasks.loader import task_from_dict
    from harness.tasks.resources import live_pages, page_hosts

    task = task_from_dict({
        "id": "t2", "instruction": "x",
        "config": [{"type": "chrome_open_tabs", "parameters": {"urls_to_open": [
            "https://arxiv.org/abs/1", "http://localhost:8000/app", "https://arxiv.org/list", "http://web.test:8080/"]}},
            {"type": "open", "parameters": {"path": "https://docs.test/guide"}},
            {"type": "open", "parameters": {"path": "/home/user/a.txt"}}],
        "evaluator": {"func": "infeasible"}}, Path("/nowhere/chrome/t2.json"))
    assert live_pages(task) == ["https://arxiv.org/abs/1", "https://arxiv.org/list", "http://web.test:8080/",
                                "https://docs.test/guide"]
    assert page_hosts(task) == ["arxiv.org:443", "web.test:8080", "docs.test:443"]


def test_leftovers_of_a_killed_download_are_swept_and_a_live_ones_kept(host: FileHost) -> None:
    from harness.tasks.cache import staging_path, sweep_staging

    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True).stdout.strip()
    mine = staging_path("https://x.test/a", "part")
    mine.write_bytes(b"half")
    gone = mine.with_name(mine.name.replace(f".{os.getpid()}.", f".{dead}."))
    gone.write_bytes(b"half")
    (mine.parent / f"k.{dead}.abc.entry").mkdir()
    assert sorted(p.name for p in sweep_staging()) == sorted([gone.name, f"k.{dead}.abc.entry"])
    assert mine.exists()
    mine.unlink()
    fetch_all({HOST_PREFIX + "/files/a": (_need("/files/a"), ["os/t"])}, options=_quick())
    assert _nothing_half_written() == []


def _add_many(args: tuple[str, str, int]) -> int:
    """One racing process: store the same URL again and again."""
    from harness.tasks.cache import add_to_cache

    url, source, times = args
    for _ in range(times):
        add_to_cache(url, Path(source))
    return times


def test_processes_storing_the_same_url_at_once_leave_one_whole_entry(tmp_path: Path) -> None:
    import multiprocessing

    source = tmp_path / "same.bin"
    source.write_bytes(content("same", 200_000))
    url = "https://x.test/same.bin"
    with multiprocessing.get_context("fork").Pool(6) as pool:
        assert sum(pool.map(_add_many, [(url, str(source), 15)] * 6)) == 90
    entry = verified_entry(url)
    assert entry is not None and entry.path.read_bytes() == source.read_bytes()
    assert _nothing_half_written() == []
