"""Do double_click, triple_click and left_click_drag select what they should?  ``python benchmarks/clicks.py [n]``

One office desktop; in the text editor (Mousepad), the terminal (xterm) and
LibreOffice Writer the line ``alpha beta gamma`` is typed, its words found
on the screen (the columns typing changed), and each gesture is made ``n``
times (default 20) through the computer tool exactly as an agent's action:
double click on ``beta`` must select ``beta``, triple click the whole line,
a drag from the first to the last letter of ``beta`` must select ``beta``.
What was selected is read from the X PRIMARY selection (every one of these
apps sets it), cleared before each try.  ``--unpaced`` sends the gestures
as the guest's one-burst events instead (the behaviour before pacing), for
comparison.  Prints successes per app and gesture.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageChops

from harness.actions.vocabulary import ComputerAction
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.guest import GuestClient
from harness.sandbox.settle import SettlePolicy, Settler
from harness.setup.steps import wait_for_window
from harness.tools.computer import ComputerTool

LINE = "alpha beta gamma"
#: still for 0.3 s: shorter than a caret's blink (~0.5 s), which would otherwise keep a wait going to its cap
QUIET = SettlePolicy(window=0.3, cap=5.0, react=0.0)
Gesture = Literal["double_click", "triple_click", "left_click_drag"]
GESTURES: tuple[Gesture, ...] = ("double_click", "triple_click", "left_click_drag")

SELECTION_PY = r'''
import select, sys
from Xlib import X, display
d = display.Display()
w = d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
primary = d.intern_atom("PRIMARY")
if sys.argv[1] == "clear":  # own the selection, then exit: nobody owns it, nothing is selected
    w.set_selection_owner(primary, X.CurrentTime)
    d.sync()
    sys.exit(0)
prop = d.intern_atom("DESKBENCH_SELECTION")
w.convert_selection(primary, d.intern_atom("UTF8_STRING"), prop, X.CurrentTime)
d.flush()
while True:
    while not d.pending_events():
        if not select.select([d.fileno()], [], [], 2.0)[0]:
            sys.exit(3)
    e = d.next_event()
    if e.type == X.SelectionNotify:
        break
if e.property == X.NONE:
    sys.exit(0)
value = w.get_full_property(prop, X.AnyPropertyType).value
sys.stdout.write(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
'''


def selection(guest: GuestClient, clear: bool = False) -> str:
    """The PRIMARY selection's text (empty when nothing is selected); ``clear`` deselects everything."""
    done = guest.run(["python3", "-c", SELECTION_PY, "clear" if clear else "read"], shell=False, timeout=20)
    return done.stdout


@dataclass(frozen=True)
class Words:
    """Where the typed line's words are on the screen: (left, right) columns of each, and the line's middle row."""

    spans: list[tuple[int, int]]
    y: int


def changed_columns(before: bytes, after: bytes, region: tuple[int, int, int, int]) -> Words:
    """The words of a line typed between two screenshots, inside ``region`` (left, top, right, bottom).

    The band of consecutive changed rows with the most changed pixels is the line (a title's "modified" mark
    or an enabled toolbar button changes less); its runs of changed columns, split at gaps of 3+ px, are words.
    """
    one, two = (Image.open(io.BytesIO(x)).convert("RGB").crop(region) for x in (before, after))
    mask = ImageChops.difference(one, two).convert("L").point(lambda v: 255 if v > 40 else 0)
    width, height = mask.size
    pixels = mask.load()
    assert pixels is not None
    rows = [sum(1 for x in range(width) if pixels[x, y]) for y in range(height)]
    bands: list[tuple[int, int]] = []
    for y, count in enumerate([*rows, 0]):
        if count and (not bands or bands[-1][1] != y):
            bands.append((y, y + 1))
        elif count:
            bands[-1] = (bands[-1][0], y + 1)
    if not bands:
        raise RuntimeError("typing the line changed nothing on the screen")
    top, bottom = max(bands, key=lambda b: sum(rows[b[0]:b[1]]))
    columns = [any(pixels[x, y] for y in range(top, bottom)) for x in range(width)]
    spans: list[tuple[int, int]] = []
    start: int | None = None
    gap = 0
    for i, ink in enumerate([*columns, False, False, False]):
        if ink:
            start = i if start is None else start
            gap = 0
        elif start is not None:
            gap += 1
            if gap == 3:
                spans.append((region[0] + start, region[0] + i - 3))
                start = None
    return Words(spans, region[1] + (top + bottom) // 2)


def gesture(name: Gesture, words: Words) -> ComputerAction:
    """The action that should select ``beta`` (the second word), or the whole line for a triple click."""
    (l1, r1), (l2, _) = words.spans[1], words.spans[2]
    middle = ((l1 + r1) // 2, words.y)
    if name == "left_click_drag":  # from the word's first ink to the middle of the space after it
        return ComputerAction(action=name, start_coordinate=(l1, words.y), coordinate=((r1 + l2) // 2, words.y))
    return ComputerAction(action=name, coordinate=middle)


def expected(name: str) -> str:
    return LINE if name == "triple_click" else "beta"


def unpaced(tool: ComputerTool, action: ComputerAction) -> None:
    """The gesture as one burst of guest events, as the computer tool sent it before pacing."""
    if action.action == "left_click_drag":
        assert action.start_coordinate is not None and action.coordinate is not None
        (x1, y1), (x2, y2) = action.start_coordinate, action.coordinate
        tool.guest.input({"op": "drag", "x1": x1, "y1": y1, "x2": x2, "y2": y2})
    else:
        assert action.coordinate is not None
        x, y = action.coordinate
        tool.guest.input({"op": "click", "button": "left", "repeat": 3 if action.action == "triple_click" else 2,
                          "x": x, "y": y})


def try_gesture(box: Sandbox, words: Words, name: Gesture, paced: bool = True) -> str:
    """Make one gesture on a cleared selection; what it selected (polled briefly: apps set it after the event)."""
    tool = ComputerTool(box.guest, box.screen)
    selection(box.guest, clear=True)
    action = gesture(name, words)
    if paced:
        tool.execute(action, screenshot=False)
    else:
        unpaced(tool, action)
    got = ""
    for _ in range(10):
        got = selection(box.guest)
        if got:
            break
        time.sleep(0.05)
    # deselect with a click past the line's end, and let the double-click time run out before the next try
    box.guest.input({"op": "click", "button": "left", "x": words.spans[-1][1] + 40, "y": words.y})
    time.sleep(0.5)
    return got


def matches(name: str, got: str) -> bool:
    """Selected what it should: case aside (LibreOffice capitalises the line's first word), and a terminal's
    line with its prompt."""
    text = got.strip().lower()
    if name == "triple_click":
        return "\n" not in text and text.endswith(LINE)
    return text == expected(name)


@contextmanager
def app(box: Sandbox, which: str) -> Iterator[Words]:
    """Open one app with the line typed in it; yield where its words are; close it."""
    guest = box.guest
    if which == "editor":
        guest.run(": > /tmp/clicks.txt")
        pid = guest.spawn(["mousepad", "/tmp/clicks.txt"])
        title = "clicks.txt"
        margins = (0, 0)  # the title bar (its "modified" mark) is above the window's area
    elif which == "terminal":
        pid = guest.spawn(["xterm", "-T", "clicks-terminal", "-e", "bash", "--norc", "--noprofile"])
        title = "clicks-terminal"
        margins = (0, 0)
    else:
        pid = guest.spawn(["soffice", "--writer", "--norestore"])
        title = "Writer"
        margins = (150, 30)  # toolbars (undo enabled) above the page, word count in the status bar below
    window = wait_for_window(guest, title, timeout=60)
    guest.activate_window(window.id)
    Settler(guest, QUIET).wait()  # the app has drawn itself
    if which == "writer":  # LibreOffice takes keys a few seconds after its window shows; then focus the page
        time.sleep(4.0)
        guest.input({"op": "click", "button": "left", "x": window.x + window.width // 2, "y": window.y + 300})
        Settler(guest, QUIET).wait()
    before = guest.screenshot("png", pointer=False).data
    guest.input({"op": "type", "text": LINE})
    Settler(guest, QUIET).wait()
    area = (window.x, window.y + margins[0], window.x + window.width, window.y + window.height - margins[1])
    words = changed_columns(before, guest.screenshot("png", pointer=False).data, area)
    if len(words.spans) < 3:
        raise RuntimeError(f"{which}: the typed line {LINE!r} is not on the screen as three words ({words})")
    try:
        yield words
    finally:
        guest.run(f"kill -9 {pid}; pkill -9 -u user soffice.bin; true")
        time.sleep(0.5)


APPS = ("editor", "terminal", "writer")


def measure(box: Sandbox, repeats: int, paced: bool = True, progress: Callable[[str], Any] | None = None,
            apps: tuple[str, ...] = APPS) -> dict[tuple[str, str], list[str]]:
    """Every gesture ``repeats`` times in each of ``apps``: what each try selected."""
    found: dict[tuple[str, str], list[str]] = {}
    for which in apps:
        with app(box, which) as words:
            for name in GESTURES:
                got = [try_gesture(box, words, name, paced) for _ in range(repeats)]
                found[(which, name)] = got
                if progress is not None:
                    progress(f"  {which:<8} {name:<16} {sum(matches(name, g) for g in got)}/{repeats}")
    return found


def render(found: dict[tuple[str, str], list[str]]) -> str:
    lines = [f"{'app':<8} {'gesture':<16} {'selected right':>14}  wrong selections"]
    for (which, name), got in found.items():
        wrong = sorted({g for g in got if not matches(name, g)})
        lines.append(f"{which:<8} {name:<16} {sum(matches(name, g) for g in got):>9}/{len(got):<4}  "
                     f"{', '.join(repr(w) for w in wrong)}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    paced = "--unpaced" not in argv
    args = [a for a in argv if a != "--unpaced"]
    repeats = int(args[0]) if args else 20
    with start_sandbox("office", labels={"deskbench.run": "bench-clicks"}) as box:
        found = measure(box, repeats, paced, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(("paced" if paced else "unpaced (one burst of guest events)") + f", {repeats} tries each")
    print(render(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
