"""Stale screenshots and added wait per action: no wait, a fixed 2 s sleep, and the adaptive settle wait.

``python benchmarks/settle.py [trials]`` starts one office desktop with
LibreOffice Writer and, for each trial, runs every case under each wait in
turn (interleaved, so all of them see the same machine load): menus opened
by a click, a context menu, dialogs opened by a shortcut, new windows, and
the everyday edits (select, type, toggle bold at the cursor).  Each
action goes through the computer tool exactly as an agent's does; the
screenshot it returns is *stale* when it differs from the screen 2.5 s
later by more than a caret blink (``STALE_PIXELS`` changed pixels).  A case
whose action changed nothing on the screen is reported, since it could not
be stale.  Prints one row per wait: stale count, and the median, p95 and
maximum of the wait the action's screenshot added (the adaptive wait's look
at the screen and the window list before the action included).

The *hindsight* row is no wait one could run: it films the screen after the
action (a screenshot every ~20 ms) and, knowing the screen 2.5 s later, reports
the earliest moment from which every frame is within ``STALE_PIXELS`` of it.
That is the least any wait can add and still never be stale; a wait's excess
over it, per case, is what the wait itself costs.  ``--adaptive k=v,...``
adds a settle wait with other policy values beside the default one, to
compare them in the same run.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

from harness.actions.vocabulary import ComputerAction
from harness.errors import GuestError
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.settle import SettlePolicy, Settler, SettleWait, settle_hook
from harness.setup.steps import wait_for_window
from harness.tools.computer import ComputerTool

#: pixels that may differ from the later screen without the screenshot being stale (a blinking caret is ~40)
STALE_PIXELS = 400
#: how long after the action the reference screen is taken
LATER = 2.5

CASES: list[tuple[str, ComputerAction]] = [
    ("menu File (click)", ComputerAction(action="left_click", coordinate=(30, 40))),
    ("menu Format (click)", ComputerAction(action="left_click", coordinate=(222, 40))),
    ("context menu (right click)", ComputerAction(action="right_click", coordinate=(640, 400))),
    ("dialog Find & Replace (ctrl+h)", ComputerAction(action="key", text="ctrl+h")),
    ("dialog Hyperlink (ctrl+k)", ComputerAction(action="key", text="ctrl+k")),
    ("new document window (ctrl+n)", ComputerAction(action="key", text="ctrl+n")),
    ("new terminal window (ctrl+alt+t)", ComputerAction(action="key", text="ctrl+alt+t")),
    # the everyday actions: their toolbar and status bar follow on LibreOffice's 300 ms timer
    ("select to line start (shift+Home)", ComputerAction(action="key", text="shift+Home")),
    ("type a word", ComputerAction(action="type", text=" word")),
    ("bold at the cursor (ctrl+b)", ComputerAction(action="key", text="ctrl+b")),
]


@dataclass
class Tally:
    """One wait's results over every case and trial."""

    waits: list[float] = field(default_factory=list)
    beyond: list[float] = field(default_factory=list)  # seconds waited past the screen's last change (adaptive)
    held: int = 0  # adaptive waits held for a new top-level window (their cost is the hold, not in ``beyond``)
    by_case: dict[str, list[float]] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def changed_pixels(a: bytes, b: bytes) -> int:
    """Pixels whose colour differs noticeably between two PNG screenshots."""
    one, two = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    diff = ImageChops.difference(one, two).convert("L").point(lambda v: 255 if v > 24 else 0)
    return int(diff.histogram()[255])


def reset(box: Sandbox, main_window: int) -> None:
    """Close menus and dialogs, and every window but the first Writer, put the cursor at the end of its text (no
    selection), then let the desktop come to rest (LibreOffice's own toolbar update included)."""
    box.guest.input({"op": "key", "keys": "Escape"}, {"op": "key", "keys": "Escape"})
    for window in box.guest.windows():
        if window.id != main_window:
            try:
                box.guest.close_window(window.id)
            except GuestError:  # closed with its owner already (a dialog of the closed window)
                pass
    time.sleep(1.5)
    box.guest.activate_window(main_window)
    time.sleep(0.3)
    box.guest.input({"op": "key", "keys": "ctrl+End"})
    time.sleep(0.8)


class Fixed:
    """A fixed sleep before the screenshot, as the reference demo does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def before(self, typing: bool = False) -> None:
        return None

    def wait(self) -> None:
        time.sleep(self.seconds)


class Hindsight:
    """Not a wait: notes when the action was sent, so the frames filmed after it can be timed from there."""

    def __init__(self) -> None:
        self.sent = 0.0

    def before(self, typing: bool = False) -> None:
        return None

    def wait(self) -> None:
        self.sent = time.monotonic()


def earliest_final(frames: list[tuple[float, bytes]]) -> float:
    """Seconds after which every frame is within ``STALE_PIXELS`` of the last one: a hindsight wait's length.

    Frames are compared as the stale count compares screenshots (same colour threshold), so a toolbar
    button's faint highlight counts here as it does there.
    """
    final = frames[-1][1]
    earliest: float | None = 0.0  # None while the frames seen last are not final yet
    for at, frame in frames:
        if frame != final and changed_pixels(frame, final) > STALE_PIXELS:
            earliest = None
        elif earliest is None:
            earliest = at
    return frames[-1][0] if earliest is None else earliest


def film(box: Sandbox, since: float, until: float) -> list[tuple[float, bytes]]:
    """Screenshots (PNG, ~9 ms each, as the stale count takes them) with their seconds after ``since``, to ``until``."""
    frames = []
    while (at := time.monotonic()) - since < until:
        frames.append((at - since, box.guest.screenshot("png").data))
        time.sleep(0.01)
    return frames


class Timed:
    """Any wait (or none), timed: the seconds it added to the action, its look before the action included."""

    def __init__(self, inner: SettleWait | None) -> None:
        self.inner = inner
        self.added = 0.0

    def before(self, typing: bool = False) -> None:
        t = time.monotonic()
        if self.inner is not None:
            self.inner.before(typing)
        self.added = time.monotonic() - t

    def wait(self) -> None:
        t = time.monotonic()
        if self.inner is not None:
            self.inner.wait()
        self.added += time.monotonic() - t


def waits(box: Sandbox, variants: list[str]) -> dict[str, SettleWait | None]:
    """The ways to wait before the screenshot, and the hindsight bound; ``variants`` are ``k=v,...`` policies."""
    kinds: dict[str, SettleWait | None] = {"none": None, "fixed 2 s": Fixed(2.0),
                                           "adaptive": settle_hook(box, SettlePolicy())}
    for variant in variants:
        values: dict[str, Any] = {k: float(v) for k, v in (item.split("=", 1) for item in variant.split(","))}
        kinds[f"adaptive {variant}"] = settle_hook(box, SettlePolicy(**values))
    kinds["hindsight"] = Hindsight()
    return kinds


def run_case(box: Sandbox, wait: SettleWait | None, action: ComputerAction,
             keep: Path | None = None) -> tuple[float, int, int]:
    """Seconds the wait added, pixels stale against the later screen, and pixels the action changed.

    ``keep``: a file name prefix under which a stale case's screenshot and the later screen are saved.
    """
    before = box.guest.screenshot("png").data
    timed = Timed(wait)
    result = ComputerTool(box.guest, box.screen, settle=timed).execute(action)
    assert result.screenshot is not None
    if isinstance(wait, Hindsight):
        frames = film(box, wait.sent, LATER)
        return earliest_final(frames), 0, changed_pixels(before, frames[-1][1])
    time.sleep(LATER)
    later = box.guest.screenshot("png").data
    stale = changed_pixels(result.screenshot.data, later)
    if keep is not None and stale > STALE_PIXELS:
        keep.with_name(keep.name + "-seen.png").write_bytes(result.screenshot.data)
        keep.with_name(keep.name + "-later.png").write_bytes(later)
    return timed.added, stale, changed_pixels(before, later)


def measure(trials: int, keep: Path | None = None, only: str = "", variants: list[str] | None = None) -> dict[str, Tally]:
    """Every case under every wait, ``trials`` times, in one office desktop."""
    with start_sandbox("office", labels={"deskbench.run": "bench-settle"}) as box:
        box.guest.spawn(["soffice", "--writer", "--norestore"])
        main = wait_for_window(box.guest, "Writer", timeout=60).id
        time.sleep(3)
        box.guest.input({"op": "type", "text": "A document with text, so that a new one looks different."})
        kinds = waits(box, variants or [])
        tallies = {name: Tally() for name in kinds}
        for trial in range(trials):
            for case, action in [(c, a) for c, a in CASES if only in c]:
                for name, wait in kinds.items():
                    reset(box, main)
                    prefix = keep / f"{trial}-{case.split()[0]}-{name.split()[0]}" if keep else None
                    added, stale, effect = run_case(box, wait, action, prefix)
                    print(f"  trial {trial + 1} {case:<34} {name:<22} +{added * 1000:5.0f} ms  {stale:6d} px stale",
                          file=sys.stderr, flush=True)
                    tally = tallies[name]
                    tally.waits.append(added)
                    tally.by_case.setdefault(case, []).append(added)
                    if isinstance(wait, Settler) and wait.history:
                        last = wait.history[-1]
                        if last.new_window:
                            tally.held += 1
                        else:
                            tally.beyond.append(last.waited - last.last_change)
                    if effect <= STALE_PIXELS:
                        tally.unchanged.append(case)
                    elif stale > STALE_PIXELS:
                        tally.stale.append(f"{case} (trial {trial + 1}, {stale} px)")
        return tallies


def render(tallies: dict[str, Tally]) -> str:
    """One line per wait, the medians per case, each wait's excess over hindsight, then the stale cases."""
    width = max(10, *(len(name) for name in tallies))
    lines = [f"{'wait':<{width}} {'actions':>7} {'stale':>6} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}"]
    for name, t in tallies.items():
        ordered = sorted(t.waits)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        stale = "-" if name == "hindsight" else str(len(t.stale))
        lines.append(f"{name:<{width}} {len(t.waits):>7} {stale:>6} {statistics.median(t.waits) * 1000:>10.0f} "
                     f"{p95 * 1000:>8.0f} {ordered[-1] * 1000:>8.0f}")
    cases = list(next(iter(tallies.values())).by_case) if tallies else []
    lines.append("\nmedian ms per case (columns in the order of the rows above)")
    for case in cases:
        lines.append(f"{case:<34} " + " ".join(f"{statistics.median(t.by_case[case]) * 1000:>7.0f}"
                                                for t in tallies.values()))
    bound = tallies.get("hindsight")
    for name, t in tallies.items():
        if bound is not None and name not in ("hindsight", "none"):
            excess = [w - statistics.median(bound.by_case[case]) for case in cases for w in t.by_case[case]]
            lines.append(f"{name}: over hindsight a median {statistics.median(excess) * 1000:.0f} ms per action")
        if t.beyond:
            lines.append(f"{name}: past the screen's last change it waited a median {statistics.median(t.beyond) * 1000:.0f}"
                         f" ms, max {max(t.beyond) * 1000:.0f} ms (its own cost), and held {t.held} new windows")
    for name, t in tallies.items():
        for what in t.stale:
            lines.append(f"  stale under {name}: {what}")
        for what in sorted(set(t.unchanged)):
            lines.append(f"  no visible effect under {name}: {what}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``[trials] [--keep DIR] [--only TEXT] [--adaptive k=v,...]...``: DIR receives stale cases' screenshots."""
    args, variants = list(argv), []
    while "--adaptive" in args:
        variants.append(args.pop(args.index("--adaptive") + 1))
        args.remove("--adaptive")
    keep = Path(args.pop(args.index("--keep") + 1)) if "--keep" in args else None
    only = args.pop(args.index("--only") + 1) if "--only" in args else ""
    args = [a for a in args if a not in ("--keep", "--only")]
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    print(render(measure(int(args[0]) if args else 3, keep, only, variants)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
