"""The host's client of the guest server, over HTTP/1.1 on a Unix socket.

One keep-alive connection per client (guarded by a lock) keeps a round trip
at about a millisecond, which is what makes an action plus screenshot cheap
compared with one ``docker exec`` per action.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

from harness.errors import GuestError, SandboxError

ImageFormat = Literal["png", "jpeg", "webp"]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("guest", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _raise_for_status(status: int, data: bytes, what: str) -> None:
    """A 4xx/5xx answer as a GuestError with the guest's message (or the start of whatever it sent)."""
    if status < 400:
        return
    try:
        message = str(json.loads(data)["error"])
    except (ValueError, KeyError, TypeError):
        message = f"{what} failed with HTTP {status}: {data[:200]!r}"
    raise GuestError(message, status)


@dataclass(frozen=True)
class CommandResult:
    """What a command run in the desktop printed and returned."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    duration: float


@dataclass(frozen=True)
class Window:
    """A top-level window as the window manager lists it."""

    id: int
    title: str
    wm_class: tuple[str, str]
    pid: int | None
    active: bool
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Screenshot:
    data: bytes
    media_type: str
    width: int
    height: int


class GuestClient:
    """Primitives of the desktop: screenshot, input, commands, files, windows."""

    def __init__(self, socket_path: str, timeout: float = 120.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout
        self._conn: _UnixConnection | None = None
        self._lock = threading.Lock()

    # -- transport
    def _request(self, method: str, path: str, body: bytes | None = None, *,
                 query: dict[str, Any] | None = None, timeout: float | None = None) -> tuple[int, dict[str, str], bytes]:
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        with self._lock:
            for attempt in (0, 1):  # a stale keep-alive connection is retried once on a fresh one
                conn = self._connection(timeout)
                try:
                    conn.request(method, url, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
                except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
                    self.close_connection()
                    if attempt == 1 or isinstance(exc, socket.timeout):
                        raise SandboxError(f"guest at {self.socket_path} did not answer {method} {path}: "
                                           f"{type(exc).__name__}: {exc}") from None
        raise AssertionError("unreachable")

    def _connection(self, timeout: float | None) -> _UnixConnection:
        if self._conn is None:
            self._conn = _UnixConnection(self.socket_path, self.timeout)
        want = timeout if timeout is not None else self.timeout
        self._conn.timeout = want
        if self._conn.sock is not None:
            self._conn.sock.settimeout(want)
        return self._conn

    def close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _json(self, method: str, path: str, payload: dict[str, Any] | None = None, *,
              query: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else None
        status, _, data = self._request(method, path, body, query=query, timeout=timeout)
        _raise_for_status(status, data, f"{method} {path}")
        try:
            return json.loads(data) if data else {}
        except ValueError:
            raise SandboxError(f"guest answered {method} {path} with something that is not JSON: {data[:120]!r}") from None

    # -- primitives
    def health(self, timeout: float = 5.0) -> dict[str, Any]:
        return dict(self._json("GET", "/health", timeout=timeout))

    def screen_size(self) -> tuple[int, int]:
        v = self._json("GET", "/screen")
        return int(v["width"]), int(v["height"])

    def screenshot(self, fmt: ImageFormat = "png", pointer: bool = True, quality: int = 80) -> Screenshot:
        status, headers, data = self._request(
            "GET", "/screenshot", query={"format": fmt, "pointer": int(pointer), "quality": quality})
        _raise_for_status(status, data, "screenshot")
        return Screenshot(data, headers.get("content-type", f"image/{fmt}"),
                          int(headers.get("x-width", 0)), int(headers.get("x-height", 0)))

    def input(self, *events: dict[str, Any]) -> tuple[int, int]:
        """Send input events in order; returns the pointer position afterwards."""
        v = self._json("POST", "/input", {"events": list(events)})
        return int(v["x"]), int(v["y"])

    def cursor(self) -> tuple[int, int]:
        v = self._json("GET", "/cursor")
        return int(v["x"]), int(v["y"])

    def run(self, cmd: str | list[str], *, shell: bool | None = None, timeout: float = 60.0,
            cwd: str | None = None, env: dict[str, str] | None = None, stdin: str | None = None) -> CommandResult:
        """Run a command to completion inside the desktop (a string runs in bash unless shell=False)."""
        payload: dict[str, Any] = {"cmd": cmd, "timeout": timeout, "cwd": cwd, "env": env, "stdin": stdin}
        if shell is not None:
            payload["shell"] = shell
        v = self._json("POST", "/run", payload, timeout=timeout + 30)
        return CommandResult(int(v["exit_code"]), v["stdout"], v["stderr"], bool(v["timed_out"]), float(v["duration"]))

    def spawn(self, cmd: str | list[str], *, shell: bool | None = None, cwd: str | None = None,
              env: dict[str, str] | None = None) -> int:
        """Start a detached process and return its pid without waiting for it."""
        payload: dict[str, Any] = {"cmd": cmd, "cwd": cwd, "env": env}
        if shell is not None:
            payload["shell"] = shell
        return int(self._json("POST", "/spawn", payload)["pid"])

    def read_file(self, path: str) -> bytes:
        status, _, data = self._request("GET", "/file", query={"path": path})
        _raise_for_status(status, data, f"read {path}")
        return data

    def write_file(self, path: str, data: bytes, mode: int | None = None) -> None:
        query: dict[str, Any] = {"path": path}
        if mode is not None:
            query["mode"] = format(mode, "o")
        status, _, body = self._request("PUT", "/file", data, query=query)
        _raise_for_status(status, body, f"write {path}")

    def windows(self) -> list[Window]:
        return [Window(int(w["id"]), w["title"], (w["class"][0], w["class"][1]) if len(w["class"]) == 2 else ("", ""),
                       w["pid"], bool(w["active"]), w["x"], w["y"], w["width"], w["height"])
                for w in self._json("GET", "/windows")["windows"]]

    def activate_window(self, window_id: int) -> None:
        self._json("POST", "/windows/activate", {"id": window_id})

    def close_window(self, window_id: int) -> None:
        self._json("POST", "/windows/close", {"id": window_id})
