"""A local cache of files that tasks name by URL, so tasks with downloads run without a network.

OSWorld tasks fetch their documents from cloud drives; here nothing outside
the package registries is reachable.  A user who has the files puts them in
the cache (``deskbench cache add URL FILE``), and ``download`` steps and the
``cloud_file`` getter then read them from disk.  Entries are keyed by the
exact URL; the file keeps its own name inside the entry's folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit


def cache_dir() -> Path:
    """``$DESKBENCH_CACHE``, else ``~/.cache/deskbench/files``."""
    override = os.environ.get("DESKBENCH_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "deskbench" / "files"


def _entry(url: str) -> Path:
    return cache_dir() / hashlib.sha256(url.encode()).hexdigest()[:32]


def cached_file(url: str) -> Path | None:
    """The cached copy of ``url``, or None."""
    entry = _entry(url)
    if not entry.is_dir():
        return None
    files = [p for p in entry.iterdir() if p.is_file() and p.name != "URL"]
    return files[0] if files else None


def add_to_cache(url: str, source: Path) -> Path:
    """Copy ``source`` into the cache as the content of ``url``; returns the cached path."""
    if not source.is_file():
        raise FileNotFoundError(f"{source} is not a file")
    entry = _entry(url)
    if entry.exists():
        shutil.rmtree(entry)
    entry.mkdir(parents=True)
    (entry / "URL").write_text(url + "\n")
    name = Path(unquote(urlsplit(url).path)).name or source.name
    target = entry / name
    shutil.copyfile(source, target)
    return target


def cached_urls() -> dict[str, Path]:
    """Every cached URL and its file."""
    out: dict[str, Path] = {}
    root = cache_dir()
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        marker = entry / "URL"
        if marker.is_file():
            url = marker.read_text().strip()
            file = cached_file(url)
            if file is not None:
                out[url] = file
    return out


def is_remote(ref: str) -> bool:
    return ref.startswith(("http://", "https://", "ftp://"))
