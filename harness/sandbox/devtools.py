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


# The in-container half.  Standard library plus python3-websocket; reads one JSON request on stdin and
# prints one JSON answer on stdout: {"ok": value} or {"error": message, "not_running": bool}.
# Every wait in it is bounded by the request's deadline.
_SCRIPT = r'''
import json, os, socket, sys, time, urllib.parse

REQ = json.load(sys.stdin)
PORT = int(REQ["port"])
DEADLINE = time.monotonic() + float(REQ.get("timeout", 10))


class NotRunning(Exception):
    pass


def left(cap=5.0):
    return max(0.05, min(cap, DEADLINE - time.monotonic()))


def http(path, method="GET"):
    """One request to the DevTools HTTP endpoint (a bare socket: urllib's imports cost 150 ms a call)."""
    try:
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=left())
    except OSError as exc:
        raise NotRunning("nothing answers on DevTools port %d (%s)" % (PORT, exc))
    try:
        sock.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n"
                      % (method, path, PORT)).encode())
        raw = b""
        length = None
        while True:
            if length is None and b"\r\n\r\n" in raw:
                head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
                found = [line.split(":", 1)[1] for line in head.split("\r\n") if line.startswith("content-length:")]
                length = int(found[0]) if found else -1
            if length is not None and length >= 0 and len(raw.split(b"\r\n\r\n", 1)[1]) >= length:
                break
            data = sock.recv(65536)
            if not data:
                break
            raw += data
    except (ConnectionError, socket.timeout) as exc:
        raise NotRunning("DevTools port %d dropped the request (%s)" % (PORT, exc))
    finally:
        sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    if status != 200:
        raise RuntimeError("DevTools answered %s %s with HTTP %s: %r" % (method, path, status, body[:200]))
    text = body.decode("utf-8", "replace")
    return json.loads(text) if text.lstrip()[:1] in ("{", "[") else text


def pages():
    return [t for t in http("/json/list") if t.get("type") == "page"]


def browser_processes():
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/comm" % pid) as fh:
                    comm = fh.read().strip()
            except OSError:
                continue
            if comm in REQ.get("names", []):
                found.append(int(pid))
    return found


def wait_up():
    """Poll /json/version until it answers (bounded by the deadline)."""
    while True:
        try:
            return http("/json/version")
        except NotRunning:
            if time.monotonic() > DEADLINE:
                raise
            time.sleep(0.05)


def cdp(ws_url, method, params):
    """One DevTools command over a websocket; its result (events that arrive first are skipped)."""
    import websocket  # python3-websocket; imported only when a page or the browser is scripted

    ws = websocket.create_connection(ws_url, timeout=left(), suppress_origin=True)
    try:
        ws.send(json.dumps({"id": 1, "method": method, "params": params}))
        while True:
            ws.settimeout(left())
            message = json.loads(ws.recv())
            if message.get("id") == 1:
                break
    finally:
        ws.close()
    if "error" in message:
        raise RuntimeError("%s failed: %s" % (method, message["error"].get("message")))
    return message["result"]


def evaluate(target, expression):
    result = cdp(target["webSocketDebuggerUrl"], "Runtime.evaluate",
                 {"expression": expression, "returnByValue": True, "awaitPromise": True})
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text")
        raise RuntimeError("the page's script threw: %s" % str(text)[:300])
    return result["result"].get("value")


def page_text(url):
    """Open url in a background tab (the active tab stays), read its text once loaded, close the tab."""
    browser = http("/json/version")["webSocketDebuggerUrl"]
    target_id = cdp(browser, "Target.createTarget", {"url": url, "background": True})["targetId"]
    try:
        while True:
            target = next((t for t in pages() if t["id"] == target_id), None)
            if target is not None or time.monotonic() > DEADLINE:
                break
            time.sleep(0.05)
        if target is None:
            raise RuntimeError("the tab opened for %s never appeared" % url)
        wait_loaded(target, left(3600))
        while True:  # internal pages fill themselves in by script after loading: wait (bounded) for text
            text = evaluate(target, "document.body ? document.body.innerText : ''")
            if text or time.monotonic() > DEADLINE:
                return text
            time.sleep(0.05)
    finally:
        cdp(browser, "Target.closeTarget", {"targetId": target_id})


STATE = "JSON.stringify([document.visibilityState, document.hasFocus(), document.readyState])"


def page_state(target):
    try:
        return json.loads(evaluate(target, STATE))
    except Exception:  # a page that cannot answer (a dialog open, still starting) is not the active one
        return ["unknown", False, "unknown"]


def active_page():
    """The tab the user sees: visible and focused, else visible, else the most recently active one.

    /json/list is ordered by last activity (most recent first), so list order breaks ties.
    """
    listed = pages()
    if not listed:
        return None
    best, best_rank = listed[0], 0
    for target in listed:
        visibility, focused, _ = page_state(target)
        rank = 2 if visibility == "visible" and focused else 1 if visibility == "visible" else 0
        if rank > best_rank:
            best, best_rank = target, rank
        if rank == 2:
            break
    return best


def wait_loaded(target, budget):
    """Wait (bounded) for document.readyState == 'complete'; a page still loading is read as it is."""
    until = min(DEADLINE, time.monotonic() + budget)
    while time.monotonic() < until:
        try:
            if evaluate(target, "document.readyState") == "complete":
                return True
        except Exception:
            pass
        time.sleep(0.05)
    return False


def tab(target):
    return {"id": target["id"], "title": target.get("title", ""), "url": target.get("url", "")}


def main():
    op = REQ["op"]
    if op == "version":
        return http("/json/version")
    if op == "wait":
        return wait_up()
    if op == "processes":
        return browser_processes()
    if op == "tabs":
        return [tab(t) for t in pages()]
    if op == "active":
        target = active_page()
        return tab(target) if target else None
    if op == "evaluate":
        target = active_page() if REQ.get("target") is None else next(
            (t for t in pages() if t["id"] == REQ["target"]), None)
        if target is None:
            return None
        if REQ.get("load_wait", 0) > 0:
            wait_loaded(target, float(REQ["load_wait"]))
        return {"tab": tab(target), "value": evaluate(target, REQ["expression"])}
    if op == "open":
        opened = [tab(http("/json/new?" + urllib.parse.quote(url, safe=""), method="PUT")) for url in REQ["urls"]]
        return opened
    if op == "close":
        for target_id in REQ["ids"]:
            http("/json/close/" + target_id)
        while time.monotonic() < DEADLINE:  # closing is asynchronous: wait (bounded) until they are gone
            if not set(REQ["ids"]) & {t["id"] for t in pages()}:
                return True
            time.sleep(0.05)
        return False
    if op == "activate":
        http("/json/activate/" + REQ["target"])
        return True
    if op == "close_browser":
        try:
            cdp(http("/json/version")["webSocketDebuggerUrl"], "Browser.close", {})
        except NotRunning:
            raise
        except Exception:
            pass  # the browser may close the connection before it answers
        while time.monotonic() < DEADLINE:  # bounded: until no browser process is left
            if not browser_processes():
                return True
            time.sleep(0.05)
        return False
    if op == "page_text":
        return page_text(REQ["url"])
    if op == "wait_loaded":
        done = {}
        for target in pages():
            if target["id"] in REQ["ids"]:
                done[target["id"]] = wait_loaded(target, left(3600))
        return done
    raise RuntimeError("unknown op %r" % op)


try:
    print(json.dumps({"ok": main()}))
except NotRunning as exc:
    print(json.dumps({"error": str(exc), "not_running": True}))
except Exception as exc:
    print(json.dumps({"error": "%s: %s" % (type(exc).__name__, exc), "not_running": False}))
'''


class DevTools:
    """A DevTools client for the browser in one desktop, each call one in-container program run."""

    def __init__(self, guest: GuestClient, port: int = DEVTOOLS_PORT) -> None:
        self.guest = guest
        self.port = port

    def _call(self, op: str, timeout: float = 10.0, **fields: Any) -> Any:
        request = {"op": op, "port": self.port, "timeout": timeout, "names": list(BROWSER_PROCESS_NAMES), **fields}
        result = self.guest.run(["python3", "-c", _SCRIPT], shell=False, stdin=json.dumps(request),
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
