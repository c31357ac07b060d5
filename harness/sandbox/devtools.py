"""Chromium's DevTools protocol, spoken from inside the desktop container.

The container has no network, so nothing on the host can reach the browser's
DevTools port.  Each call here therefore runs a short Python program *in* the
container through the guest (``guest.run``): it talks to
``http://127.0.0.1:1337`` (the ``/json`` endpoints) and, to read or script a
page, to that page's websocket (Debian's ``python3-websocket``), and prints
one JSON answer.  The guest stays a primitive "run a command"; what the
browser means lives here, on the host, typed and tested.

The ``office`` image's ``google-chrome`` wrapper always opens port 1337,
which is also the port OSWorld's tasks pass themselves.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from harness import guestcode
from harness.errors import DeskbenchError
from harness.sandbox.guest import GuestClient

DEVTOOLS_PORT = 1337
PROFILE_DIR = "/home/user/.config/google-chrome"  # the wrapper's --user-data-dir, where OSWorld's tasks look
DEFAULT_PROFILE = f"{PROFILE_DIR}/Default"
# Process names (the kernel keeps 15 characters) of the browser and its wrappers while they start; not
# "chrome_crashpad" (a crash reporter can outlive the browser for a moment).
BROWSER_PROCESS_NAMES = ("chrome", "chromium", "google-chrome", "google-chrome-s", "chromium-browse")
SCRIPT_SLACK_S = 15.0  # what the in-container program may need beyond its own deadline (Python start, I/O)


class DevToolsError(DeskbenchError):
    """The in-container DevTools client failed; the message says what it was doing."""


class BrowserNotRunning(DevToolsError):
    """Nothing answers on the DevTools port: no browser runs (or it was started without the wrapper)."""


@dataclass(frozen=True)
class Tab:
    """One page target as DevTools lists it."""

    id: str
    title: str
    url: str


# The in-container half (``harness.guestcode.devtools_client``): one JSON request on stdin, one JSON answer
# on stdout, every wait in it bounded by the request's deadline.


class DevTools:
    """A DevTools client for the browser in one desktop, each call one in-container program run."""

    def __init__(self, guest: GuestClient, port: int = DEVTOOLS_PORT) -> None:
        self.guest = guest
        self.port = port

    def _call(self, op: str, timeout: float = 10.0, **fields: Any) -> Any:
        request = {"op": op, "port": self.port, "timeout": timeout, "names": list(BROWSER_PROCESS_NAMES), **fields}
        result = self.guest.run(["python3", "-c", guestcode.source("devtools_client")], shell=False,
                                stdin=json.dumps(request),
                                timeout=timeout + SCRIPT_SLACK_S)
        if result.timed_out:
            raise DevToolsError(f"DevTools {op}: the in-desktop client did not finish within {timeout + SCRIPT_SLACK_S:.0f} s")
        try:
            answer = json.loads(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            detail = (result.stderr or result.stdout).strip()[-400:]
            raise DevToolsError(f"DevTools {op}: the in-desktop client failed (exit {result.exit_code}): {detail}") from None
        if "error" in answer:
            cls = BrowserNotRunning if answer.get("not_running") else DevToolsError
            raise cls(f"DevTools {op}: {answer['error']}")
        return answer["ok"]

    # -- the browser
    def version(self) -> dict[str, Any]:
        """``/json/version`` (browser name, protocol version); BrowserNotRunning when nothing answers."""
        return dict(self._call("version"))

    def is_up(self) -> bool:
        try:
            self.version()
        except BrowserNotRunning:
            return False
        return True

    def wait_until_up(self, timeout: float = 30.0) -> dict[str, Any]:
        """Poll ``/json/version`` (inside the desktop, every 50 ms, bounded) until the browser answers."""
        return dict(self._call("wait", timeout=timeout))

    def browser_pids(self) -> list[int]:
        """Processes named like a browser (``chrome``, ``chromium``, the wrappers): one may be starting up."""
        return [int(p) for p in self._call("processes")]

    # -- tabs
    def tabs(self) -> list[Tab]:
        """Open tabs (page targets), most recently active first (DevTools' own order)."""
        return [Tab(t["id"], t["title"], t["url"]) for t in self._call("tabs")]

    def active_tab(self) -> Tab | None:
        """The tab the user sees: the visible, focused page (see the in-desktop ``active_page``)."""
        t = self._call("active")
        return Tab(t["id"], t["title"], t["url"]) if t else None

    def evaluate(self, expression: str, *, tab_id: str | None = None, load_wait: float = 0.0,
                 timeout: float = 20.0) -> tuple[Tab, Any] | None:
        """Evaluate a JavaScript expression in a tab (default: the active one); its JSON value and the tab.

        ``load_wait`` first waits up to that long for the page to finish loading.  None when there is
        no such tab.
        """
        answer = self._call("evaluate", timeout=timeout + load_wait, expression=expression, target=tab_id,
                            load_wait=load_wait)
        if answer is None:
            return None
        t = answer["tab"]
        return Tab(t["id"], t["title"], t["url"]), answer["value"]

    def open_tabs(self, urls: list[str], timeout: float = 30.0) -> list[Tab]:
        """Open each URL in a new foreground tab of the running browser (the last one ends up active)."""
        return [Tab(t["id"], t["title"], t["url"]) for t in self._call("open", timeout=timeout, urls=urls)]

    def close_tabs(self, ids: list[str], timeout: float = 10.0) -> bool:
        """Close tabs by id; True once DevTools no longer lists them (bounded wait)."""
        return bool(self._call("close", timeout=timeout, ids=ids))

    def activate(self, tab_id: str) -> None:
        self._call("activate", target=tab_id)

    def close_browser(self, timeout: float = 30.0) -> bool:
        """Close the browser the way its menu's Exit does (DevTools ``Browser.close``); True once no browser
        process is left (bounded wait).

        Unlike ``pkill chrome`` (SIGTERM: Chromium ends the session at once and
        leaves the last ~10 s of history uncommitted), a normal exit writes
        everything the profile holds.
        """
        return bool(self._call("close_browser", timeout=timeout))

    def page_text(self, url: str, timeout: float = 20.0) -> str:
        """The text of ``url`` (e.g. ``chrome://prefs-internals``) read in a background tab, closed after.

        The active tab and the tab list are as before once this returns.
        """
        return str(self._call("page_text", timeout=timeout, url=url))

    def wait_loaded(self, ids: list[str], timeout: float = 30.0) -> dict[str, bool]:
        """Wait (bounded, in total) for the given tabs to finish loading; which of them did."""
        return {str(k): bool(v) for k, v in dict(self._call("wait_loaded", timeout=timeout, ids=ids)).items()}


def normalize_url(url: str) -> str:
    """A URL in a form two spellings of one page share: scheme and host lower-case, no ``www.``,
    no lone ``/`` path.  Tasks name pages loosely (``https://www.x.com/`` vs ``x.com``)."""
    text = url.strip()
    if "://" not in text and not text.startswith(("about:", "chrome:", "data:", "file:", "javascript:")):
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    host = re.sub(r"^www\.", "", parts.netloc.lower())
    path = "" if parts.path == "/" else parts.path
    scheme = parts.scheme.lower()
    return urllib.parse.urlunsplit((scheme, host, path, parts.query, parts.fragment))


def same_page(a: str, b: str) -> bool:
    """Whether two URLs name the same page, after :func:`normalize_url` (http and https count as one)."""
    def key(url: str) -> str:
        return re.sub(r"^https?://", "", normalize_url(url))
    return key(a) == key(b)
