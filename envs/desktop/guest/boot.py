"""Guest start-up, ordered for speed: the X server and window manager boot while Python imports the rest.

Only the standard library is imported here.  A D-Bus session bus starts
first (accessibility -- at-spi -- and many desktop apps need one, and in a
container nothing else would start it), then Xvfb; a thread waits
for Xvfb (``-displayfd`` says when it accepts clients) and starts openbox,
whose ``--startup`` command marks the moment it manages windows.  Meanwhile
the main thread imports the server (Pillow, Xlib, http.server: the slow
part).  The server publishes its socket only after the window manager and
the bus are up, and ``DBUS_SESSION_BUS_ADDRESS`` is in the environment of
everything it starts.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from privileges import GUEST_UID, as_desktop_user, desktop_argv, seal  # noqa: E402

DBUS_DAEMON = "/usr/bin/dbus-daemon"
#: the image's home folder, copied into the (size-limited, empty) home mount at start-up
HOME_SKELETON = "/etc/deskbench/home"


def runtime_dir() -> str:
    """``$XDG_RUNTIME_DIR`` when the image made it (``/run/user/1000``), else a fresh private folder.

    The bus socket lives there; so do at-spi's and dconf's, which is why it
    is exported: tasks written for a desktop with ``/run/user/1000/bus`` work
    unchanged where the image provides that folder.
    """
    path = os.environ.get("XDG_RUNTIME_DIR", "")
    if not path or not os.path.isdir(path):
        path = tempfile.mkdtemp(prefix="deskbench-runtime-")
        os.environ["XDG_RUNTIME_DIR"] = path
    return path


class SessionBus:
    """A ``dbus-daemon --session`` for the whole desktop session (absent daemon: no bus, nothing fails)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._ready_fd = -1
        if not os.path.exists(DBUS_DAEMON):
            return
        address = f"unix:path={runtime_dir()}/bus"
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            desktop_argv([DBUS_DAEMON, "--session", "--nofork", "--nopidfile", "--nosyslog", f"--address={address}",
             f"--print-address={write_fd}"]),
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, **as_desktop_user())
        os.close(write_fd)
        self._ready_fd = read_fd
        # Exported now, before any other process starts, so every one of them inherits it.
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address

    def wait(self, timeout: float = 20.0) -> None:
        """Block (bounded) until the daemon prints its address: it accepts connections from then on."""
        if self._ready_fd < 0:
            return
        ready, _, _ = select.select([self._ready_fd], [], [], timeout)
        line = os.read(self._ready_fd, 4096) if ready else b""
        os.close(self._ready_fd)
        self._ready_fd = -1
        if not line.strip():
            code = self.process.poll() if self.process is not None else None
            raise SystemExit(f"deskguest: dbus-daemon did not start within {timeout:.0f} s (exit code {code})")


class Desktop:
    """The X display and window manager processes, started in the background."""

    def __init__(self, width: int, height: int) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.home_copy: subprocess.Popen[bytes] | None = None
        self.bus = SessionBus()
        if self.bus.process is not None:
            self.children.append(self.bus.process)
        self.openbox: subprocess.Popen[bytes] | None = None
        self.display = ""
        self.failure = ""
        marks = tempfile.mkdtemp(prefix="deskguest-")
        os.chmod(marks, 0o733)  # openbox (the desktop user) leaves its mark here; nobody else lists it
        self.wm_ready = os.path.join(marks, "wm-ready")
        read_fd, write_fd = os.pipe()
        # The X server belongs to the desktop session (its clients' shared memory is theirs); the guest's own
        # screenshot segments are shared with it through the guest's group.
        xserver_user = {**as_desktop_user(), "extra_groups": [GUEST_UID]} if as_desktop_user() else {}
        self.children.append(subprocess.Popen(
            desktop_argv(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
                          "-nolisten", "tcp", "-noreset", "+extension", "RANDR"]),
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **xserver_user))
        os.close(write_fd)
        self._display_known = threading.Event()
        self._thread = threading.Thread(target=self._bring_up, args=(read_fd,), daemon=True)
        self._thread.start()

    def _bring_up(self, read_fd: int) -> None:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.failure = "Xvfb did not start"
            self._display_known.set()
            return
        self.display = f":{number}"
        self._display_known.set()
        env = dict(os.environ, DISPLAY=self.display)
        self.openbox = subprocess.Popen(
            desktop_argv(["openbox", "--sm-disable", "--startup", f"touch {self.wm_ready}"]), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **as_desktop_user())
        self.children.append(self.openbox)

    def wait_display(self) -> str:
        self._display_known.wait(30)
        if not self.display:
            raise SystemExit(f"deskguest: {self.failure or 'Xvfb did not start within 30 s'}")
        return self.display

    def wait_window_manager(self, timeout: float = 20.0) -> None:
        """Poll (bounded) for openbox's --startup mark; fail if openbox died.  The session bus is waited for
        here too: this is the moment the server declares the desktop usable."""
        self.bus.wait(timeout)
        if self.home_copy is not None:
            self.home_copy.wait(timeout)
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.wm_ready):
            if self.openbox is not None and self.openbox.poll() is not None:
                raise SystemExit(f"deskguest: openbox exited with {self.openbox.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit(f"deskguest: openbox did not start within {timeout:.0f} s")
            time.sleep(0.005)


def fill_home() -> subprocess.Popen[bytes] | None:
    """Start copying the image's home folder into the empty home mount, as the desktop user (who then owns it).

    The home folder is a size-limited mount that starts empty; images keep
    what belongs in it under ``HOME_SKELETON``.  The copy runs while X starts
    (the desktop is declared usable only once it is done).  Nothing to do
    when the image has no skeleton or the home folder already has content.
    """
    home = os.environ.get("HOME", "/home/user")
    if not os.path.isdir(HOME_SKELETON) or not os.path.isdir(home) or os.listdir(home):
        return None
    return subprocess.Popen(desktop_argv(["/bin/cp", "-a", "--no-preserve=ownership", f"{HOME_SKELETON}/.",
                                          f"{home}/"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_desktop_user())


def main() -> None:
    seal()
    home_copy = fill_home()
    width, height = (int(v) for v in os.environ.get("DESKBENCH_SCREEN", "1280x800").lower().split("x"))
    desktop = Desktop(width, height)
    desktop.home_copy = home_copy
    import deskguest  # the slow imports happen while X starts

    deskguest.serve(desktop)


if __name__ == "__main__":
    main()
