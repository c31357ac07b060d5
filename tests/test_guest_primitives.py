"""The guest's primitives, exercised in real desktop containers (no mocks).

Most tests share one module-scoped sandbox; each of them cleans up what it
creates (windows, held keys) and starts from a desktop without windows, so
their order does not matter.  Tests that need an untouched desktop or a
different screen size use a second sandbox (1024x768) where no window is
ever opened.

Input is verified where it lands: a small Xlib "probe" window (written into
the guest and run with the guest's python3-xlib) logs every key and button
event it receives -- button number, modifier state, coordinates and server
time -- to a file the test reads back.  Text typed into an xterm is verified
by the file the typed shell command writes.  All waiting is bounded polling.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from harness.errors import GuestError
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.guest import GuestClient, Window
from harness.setup.steps import wait_for_window
from tests.waiting import poll

pytestmark = pytest.mark.docker

SCREEN = (1280, 800)
SMALL_SCREEN = (1024, 768)
BACKGROUND = (0x3B, 0x42, 0x52)  # the root colour deskguest sets with xsetroot
HELPERS = "/tmp/deskbench-test"

# X protocol constants (X11/X.h): modifier and button masks in an event's state.
SHIFT_MASK, CONTROL_MASK, BUTTON1_MASK = 1, 4, 256
# keysyms (X11/keysymdef.h)
XK_SHIFT_L, XK_CONTROL_L, XK_RETURN, XK_A, XK_B = 0xFFE1, 0xFFE3, 0xFF0D, 0x61, 0x62





# ------------------------------------------------------------- guest helpers

PROBE_PY = r'''
"""A window that logs the key and button events it receives, one JSON object a line."""
import json, sys
from Xlib import X, XK, Xutil, display

log_path, title = sys.argv[1], sys.argv[2]
d = display.Display()
s = d.screen()
w = s.root.create_window(0, 0, 400, 300, 0, s.root_depth, background_pixel=s.white_pixel,
                         event_mask=X.ButtonPressMask | X.ButtonReleaseMask | X.KeyPressMask
                         | X.KeyReleaseMask | X.FocusChangeMask | X.StructureNotifyMask)
w.set_wm_name(title)
w.set_wm_class("deskprobe", "DeskProbe")
w.set_wm_hints(flags=Xutil.InputHint, input=1)
w.map()
d.flush()
kinds = {X.ButtonPress: "press", X.ButtonRelease: "release", X.KeyPress: "keydown",
         X.KeyRelease: "keyup", X.FocusIn: "focusin", X.MapNotify: "map"}
with open(log_path, "a") as out:
    while True:
        e = d.next_event()
        kind = kinds.get(e.type)
        if kind is None:
            continue
        rec = {"kind": kind}
        if e.type in (X.ButtonPress, X.ButtonRelease, X.KeyPress, X.KeyRelease):
            rec.update(detail=e.detail, state=e.state, x=e.event_x, y=e.event_y,
                       rx=e.root_x, ry=e.root_y, time=e.time)
        if e.type in (X.KeyPress, X.KeyRelease):
            rec["keysym"] = d.keycode_to_keysym(e.detail, 0)
        out.write(json.dumps(rec) + "\n")
        out.flush()
'''

XSTATE_PY = r'''
"""Print the keys held down and the pointer's button/modifier mask, as the X server sees them."""
import json
from Xlib import display
d = display.Display()
keys = [i * 8 + b for i, byte in enumerate(d.query_keymap()) for b in range(8) if byte >> b & 1]
p = d.screen().root.query_pointer()
print(json.dumps({"keys": keys, "mask": p.mask, "x": p.root_x, "y": p.root_y}))
'''

WM_READY_PY = r'''
"""Exit 0 once the window manager really manages a new window (map it, wait for it to be viewable)."""
import sys, time
from Xlib import X, display
d = display.Display()
s = d.screen()
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    w = s.root.create_window(0, 0, 10, 10, 0, s.root_depth)
    w.set_wm_name("deskbench-test-wm-ready")
    w.map()
    d.sync()
    until = time.monotonic() + 0.3
    ok = False
    while not ok and time.monotonic() < until:
        ok = w.get_attributes().map_state == X.IsViewable
        time.sleep(0.01)
    w.destroy()
    d.sync()
    if ok:
        sys.exit(0)
sys.exit(1)
'''


def install_helpers(guest: GuestClient) -> None:
    for name, text in (("probe.py", PROBE_PY), ("xstate.py", XSTATE_PY), ("wm_ready.py", WM_READY_PY)):
        guest.write_file(f"{HELPERS}/{name}", text.encode())


def wait_wm_ready(guest: GuestClient) -> None:
    """Wait until openbox manages new windows.

    Works around a guest bug: the guest reports ready as soon as openbox sets
    _NET_SUPPORTING_WM_CHECK, but openbox needs another ~0.5 s to finish
    starting, and a window mapped in that gap is never managed (it stays
    unmapped and never appears in the window list).
    """
    r = guest.run(["python3", f"{HELPERS}/wm_ready.py", "20"], timeout=30)
    assert r.exit_code == 0, f"the window manager never managed a window: {r.stderr}"
    poll(lambda: not guest.windows(), "the readiness window to go away")


def xstate(guest: GuestClient) -> dict[str, Any]:
    r = guest.run(["python3", f"{HELPERS}/xstate.py"])
    assert r.exit_code == 0, r.stderr
    return dict(json.loads(r.stdout))


def find_window(guest: GuestClient, wid: int) -> Window | None:
    return next((w for w in guest.windows() if w.id == wid), None)


def activate(guest: GuestClient, wid: int) -> None:
    guest.activate_window(wid)
    poll(lambda: (w := find_window(guest, wid)) is not None and w.active, f"window {wid} to become active")


def close_and_wait(guest: GuestClient, wid: int, pid: int | None) -> None:
    """Close a window (bounded wait); kill its process if it does not go away."""
    if find_window(guest, wid) is not None:
        guest.close_window(wid)
        deadline = time.monotonic() + 5.0
        while find_window(guest, wid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    if pid is not None:
        guest.run(f"kill -9 {pid} 2>/dev/null; true")
    poll(lambda: find_window(guest, wid) is None, f"window {wid} to disappear")


def reset_desktop(guest: GuestClient) -> None:
    """Release keys and buttons a failed test may have left held, and close leftover windows."""
    guest.run("xdotool keyup Shift_L Control_L Alt_L; xdotool mouseup 1; true")
    for w in guest.windows():
        close_and_wait(guest, w.id, w.pid)
    assert not guest.windows()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def rgb(img: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    r, g, b = img.convert("RGB").getpixel(xy)  # type: ignore[misc]
    return int(r), int(g), int(b)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def desk(desktop_image: str) -> Iterator[Sandbox]:
    with start_sandbox("desktop", labels={"deskbench.run": "pytest-guest-primitives"}, screen=SCREEN) as sandbox:
        install_helpers(sandbox.guest)
        wait_wm_ready(sandbox.guest)
        yield sandbox


@pytest.fixture(scope="module")
def small(desktop_image: str) -> Iterator[Sandbox]:
    """A second desktop with a non-default screen that no test puts a window on."""
    with start_sandbox("desktop", labels={"deskbench.run": "pytest-guest-primitives-small"},
                       screen=SMALL_SCREEN) as sandbox:
        yield sandbox


@pytest.fixture
def guest(desk: Sandbox) -> Iterator[GuestClient]:
    """The shared desktop's guest, without windows and with nothing held down, before and after the test."""
    reset_desktop(desk.guest)
    yield desk.guest
    reset_desktop(desk.guest)


@dataclass
class Probe:
    guest: GuestClient
    window: Window
    pid: int
    log: str

    def events(self) -> list[dict[str, Any]]:
        try:
            text = self.guest.read_file(self.log).decode()
        except GuestError as exc:
            if exc.status == 404:
                return []
            raise
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def inputs(self, since: int = 0) -> list[dict[str, Any]]:
        """Key and button events, in order, from index ``since`` of the input events."""
        return [e for e in self.events() if e["kind"] in ("press", "release", "keydown", "keyup")][since:]

    def wait_inputs(self, count: int, since: int = 0, what: str = "input events") -> list[dict[str, Any]]:
        """Wait (bounded) for at least ``count`` input events after ``since``; return them."""
        def enough() -> list[dict[str, Any]]:
            evs = self.inputs(since)
            return evs if len(evs) >= count else []
        return poll(enough, what)

    def point(self, dx: int, dy: int) -> tuple[int, int]:
        """Screen coordinates of a point inside the probe window."""
        return self.window.x + dx, self.window.y + dy


@pytest.fixture
def probe(guest: GuestClient) -> Iterator[Probe]:
    """A focused event-logging window in the shared desktop."""
    title = f"deskbench-probe-{uuid.uuid4().hex[:8]}"
    log = f"/tmp/{title}.log"
    pid = guest.spawn(["python3", f"{HELPERS}/probe.py", log, title])
    win: Window | None = None
    try:
        win = wait_for_window(guest, title, strict=True)
        activate(guest, win.id)
        p = Probe(guest, win, pid, log)
        poll(lambda: any(e["kind"] == "map" for e in p.events()), "the probe to log its map event")
        yield p
    finally:
        if win is not None:
            close_and_wait(guest, win.id, pid)
        guest.run(f"kill -9 {pid} 2>/dev/null; rm -f {log}; true")


@pytest.fixture
def xterm(guest: GuestClient) -> Iterator[tuple[Window, int]]:
    """A focused xterm running a plain bash (no rc file, so the title stays ours)."""
    title = f"deskbench-xterm-{uuid.uuid4().hex[:8]}"
    pid = guest.spawn(["xterm", "-T", title, "-e", "bash", "--norc", "--noprofile"])
    win: Window | None = None
    try:
        win = wait_for_window(guest, title, strict=True, timeout=30)
        activate(guest, win.id)
        yield win, pid
    finally:
        if win is not None:
            close_and_wait(guest, win.id, pid)
        guest.run(f"kill -9 {pid} 2>/dev/null; true")


def shell_output_file(guest: GuestClient, path: str) -> bytes:
    """Poll (bounded) until a file written by a typed command exists and ends with a newline."""
    def read() -> bytes | None:
        try:
            data = guest.read_file(path)
        except GuestError as exc:
            if exc.status != 404:
                raise
            return None
        return data if data.endswith(b"\n") else None
    data = poll(read, f"{path} to be written by the typed command", timeout=10)
    assert data is not None
    return data


# --------------------------------------------------------------- screenshots


def test_png_screenshot_has_the_configured_size_and_shows_the_desktop(desk: Sandbox, guest: GuestClient) -> None:
    shot = guest.screenshot("png", pointer=False)
    img = decode(shot.data)
    assert img.format == "PNG" and shot.media_type == "image/png"
    assert img.size == (shot.width, shot.height) == desk.screen == SCREEN
    # no window is open: the corners show the root window's solid colour
    for corner in ((0, 0), (SCREEN[0] - 1, 0), (0, SCREEN[1] - 1), (SCREEN[0] - 1, SCREEN[1] - 1)):
        assert rgb(img, corner) == BACKGROUND


def test_a_non_default_screen_size_is_applied_everywhere(small: Sandbox) -> None:
    shot = small.guest.screenshot("png")
    assert decode(shot.data).size == (shot.width, shot.height) == SMALL_SCREEN
    assert small.guest.screen_size() == SMALL_SCREEN
    health = small.guest.health()
    assert health["ok"] is True and (health["width"], health["height"]) == SMALL_SCREEN
    # the pointer can reach the last pixel and no further
    assert small.guest.input({"op": "move", "x": 5000, "y": 5000}) == (SMALL_SCREEN[0] - 1, SMALL_SCREEN[1] - 1)


def test_screen_size_and_health_agree_with_the_configured_screen(desk: Sandbox) -> None:
    assert desk.guest.screen_size() == desk.screen == SCREEN
    health = desk.guest.health()
    assert health["ok"] is True
    assert (health["width"], health["height"]) == SCREEN
    assert health["uid"] == 999 and health["desktop_uid"] == 1000 and str(health["display"]).startswith(":")


def test_jpeg_and_webp_screenshots_decode_and_show_the_same_screen(guest: GuestClient) -> None:
    # a window gives the screen some structure, so "the same screen" means something
    pid = guest.spawn(["xterm", "-T", "deskbench-formats", "-e", "bash", "--norc"])
    win = wait_for_window(guest, "deskbench-formats", strict=True, timeout=30)
    try:
        # the xterm maps before it draws: wait for two identical lossless screenshots
        def stable() -> Image.Image | None:
            a = decode(guest.screenshot("png", pointer=False).data).convert("RGB")
            time.sleep(0.1)
            b = decode(guest.screenshot("png", pointer=False).data).convert("RGB")
            return a if ImageChops.difference(a, b).getbbox() is None else None
        reference = poll(stable, "the screen to stop changing")
        assert reference is not None
        inside = (win.x + win.width // 2, win.y + win.height // 2)
        assert min(rgb(reference, inside)) > 230 and rgb(reference, (2, 2)) == BACKGROUND
        for fmt, pil_format in (("jpeg", "JPEG"), ("webp", "WEBP")):
            shot = guest.screenshot(fmt, pointer=False, quality=90)  # type: ignore[arg-type]
            img = decode(shot.data)
            assert img.format == pil_format and shot.media_type == f"image/{fmt}"
            assert img.size == (shot.width, shot.height) == SCREEN
            diff = ImageStat.Stat(ImageChops.difference(img.convert("RGB"), reference)).mean
            assert max(diff) < 4, f"{fmt} screenshot differs from the PNG one by {diff} on average"
            # the xterm's white background is where the window list says it is
            assert min(rgb(img, inside)) > 230
    finally:
        close_and_wait(guest, win.id, pid)


def test_unknown_screenshot_format_is_a_400(guest: GuestClient) -> None:
    with pytest.raises(GuestError) as info:
        guest.screenshot("bmp")  # type: ignore[arg-type]
    assert info.value.status == 400 and "bmp" in str(info.value)
    assert decode(guest.screenshot("png").data).size == SCREEN


def test_pointer_is_drawn_only_when_asked_and_follows_the_pointer(small: Sandbox) -> None:
    g = small.guest
    w, h = SMALL_SCREEN
    for x, y in ((w - 200, h - 150), (137, h - 90)):
        assert g.input({"op": "move", "x": x, "y": y}) == (x, y)
        bare = decode(g.screenshot("png", pointer=False).data).convert("RGB")
        drawn = decode(g.screenshot("png", pointer=True).data).convert("RGB")
        # without the pointer the spot is plain desktop; with it, a white arrow outlined in black
        assert rgb(bare, (x + 2, y + 8)) == BACKGROUND
        assert rgb(drawn, (x + 2, y + 8)) == (255, 255, 255)
        assert rgb(drawn, (x, y + 5)) == (0, 0, 0)
        box = ImageChops.difference(bare, drawn).getbbox()
        assert box is not None
        left, top, right, bottom = box
        assert (left, top) == (x, y) and right <= x + 13 and bottom <= y + 21, box


# --------------------------------------------------------------------- mouse


def test_move_puts_the_pointer_where_cursor_and_xdotool_say(guest: GuestClient) -> None:
    rng = random.Random()
    for _ in range(2):
        x, y = rng.randrange(10, SCREEN[0] - 10), rng.randrange(10, SCREEN[1] - 10)
        assert guest.input({"op": "move", "x": x, "y": y}) == (x, y)
        assert guest.cursor() == (x, y)
        loc = guest.run("xdotool getmouselocation --shell").stdout
        assert f"X={x}\nY={y}\n" in loc


def test_click_buttons_land_at_the_coordinates(guest: GuestClient, probe: Probe) -> None:
    since = len(probe.inputs())
    for i, (button, number) in enumerate((("left", 1), ("middle", 2), ("right", 3))):
        dx, dy = 60 + 90 * i, 50 + 40 * i
        target = probe.point(dx, dy)
        assert guest.input({"op": "click", "button": button, "x": target[0], "y": target[1]}) == target
        assert guest.cursor() == target
        press, release = probe.wait_inputs(2, since, f"the {button} click")
        since += 2
        assert (press["kind"], release["kind"]) == ("press", "release")
        assert press["detail"] == release["detail"] == number
        assert (press["x"], press["y"]) == (dx, dy) and (press["rx"], press["ry"]) == target


def test_click_without_coordinates_uses_the_pointer_and_repeat_and_modifiers_apply(
        guest: GuestClient, probe: Probe) -> None:
    target = probe.point(200, 150)
    guest.input({"op": "move", "x": target[0], "y": target[1]})
    since = len(probe.inputs())
    guest.input({"op": "click", "repeat": 2, "modifiers": "ctrl"})
    evs = probe.wait_inputs(6, since, "ctrl + double click")
    assert [(e["kind"], e.get("keysym", e["detail"])) for e in evs] == [
        ("keydown", XK_CONTROL_L), ("press", 1), ("release", 1), ("press", 1), ("release", 1), ("keyup", XK_CONTROL_L)]
    for e in evs[1:5]:
        assert e["state"] & CONTROL_MASK and (e["rx"], e["ry"]) == target
    assert not xstate(guest)["keys"], "ctrl is still held after the click"


def test_down_holds_the_button_until_up(guest: GuestClient, probe: Probe) -> None:
    start, end = probe.point(50, 60), probe.point(250, 200)
    since = len(probe.inputs())
    assert guest.input({"op": "down", "x": start[0], "y": start[1]}) == start
    (press,) = probe.wait_inputs(1, since, "the button press")
    assert (press["kind"], press["detail"], press["rx"], press["ry"]) == ("press", 1, *start)
    assert xstate(guest)["mask"] & BUTTON1_MASK, "the button is not held after 'down'"
    guest.input({"op": "move", "x": end[0], "y": end[1]})
    assert len(probe.inputs(since)) == 1, "the button was released before 'up'"
    guest.input({"op": "up"})
    _, release = probe.wait_inputs(2, since, "the button release")
    assert (release["kind"], release["detail"], release["rx"], release["ry"]) == ("release", 1, *end)
    assert release["state"] & BUTTON1_MASK  # the button was down while the pointer moved
    assert not xstate(guest)["mask"] & BUTTON1_MASK


def test_drag_presses_at_the_start_and_releases_at_the_end(guest: GuestClient, probe: Probe) -> None:
    start, end = probe.point(40, 40), probe.point(330, 240)
    since = len(probe.inputs())
    assert guest.input({"op": "drag", "x1": start[0], "y1": start[1], "x2": end[0], "y2": end[1]}) == end
    assert guest.cursor() == end
    press, release = probe.wait_inputs(2, since, "the drag")
    assert (press["kind"], press["detail"], press["rx"], press["ry"]) == ("press", 1, *start)
    assert (release["kind"], release["detail"], release["rx"], release["ry"]) == ("release", 1, *end)


def test_drag_on_a_title_bar_moves_the_window(guest: GuestClient, probe: Probe) -> None:
    before = probe.window
    grab = (before.x + before.width // 2, before.y - 8)  # in openbox's title bar, above the client area
    dx, dy = -150, 90
    guest.input({"op": "drag", "x1": grab[0], "y1": grab[1], "x2": grab[0] + dx, "y2": grab[1] + dy})
    def moved_window() -> Window | None:
        w = find_window(guest, before.id)
        return w if w is not None and (w.x, w.y) != (before.x, before.y) else None
    moved = poll(moved_window, "the window to move")
    assert moved is not None
    assert (moved.x, moved.y) == (before.x + dx, before.y + dy)


@pytest.mark.parametrize(("direction", "button"), [("up", 4), ("down", 5), ("left", 6), ("right", 7)])
def test_scroll_sends_wheel_clicks_at_the_coordinates(guest: GuestClient, probe: Probe,
                                                      direction: str, button: int) -> None:
    target = probe.point(100 + 20 * button, 80 + 10 * button)
    since = len(probe.inputs())
    assert guest.input({"op": "scroll", "direction": direction, "amount": 3, "x": target[0], "y": target[1]}) == target
    assert guest.cursor() == target
    evs = probe.wait_inputs(6, since, f"three scroll-{direction} clicks")
    assert [(e["kind"], e["detail"]) for e in evs] == [("press", button), ("release", button)] * 3
    assert all((e["rx"], e["ry"]) == target for e in evs)


def test_scroll_with_modifiers_and_without_coordinates(guest: GuestClient, probe: Probe) -> None:
    target = probe.point(300, 100)
    guest.input({"op": "move", "x": target[0], "y": target[1]})
    since = len(probe.inputs())
    assert guest.input({"op": "scroll", "direction": "down", "modifiers": "shift"}) == target
    evs = probe.wait_inputs(4, since, "shift + scroll")
    assert [(e["kind"], e.get("keysym", e["detail"])) for e in evs] == [
        ("keydown", XK_SHIFT_L), ("press", 5), ("release", 5), ("keyup", XK_SHIFT_L)]
    assert evs[1]["state"] & SHIFT_MASK and (evs[1]["rx"], evs[1]["ry"]) == target


# ------------------------------------------------------------------ keyboard


def test_key_combo_sequence_and_repeat(guest: GuestClient, probe: Probe) -> None:
    since = len(probe.inputs())
    guest.input({"op": "key", "keys": "ctrl+a b"})
    evs = probe.wait_inputs(6, since, "ctrl+a b")
    assert [(e["kind"], e["keysym"]) for e in evs] == [
        ("keydown", XK_CONTROL_L), ("keydown", XK_A), ("keyup", XK_CONTROL_L), ("keyup", XK_A),
        ("keydown", XK_B), ("keyup", XK_B)]
    assert evs[1]["state"] & CONTROL_MASK and not evs[4]["state"] & CONTROL_MASK
    since += 6
    guest.input({"op": "key", "keys": "Return", "repeat": 3})
    evs = probe.wait_inputs(6, since, "Return three times")
    assert [(e["kind"], e["keysym"]) for e in evs] == [("keydown", XK_RETURN), ("keyup", XK_RETURN)] * 3


def test_keydown_holds_a_key_across_requests_until_keyup(guest: GuestClient, probe: Probe) -> None:
    target = probe.point(120, 120)
    since = len(probe.inputs())
    guest.input({"op": "keydown", "keys": "shift"})
    (down,) = probe.wait_inputs(1, since, "shift down")
    assert (down["kind"], down["keysym"]) == ("keydown", XK_SHIFT_L)
    guest.input({"op": "click", "x": target[0], "y": target[1]})
    _, press, _ = probe.wait_inputs(3, since, "a click while shift is held")
    assert press["kind"] == "press" and press["state"] & SHIFT_MASK
    guest.input({"op": "keyup", "keys": "shift"})
    up = probe.wait_inputs(4, since, "shift up")[3]
    assert (up["kind"], up["keysym"]) == ("keyup", XK_SHIFT_L)
    guest.input({"op": "click"})
    press = probe.wait_inputs(6, since, "a click after shift is released")[4]
    assert press["kind"] == "press" and not press["state"] & SHIFT_MASK
    assert not xstate(guest)["keys"]


def test_hold_keeps_the_key_down_for_the_duration(guest: GuestClient, probe: Probe) -> None:
    duration = 0.6
    since = len(probe.inputs())
    started = time.monotonic()
    guest.input({"op": "hold", "keys": "shift", "duration": duration})
    elapsed = time.monotonic() - started
    assert duration <= elapsed < duration + 3
    down, up = probe.wait_inputs(2, since, "the held key")
    assert (down["kind"], down["keysym"], up["kind"], up["keysym"]) == ("keydown", XK_SHIFT_L, "keyup", XK_SHIFT_L)
    assert up["time"] - down["time"] >= duration * 1000 - 5  # X server time, in ms
    assert not xstate(guest)["keys"]


def test_hold_is_observable_while_it_lasts(desk: Sandbox, guest: GuestClient) -> None:
    """While one request holds ctrl, a second client on the same socket sees it held."""
    other = GuestClient(desk.guest.socket_path)
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            guest.input({"op": "hold", "keys": "ctrl", "duration": 2.0})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    try:
        ctrl = int(other.run("xmodmap -pke | awk '$4 == \"Control_L\" {print $2; exit}'").stdout)
        worker = threading.Thread(target=hold)
        worker.start()
        seen_held = False
        while worker.is_alive() and not seen_held:  # bounded by the hold itself
            seen_held = ctrl in xstate(other)["keys"]
        worker.join(10)
    finally:
        other.close_connection()
    assert not errors and not worker.is_alive()
    assert seen_held, "ctrl was never seen held during the hold"
    assert ctrl not in xstate(guest)["keys"]


def test_text_typed_into_an_xterm_runs_as_a_command(guest: GuestClient, xterm: tuple[Window, int]) -> None:
    path = f"/tmp/typed-{uuid.uuid4().hex[:8]}.txt"
    text = "Hello, World! 1+1=2 <a&b> \"q\" $HOME ~/x #%*()[]{}|\\"
    guest.input({"op": "type", "text": f"printf '%s\\n' '{text}' > {path}"}, {"op": "key", "keys": "Return"})
    assert shell_output_file(guest, path).decode() == text + "\n"


def test_ctrl_key_edits_the_command_line_in_an_xterm(guest: GuestClient, xterm: tuple[Window, int]) -> None:
    path = f"/tmp/edited-{uuid.uuid4().hex[:8]}.txt"
    guest.input({"op": "type", "text": f"echo WRONG > {path}"},
                {"op": "key", "keys": "ctrl+u"},  # readline: discard the line typed so far
                {"op": "type", "text": f"echo RIGHT > {path}"},
                {"op": "key", "keys": "Return"})
    assert shell_output_file(guest, path) == b"RIGHT\n"



def test_typed_newlines_reach_a_gtk_editor_as_line_breaks(guest: GuestClient) -> None:
    """GTK ignores the keysym ``xdotool type`` sends for a newline; the guest must press Return."""
    path = f"/tmp/lines-{uuid.uuid4().hex[:8]}.txt"
    guest.run(f": > {path}")
    pid = guest.spawn(["mousepad", path])
    try:
        poll(lambda: [w for w in guest.windows() if "Mousepad" in w.title and w.active], "an active Mousepad", 30)
        guest.input({"op": "type", "text": "first\nsecond\n\nfourth"}, {"op": "key", "keys": "ctrl+s"})
        saved = poll(lambda: guest.run(f"cat {path}").stdout, f"Mousepad to save {path}", 10)
        assert saved.rstrip("\n").split("\n") == ["first", "second", "", "fourth"]
    finally:
        guest.run(f"kill {pid}")

# ------------------------------------------------------------------- errors


@pytest.mark.parametrize("event", [
    {"op": "teleport", "x": 1, "y": 1},
    {"x": 1, "y": 1},
    {"op": "click", "button": "fourth", "x": 10, "y": 10},
    {"op": "down", "button": 9},
    {"op": "scroll", "direction": "sideways"},
], ids=["unknown-op", "missing-op", "unknown-button", "unknown-button-number", "unknown-direction"])
def test_bad_input_events_are_400_and_the_guest_keeps_answering(guest: GuestClient, event: dict[str, Any]) -> None:
    with pytest.raises(GuestError) as info:
        guest.input(event)
    assert info.value.status == 400
    assert guest.health()["ok"] is True
    assert guest.input({"op": "move", "x": 77, "y": 66}) == (77, 66)


def test_activating_an_unknown_window_is_a_404(guest: GuestClient) -> None:
    with pytest.raises(GuestError) as info:
        guest.activate_window(0x7FFF0001)
    assert info.value.status == 404
    assert guest.health()["ok"] is True


# ------------------------------------------------------------------ commands


def test_run_returns_exit_code_stdout_and_stderr(guest: GuestClient) -> None:
    r = guest.run("echo out; echo err >&2; exit 3")
    assert (r.exit_code, r.stdout, r.stderr, r.timed_out) == (3, "out\n", "err\n", False)
    assert 0 <= r.duration < 5
    ok = guest.run(["printf", "%s|", "a b", "$HOME"], shell=False)
    assert (ok.exit_code, ok.stdout) == (0, "a b|$HOME|")  # a list is an argv: no shell expansion


def test_run_passes_cwd_env_and_stdin(guest: GuestClient) -> None:
    r = guest.run("pwd; echo $DESK_VALUE; cat", cwd="/tmp", env={"DESK_VALUE": "v-42"}, stdin="from stdin\n")
    assert (r.exit_code, r.stdout) == (0, "/tmp\nv-42\nfrom stdin\n")
    assert guest.run("pwd").stdout == "/home/user\n"


def test_run_timeout_kills_the_command_and_the_guest_keeps_answering(guest: GuestClient) -> None:
    marker = f"deskbench-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    r = guest.run(f"(exec -a {marker} sleep 30) & sleep 5; echo finished", timeout=0.5)
    elapsed = time.monotonic() - started
    assert r.timed_out is True and r.exit_code != 0 and "finished" not in r.stdout
    assert 0.5 <= r.duration < 3 and elapsed < 3
    assert guest.health()["ok"] is True
    # the whole process group went, the background child too
    assert guest.run(["pgrep", "-f", marker]).exit_code == 1


def test_desktop_session_runs_as_uid_1000(guest: GuestClient) -> None:
    r = guest.run("id -u; id -g; id -un")
    assert r.stdout.split() == ["1000", "1000", "user"]
    assert guest.run("ps -o uid= -C Xvfb").stdout.split() == ["1000"]


def test_container_has_no_network(desk: Sandbox, guest: GuestClient) -> None:
    assert guest.run("ls /sys/class/net").stdout.split() == ["lo"]
    r = guest.run(["python3", "-c", "import socket; socket.create_connection(('1.1.1.1', 80), timeout=2)"])
    assert r.exit_code != 0 and ("unreachable" in r.stderr or "OSError" in r.stderr), r.stderr
    desk.container.reload()
    assert desk.container.attrs["HostConfig"]["NetworkMode"] == "none"


# -------------------------------------------------------------------- spawn


def test_spawn_starts_a_detached_process_that_opens_a_window(guest: GuestClient) -> None:
    title = f"deskbench-spawn-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    pid = guest.spawn(["xterm", "-T", title, "-e", "bash", "--norc"])
    assert time.monotonic() - started < 2  # it does not wait for the program
    win = wait_for_window(guest, title, strict=True, timeout=30)
    try:
        assert win.pid == pid
        # detached: the process leads its own session, apart from the guest server's
        assert guest.run(f"ps -o sid= -p {pid}").stdout.strip() == str(pid)
    finally:
        close_and_wait(guest, win.id, pid)


def test_spawning_a_missing_program_is_an_error(guest: GuestClient) -> None:
    with pytest.raises(GuestError) as info:
        guest.spawn(["/nonexistent/program"])
    assert info.value.status == 400 and "/nonexistent/program" in str(info.value)


# -------------------------------------------------------------------- files


def test_files_are_binary_safe_for_all_byte_values(guest: GuestClient) -> None:
    path = f"/tmp/bytes-{uuid.uuid4().hex[:8]}.bin"
    data = bytes(range(256)) * 4
    guest.write_file(path, data)
    assert guest.read_file(path) == data
    # what is on the guest's disk is the same bytes, not just what came back
    assert guest.run(["sha256sum", path]).stdout.split()[0] == hashlib.sha256(data).hexdigest()


def test_a_2mb_random_blob_round_trips_and_mode_is_applied(guest: GuestClient) -> None:
    path = f"/home/user/new-dir-{uuid.uuid4().hex[:8]}/sub/blob.bin"
    data = os.urandom(2 * 1024 * 1024)
    guest.write_file(path, data, mode=0o640)
    assert guest.read_file(path) == data
    assert guest.run(["sha256sum", path]).stdout.split()[0] == hashlib.sha256(data).hexdigest()
    assert guest.run(["stat", "-c", "%a %u %s", path]).stdout.split() == ["640", "1000", str(len(data))]
    guest.write_file(path, b"#!/bin/sh\necho ran\n", mode=0o755)
    assert guest.run(["stat", "-c", "%a", path]).stdout.strip() == "755"
    assert guest.run([path]).stdout == "ran\n"


def test_reading_a_missing_file_is_a_404(guest: GuestClient) -> None:
    with pytest.raises(GuestError) as info:
        guest.read_file(f"/tmp/missing-{uuid.uuid4().hex}")
    assert info.value.status == 404
    assert guest.health()["ok"] is True


def test_a_rejected_write_leaves_the_connection_usable(guest: GuestClient) -> None:
    with pytest.raises(GuestError) as info:
        guest.write_file("relative/path.txt", b"x" * 100)
    assert info.value.status == 400
    assert guest.health()["ok"] is True


# ------------------------------------------------------------------- windows


def test_windows_lists_an_xterm_with_class_pid_and_geometry(guest: GuestClient, xterm: tuple[Window, int]) -> None:
    win, pid = xterm
    (listed,) = [w for w in guest.windows() if w.id == win.id]
    assert listed.title == win.title and listed.wm_class == ("xterm", "XTerm")
    assert listed.pid == pid and listed.active
    assert listed.width > 100 and listed.height > 100
    assert 0 <= listed.x and listed.x + listed.width <= SCREEN[0]
    assert 0 <= listed.y and listed.y + listed.height <= SCREEN[1]
    # the window list and xwininfo agree on where the window is
    info = dict(line.strip().split(": ", 1) for line in guest.run(f"xwininfo -id {win.id}").stdout.splitlines()
                if ": " in line)
    assert (int(info["Absolute upper-left X"]), int(info["Absolute upper-left Y"]),
            int(info["Width"]), int(info["Height"])) == (listed.x, listed.y, listed.width, listed.height)


def test_activate_window_switches_the_active_window(guest: GuestClient, xterm: tuple[Window, int],
                                                    probe: Probe) -> None:
    term, _ = xterm
    assert find_window(guest, probe.window.id).active  # type: ignore[union-attr]
    for target, other in ((term.id, probe.window.id), (probe.window.id, term.id)):
        activate(guest, target)
        assert not find_window(guest, other).active  # type: ignore[union-attr]
        assert guest.run("xdotool getactivewindow").stdout.strip() == str(target)


def test_close_window_makes_it_disappear_and_its_program_exit(guest: GuestClient, xterm: tuple[Window, int]) -> None:
    win, pid = xterm
    assert guest.run(f"kill -0 {pid}").exit_code == 0
    guest.close_window(win.id)
    poll(lambda: find_window(guest, win.id) is None, "the xterm to disappear")
    poll(lambda: guest.run(f"kill -0 {pid}").exit_code != 0, "the xterm process to exit")


# ------------------------------------------------------------- regressions


def test_a_background_child_neither_delays_run_nor_defeats_its_timeout(guest: GuestClient) -> None:
    t = time.monotonic()
    quick = guest.run("sleep 30 & echo started")
    assert quick.stdout == "started\n" and not quick.timed_out
    assert time.monotonic() - t < 5
    t = time.monotonic()
    stuck = guest.run("setsid sleep 40 & sleep 30", timeout=1)
    assert stuck.timed_out
    assert time.monotonic() - t < 8
    assert guest.health()["ok"] is True


def test_closing_an_unknown_window_is_a_404(guest: GuestClient) -> None:
    with pytest.raises(GuestError) as info:
        guest.close_window(0xDEAD)
    assert info.value.status == 404


def test_a_window_mapped_right_after_start_is_managed(desktop_image: str) -> None:
    """The guest reports ready only once openbox manages windows; an earlier map would be lost."""
    with start_sandbox("desktop", labels={"deskbench.run": "pytest-guest-wm"}) as box:
        box.guest.spawn(["xmessage", "-name", "quickwin", "hello"])
        deadline = time.monotonic() + 10
        while not any(w.wm_class[0] == "quickwin" for w in box.guest.windows()):
            assert time.monotonic() < deadline, "the window was never managed"
            time.sleep(0.05)
