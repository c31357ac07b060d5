"""Guest start-up, ordered for speed: the X server and window manager boot while Python imports the rest.

Only the standard library is imported here.  Xvfb starts first; a thread
waits for it (``-displayfd`` says when it accepts clients) and starts openbox,
whose ``--startup`` command marks the moment it manages windows.  Meanwhile
the main thread imports the server (Pillow, Xlib, http.server: the slow
part).  The server publishes its socket only after the window manager is up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Desktop:
    """The X display and window manager processes, started in the background."""

    def __init__(self, width: int, height: int) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.display = ""
        self.failure = ""
        self.wm_ready = os.path.join(tempfile.mkdtemp(prefix="deskguest-"), "wm-ready")
        read_fd, write_fd = os.pipe()
        self.children.append(subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp", "-noreset", "+extension", "RANDR"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
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
        self.children.append(subprocess.Popen(
            ["openbox", "--sm-disable", "--startup", f"touch {self.wm_ready}"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))

    def wait_display(self) -> str:
        self._display_known.wait(30)
        if not self.display:
            raise SystemExit(f"deskguest: {self.failure or 'Xvfb did not start within 30 s'}")
        return self.display

    def wait_window_manager(self, timeout: float = 20.0) -> None:
        """Poll (bounded) for openbox's --startup mark; fail if openbox died."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.wm_ready):
            if len(self.children) > 1 and self.children[1].poll() is not None:
                raise SystemExit(f"deskguest: openbox exited with {self.children[1].returncode}")
            if time.monotonic() > deadline:
                raise SystemExit(f"deskguest: openbox did not start within {timeout:.0f} s")
            time.sleep(0.005)


def main() -> None:
    width, height = (int(v) for v in os.environ.get("DESKBENCH_SCREEN", "1280x800").lower().split("x"))
    desktop = Desktop(width, height)
    sys.path.insert(0, HERE)
    import deskguest  # the slow imports happen while X starts

    deskguest.serve(desktop)


if __name__ == "__main__":
    main()
