"""A local cache of files that tasks name by URL, so tasks with downloads run without a network.

OSWorld tasks fetch their documents from cloud drives.  deskbench never
fetches from inside a container: the host fills this cache (``deskbench
tasks fetch``, a run with ``--network``, or ``deskbench cache add URL FILE``
for a file obtained some other way), and ``download`` steps and the
``cloud_file`` getter read from it.

An entry is a folder named after the URL's hash holding ``URL`` (the key),
the file under its own name and ``meta.json`` (size and sha256).  Entries are
built in a staging folder and renamed into place whole, so a reader never
sees half a file; a copy whose size or digest no longer matches its
``meta.json`` is reported as corrupt at use (:func:`verified_entry`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from harness.errors import DeskbenchError

META = "meta.json"
MARKER = "URL"
STAGING = ".staging"  # partial downloads and entries being built; never read as entries
CHUNK = 1 << 20
RACE_ATTEMPTS = 20  # tries at swapping an entry or reading one that other processes are replacing


class CacheCorrupt(DeskbenchError):
    """A cached file no longer matches the size or sha256 recorded when it was stored."""


@dataclass(frozen=True)
class CacheEntry:
    """A complete cached file and what it was when stored."""

    url: str
    path: Path
    size: int
    sha256: str


def cache_dir() -> Path:
    """``$DESKBENCH_CACHE``, else ``~/.cache/deskbench/files``."""
    override = os.environ.get("DESKBENCH_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "deskbench" / "files"


def entry_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def _entry(url: str) -> Path:
    return cache_dir() / entry_key(url)


def staging_dir() -> Path:
    """Where downloads are written until complete (same file system as the entries, so rename is atomic)."""
    folder = cache_dir() / STAGING
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def staging_path(url: str, kind: str) -> Path:
    """A fresh name in the staging folder: ``KEY.PID.RANDOM.KIND``, so a dead process's leftovers can be told."""
    return staging_dir() / f"{entry_key(url)}.{os.getpid()}.{uuid.uuid4().hex}.{kind}"


def sweep_staging() -> list[Path]:
    """Remove what processes that are gone left in the staging folder (a kill -9 mid-download); returns it."""
    root = cache_dir() / STAGING
    removed = []
    for item in sorted(root.iterdir()) if root.is_dir() else []:
        parts = item.name.split(".")
        if len(parts) == 4 and parts[1].isdigit() and not _alive(int(parts[1])):
            if item.is_dir():
                shutil.rmtree(item, ignore_errors=True)
            else:
                item.unlink(missing_ok=True)
            removed.append(item)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_file(url: str) -> Path | None:
    """The cached copy of ``url``, or None; a cheap existence check (see :func:`verified_entry` for use)."""
    try:
        files = [p for p in _entry(url).iterdir() if p.is_file() and p.name not in (MARKER, META)]
    except (FileNotFoundError, NotADirectoryError):  # not cached, or being replaced this instant
        return None
    return files[0] if files else None


def verified_entry(url: str) -> CacheEntry | None:
    """The cached copy of ``url`` after checking its size and sha256; None when not cached.

    Raises :class:`CacheCorrupt` when the file was truncated or changed since
    it was stored.  An entry stored by an older deskbench (no ``meta.json``)
    is trusted once and gets its ``meta.json`` now.
    """
    for _ in range(RACE_ATTEMPTS):
        try:
            return _read_entry(url)
        except FileNotFoundError:
            continue  # the entry was replaced while we read it (another process stored the URL): read again
    return None


def _read_entry(url: str) -> CacheEntry | None:
    file = cached_file(url)
    if file is None:
        return None
    meta_file = file.parent / META
    actual_size = file.stat().st_size
    if not meta_file.is_file():
        entry = CacheEntry(url, file, actual_size, file_digest(file))
        _write_meta(file.parent, entry)
        return entry
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        size, sha = int(meta["size"]), str(meta["sha256"])
    except (ValueError, KeyError, TypeError):
        raise CacheCorrupt(f"cached copy of {url} has an unreadable {meta_file}") from None
    if actual_size != size:
        raise CacheCorrupt(f"cached copy of {url} is {actual_size} bytes, {size} were stored ({file})")
    actual_sha = file_digest(file)
    if actual_sha != sha:
        raise CacheCorrupt(f"cached copy of {url} has sha256 {actual_sha[:12]}..., {sha[:12]}... was stored ({file})")
    return CacheEntry(url, file, size, sha)


def file_name_for(url: str, fallback: str = "file") -> str:
    """The name the cached file keeps: the URL path's last part, else ``fallback``."""
    name = Path(unquote(urlsplit(url).path)).name
    return name if name and name not in (MARKER, META) else fallback


def install(url: str, complete: Path, name: str, sha256: str) -> CacheEntry:
    """Move the complete file ``complete`` (in the staging folder) into place as the content of ``url``.

    The entry is assembled in a staging folder and renamed over the old one,
    so readers see the old entry, none, or the new one; never a mix.
    """
    build = staging_path(url, "entry")
    build.mkdir()
    try:
        (build / MARKER).write_text(url + "\n")
        target = build / name
        os.replace(complete, target)
        entry = CacheEntry(url, target, target.stat().st_size, sha256)
        _write_meta(build, entry)
        final = _entry(url)
        for attempt in range(RACE_ATTEMPTS):
            _move_aside(url, final)
            try:
                os.replace(build, final)
                break
            except OSError as exc:  # another process installed the same URL in between: move it aside again
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == RACE_ATTEMPTS - 1:
                    raise
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return CacheEntry(url, final / name, entry.size, sha256)


def _move_aside(url: str, final: Path) -> None:
    """Take an existing entry out of the way (another process may just have done so: nothing to move then)."""
    old = staging_path(url, "old")
    try:
        os.replace(final, old)
    except FileNotFoundError:
        return
    shutil.rmtree(old, ignore_errors=True)


def _write_meta(folder: Path, entry: CacheEntry) -> None:
    tmp = folder / (META + ".tmp")
    tmp.write_text(json.dumps({"url": entry.url, "size": entry.size, "sha256": entry.sha256}) + "\n")
    os.replace(tmp, folder / META)


def add_to_cache(url: str, source: Path) -> Path:
    """Copy ``source`` into the cache as the content of ``url``; returns the cached path."""
    if not source.is_file():
        raise FileNotFoundError(f"{source} is not a file")
    copy = staging_path(url, "part")
    try:
        shutil.copyfile(source, copy)
        return install(url, copy, file_name_for(url, source.name), file_digest(copy)).path
    finally:
        copy.unlink(missing_ok=True)


def remove_entry(url: str) -> None:
    """Drop ``url``'s entry (a corrupt copy about to be fetched again)."""
    shutil.rmtree(_entry(url), ignore_errors=True)


def cached_urls() -> dict[str, Path]:
    """Every cached URL and its file."""
    out: dict[str, Path] = {}
    root = cache_dir()
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        marker = entry / MARKER
        if entry.name != STAGING and marker.is_file():
            url = marker.read_text().strip()
            file = cached_file(url)
            if file is not None:
                out[url] = file
    return out


def is_remote(ref: str) -> bool:
    return ref.startswith(("http://", "https://", "ftp://"))
