"""Browser and desktop-look setup steps: chrome_open_tabs, chrome_close_tabs, update_browse_history,
change_wallpaper.

The browser steps drive Chromium over DevTools from inside the desktop (see
``harness.sandbox.devtools``).  Whenever the browser must be up, the step
polls ``/json/version`` (bounded) rather than sleeping: tasks launch
``google-chrome`` in the step before and go on at once.  A step that cannot
do its job raises ``SetupError`` with what it found, so a task never starts
from a half-made state.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from harness import guestcode
from harness.errors import GuestError, SetupError
from harness.sandbox.devtools import (
    DEFAULT_PROFILE,
    DEVTOOLS_PORT,
    BrowserNotRunning,
    DevTools,
    DevToolsError,
    same_page,
)
from harness.setup.steps import SetupContext, step
from harness.tasks.params import GuestPath, PageUrl, StepParams

BROWSER_COMMAND = "google-chrome"  # the office image's wrapper: DevTools on 1337, the profile OSWorld expects
BROWSER_START_S = 30.0  # a first start builds the profile; about a second here, much more on a loaded machine
PAGE_LOAD_S = 30.0  # opened pages get this long (in total) to finish loading; a slow page is not an error
HISTORY_TEMPLATE = "/usr/local/share/deskbench/chrome-history-empty.sqlite"  # made by the image's own Chromium
HISTORY_PATH = f"{DEFAULT_PROFILE}/History"
# Chrome's clock: microseconds since 1601-01-01 UTC (11644473600 s before the Unix epoch).
CHROME_EPOCH_OFFSET_S = 11_644_473_600
# A link followed by the user, starting and ending a redirect chain (PAGE_TRANSITION_LINK | CHAIN_START | CHAIN_END).
TRANSITION_LINK = 0x30000000


def _strings(params: dict[str, Any], name: str) -> list[str]:
    value = params[name]
    if not isinstance(value, list) or not all(isinstance(u, str) and u for u in value):
        raise SetupError(f"'{name}' must be a list of non-empty strings")
    return list(value)


def _no_browser() -> SetupError:
    return SetupError(f"no browser answers on DevTools port {DEVTOOLS_PORT} and none is starting "
                      f"(launch {BROWSER_COMMAND} first)")


def ensure_browser(devtools: DevTools, timeout: float = BROWSER_START_S) -> None:
    """Return once the browser answers and has a window with a tab; SetupError when none runs or it never does.

    A browser process that does not answer yet is starting (a ``launch``
    step just ran): wait for it.  The first tab is waited for too, or a tab
    opened now would get a window of its own next to the start-up window.
    """
    try:
        if not devtools.is_up():
            if not devtools.browser_pids():
                raise _no_browser()
            devtools.wait_until_up(timeout)
        deadline = time.monotonic() + timeout
        while not devtools.tabs():
            if time.monotonic() > deadline:
                raise SetupError(f"the browser answers but opened no tab within {timeout:.0f} s")
            time.sleep(0.05)
    except BrowserNotRunning:
        raise SetupError(f"the browser did not answer on DevTools port {DEVTOOLS_PORT} within {timeout:.0f} s") from None
    except DevToolsError as exc:
        raise SetupError(str(exc)) from None


def start_browser_with(ctx: SetupContext, devtools: DevTools, urls: list[str], timeout: float = BROWSER_START_S) -> None:
    """Start the browser on ``urls`` (one tab each) and wait until DevTools lists that many tabs."""
    try:
        ctx.guest.spawn([BROWSER_COMMAND, *urls])
    except GuestError as exc:
        raise SetupError(f"cannot start the browser ({BROWSER_COMMAND}): {exc}; does this image have one?") from None
    try:
        devtools.wait_until_up(timeout)
        deadline = time.monotonic() + timeout
        while len(tabs := devtools.tabs()) < len(urls):
            if time.monotonic() > deadline:
                raise SetupError(f"the browser opened {len(tabs)} of {len(urls)} tabs within {timeout:.0f} s")
            time.sleep(0.05)
        devtools.wait_loaded([t.id for t in tabs], PAGE_LOAD_S)
    except BrowserNotRunning:
        raise SetupError(f"the browser started but did not answer on DevTools port {DEVTOOLS_PORT} "
                         f"within {timeout:.0f} s") from None
    except DevToolsError as exc:
        raise SetupError(str(exc)) from None


class OpenTabsParams(StepParams):
    urls_to_open: list[PageUrl]


@step("chrome_open_tabs", params=OpenTabsParams)
def chrome_open_tabs(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Open ``urls_to_open`` in new tabs of the running browser (the last one active), each waited for
    (bounded) to finish loading; with no browser at all, start one on them."""
    urls = _strings(params, "urls_to_open")
    devtools = DevTools(ctx.guest)
    try:
        running = devtools.is_up() or bool(devtools.browser_pids())
    except DevToolsError as exc:
        raise SetupError(str(exc)) from None
    if not running:
        start_browser_with(ctx, devtools, urls)
        return
    ensure_browser(devtools)
    try:
        opened = devtools.open_tabs(urls)
        devtools.wait_loaded([t.id for t in opened], PAGE_LOAD_S)
    except DevToolsError as exc:
        raise SetupError(str(exc)) from None


class CloseTabsParams(StepParams):
    urls_to_close: list[Annotated[str, Field(min_length=1)]]  # matched loosely (scheme and www. do not matter)


@step("chrome_close_tabs", params=CloseTabsParams)
def chrome_close_tabs(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Close every tab showing one of ``urls_to_close`` (``www.``, scheme and a final ``/`` do not matter).

    A URL no tab shows is an error: the task's start state (e.g. a page in
    "recently closed") would not be what it says.
    """
    urls = _strings(params, "urls_to_close")
    devtools = DevTools(ctx.guest)
    ensure_browser(devtools)
    try:
        tabs = devtools.tabs()
        missing = [u for u in urls if not any(same_page(t.url, u) for t in tabs)]
        if missing:
            raise SetupError(f"no open tab shows {missing} (open: {[t.url for t in tabs]})")
        ids = [t.id for t in tabs if any(same_page(t.url, u) for u in urls)]
        if not devtools.close_tabs(ids):
            raise SetupError(f"tabs {ids} were still open after closing them")
    except DevToolsError as exc:
        raise SetupError(str(exc)) from None


# ----------------------------------------------------------------------- history


def chrome_time(unix_seconds: float) -> int:
    """A Unix time in Chrome's History clock (microseconds since 1601)."""
    return int((unix_seconds + CHROME_EPOCH_OFFSET_S) * 1_000_000)


def add_history(database: Path, entries: list[dict[str, Any]], now: float) -> None:
    """Add one visit per entry (``url``, ``title``, ``visit_time_from_now_in_seconds``) to a History database."""
    with sqlite3.connect(database) as db:
        for entry in entries:
            url, title = str(entry["url"]), str(entry.get("title", ""))
            when = chrome_time(now - float(entry.get("visit_time_from_now_in_seconds", 0)))
            row = db.execute("SELECT id, last_visit_time FROM urls WHERE url = ?", (url,)).fetchone()
            if row is None:
                url_id = db.execute(
                    "INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden) "
                    "VALUES (?, ?, 1, 0, ?, 0)", (url, title, when)).lastrowid
            else:
                url_id = int(row[0])
                db.execute("UPDATE urls SET title = ?, visit_count = visit_count + 1, last_visit_time = ? WHERE id = ?",
                           (title, max(int(row[1]), when), url_id))
            db.execute("INSERT INTO visits (url, visit_time, from_visit, transition, segment_id, visit_duration) "
                       "VALUES (?, ?, 0, ?, 0, 0)", (url_id, when, TRANSITION_LINK))


def _read_optional(ctx: SetupContext, path: str) -> bytes | None:
    try:
        return ctx.guest.read_file(path)
    except GuestError as exc:
        if exc.status == 404:
            return None
        raise


class Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: PageUrl
    title: str = ""
    visit_time_from_now_in_seconds: float = 0.0


class HistoryParams(StepParams):
    history: list[Visit]


@step("update_browse_history", params=HistoryParams)
def update_browse_history(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Add visits (``history: [{url, title, visit_time_from_now_in_seconds}]``) to the profile's History.

    The database is edited on the host with sqlite3: the profile's own when
    it has one, else an empty one the image's Chromium made.  A running
    browser holds the database and would overwrite the edit, so this step
    refuses to run while one does (tasks run it before launching the browser).
    """
    entries = params["history"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("url") for e in entries):
        raise SetupError("'history' must be a list of objects with a 'url'")
    devtools = DevTools(ctx.guest)
    try:
        running = devtools.is_up() or bool(devtools.browser_pids())
    except DevToolsError as exc:
        raise SetupError(str(exc)) from None
    if running:
        raise SetupError("a browser is running and holds the History database; update it before launching the browser")
    data = _read_optional(ctx, HISTORY_PATH)
    if data is None:
        data = _read_optional(ctx, HISTORY_TEMPLATE)
    if data is None:
        raise SetupError(f"no History database in the profile and no template at {HISTORY_TEMPLATE} (not the office image?)")
    journal = _read_optional(ctx, HISTORY_PATH + "-journal")
    with tempfile.TemporaryDirectory(prefix="deskbench-history-") as tmp:
        local = Path(tmp) / "History"
        local.write_bytes(data)
        if journal:  # a browser that was killed leaves a hot journal: sqlite rolls it back on open
            Path(tmp, "History-journal").write_bytes(journal)
        try:
            add_history(local, entries, time.time())
        except (sqlite3.Error, KeyError, TypeError, ValueError) as exc:
            raise SetupError(f"cannot add the visits to the History database: {exc}") from None
        ctx.guest.write_file(HISTORY_PATH, local.read_bytes(), 0o600)
    if journal is not None:
        ctx.guest.run(["rm", "-f", HISTORY_PATH + "-journal"], shell=False)


# --------------------------------------------------------------------- wallpaper


class WallpaperParams(StepParams):
    path: GuestPath


@step("change_wallpaper", params=WallpaperParams)
def change_wallpaper(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Show the image at ``path`` (in the desktop) as the desktop background, scaled to cover the screen."""
    path = str(params["path"])
    result = ctx.guest.run(["python3", "-c", guestcode.source("wallpaper"), path], shell=False, timeout=60)
    if result.exit_code != 0 or result.timed_out:
        detail = (result.stderr or result.stdout).strip()[-300:]
        raise SetupError(f"cannot set the wallpaper to {path}: {detail or 'timed out'}")
