"""Wait, after an action, until the desktop has stopped redrawing, before the screenshot the model sees.

A screenshot taken right after a click shows the screen before the app
reacted (a menu not yet drawn, a dialog still loading); a fixed sleep wastes
seconds on every action that changed nothing.  The settle wait watches two
cheap signals instead:

* the screen: small JPEG frames (about 4 ms each, without the pointer,
  compared byte for byte) until none has changed for ``window`` seconds;
* the desktop's CPU: an app that is still computing (LibreOffice building
  a new window takes most of a second with the screen unchanged) keeps the
  wait going until its processes fall quiet.  The CPU time comes from the
  kernel's per-process accounting, read on the host (``/proc``) for the
  container's processes, leaving out the guest's own (it is the one grabbing
  the frames).  Where the host cannot see the container's processes (an
  engine in another PID namespace), only the screen is watched.

A third signal covers what neither sees: an app that opens a new top-level
window may lay it out again after a pause in which both the screen and the
CPU are idle (LibreOffice redraws a new document's ruler about 0.8 s after
drawing the window).  When the wait finds a new normal window that was not
there before the action, the wait goes on ``new_window`` seconds past the
moment it first looked settled (still ending only on a still screen);
menus and dialogs are not held.

A fourth covers an app that redraws on its own timer: LibreOffice updates
its toolbar buttons and status bar 300 ms after an action changed their
state (its dispatcher restarts a 300 ms timer on every change of state), so
the button that turns bold, the Sum of the selected cells or the enabled
Cut button show up a third of a second after the action's own redraw, with
the screen and the CPU idle in between.  While the active window belongs to
one of ``deferred_apps``, the wait does not end before ``deferred`` seconds
after the action's first redraw.  (A document's very first selection takes
LibreOffice 0.6 s to show in its toolbar, once; a floor that long on every
action would cost more than that one stale screenshot.)

Whatever happens, the wait ends at ``cap`` seconds (a video or a blinking
animation never settles).
"""

from __future__ import annotations

import io
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PIL import Image, ImageChops

from harness.errors import GuestError
from harness.sandbox.guest import GUEST_UID, GuestClient, Window

if TYPE_CHECKING:
    from harness.sandbox.container import Sandbox

@dataclass(frozen=True)
class SettlePolicy:
    """How long the screen must stay still, how long the wait may last, how often to look.

    ``react`` is how long an action that has not changed the screen yet is
    given to start redrawing (a dialog being built shows nothing for 100-200
    ms); once the screen has changed, ``window`` of stillness ends the wait.
    A change of ``small_change`` pixels or fewer from the screen before the
    action (a caret, a toolbar button's state) does not count as the
    action's effect.  ``busy_cpu`` is the share of one core the desktop's processes (the
    guest's own left out) may use over the last ``window`` and still count
    as idle.  ``new_window`` is how long a new top-level window is watched
    after it first looked settled (and any change in that time must itself
    settle for ``window``).  ``deferred`` is how long after the action's first
    redraw an app of ``deferred_apps`` (matched against the active window's
    WM_CLASS) may still redraw on its own timer.
    """

    window: float = 0.1
    cap: float = 2.0
    react: float = 0.5
    interval: float = 0.02
    busy_cpu: float = 0.3
    small_change: int = 400  # pixels (a blinking caret is ~40, a menu thousands)
    new_window: float = 1.2  # a new document's deferred layout came 0.8-0.9 s after it looked settled
    deferred: float = 0.4  # LibreOffice's state timer is 300 ms; its update showed 290-315 ms after the first redraw
    deferred_apps: tuple[str, ...] = ("libreoffice", "soffice")

    def __post_init__(self) -> None:
        if not (0 < self.window <= self.cap and 0 <= self.react <= self.cap):
            raise ValueError(f"settle window ({self.window}) and react ({self.react}) must be positive and at "
                             f"most the cap ({self.cap})")
        if self.interval <= 0 or self.busy_cpu <= 0:
            raise ValueError("settle interval and busy_cpu must be positive")
        if self.new_window < 0 or self.deferred < 0:
            raise ValueError(f"settle new_window ({self.new_window}) and deferred ({self.deferred}) cannot be negative")


class SettleWait(Protocol):
    """What the computer tool calls around an action: ``before`` it is sent, ``wait`` before the screenshot.

    ``typing``: the action types text, so a change of a few characters is already its effect.
    """

    def before(self, typing: bool = False) -> None: ...

    def wait(self) -> object: ...


@dataclass(frozen=True)
class Settled:
    """What one wait did: seconds waited, frames looked at, whether the screen changed, and why it ended."""

    waited: float
    frames: int
    changed: bool
    reason: str  # "still" (screen and CPU quiet for the window) or "cap"
    new_window: bool = False  # a new top-level window appeared, so the wait was held for new_window
    last_change: float = 0.0  # seconds into the wait when the screen last changed: waited - last_change is its cost
    deferred: bool = False  # the active window's app redraws on a timer, so the wait lasted at least ``deferred``


class CpuMeter:
    """Seconds the desktop's threads ran or waited to run, so far: the guest's and the X server's left out.

    The kernel's scheduler statistics (``/proc/PID/task/TID/schedstat``: time
    on a CPU and time runnable on a run queue, in nanoseconds) count what an
    app *wants*, so an app starved by a loaded host still reads as busy.  The
    guest grabs the frames and the X server serves them: their time would
    read as activity the wait itself caused.  The container's cgroup lists
    its processes.
    """

    def __init__(self, procs_file: Path, exclude_uid: int = GUEST_UID,
                 exclude_names: frozenset[str] = frozenset({"Xvfb"})) -> None:
        self.procs_file = procs_file
        self.exclude_uid = exclude_uid
        self.exclude_names = exclude_names

    @classmethod
    def open(cls, pid: int, container_id: str) -> CpuMeter | None:
        """The meter for the container whose first process is ``pid``; None when /proc does not show it."""
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if container_id not in path:
                continue  # another PID namespace's process, or not the container's cgroup
            names = controllers.split(",")
            relative = path.lstrip("/")
            for candidate in (Path("/sys/fs/cgroup/pids") / relative if "pids" in names else None,
                              Path("/sys/fs/cgroup/cpuacct") / relative if "cpuacct" in names else None,
                              Path("/sys/fs/cgroup") / relative if controllers == "" else None):
                if candidate is not None and (candidate / "cgroup.procs").is_file():
                    meter = cls(candidate / "cgroup.procs")
                    return meter if Path(f"/proc/{pid}/task").is_dir() else None
        return None

    def seconds(self) -> float:
        """Run plus run-queue seconds of every thread of the container's processes but the excluded ones."""
        total = 0
        try:
            pids = self.procs_file.read_text().split()
        except OSError:
            return 0.0
        for pid in pids:
            try:
                if os.stat(f"/proc/{pid}").st_uid == self.exclude_uid:
                    continue
                if Path(f"/proc/{pid}/comm").read_text().strip() in self.exclude_names:
                    continue
                for task in os.scandir(f"/proc/{pid}/task"):
                    run, wait, _ = Path(task.path, "schedstat").read_text().split()
                    total += int(run) + int(wait)
            except (OSError, ValueError):
                continue  # the process or thread ended while we looked
        return total / 1e9


class Settler:
    """Waits for the desktop to settle; called by the computer tool between an action and its screenshot."""

    def __init__(self, guest: GuestClient, policy: SettlePolicy, cpu: CpuMeter | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 difference: Callable[[bytes, bytes], int] | None = None,
                 windows: Callable[[], list[Window]] | None = None) -> None:
        self.difference = difference or changed_pixels
        self.windows = windows  # the window manager's list (about 0.5 ms); None: new windows are not looked for
        self.guest = guest
        self.policy = policy
        self.cpu = cpu
        self.clock = clock
        self.sleep = sleep
        self.history: list[Settled] = []  # every wait of the episode, for benchmarks and the record
        self._baseline: bytes | None = None
        self._windows_before: set[int] | None = None
        self._deferred_app = False
        self._typing = False

    def frame(self) -> bytes:
        """The cheapest frame that shows a change: a JPEG without the pointer (equal bytes, equal screen)."""
        return self.guest.screenshot("jpeg", pointer=False, quality=30).data

    def before(self, typing: bool = False) -> None:
        """Remember the screen as it is before the action, to tell whether the action changed it yet.

        Typed text changes fewer pixels than ``small_change`` (a word is 100-250), yet it is the
        action's effect: with ``typing`` any change counts, so the wait is ``window``, not ``react``.
        """
        self._baseline = self.frame()
        self._typing = typing
        listed = self._list_windows()
        self._windows_before = None if listed is None else {w.id for w in listed}
        names = [part.lower() for w in listed or [] if w.active for part in w.wm_class]
        self._deferred_app = any(app in name for app in self.policy.deferred_apps for name in names)

    def wait(self) -> Settled:
        """Block until the screen has been still, and the CPU quiet, long enough (or ``cap`` seconds passed).

        Long enough is ``window`` after the screen changed, ``react`` while it still shows what it
        showed before the action, and for an app that redraws on a timer not before ``deferred``
        after the action's first redraw.
        """
        p = self.policy
        start = self.clock()
        baseline, self._baseline = self._baseline, None
        deferred, self._deferred_app = self._deferred_app, False
        least, self._typing = (0 if self._typing else p.small_change), False  # pixels that make a change the effect
        previous = self.frame()
        changed = baseline is not None and previous != baseline and self.difference(baseline, previous) > least
        last_change, frames = start, 1
        effect_at = start  # when the action's effect first showed: its redraw (at once if it showed before the wait)
        cpu: deque[tuple[float, float]] = deque()
        if self.cpu is not None:
            cpu.append((start, self.cpu.seconds()))
        held: float | None = None  # when a new top-level window had first settled: it is given new_window more
        while True:
            self.sleep(p.interval)
            frame = self.frame()
            now = self.clock()
            frames += 1
            if frame != previous:
                # a caret or a button's state is not yet the action's effect: until the screen differs from
                # before the action by more than that, the app gets the react time to draw what it does
                previous, last_change = frame, now
                if not changed and (baseline is None or self.difference(baseline, frame) > least):
                    changed, effect_at = True, now
            still = p.window if changed or baseline is None else p.react
            floor = effect_at + p.deferred if deferred else start
            if now - last_change >= still and now >= floor and not self._busy(cpu, now):
                if held is None and changed and self._new_top_level():
                    held = last_change
                if held is None or now - held >= p.new_window:
                    return self._done(Settled(now - start, frames, changed, "still", held is not None,
                                              last_change - start, deferred))
            if now - start >= p.cap:
                return self._done(Settled(now - start, frames, changed, "cap", held is not None, last_change - start,
                                          deferred))

    def _list_windows(self) -> list[Window] | None:
        if self.windows is None:
            return None
        try:
            return self.windows()
        except GuestError:  # a guest that cannot list windows: the screen and CPU signals still apply
            return None

    def _new_top_level(self) -> bool:
        """Whether a normal window (not a dialog, menu or transient) appeared since :meth:`before`."""
        if self._windows_before is None:
            return False
        listed = self._list_windows() or []
        return any(w.id not in self._windows_before and w.kind in ("normal", "") and w.transient_for is None
                   for w in listed)

    def _busy(self, samples: deque[tuple[float, float]], now: float) -> bool:
        """Whether the desktop's processes used more than ``busy_cpu`` of a core over the last window."""
        if self.cpu is None:
            return False
        samples.append((now, self.cpu.seconds()))
        while len(samples) > 2 and now - samples[1][0] >= self.policy.window:
            samples.popleft()
        (t0, c0), (t1, c1) = samples[0], samples[-1]
        if t1 - t0 < self.policy.window:
            return True  # not a whole window measured yet
        return (c1 - c0) / (t1 - t0) > self.policy.busy_cpu

    def _done(self, settled: Settled) -> Settled:
        self.history.append(settled)
        return settled


def changed_pixels(a: bytes, b: bytes) -> int:
    """Pixels that differ noticeably between two encoded frames (JPEG noise stays under the threshold)."""
    one, two = (Image.open(io.BytesIO(x)).convert("L") for x in (a, b))
    if one.size != two.size:
        return one.width * one.height
    return int(ImageChops.difference(one, two).point(lambda v: 255 if v > 32 else 0).histogram()[255])


def settler_for(guest: GuestClient, policy: SettlePolicy, pid: int | None, container_id: str) -> Settler:
    """A settler for a container: with its CPU meter when the host can read the container's processes."""
    cpu = CpuMeter.open(pid, container_id) if pid else None
    return Settler(guest, policy, cpu, windows=guest.windows)


def settle_hook(box: Sandbox, policy: SettlePolicy | None) -> Settler | None:
    """What the computer tool calls before each screenshot in this sandbox (None: no wait, as before)."""
    if policy is None:
        return None
    import docker.errors  # the engine's SDK only where a sandbox exists (agents import the policy alone)

    try:
        box.container.reload()
        pid = int((box.container.attrs.get("State") or {}).get("Pid") or 0)
    except (docker.errors.DockerException, OSError, ValueError):  # without the pid only the screen is watched
        pid = 0
    return settler_for(box.guest, policy, pid, str(box.container.id))
