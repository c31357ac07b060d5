"""deskbench guest: the thin server that runs inside every desktop container.

It starts the X display and the window manager, then answers HTTP/1.1 on a
Unix socket in a folder the host bind-mounts (the container has no network).
It offers primitives only -- screenshot, input events, commands, files,
windows -- and no task semantics: everything else lives on the host, where it
is typed and tested.  Standard library plus python3-xlib and Pillow (both from
Debian), so the image stays small and starts fast.

Environment:
    DESKBENCH_SOCKET   socket path (default /run/deskbench/guest.sock)
    DESKBENCH_SCREEN   WIDTHxHEIGHT (default 1280x800)
"""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

from PIL import Image, ImageDraw
from Xlib import X, display as xdisplay

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xgrab import Grabber  # noqa: E402

PROTOCOL_VERSION = 1
SOCKET_PATH = os.environ.get("DESKBENCH_SOCKET", "/run/deskbench/guest.sock")
SCREEN = os.environ.get("DESKBENCH_SCREEN", "1280x800")
X_LOCK = threading.Lock()
CHILDREN: list[subprocess.Popen[bytes]] = []


class GuestError(Exception):
    """An error the host should see as a 4xx answer with this message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- display


def start_display(width: int, height: int) -> str:
    """Start Xvfb and return its display name once it accepts clients.

    ``-displayfd`` makes Xvfb write the display number when it is ready, so
    readiness is an event, not a sleep.
    """
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp", "-noreset", "+extension", "RANDR"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    CHILDREN.append(proc)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        raise SystemExit("deskguest: Xvfb did not start")
    return f":{number}"


def start_window_manager(disp: xdisplay.Display) -> None:
    """Start openbox and wait (bounded, by polling the EWMH check property) until it manages windows."""
    proc = subprocess.Popen(["openbox", "--sm-disable"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    CHILDREN.append(proc)
    atom = disp.intern_atom("_NET_SUPPORTING_WM_CHECK")
    deadline = time.monotonic() + 5.0
    root = disp.screen().root
    while time.monotonic() < deadline:
        prop = root.get_full_property(atom, X.AnyPropertyType)
        if prop is not None and len(prop.value):
            return
        time.sleep(0.005)


class Screen:
    """Access to the X display; one lock because Xlib is not thread-safe."""

    def __init__(self, name: str) -> None:
        self.disp = xdisplay.Display(name)
        self.root = self.disp.screen().root
        geom = self.root.get_geometry()
        self.width, self.height = geom.width, geom.height
        self.grabber = Grabber(name, self.width, self.height)
        self.atoms = {n: self.disp.intern_atom(n) for n in (
            "_NET_CLIENT_LIST", "_NET_ACTIVE_WINDOW", "_NET_WM_NAME", "_NET_WM_PID", "UTF8_STRING")}

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
                geom = win.get_geometry()
                pos = win.translate_coords(self.root, 0, 0)
            except Exception:  # the window vanished while we looked at it
                continue
            out.append({
                "id": int(wid), "title": title if isinstance(title, str) else title.decode("latin-1"),
                "class": list(cls), "pid": int(pid.value[0]) if pid is not None else None,
                "active": int(wid) == active_id, "x": -pos.x, "y": -pos.y,
                "width": geom.width, "height": geom.height,
            })
        return out


def draw_pointer(img: Image.Image, x: int, y: int) -> None:
    """Draw a classic arrow pointer: Xvfb screenshots do not include the cursor."""
    shape = [(0, 0), (0, 17), (4, 13), (7, 20), (10, 19), (7, 12), (12, 12)]
    pts = [(x + dx, y + dy) for dx, dy in shape]
    d = ImageDraw.Draw(img)
    d.polygon(pts, fill=(255, 255, 255), outline=(0, 0, 0))


def encode(img: Image.Image, fmt: str, quality: int) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if fmt == "png":
        img.save(buf, "PNG", compress_level=1)
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
    if proc.returncode != 0:
        raise GuestError(f"xdotool {' '.join(args[:3])}: {proc.stderr.decode(errors='replace').strip()}")


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


def input_event(ev: dict[str, Any]) -> None:
    """Execute one input event; see the host's GuestClient for the vocabulary."""
    op = ev.get("op")
    if op == "move":
        xdotool("mousemove", *_xy(ev))
    elif op == "click":
        def click() -> None:
            move = ["mousemove", *_xy(ev)] if "x" in ev else []
            repeat = int(ev.get("repeat", 1))
            pause = ["--delay", "60"] if repeat > 1 else []  # xdotool waits the delay even after one click
            xdotool(*move, "click", "--repeat", str(repeat), *pause, _button(ev))
        _with_modifiers(ev, click)
    elif op in ("down", "up"):
        move = ["mousemove", *_xy(ev)] if "x" in ev else []
        xdotool(*move, "mousedown" if op == "down" else "mouseup", _button(ev))
    elif op == "drag":
        b = _button(ev)
        xdotool("mousemove", str(int(ev["x1"])), str(int(ev["y1"])), "mousedown", b,
                "sleep", "0.05", "mousemove", str(int(ev["x2"])), str(int(ev["y2"])), "sleep", "0.05", "mouseup", b)
    elif op == "scroll":
        direction = ev.get("direction", "down")
        if direction not in SCROLL:
            raise GuestError(f"unknown scroll direction {direction!r}")

        def scroll() -> None:
            move = ["mousemove", *_xy(ev)] if "x" in ev else []
            xdotool(*move, "click", "--repeat", str(int(ev.get("amount", 1))), "--delay", "20", str(SCROLL[direction]))
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
        delay = str(int(ev.get("delay_ms", 8)))
        xdotool("type", "--delay", delay, "--", str(ev["text"]))
    else:
        raise GuestError(f"unknown input op {op!r}")


# --------------------------------------------------------------- commands


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


def run_command(req: dict[str, Any]) -> dict[str, Any]:
    """Run a command to completion; a timeout kills its whole process group."""
    argv = command_argv(req)
    timeout = float(req.get("timeout", 60))
    stdin = req.get("stdin")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, cwd=req.get("cwd") or os.environ.get("HOME"), env=child_env(req.get("env")),
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return {"exit_code": 127, "stdout": "", "stderr": str(exc), "timed_out": False, "duration": 0.0}
    timed_out = False
    try:
        out, err = proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        out, err = proc.communicate()
    return {"exit_code": proc.returncode, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "timed_out": timed_out,
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
        proc = subprocess.Popen(argv, cwd=req.get("cwd") or os.environ.get("HOME"), env=child_env(req.get("env")),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        raise GuestError(f"cannot start {argv[0]!r}: {exc}") from exc
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it
    return {"pid": proc.pid}


# ------------------------------------------------------------------ server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"deskguest/{PROTOCOL_VERSION}"
    screen: Screen

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def address_string(self) -> str:
        return "unix"

    # -- plumbing
    def _query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

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
                    "height": self.screen.height, "display": os.environ.get("DISPLAY"), "uid": os.getuid()})

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
        path = self._query().get("path", "")
        if not path.startswith("/"):
            raise GuestError(f"path must be absolute: {path!r}")
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise GuestError(f"no such file: {path}", 404) from None
        except IsADirectoryError:
            raise GuestError(f"is a directory: {path}", 400) from None
        except PermissionError:
            raise GuestError(f"permission denied: {path}", 403) from None
        self._send(200, data, "application/octet-stream")

    def file_put(self) -> None:
        q = self._query()
        path = q.get("path", "")
        if not path.startswith("/"):
            raise GuestError(f"path must be absolute: {path!r}")
        data = self._body()
        try:
            os.makedirs(os.path.dirname(path) or "/", exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
            if "mode" in q:
                os.chmod(path, int(q["mode"], 8))
        except PermissionError:
            raise GuestError(f"permission denied: {path}", 403) from None
        except IsADirectoryError:
            raise GuestError(f"is a directory: {path}", 400) from None
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
        proc = subprocess.run(["wmctrl", "-i", "-c", hex(wid)], capture_output=True, timeout=10)
        if proc.returncode != 0:
            raise GuestError(f"cannot close window {wid}: {proc.stderr.decode(errors='replace').strip()}", 404)
        self._json({"ok": True})

    def screen_size(self) -> None:
        self._json({"width": self.screen.width, "height": self.screen.height})


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
    daemon_threads = True


def main() -> None:
    width, height = (int(v) for v in SCREEN.lower().split("x"))
    name = start_display(width, height)
    os.environ["DISPLAY"] = name
    screen = Screen(name)
    start_window_manager(screen.disp)
    subprocess.run(["xsetroot", "-solid", "#3b4252"], check=False, timeout=10)
    Handler.screen = screen
    if os.path.exists(SOCKET_PATH):
        os.unlink(SOCKET_PATH)
    # Bind to a temporary name and rename: the host sees the socket only once it listens.
    tmp = SOCKET_PATH + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    server = Server(tmp, Handler)
    os.chmod(tmp, 0o666)  # the 0700 episode folder is the access control
    os.rename(tmp, SOCKET_PATH)

    def stop(signum: int, _frame: Any) -> None:
        for child in CHILDREN:
            child.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    main()
