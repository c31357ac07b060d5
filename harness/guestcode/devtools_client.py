"""Chromium's DevTools protocol, spoken inside the desktop (the host's half is ``harness.sandbox.devtools``).

Standard library plus Debian's ``python3-websocket``.  Reads one JSON request
on stdin and prints one JSON answer on stdout: ``{"ok": value}`` or
``{"error": message, "not_running": bool}``.  Every wait is bounded by the
request's deadline.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.parse

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for the type checker only: the desktop's python3 skips typing's import (~10 ms a run)
    from typing import Any

REQ: dict[str, Any] = {}
PORT = 0
DEADLINE = 0.0
STATE = "JSON.stringify([document.visibilityState, document.hasFocus(), document.readyState])"


class NotRunning(Exception):
    pass


def left(cap: float = 5.0) -> float:
    return max(0.05, min(cap, DEADLINE - time.monotonic()))


def http(path: str, method: str = "GET") -> Any:
    """One request to the DevTools HTTP endpoint (a bare socket: urllib's imports cost 150 ms a call)."""
    try:
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=left())
    except OSError as exc:
        raise NotRunning(f"nothing answers on DevTools port {PORT} ({exc})") from None
    try:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nConnection: close\r\n\r\n".encode())
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
    except (ConnectionError, TimeoutError) as exc:
        raise NotRunning(f"DevTools port {PORT} dropped the request ({exc})") from None
    finally:
        sock.close()
    head_bytes, _, body = raw.partition(b"\r\n\r\n")
    status = int(head_bytes.split(b" ", 2)[1]) if head_bytes.startswith(b"HTTP/") else 0
    if status != 200:
        raise RuntimeError(f"DevTools answered {method} {path} with HTTP {status}: {body[:200]!r}")
    text = body.decode("utf-8", "replace")
    return json.loads(text) if text.lstrip()[:1] in ("{", "[") else text


def pages() -> list[dict[str, Any]]:
    return [t for t in http("/json/list") if t.get("type") == "page"]


def browser_processes() -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as fh:
                    comm = fh.read().strip()
            except OSError:
                continue
            if comm in REQ.get("names", []):
                found.append(int(pid))
    return found


def wait_up() -> Any:
    """Poll /json/version until it answers (bounded by the deadline)."""
    while True:
        try:
            return http("/json/version")
        except NotRunning:
            if time.monotonic() > DEADLINE:
                raise
            time.sleep(0.05)


def cdp(ws_url: str, method: str, params: dict[str, Any]) -> Any:
    """One DevTools command over a websocket; its result (events that arrive first are skipped)."""
    import websocket  # python3-websocket; imported only when a page or the browser is scripted

    ws = websocket.create_connection(ws_url, timeout=left(), suppress_origin=True)
    try:
        ws.send(json.dumps({"id": 1, "method": method, "params": params}))
        while True:
            ws.settimeout(left())
            message: dict[str, Any] = json.loads(ws.recv())
            if message.get("id") == 1:
                break
    finally:
        ws.close()
    if "error" in message:
        raise RuntimeError(f"{method} failed: {message['error'].get('message')}")
    return message["result"]


def evaluate(target: dict[str, Any], expression: str) -> Any:
    result = cdp(target["webSocketDebuggerUrl"], "Runtime.evaluate",
                 {"expression": expression, "returnByValue": True, "awaitPromise": True})
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text")
        raise RuntimeError(f"the page's script threw: {str(text)[:300]}")
    return result["result"].get("value")


def page_text(url: str) -> Any:
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
            raise RuntimeError(f"the tab opened for {url} never appeared")
        wait_loaded(target, left(3600))
        while True:  # internal pages fill themselves in by script after loading: wait (bounded) for text
            text = evaluate(target, "document.body ? document.body.innerText : ''")
            if text or time.monotonic() > DEADLINE:
                return text
            time.sleep(0.05)
    finally:
        cdp(browser, "Target.closeTarget", {"targetId": target_id})


def page_state(target: dict[str, Any]) -> list[Any]:
    try:
        state: list[Any] = json.loads(evaluate(target, STATE))
        return state
    except Exception:  # a page that cannot answer (a dialog open, still starting) is not the active one
        return ["unknown", False, "unknown"]


def active_page() -> dict[str, Any] | None:
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


def wait_loaded(target: dict[str, Any], budget: float) -> bool:
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


def tab(target: dict[str, Any]) -> dict[str, Any]:
    return {"id": target["id"], "title": target.get("title", ""), "url": target.get("url", "")}


def close_tabs(ids: list[str]) -> bool:
    for target_id in ids:
        http("/json/close/" + target_id)
    while time.monotonic() < DEADLINE:  # closing is asynchronous: wait (bounded) until they are gone
        if not set(ids) & {t["id"] for t in pages()}:
            return True
        time.sleep(0.05)
    return False


def close_browser() -> bool:
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


def evaluate_in(target_id: str | None, expression: str, load_wait: float) -> Any:
    target = active_page() if target_id is None else next((t for t in pages() if t["id"] == target_id), None)
    if target is None:
        return None
    if load_wait > 0:
        wait_loaded(target, load_wait)
    return {"tab": tab(target), "value": evaluate(target, expression)}


def main() -> Any:
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
        return evaluate_in(REQ.get("target"), REQ["expression"], float(REQ.get("load_wait", 0)))
    if op == "open":
        return [tab(http("/json/new?" + urllib.parse.quote(url, safe=""), method="PUT")) for url in REQ["urls"]]
    if op == "close":
        return close_tabs(REQ["ids"])
    if op == "activate":
        http("/json/activate/" + REQ["target"])
        return True
    if op == "close_browser":
        return close_browser()
    if op == "page_text":
        return page_text(REQ["url"])
    if op == "wait_loaded":
        return {t["id"]: wait_loaded(t, left(3600)) for t in pages() if t["id"] in REQ["ids"]}
    raise RuntimeError(f"unknown op {op!r}")


def answer() -> dict[str, Any]:
    """The JSON answer: the op's value, or its error (``not_running`` when no browser answers)."""
    try:
        return {"ok": main()}
    except NotRunning as exc:
        return {"error": str(exc), "not_running": True}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "not_running": False}


if __name__ == "__main__":
    REQ = json.load(sys.stdin)
    PORT = int(REQ["port"])
    DEADLINE = time.monotonic() + float(REQ.get("timeout", 10))
    print(json.dumps(answer()))
