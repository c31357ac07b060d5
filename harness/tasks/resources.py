"""Where a file a task names (by URL or path) is found on the host, and which remote files a task needs.

Task-relative paths and ``file://`` URLs work offline; other URLs are read
from the local file cache (``harness.tasks.cache``), which the host fills
before an episode starts (``harness.tasks.fetch``).  A cached copy is checked
against its recorded size and sha256 every time it is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import DeskbenchError
from harness.tasks.cache import CacheCorrupt, is_remote, verified_entry
from harness.tasks.schema import Getter, Task

FILE_STEPS = ("download", "upload_file")
PAGE_STEPS = ("chrome_open_tabs", "open")  # steps that load a live page in the desktop's browser
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
FILE_GETTERS = ("cloud_file",)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


class ResourceUnavailable(DeskbenchError):
    """A file the task names cannot be had here (missing, corrupt, or only on the network)."""


@dataclass(frozen=True)
class RemoteFile:
    """A file a task needs from the network: where it is named, and what is known of its content."""

    url: str
    where: str  # "config[0] download", "evaluator.expected cloud_file", ...
    html_ok: bool = False  # the task wants a web page saved as a file: an HTML answer is the file
    sha256: str | None = None  # a digest the task pins (deskbench extension: a "sha256" beside the "url")


def resolve_resource(task: Task, ref: str) -> Path:
    """The local file for ``ref``: ``file://`` URL, cached remote URL, absolute path, or a path relative to the task file."""
    if ref.startswith("file://"):
        local = Path(ref[len("file://"):])
    elif "://" in ref:
        try:
            entry = verified_entry(ref)
        except CacheCorrupt as exc:
            raise ResourceUnavailable(f"{exc}; fetch it again with: deskbench tasks fetch SUITE") from None
        if entry is None:
            raise ResourceUnavailable(f"{ref} needs the network and is not in the local cache "
                                      f"(fetch it with: deskbench tasks fetch SUITE, or add it with: "
                                      f"deskbench cache add URL FILE)")
        local = entry.path
    else:
        folder = task.folder
        local = (folder / ref) if folder is not None and not Path(ref).is_absolute() else Path(ref)
    if not local.is_file():
        raise ResourceUnavailable(f"file {local} does not exist (named by the task as {ref!r})")
    return local


def remote_files(task: Task) -> list[RemoteFile]:
    """Every remote file the task needs: download/upload steps (config and postconfig) and cloud_file getters.

    Live pages (``chrome_open_tabs``, ``open`` of a URL) are not files and are
    not listed: no cache stands in for a site.
    """
    found: dict[str, RemoteFile] = {}
    for need in _step_files(task):
        found.setdefault(need.url, need)
    for need in _getter_files(task):
        found.setdefault(need.url, need)
    return list(found.values())


def _step_files(task: Task) -> Iterator[RemoteFile]:
    steps = [(f"config[{i}]", s) for i, s in enumerate(task.config)]
    steps += [(f"evaluator.postconfig[{i}]", s) for i, s in enumerate(task.evaluator.postconfig)]
    for where, s in steps:
        if s.type not in FILE_STEPS:
            continue
        files = s.parameters.get("files", [])
        for item in files if isinstance(files, list) else []:
            if isinstance(item, dict):
                url = item.get("url")
                if isinstance(url, str) and is_remote(url):
                    yield RemoteFile(url, f"{where} {s.type}", _wants_html(url, item.get("path")), _pin(item))


def _getter_files(task: Task) -> Iterator[RemoteFile]:
    for side in ("result", "expected"):
        value = getattr(task.evaluator, side)
        for getter in value if isinstance(value, list) else [value]:
            if isinstance(getter, Getter) and getter.type in FILE_GETTERS:
                paths = getter.field("path")
                for url in paths if isinstance(paths, list) else [paths]:
                    if isinstance(url, str) and is_remote(url):
                        yield RemoteFile(url, f"evaluator.{side} {getter.type}", _wants_html(url, getter.field("dest")))


def _wants_html(url: str, saved_as: Any) -> bool:
    """Whether the file is a web page by name (the URL's path or the name it is saved under)."""
    names = (urlsplit(url).path, saved_as if isinstance(saved_as, str) else "")
    return any(name.lower().endswith(HTML_SUFFIXES) for name in names)


def _pin(item: dict[str, Any]) -> str | None:
    value = item.get("sha256")
    return value.lower() if isinstance(value, str) and value else None


def live_pages(task: Task) -> list[str]:
    """URLs of live web pages the task's setup opens in the desktop (no cache stands in for a site)."""
    found: list[str] = []
    for s in [*task.config, *task.evaluator.postconfig]:
        if s.type not in PAGE_STEPS:
            continue
        value = s.parameters.get("urls_to_open") if s.type == "chrome_open_tabs" else s.parameters.get("path")
        for url in value if isinstance(value, list) else [value]:
            if isinstance(url, str) and is_live_page(url) and url not in found:
                found.append(url)
    return found


def is_live_page(url: str) -> bool:
    """An http(s) page on another machine (the desktop's own localhost is not the web)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.hostname not in LOCAL_HOSTS


def page_address(url: str) -> tuple[str, int]:
    """The host and port a browser connects to for ``url``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "", port or (443 if parts.scheme == "https" else 80))


def page_hosts(task: Task) -> list[str]:
    """Allowlist entries (``host:port``) for exactly the hosts of the task's live pages."""
    entries: list[str] = []
    for url in live_pages(task):
        host, port = page_address(url)
        entry = f"{host}:{port}"
        if entry not in entries:
            entries.append(entry)
    return entries
