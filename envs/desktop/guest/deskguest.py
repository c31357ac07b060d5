"""deskbench guest: the thin server that runs inside every desktop container.

Started by boot.py (which brings up the X display and window manager), it answers HTTP/1.1 on a
Unix socket in a folder the host bind-mounts (the container has no network).
It offers primitives only -- screenshot, input events, commands, files,
windows -- and no task semantics: everything else lives on the host, where it
is typed and tested.  Standard library plus python3-xlib and Pillow (both from
Debian), so the image stays small and starts fast.

Trust: the guest runs as its own user (see privileges.py), answers only
peers outside the container (the host), and starts agent-facing commands as
the desktop user.  Everything it sends back is bounded (file reads, command
output), and it reads files without following a final link or opening a FIFO.

Environment:
    DESKBENCH_SOCKET   socket path (default /run/deskbench/guest.sock)
    DESKBENCH_SCREEN   WIDTHxHEIGHT (default 1280x800)
"""

from __future__ import annotations

import errno
import io
import json
import os
import queue
import shlex
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image, ImageDraw
from Xlib import X
from Xlib import display as xdisplay
from Xlib.ext import xtest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import filereads  # noqa: E402
from privileges import DESKTOP_UID, as_checker_user, as_desktop_user, desktop_argv, guest_environment  # noqa: E402
from xgrab import Grabber  # noqa: E402

PROTOCOL_VERSION = 1
SOCKET_PATH = os.environ.get("DESKBENCH_SOCKET", "/run/deskbench/guest.sock")
X_LOCK = threading.Lock()
CHILDREN: list[subprocess.Popen[bytes]] = []
#: the most a file read may return unless the host asks for less; command output is cut at MAX_OUTPUT
MAX_FILE = 256 * 1024 * 1024
MAX_OUTPUT = 4 * 1024 * 1024  # as JSON (escapes: up to 6x), both streams stay under the host's 64 MiB cap
#: how many times the guest had to free the process table from the desktop user's processes
RECLAIMED = {"count": 0}


class GuestError(Exception):
    """An error the host should see as a 4xx answer with this message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- display


class Screen:
    """Access to the X display; one lock because Xlib is not thread-safe."""

    def __init__(self, name: str) -> None:
        self.disp = xdisplay.Display(name)
        self.root = self.disp.screen().root
        geom = self.root.get_geometry()
        self.width, self.height = geom.width, geom.height
        self.grabber = Grabber(name, self.width, self.height)
        self.atoms = {n: self.disp.intern_atom(n) for n in (
            "_NET_CLIENT_LIST", "_NET_ACTIVE_WINDOW", "_NET_WM_NAME", "_NET_WM_PID", "UTF8_STRING",
            "_NET_WM_WINDOW_TYPE")}
        self.type_names: dict[int, str] = {}  # atom -> "normal", "dialog", ... (atoms never change meaning)

    def pointer(self) -> tuple[int, int]:
        with X_LOCK:
            p = self.root.query_pointer()
        return p.root_x, p.root_y

    def grab(self, pointer: bool) -> Image.Image:
        img = self.grabber.grab()
        if pointer:
            draw_pointer(img, *self.pointer())
        return img

    def windows(self) -> list[dict[str, Any]]:
        with X_LOCK:
            return self._windows()

    def _windows(self) -> list[dict[str, Any]]:
        prop = self.root.get_full_property(self.atoms["_NET_CLIENT_LIST"], X.AnyPropertyType)
        active = self.root.get_full_property(self.atoms["_NET_ACTIVE_WINDOW"], X.AnyPropertyType)
        active_id = int(active.value[0]) if active is not None and len(active.value) else 0
        out = []
        for wid in (prop.value if prop is not None else []):
            win = self.disp.create_resource_object("window", int(wid))
            try:
                name = win.get_full_property(self.atoms["_NET_WM_NAME"], self.atoms["UTF8_STRING"])
                title = name.value.decode("utf-8", "replace") if name is not None else (win.get_wm_name() or "")
                cls = win.get_wm_class() or ("", "")
                pid = win.get_full_property(self.atoms["_NET_WM_PID"], X.AnyPropertyType)
                kind = self._window_type(win)
                owner = win.get_wm_transient_for()
                geom = win.get_geometry()
                pos = win.translate_coords(self.root, 0, 0)
            except Exception:  # the window vanished while we looked at it
                continue
            out.append({
                "id": int(wid), "title": title if isinstance(title, str) else title.decode("latin-1"),
                "class": list(cls), "pid": int(pid.value[0]) if pid is not None else None,
                "active": int(wid) == active_id, "x": -pos.x, "y": -pos.y,
                "width": geom.width, "height": geom.height, "type": kind,
                "transient_for": int(owner.id) if owner is not None else None,
            })
        return out

    def _window_type(self, win: Any) -> str:
        """The window's first EWMH type, "normal" or "dialog" for instance ("" when it declares none)."""
        prop = win.get_full_property(self.atoms["_NET_WM_WINDOW_TYPE"], X.AnyPropertyType)
        if prop is None or not len(prop.value):
            return ""
        atom = int(prop.value[0])
        if atom not in self.type_names:
            self.type_names[atom] = self.disp.get_atom_name(atom).removeprefix("_NET_WM_WINDOW_TYPE_").lower()
        return self.type_names[atom]


def draw_pointer(img: Image.Image, x: int, y: int) -> None:
    """Draw a classic arrow pointer: Xvfb screenshots do not include the cursor."""
    shape = [(0, 0), (0, 17), (4, 13), (7, 20), (10, 19), (7, 12), (12, 12)]
    pts = [(x + dx, y + dy) for dx, dy in shape]
    d = ImageDraw.Draw(img)
    d.polygon(pts, fill=(255, 255, 255), outline=(0, 0, 0))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def fast_png(img: Image.Image) -> bytes:
    """An RGB PNG with no row filters, deflated at level 1.

    About 2.5x faster than Pillow's encoder at its fastest setting (which
    tries row filters) for a slightly larger file; screenshots are sent at
    every step, so encode time is latency the agent waits for.
    """
    width, height = img.size
    raw = img.tobytes()
    stride = width * 3
    rows = b"".join(b"\x00" + raw[i:i + stride] for i in range(0, len(raw), stride))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows, 1)) + _png_chunk(b"IEND", b""))


def encode(img: Image.Image, fmt: str, quality: int) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if fmt == "png":
        return fast_png(img), "image/png"
    elif fmt == "jpeg":
        img.save(buf, "JPEG", quality=quality)
    elif fmt == "webp":
        img.save(buf, "WEBP", quality=quality, method=0)
    else:
        raise GuestError(f"unknown image format {fmt!r} (png, jpeg, webp)")
    return buf.getvalue(), f"image/{fmt}"


# ------------------------------------------------------------------ input

BUTTONS = {"left": 1, "middle": 2, "right": 3, 1: 1, 2: 2, 3: 3}
SCROLL = {"up": 4, "down": 5, "left": 6, "right": 7}


def xdotool(*args: str) -> None:
    """Run one xdotool command; its error text becomes the guest's answer."""
    proc = subprocess.run(["xdotool", *args], capture_output=True, timeout=60)
    err = proc.stderr.decode(errors="replace").strip()
    # xdotool exits 0 after skipping a key name it does not know; that is still the caller's mistake.
    if proc.returncode != 0 or "No such key name" in err:
        raise GuestError(f"xdotool {' '.join(args[:3])}: {err}")


def _xy(ev: dict[str, Any]) -> list[str]:
    return [str(int(ev["x"])), str(int(ev["y"]))]


def _button(ev: dict[str, Any]) -> str:
    b = ev.get("button", "left")
    if b not in BUTTONS:
        raise GuestError(f"unknown mouse button {b!r}")
    return str(BUTTONS[b])


def _with_modifiers(ev: dict[str, Any], action: Callable[[], None]) -> None:
    """Hold modifier keys (xdotool syntax, e.g. 'shift' or 'ctrl+alt') around an action."""
    mods = ev.get("modifiers") or ""
    if mods:
        xdotool("keydown", mods)
    try:
        action()
    finally:
        if mods:
            xdotool("keyup", mods)


class Pointer:
    """Mouse input through the XTEST extension on the guest's own X connection.

    Starting an xdotool process costs ~7 ms; a fake XTEST event costs well under
    one.  Keys stay with xdotool, which understands the key syntax models use.
    """

    def __init__(self, screen: Screen) -> None:
        self.disp = screen.disp

    def _flush(self) -> None:
        self.disp.sync()

    def move(self, x: int, y: int) -> None:
        with X_LOCK:
            xtest.fake_input(self.disp, X.MotionNotify, x=x, y=y)
            self._flush()

    def button(self, button: int, press: bool) -> None:
        with X_LOCK:
            xtest.fake_input(self.disp, X.ButtonPress if press else X.ButtonRelease, button)
            self._flush()

    def click(self, button: int, repeat: int = 1, pause: float = 0.0) -> None:
        for i in range(repeat):
            if i and pause:
                time.sleep(pause)
            self.button(button, True)
            self.button(button, False)

    def drag(self, x1: int, y1: int, x2: int, y2: int, button: int) -> None:
        """Press, move in a few steps (apps need motion events to see a drag), release."""
        self.move(x1, y1)
        self.button(button, True)
        try:
            for i in range(1, 9):
                time.sleep(0.01)
                self.move(x1 + (x2 - x1) * i // 8, y1 + (y2 - y1) * i // 8)
        finally:
            self.button(button, False)


POINTER: Pointer | None = None


def _maybe_move(ev: dict[str, Any]) -> None:
    if "x" in ev or "y" in ev:
        assert POINTER is not None
        POINTER.move(*(int(v) for v in _xy(ev)))


def input_event(ev: dict[str, Any]) -> None:
    """Execute one input event; see the host's GuestClient for the vocabulary."""
    op = ev.get("op")
    pointer = POINTER
    assert pointer is not None
    if op == "move":
        pointer.move(*(int(v) for v in _xy(ev)))
    elif op == "click":
        button, repeat = int(_button(ev)), int(ev.get("repeat", 1))

        def click() -> None:
            _maybe_move(ev)
            pointer.click(button, repeat)
        _with_modifiers(ev, click)
    elif op in ("down", "up"):
        button = int(_button(ev))
        _maybe_move(ev)
        pointer.button(button, op == "down")
    elif op == "drag":
        pointer.drag(int(ev["x1"]), int(ev["y1"]), int(ev["x2"]), int(ev["y2"]), int(_button(ev)))
    elif op == "scroll":
        direction = ev.get("direction", "down")
        if direction not in SCROLL:
            raise GuestError(f"unknown scroll direction {direction!r}")

        def scroll() -> None:
            _maybe_move(ev)
            pointer.click(SCROLL[direction], int(ev.get("amount", 1)), pause=0.01)
        _with_modifiers(ev, scroll)
    elif op == "key":
        xdotool("key", "--delay", "4", "--repeat", str(int(ev.get("repeat", 1))), "--", *str(ev["keys"]).split())
    elif op == "keydown":
        xdotool("keydown", "--", str(ev["keys"]))
    elif op == "keyup":
        xdotool("keyup", "--", str(ev["keys"]))
    elif op == "hold":
        xdotool("keydown", "--", str(ev["keys"]))
        try:
            time.sleep(max(0.0, min(float(ev.get("duration", 0.5)), 100.0)))
        finally:
            xdotool("keyup", "--", str(ev["keys"]))
    elif op == "type":
        type_text(str(ev["text"]), str(int(ev.get("delay_ms", 8))))
    else:
        raise GuestError(f"unknown input op {op!r}")


def type_text(text: str, delay: str) -> None:
    """Type text, pressing Return for each newline.

    ``xdotool type`` sends a newline as a keysym that GTK and LibreOffice ignore,
    so multi-line text would arrive as one line; Return is what every app accepts.
    """
    for i, line in enumerate(text.split("\n")):
        if i:
            xdotool("key", "Return")
        if line:
            xdotool("type", "--delay", delay, "--", line)


# --------------------------------------------------------------- commands


def identity(req: dict[str, Any]) -> str:
    """``user`` (the default: the desktop user, as the agent), ``checker`` (a checker's command, uid 998) or
    ``guest`` (the guest's own user, for the harness's own helpers)."""
    who = req.get("as", "user")
    if who not in ("user", "checker", "guest"):
        raise GuestError(f"'as' must be 'user', 'checker' or 'guest', not {who!r}")
    return str(who)


def popen_options(req: dict[str, Any]) -> dict[str, Any]:
    """Who a command runs as, where, and with which environment.

    As the desktop user: its home and the session's environment, with the
    highest OOM priority.  As the guest: a clean environment, the root
    folder as working directory, nothing the desktop user could have planted.
    """
    who = identity(req)
    if who != "user":
        return {"cwd": req.get("cwd") or "/", "env": {**guest_environment(dict(os.environ)), **(req.get("env") or {})},
                **(as_checker_user() if who == "checker" else {})}
    return {"cwd": req.get("cwd") or os.environ.get("HOME"), "env": child_env(req.get("env")), **as_desktop_user()}


def command_argv(req: dict[str, Any]) -> list[str]:
    cmd = req.get("cmd")
    if isinstance(cmd, str):
        return ["/bin/bash", "-c", cmd] if req.get("shell", True) else shlex.split(cmd)
    if isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd):
        return ["/bin/bash", "-c", shlex.join(cmd)] if req.get("shell") else cmd
    raise GuestError("'cmd' must be a string or a non-empty list of strings")


def child_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DESKBENCH_SOCKET", None)
    env.update(extra or {})
    return env


def _drain(stream: Any, sink: list[bytes]) -> None:
    """Collect a pipe up to MAX_OUTPUT bytes, and keep reading (discarding) the rest so the command never blocks."""
    kept = 0
    for chunk in iter(lambda: stream.read1(65536), b""):
        if kept < MAX_OUTPUT:
            sink.append(chunk[:MAX_OUTPUT - kept])
            kept += len(chunk)


def reclaim_process_table() -> int:
    """Kill every process of the desktop user, a few rounds (a fork bomb refills the table between them).

    Only called when the guest itself cannot start a process: the desktop
    user has exhausted the container's pids, and the checkers must still run.
    """
    killed = 0
    for _ in range(20):
        found = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status", "rb") as fh:
                    uid_line = next(line for line in fh if line.startswith(b"Uid:"))
                if int(uid_line.split()[1]) == DESKTOP_UID:
                    os.kill(int(entry), signal.SIGKILL)
                    found += 1
            except (OSError, StopIteration, ValueError):
                continue
        killed += found
        if not found:
            break
        time.sleep(0.02)
    RECLAIMED["count"] += 1
    return killed


def start_process(argv: list[str], req: dict[str, Any], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen as the request says; a full process table (the desktop's doing) is reclaimed once and retried."""
    who = identity(req)
    options = popen_options(req)
    if who == "user":  # the OOM wrapper would hide a missing program until after the fork: say so now
        program = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=options["env"].get("PATH"))
        if program is None or not os.path.exists(program):
            raise FileNotFoundError(errno.ENOENT, f"No such file or directory: {argv[0]!r}", argv[0])
    full_argv = desktop_argv(argv) if who == "user" else argv
    try:
        return subprocess.Popen(full_argv, **options, **kwargs)
    except BlockingIOError:
        reclaim_process_table()
        return subprocess.Popen(full_argv, **options, **kwargs)


def run_command(req: dict[str, Any]) -> dict[str, Any]:
    """Run a command until it exits; a timeout kills its whole process group.

    Output is read by threads and collected until the command itself exits
    (plus a short grace period): a background child that keeps the pipes
    open (``sleep 100 &``) neither delays the answer nor defeats the timeout.
    """
    argv = command_argv(req)
    timeout = float(req.get("timeout", 60))
    stdin = req.get("stdin")
    started = time.monotonic()
    try:
        proc = start_process(argv, req, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return {"exit_code": 127, "stdout": "", "stderr": str(exc), "timed_out": False, "duration": 0.0}
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)]
    for reader in readers:
        reader.start()
    if stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        proc.wait()
    for reader in readers:
        reader.join(timeout=0.2)
    return {"exit_code": proc.returncode, "stdout": b"".join(out).decode("utf-8", "replace"),
            "stderr": b"".join(err).decode("utf-8", "replace"), "timed_out": timed_out,
            "duration": time.monotonic() - started}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def spawn(req: dict[str, Any]) -> dict[str, Any]:
    """Start a detached process (own session, output discarded) and return its pid."""
    argv = command_argv(req)
    try:
        proc = start_process(argv, req, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise GuestError(f"cannot start {argv[0]!r}: {exc}") from exc
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it
    return {"pid": proc.pid}


# ------------------------------------------------------------------ server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"deskguest/{PROTOCOL_VERSION}"
    screen: Screen
    _raw_body: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def address_string(self) -> str:
        return "unix"

    # -- plumbing
    def _query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def _body(self) -> bytes:
        return self._raw_body

    def _json_body(self) -> dict[str, Any]:
        raw = self._body()
        try:
            value = json.loads(raw or b"{}")
        except ValueError as exc:
            raise GuestError(f"request body is not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise GuestError("request body must be a JSON object")
        return value

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value: Any, status: int = 200) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _dispatch(self, method: str) -> None:
        # Read the whole body first: a request refused before its body is read would
        # leave the body on the keep-alive connection, to be parsed as the next request.
        length = int(self.headers.get("Content-Length") or 0)
        self._raw_body = self.rfile.read(length) if length else b""
        route = urllib.parse.urlsplit(self.path).path
        fn = ROUTES.get((method, route))
        try:
            if fn is None:
                raise GuestError(f"no such endpoint: {method} {route}", 404)
            fn(self)
        except GuestError as exc:
            self._json({"error": str(exc)}, exc.status)
        except subprocess.TimeoutExpired as exc:
            self._json({"error": f"timed out: {exc}"}, 504)
        except (KeyError, ValueError, TypeError) as exc:
            self._json({"error": f"bad request: {type(exc).__name__}: {exc}"}, 400)
        except Exception as exc:  # the guest must answer, whatever happened
            self._json({"error": f"{type(exc).__name__}: {exc}"}, 500)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    # -- endpoints
    def health(self) -> None:
        self._json({"ok": True, "protocol": PROTOCOL_VERSION, "width": self.screen.width,
                    "height": self.screen.height, "display": os.environ.get("DISPLAY"), "uid": os.getuid(),
                    "desktop_uid": DESKTOP_UID, "reclaimed": RECLAIMED["count"]})

    def screenshot(self) -> None:
        q = self._query()
        img = self.screen.grab(pointer=q.get("pointer", "1") != "0")
        body, ctype = encode(img, q.get("format", "png"), int(q.get("quality", 80)))
        self._send(200, body, ctype, {"X-Width": str(img.width), "X-Height": str(img.height)})

    def input(self) -> None:
        req = self._json_body()
        events = req.get("events")
        if not isinstance(events, list):
            raise GuestError("'events' must be a list")
        for ev in events:
            input_event(ev)
        x, y = self.screen.pointer()
        self._json({"ok": True, "x": x, "y": y})

    def cursor(self) -> None:
        x, y = self.screen.pointer()
        self._json({"x": x, "y": y})

    def run(self) -> None:
        self._json(run_command(self._json_body()))

    def spawn(self) -> None:
        self._json(spawn(self._json_body()))

    def file_get(self) -> None:
        q = self._query()
        path = q.get("path", "")
        if not path.startswith("/"):
            raise GuestError(f"path must be absolute: {path!r}")
        limit = min(int(q.get("max_bytes", MAX_FILE)), MAX_FILE)
        data = read_as_desktop_user(path, limit) if q.get("as") == "user" else read_bounded(path, limit)
        self._send(200, data, "application/octet-stream")

    def file_put(self) -> None:
        q = self._query()
        path = q.get("path", "")
        if not path.startswith("/"):
            raise GuestError(f"path must be absolute: {path!r}")
        data = self._body()
        write_as_desktop_user(path, data, q.get("mode"))
        self._json({"ok": True, "bytes": len(data)})

    def windows(self) -> None:
        self._json({"windows": self.screen.windows()})

    def window_activate(self) -> None:
        wid = int(self._json_body()["id"])
        proc = subprocess.run(["wmctrl", "-i", "-a", hex(wid)], capture_output=True, timeout=10)
        if proc.returncode != 0:
            raise GuestError(f"cannot activate window {wid}: {proc.stderr.decode(errors='replace').strip()}", 404)
        self._json({"ok": True})

    def window_close(self) -> None:
        wid = int(self._json_body()["id"])
        if wid not in {w["id"] for w in self.screen.windows()}:
            raise GuestError(f"no window with id {wid}", 404)  # wmctrl -c says nothing for a bad id
        proc = subprocess.run(["wmctrl", "-i", "-c", hex(wid)], capture_output=True, timeout=10)
        if proc.returncode != 0:
            raise GuestError(f"cannot close window {wid}: {proc.stderr.decode(errors='replace').strip()}", 404)
        self._json({"ok": True})

    def screen_size(self) -> None:
        self._json({"width": self.screen.width, "height": self.screen.height})


def read_bounded(path: str, limit: int) -> bytes:
    """A file as the guest reads it for the checkers (see :mod:`filereads`), refusals as GuestError."""
    try:
        return filereads.read_bounded(path, limit)
    except filereads.ReadRefused as exc:
        raise GuestError(str(exc), exc.status) from None


def read_as_desktop_user(path: str, limit: int) -> bytes:
    """A file as the desktop user may read it (the agent's editor): :mod:`filereads` run as uid 1000."""
    argv = [sys.executable, "-I", "-S", filereads.__file__, path, str(limit)]
    proc = start_process(argv, {"as": "user"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise GuestError(f"reading {path} timed out", 504) from None
    if proc.returncode == 0:
        return out
    status, _, message = err.decode(errors="replace").partition(" ")
    raise GuestError(message or f"cannot read {path}", int(status) if status.isdigit() else 500)


_WRITER = 'umask 022; mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && if [ -n "$2" ]; then chmod -- "$2" "$1"; fi'


def write_as_desktop_user(path: str, data: bytes, mode: str | None) -> None:
    """Write a file as the desktop user would (its owner, its permissions): setup files belong to the desktop."""
    if mode is not None and not all(c in "01234567" for c in mode):
        raise GuestError(f"mode must be octal digits, not {mode!r}")
    argv = ["/bin/sh", "-c", _WRITER, "sh", path, mode or ""]
    try:
        proc = start_process(argv, {"as": "user"}, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        _, err = proc.communicate(data, timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise GuestError(f"writing {path} timed out", 504) from None
    if proc.returncode != 0:
        text = err.decode(errors="replace").strip()
        status = 400 if "Is a directory" in text else 403 if "ermission denied" in text else 507 if "space" in text \
            else 500
        if status == 403:  # worded as a refused read is, so the agent sees one kind of message for both
            raise GuestError(f"permission denied: {path}", status)
        raise GuestError(f"cannot write {path}: {text}", status)


ROUTES: dict[tuple[str, str], Callable[[Handler], None]] = {
    ("GET", "/health"): Handler.health,
    ("GET", "/screenshot"): Handler.screenshot,
    ("POST", "/input"): Handler.input,
    ("GET", "/cursor"): Handler.cursor,
    ("POST", "/run"): Handler.run,
    ("POST", "/spawn"): Handler.spawn,
    ("GET", "/file"): Handler.file_get,
    ("PUT", "/file"): Handler.file_put,
    ("GET", "/windows"): Handler.windows,
    ("POST", "/windows/activate"): Handler.window_activate,
    ("POST", "/windows/close"): Handler.window_close,
    ("GET", "/screen"): Handler.screen_size,
}


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Answers the host only; a connection whose thread cannot start (a full process table) goes to a reserve.

    ``SO_PEERCRED`` gives the peer's pid as seen from the guest's pid
    namespace: 0 for a process outside the container (the host), never 0 for
    one inside it.  So no process in the desktop, whatever its user, can talk
    to the guest, even if it reaches the socket.
    """

    daemon_threads = True
    reserve: queue.Queue[tuple[Any, Any]]

    def verify_request(self, request: Any, client_address: Any) -> bool:
        pid, _uid, _gid = struct.unpack("3i", request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        return int(pid) == 0

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request(request, client_address)
        except RuntimeError:  # "can't start new thread": served by a thread started at boot
            self.reserve.put((request, client_address))

    def start_reserve(self, threads: int = 2) -> None:
        self.reserve = queue.Queue()
        for _ in range(threads):
            threading.Thread(target=self._serve_reserve, daemon=True).start()

    def _serve_reserve(self) -> None:
        while True:
            request, client_address = self.reserve.get()
            self.process_request_thread(request, client_address)


def serve(desktop: Any) -> None:
    """Serve the guest API for a booting ``boot.Desktop``; the socket appears once the desktop is usable."""
    name = desktop.wait_display()
    os.environ["DISPLAY"] = name
    CHILDREN.extend(desktop.children)
    screen = Screen(name)
    encode(screen.grab(pointer=True), "png", 80)  # first-call costs (Pillow, zlib) before the host's first screenshot
    subprocess.run(["xsetroot", "-solid", "#3b4252"], check=False, timeout=10)
    Handler.screen = screen
    global POINTER
    POINTER = Pointer(screen)
    for stale in (SOCKET_PATH, SOCKET_PATH + ".tmp"):
        if os.path.exists(stale):
            os.unlink(stale)
    # Bind to a temporary name and rename: the host sees the socket only once it listens.
    tmp = SOCKET_PATH + ".tmp"
    server = Server(tmp, Handler)
    server.start_reserve()
    os.chmod(tmp, 0o666)  # the episode folder (the guest's, 0700) and the peer check are the access control
    desktop.wait_window_manager()
    os.rename(tmp, SOCKET_PATH)

    def stop(signum: int, _frame: Any) -> None:
        for child in CHILDREN:
            child.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    import boot

    boot.main()
