"""The host's client of the guest server, over HTTP/1.1 on a Unix socket.

One keep-alive connection per client (guarded by a lock) keeps a round trip
at about a millisecond, which is what makes an action plus screenshot cheap
compared with one ``docker exec`` per action.

The desktop user may have tried anything with the socket's folder, so
before every connection the host checks, without following links, that the
path is a socket owned by the guest's user, and after connecting that the
process listening on it runs as that user (``SO_PEERCRED``).  Once the
desktop is up (:meth:`GuestClient.seal`), a lost connection is never quietly
re-dialled: it raises :class:`GuestLost`, which the runner blames on what
happened inside the container.  Everything read from the guest is bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import struct
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from harness.errors import DeadlineReached, GuestError, SandboxError
from harness.store.values import Screenshot as Screenshot  # defined at the bottom, re-exported here

ImageFormat = Literal["png", "jpeg", "webp"]

#: the guest's own user inside the desktop image (see envs/desktop/guest/privileges.py)
GUEST_UID = 999
#: the most any answer may carry (a screenshot, command output); file reads have their own cap
MAX_ANSWER = 64 * 1024 * 1024
#: the default cap on one file brought to the host (the guest refuses bigger files with 413)
MAX_FILE = 100 * 1024 * 1024


class IntegrityError(SandboxError):
    """The channel to the guest is not what it must be: a socket that is not the guest's, or an impostor."""


class GuestLost(SandboxError):
    """The guest stopped answering after the desktop was up (killed, starved or hung inside the container)."""


class UnscorableOutput(GuestError):
    """A file the desktop left cannot be brought to the host: unreadable, not a regular file, a link, or too large.

    The desktop user made it so; the runner scores the episode a failure with this reason.
    """


def check_socket(path: str, owner: int) -> None:
    """Refuse a socket path that is anything but a socket owned by ``owner``; links are never followed."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise GuestLost(f"the guest's socket {path} is gone") from None
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != owner:
        raise IntegrityError(f"{path} is not the guest's socket (a {stat.filemode(info.st_mode)} owned by uid "
                             f"{info.st_uid}, expected a socket owned by uid {owner})")


def peer_uid(sock: socket.socket) -> int:
    """The user of the process at the other end of a connected Unix socket."""
    _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return int(uid)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float, owner: int | None) -> None:
        super().__init__("guest", timeout=timeout)
        self._path = path
        self._owner = owner

    def connect(self) -> None:
        if self._owner is not None:
            check_socket(self._path, self._owner)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
            if self._owner is not None and peer_uid(sock) != self._owner:
                raise IntegrityError(f"the server on {self._path} runs as uid {peer_uid(sock)}, not the guest's "
                                     f"uid {self._owner}")
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def _raise_for_status(status: int, data: bytes, what: str, kind: type[GuestError] = GuestError) -> None:
    """A 4xx/5xx answer as a GuestError with the guest's message (or the start of whatever it sent)."""
    if status < 400:
        return
    try:
        message = str(json.loads(data)["error"])
    except (ValueError, KeyError, TypeError):
        message = f"{what} failed with HTTP {status}: {data[:200]!r}"
    raise kind(message, status)


def _read_bounded(resp: http.client.HTTPResponse, limit: int) -> bytes:
    """The body, refused when it is (or announces itself) longer than ``limit``: the host never reads unbounded."""
    length = resp.getheader("Content-Length")
    if length is not None and int(length) > limit:
        raise UnscorableOutput(f"the guest's answer has {length} bytes, more than the limit of {limit}", 413)
    data = resp.read(limit + 1)
    if len(data) > limit:
        raise UnscorableOutput(f"the guest's answer is longer than the limit of {limit} bytes", 413)
    return data


#: the desktop user's home: the working folder of OSWorld's in-VM server, so its tasks' relative paths start here
DESKTOP_HOME = "/home/user"


def desktop_path(path: str) -> str:
    """``path`` as OSWorld's server reads it: ``~`` is the desktop user's home, and so is a relative path's base.

    OSWorld's tasks name some files that way (``setup.sh``, ``Downloads/x.pptx``,
    ``~/Desktop/x``); the guest itself takes absolute paths only.
    """
    if path == "~" or path.startswith("~/"):
        return DESKTOP_HOME + path[1:]
    if path and not path.startswith("/"):
        return f"{DESKTOP_HOME}/{path}"
    return path


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
    #: the EWMH type, "normal", "dialog", ... ("" when the window declares none or the guest predates it)
    kind: str = ""
    #: the window this one is a dialog or a transient of, if any
    transient_for: int | None = None


class GuestClient:
    """Primitives of the desktop: screenshot, input, commands, files, windows."""

    def __init__(self, socket_path: str, timeout: float = 120.0, owner: int | None = None) -> None:
        self.socket_path = socket_path
        self.timeout = timeout
        self.owner = owner  # the uid the socket and its server must have (None: not checked)
        self.sealed = False  # the desktop is up: a lost connection is an event, not re-dialled
        self.checking = False  # commands run as the checkers' user unless a caller says otherwise
        self._deadline: float | None = None  # inside checkers(): no command runs past it (time.monotonic())
        self._episode_deadline: float | None = None  # inside within(): commands are cut there (DeadlineReached)
        self._conn: _UnixConnection | None = None
        self._lock = threading.Lock()

    def seal(self) -> None:
        """From now on a lost connection raises GuestLost instead of being re-dialled once."""
        self.sealed = True

    @contextmanager
    def checkers(self, deadline: float | None = None) -> Iterator[GuestClient]:
        """Within: ``run``/``spawn`` run as the checkers' user by default (checkers read the final state), and
        no command's timeout reaches past ``deadline`` (a ``time.monotonic()`` value: the episode's limit)."""
        before = self.checking, self._deadline
        self.checking, self._deadline = True, deadline
        try:
            yield self
        finally:
            self.checking, self._deadline = before

    @contextmanager
    def within(self, deadline: float) -> Iterator[GuestClient]:
        """Within: no command runs past ``deadline`` (``time.monotonic()``); one it cuts raises DeadlineReached.

        A setup step's or the agent's command can take minutes: the episode's
        time limit is enforced inside it, not only between steps.
        """
        before = self._episode_deadline
        self._episode_deadline = deadline
        try:
            yield self
        finally:
            self._episode_deadline = before

    # -- transport
    def _request(self, method: str, path: str, body: bytes | None = None, *, query: dict[str, Any] | None = None,
                 timeout: float | None = None, limit: int = MAX_ANSWER) -> tuple[int, dict[str, str], bytes]:
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        with self._lock:
            for attempt in (0, 1):  # before sealing, a stale keep-alive connection is retried once on a fresh one
                conn = self._connection(timeout)
                try:
                    conn.request(method, url, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = _read_bounded(resp, limit)
                    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
                except (IntegrityError, UnscorableOutput):
                    self.close_connection()
                    raise
                except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
                    self.close_connection()
                    if self.sealed:
                        raise GuestLost(f"guest at {self.socket_path} did not answer {method} {path} (connection lost): "
                                        f"{type(exc).__name__}: {exc}") from None
                    if attempt == 1 or isinstance(exc, socket.timeout):
                        raise SandboxError(f"guest at {self.socket_path} did not answer {method} {path}: "
                                           f"{type(exc).__name__}: {exc}") from None
        raise AssertionError("unreachable")

    def _connection(self, timeout: float | None) -> _UnixConnection:
        if self._conn is None:
            self._conn = _UnixConnection(self.socket_path, self.timeout, self.owner)
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

    def _identity(self, as_guest: bool | None) -> str:
        """Who runs a command: the guest (the harness's helpers), a checker (inside ``checkers()``) or the user."""
        if as_guest is None:
            return "checker" if self.checking else "user"
        return "guest" if as_guest else "user"

    def run(self, cmd: str | list[str], *, shell: bool | None = None, timeout: float = 60.0,
            cwd: str | None = None, env: dict[str, str] | None = None, stdin: str | None = None,
            as_guest: bool | None = None) -> CommandResult:
        """Run a command to completion inside the desktop (a string runs in bash unless shell=False).

        It runs as the desktop user, as the guest's own user with a clean
        environment when ``as_guest``, or (``as_guest`` None inside
        ``checkers()``) as the checkers' user with that environment and the
        right to read any file, so it sees the final state as it is.
        """
        if self.checking and self._deadline is not None:
            timeout = max(1.0, min(timeout, self._deadline - time.monotonic()))
        cut_at = self._episode_deadline if not self.checking else None
        if cut_at is not None:
            left = cut_at - time.monotonic()
            if left <= 0:
                raise DeadlineReached(f"the episode's time limit ran out before the command {str(cmd)[:200]}")
            timeout = min(timeout, left)
        payload: dict[str, Any] = {"cmd": cmd, "timeout": timeout, "cwd": cwd, "env": env, "stdin": stdin,
                                   "as": self._identity(as_guest)}
        if shell is not None:
            payload["shell"] = shell
        v = self._json("POST", "/run", payload, timeout=timeout + 30)
        result = CommandResult(int(v["exit_code"]), v["stdout"], v["stderr"], bool(v["timed_out"]), float(v["duration"]))
        if result.timed_out and cut_at is not None and time.monotonic() >= cut_at - 0.5:
            raise DeadlineReached(f"the episode's time limit ran out during the command {str(cmd)[:200]}")
        if result.timed_out and payload["as"] == "checker":
            # a checker's command that runs out its time on the desktop's state (a FIFO it reads, a huge file):
            # the desktop's doing, scored as such rather than left unscored
            raise UnscorableOutput(f"a checker's command ran out its {timeout:.0f} s on the desktop's state: "
                                   f"{str(cmd)[:200]}", 504)
        return result

    def spawn(self, cmd: str | list[str], *, shell: bool | None = None, cwd: str | None = None,
              env: dict[str, str] | None = None, as_guest: bool | None = None) -> int:
        """Start a detached process and return its pid without waiting for it."""
        payload: dict[str, Any] = {"cmd": cmd, "cwd": cwd, "env": env, "as": self._identity(as_guest)}
        if shell is not None:
            payload["shell"] = shell
        return int(self._json("POST", "/spawn", payload)["pid"])

    def read_file(self, path: str, max_bytes: int = MAX_FILE, *, as_user: bool = False) -> bytes:
        """A desktop file's bytes; UnscorableOutput when it is unreadable, not a regular file, or over ``max_bytes``.

        ``as_user`` reads it as the desktop user may (the agent's editor), not
        with the guest's right to read the whole final state (the checkers).
        """
        query: dict[str, Any] = {"path": path, "max_bytes": max_bytes, **({"as": "user"} if as_user else {})}
        status, _, data = self._request("GET", "/file", query=query, limit=max_bytes + 65536)
        if status in (403, 409, 413):
            _raise_for_status(status, data, f"read {path}", UnscorableOutput)
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
                       w["pid"], bool(w["active"]), w["x"], w["y"], w["width"], w["height"],
                       str(w.get("type") or ""), w.get("transient_for"))
                for w in self._json("GET", "/windows")["windows"]]

    def activate_window(self, window_id: int) -> None:
        self._json("POST", "/windows/activate", {"id": window_id})

    def close_window(self, window_id: int) -> None:
        self._json("POST", "/windows/close", {"id": window_id})
