"""Downloading the files tasks name, on the host, into the local cache.

Never from inside a container: the desktop stays without a network and
reads its inputs from the cache (``harness.tasks.cache``).  A download is
streamed to a staging file, retried with exponential backoff on transient
failures (connection errors, 429, 5xx, a body cut short), resumed with a
``Range`` request where the server honours it, capped in size, checked
against a pinned sha256 when one is known, and renamed into the cache only
when complete: a failed download leaves nothing behind.

Google Drive answers a large file's download URL with an HTML page ("can't
scan this file for viruses") whose form or link carries a confirmation
token; OSWorld's files live there, so such a page is followed once or twice
to the file.  Any other HTML answer where a file was expected (a sign-in or
error page) is refused rather than cached.

``DESKBENCH_MIRRORS`` maps URL prefixes to others (``FROM=TO``, separated by
spaces): a team's internal mirror of the task files, or a test server on
loopback.  Cache entries stay keyed by the URL the task names.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx2

from harness.errors import ConfigError, DeskbenchError
from harness.tasks.cache import (
    CacheCorrupt,
    CacheEntry,
    file_digest,
    file_name_for,
    install,
    remove_entry,
    staging_dir,
    staging_path,
    sweep_staging,
    verified_entry,
)
from harness.tasks.download_pages import drive_confirmation, page_title
from harness.tasks.resources import RemoteFile

MIRRORS_ENV = "DESKBENCH_MIRRORS"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_CONFIRMATIONS = 2  # Drive pages followed per file
PAGE_LIMIT = 2 << 20  # bytes of an HTML answer read to look for a confirmation link
READ_CHUNK = 1 << 16
MAX_WAIT = 30.0  # seconds: longest backoff or Retry-After honoured

Progress = Callable[[int], None]


class FetchError(DeskbenchError):
    """A file could not be fetched; the message names the URL and why."""

    def __init__(self, url: str, reason: str, unreachable: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason
        self.unreachable = unreachable  # no connection could be made at all (name unknown, refused, no route)


class _Retry(Exception):
    """A transient failure: try again after ``wait`` seconds (None: the backoff's)."""

    def __init__(self, reason: str, wait: float | None = None, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.wait, self.unreachable = wait, unreachable


@dataclass(frozen=True)
class MirrorMap:
    """URL prefix rewrites applied before a request (the cache keeps the original URL)."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str, source: str = MIRRORS_ENV) -> MirrorMap:
        rules = []
        for item in text.split():
            before, sep, after = item.partition("=")
            if not sep or not _is_http(before) or not _is_http(after):
                raise ConfigError(f"{source}: {item!r} is not FROM=TO with two http(s) URL prefixes")
            rules.append((before, after))
        return cls(tuple(rules))

    @classmethod
    def from_env(cls) -> MirrorMap:
        return cls.parse(os.environ.get(MIRRORS_ENV, ""))

    def rewrite(self, url: str) -> str:
        """The URL to request: the first rule whose prefix matches, longest prefixes first."""
        for before, after in sorted(self.rules, key=lambda rule: -len(rule[0])):
            if url.startswith(before):
                return after + url[len(before):]
        return url


def _is_http(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True)
class FetchOptions:
    """Limits of one download; the defaults suit OSWorld's files (all well under the cap)."""

    max_bytes: int = 2 << 30
    attempts: int = 5
    backoff: float = 0.5  # seconds before the second attempt; doubles after each failure
    timeout: float = 60.0  # seconds without progress (connect, read) before an attempt fails
    mirrors: MirrorMap = field(default_factory=MirrorMap.from_env)
    pins: Mapping[str, str] = field(default_factory=dict)  # url -> sha256 the content must have


def new_client(options: FetchOptions) -> httpx2.Client:
    """One client per fetch session: pooled connections, redirects followed, cookies kept (Drive sets one)."""
    return httpx2.Client(follow_redirects=True, max_redirects=10,
                         timeout=httpx2.Timeout(options.timeout, connect=min(options.timeout, 15.0)),
                         headers={"User-Agent": "deskbench-fetch"})


_url_locks: dict[str, threading.Lock] = {}
_url_locks_guard = threading.Lock()


def _lock_for(url: str) -> threading.Lock:
    """One download of a URL at a time in this process (parallel episodes may need the same file)."""
    with _url_locks_guard:
        return _url_locks.setdefault(url, threading.Lock())


def fetch_file(need: RemoteFile, options: FetchOptions | None = None, client: httpx2.Client | None = None,
               progress: Progress | None = None) -> CacheEntry:
    """The verified cache entry for ``need.url``, downloading it first when missing or corrupt."""
    options = options or FetchOptions()
    with _lock_for(need.url):
        try:
            entry = verified_entry(need.url)
        except CacheCorrupt:
            remove_entry(need.url)
            entry = None
        pin = options.pins.get(need.url) or need.sha256
        if entry is not None and (pin is None or entry.sha256 == pin):
            return entry
        own = client is None
        session = client or new_client(options)
        try:
            return _download(session, need, options, pin, progress or (lambda n: None))
        finally:
            if own:
                session.close()


def _download(client: httpx2.Client, need: RemoteFile, options: FetchOptions, pin: str | None,
              progress: Progress) -> CacheEntry:
    url = need.url
    source = options.mirrors.rewrite(url)
    part = staging_path(url, "part")
    try:
        failures = confirmations = 0
        validator: dict[str, str] = {}  # the first answer's ETag or Last-Modified: a resume must be of that version
        while True:
            try:
                confirmed = _transfer(client, source, part, need, options, progress, validator)
            except _Retry as why:
                failures += 1
                if failures >= options.attempts:
                    raise FetchError(url, f"{why} (gave up after {failures} attempts)", why.unreachable) from None
                time.sleep(why.wait if why.wait is not None else min(MAX_WAIT, options.backoff * 2 ** (failures - 1)))
                continue
            if confirmed is None:
                break
            confirmations += 1
            if confirmations > MAX_CONFIRMATIONS:
                raise FetchError(url, "the download page kept asking for confirmation")
            source = confirmed
            part.unlink(missing_ok=True)
        sha = file_digest(part)
        if pin is not None and sha != pin:
            raise FetchError(url, f"checksum mismatch: got sha256 {sha}, expected {pin}")
        return install(url, part, file_name_for(url), sha)
    except OSError as exc:  # the staging folder's disk: full, read-only, gone
        reason = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise FetchError(url, f"cannot write the cache ({reason}): {exc.filename or staging_dir()}") from None
    finally:
        part.unlink(missing_ok=True)


def _transfer(client: httpx2.Client, source: str, part: Path, need: RemoteFile, options: FetchOptions,
              progress: Progress, validator: dict[str, str]) -> str | None:
    """One request, appending to ``part``; returns a confirmation URL to follow, or None when the file is whole.

    A resume sends ``If-Range`` with the validator of the answer it continues,
    so a file that changed on the server comes back whole (200) instead of
    being spliced onto the old version's first half.
    """
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    if have and validator.get("value"):
        headers["If-Range"] = validator["value"]
    try:
        with client.stream("GET", source, headers=headers) as response:
            status = response.status_code
            if status == 416 and have:
                part.unlink()
                raise _Retry("the server refused to resume", wait=0.0)
            if status in RETRY_STATUS:
                raise _Retry(f"HTTP {status} {response.reason_phrase}", _retry_after(response))
            if status >= 400:
                raise FetchError(need.url, f"HTTP {status} {response.reason_phrase}"
                                 + (f" (from {source})" if source != need.url else ""))
            if status == 206 and _range_start(response.headers.get("content-range")) != have:
                part.unlink(missing_ok=True)
                raise _Retry("the server resumed at another offset", wait=0.0)
            if status != 206:
                have = 0  # a full answer to a Range request: start over
                etag = response.headers.get("etag", "")
                strong = etag if etag and not etag.startswith("W/") else ""
                validator["value"] = strong or response.headers.get("last-modified", "")
            total = _expected_total(response, have)
            if total is not None and total > options.max_bytes:
                raise FetchError(need.url, f"file is {total} bytes, over the size cap of {options.max_bytes}")
            return _write_body(response, part, have, total, need, options, progress)
    except httpx2.TransportError as exc:
        raise _Retry(f"{type(exc).__name__}: {exc or 'connection failed'}",
                     unreachable=isinstance(exc, httpx2.ConnectError)) from None


def _write_body(response: httpx2.Response, part: Path, have: int, total: int | None, need: RemoteFile,
                options: FetchOptions, progress: Progress) -> str | None:
    chunks = response.iter_bytes(READ_CHUNK)
    first = b""
    if have == 0 and not need.html_ok:
        first = next(chunks, b"")
        if _looks_like_html(response, first):
            return _confirmation_or_refuse(response, first, chunks, need)
    with part.open("ab" if have else "wb") as out:
        for chunk in _prepend(first, chunks):
            have += len(chunk)
            if have > options.max_bytes:
                raise FetchError(need.url, f"file is over the size cap of {options.max_bytes} bytes")
            out.write(chunk)
            progress(len(chunk))
    if total is not None and have < total:
        raise _Retry(f"connection closed after {have} of {total} bytes")
    return None


def _prepend(first: bytes, rest: Iterable[bytes]) -> Iterable[bytes]:
    if first:
        yield first
    yield from rest


def _looks_like_html(response: httpx2.Response, first: bytes) -> bool:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    head = first[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _confirmation_or_refuse(response: httpx2.Response, first: bytes, chunks: Iterable[bytes],
                            need: RemoteFile) -> str:
    body = bytearray(first)
    for chunk in chunks:
        body += chunk
        if len(body) > PAGE_LIMIT:
            break
    page = body.decode("utf-8", "replace")
    link = drive_confirmation(str(response.url), page, dict(response.cookies))
    if link is None:
        title = page_title(page)
        raise FetchError(need.url, "got an HTML page where a file was expected"
                         + (f" ({title!r})" if title else "") + "; the link may need a sign-in or be gone")
    return link


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return min(MAX_WAIT, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        return min(MAX_WAIT, max(0.0, parsedate_to_datetime(value).timestamp() - time.time()))
    except (TypeError, ValueError):
        return None


def _range_start(content_range: str | None) -> int | None:
    """The first byte of ``bytes START-END/TOTAL``."""
    if not content_range or not content_range.startswith("bytes "):
        return None
    try:
        return int(content_range[6:].split("-", 1)[0])
    except ValueError:
        return None


def _expected_total(response: httpx2.Response, have: int) -> int | None:
    """The whole file's size, when the server says (Content-Length counts only what is left after a resume)."""
    if response.headers.get("content-encoding", "identity") != "identity":
        return None  # the length is of the encoded body
    length = response.headers.get("content-length")
    try:
        return have + int(length) if length is not None else None
    except ValueError:
        return None


@dataclass
class FetchOutcome:
    """What became of one file of a ``fetch_all``."""

    need: RemoteFile
    tasks: list[str]
    entry: CacheEntry | None = None
    error: str | None = None
    seconds: float = 0.0


def fetch_all(needs: Mapping[str, tuple[RemoteFile, list[str]]], parallel: int = 4,
              options: FetchOptions | None = None, progress: Progress | None = None,
              done: Callable[[FetchOutcome], None] | None = None) -> list[FetchOutcome]:
    """Fetch every URL of ``needs`` (url -> (file, tasks needing it)), ``parallel`` at once, one client shared.

    A failure is recorded on its outcome, never raised: the others go on.
    A host that could not be connected to at all (after every attempt) is not
    tried again for the files after it: they fail at once, saying so.
    """
    options = options or FetchOptions()
    sweep_staging()
    outcomes: list[FetchOutcome] = []
    lock = threading.Lock()
    unreachable: dict[str, str] = {}  # host of the request -> the URL whose failure showed it
    with new_client(options) as client:
        def one(item: tuple[RemoteFile, list[str]]) -> None:
            need, tasks = item
            outcome = FetchOutcome(need, tasks)
            started = time.monotonic()
            host = urlsplit(options.mirrors.rewrite(need.url)).netloc
            try:
                if host in unreachable:
                    raise FetchError(need.url, f"{host} could not be reached for {unreachable[host]} either")
                outcome.entry = fetch_file(need, options, client, progress)
            except FetchError as exc:
                outcome.error = str(exc)
                if exc.unreachable:
                    unreachable.setdefault(host, need.url)
            except DeskbenchError as exc:
                outcome.error = str(exc)
            outcome.seconds = time.monotonic() - started
            with lock:
                outcomes.append(outcome)
            if done is not None:
                done(outcome)

        with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="fetch") as pool:
            list(pool.map(one, needs.values()))
    return outcomes


class InputsUnavailable(DeskbenchError):
    """A task's remote files cannot be had for this episode; ``status`` is how the episode ends."""

    def __init__(self, status: Literal["setup_error", "needs_network"], message: str) -> None:
        super().__init__(message)
        self.status: Literal["setup_error", "needs_network"] = status


def prepare_inputs(task_key: str, needs: Iterable[RemoteFile], network: bool,
                   options: FetchOptions | None = None) -> dict[str, str]:
    """Make sure every remote file a task needs is cached and intact; returns url -> sha256.

    Offline, a missing or corrupt copy ends the episode as ``needs_network``;
    with the network allowed it is fetched, and a fetch that fails ends it as
    ``setup_error``: neither is the agent's failure.
    """
    used: dict[str, str] = {}
    wanted = list(needs)
    client: httpx2.Client | None = None
    if network and wanted:
        sweep_staging()  # what a killed earlier run left half-written
        try:
            options = options or FetchOptions()
        except ConfigError as exc:  # DESKBENCH_MIRRORS (the CLI says so before a run; the Python API here)
            raise InputsUnavailable("setup_error", f"task {task_key}: {exc}") from None
        client = new_client(options)
    try:
        for need in wanted:
            used[need.url] = _task_input(task_key, need, options, client).sha256
    finally:
        if client is not None:
            client.close()
    return used


def _task_input(task_key: str, need: RemoteFile, options: FetchOptions | None,
                client: httpx2.Client | None) -> CacheEntry:
    """One input of ``prepare_inputs``: fetched when there is a client (the network is allowed), else checked."""
    if client is not None:
        try:
            return fetch_file(need, options, client)
        except DeskbenchError as exc:  # FetchError; also a corrupt entry that could not be removed
            raise InputsUnavailable("setup_error", f"task {task_key}: {need.where}: {exc}") from None
    try:
        found = verified_entry(need.url)
    except CacheCorrupt as exc:
        raise InputsUnavailable("needs_network", f"task {task_key}: {need.where}: {exc}; "
                                "run with --network or deskbench tasks fetch to fetch it again") from None
    if found is None:
        raise InputsUnavailable("needs_network", f"task {task_key}: {need.where}: {need.url} "
                                "is not in the local cache and the run has no network")
    return found
