"""The settle wait on a scripted screen and clock: how long it waits after a change, without one, on a screen
that never stops, and while the desktop's processes are still busy; the CPU meter on a real process."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from harness.errors import GuestError
from harness.sandbox.guest import Screenshot, Window
from harness.sandbox.settle import CpuMeter, SettlePolicy, Settler, changed_pixels


class Clock:
    """Time that passes only when the settler sleeps (and a little per frame, as a real grab takes)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedScreen:
    """A guest whose screen shows frame ``n`` from the ``n``-th change time on."""

    def __init__(self, clock: Clock, changes: list[float]) -> None:
        self.clock = clock
        self.changes = changes
        self.grabs = 0

    def screenshot(self, fmt: str = "png", pointer: bool = True, quality: int = 80) -> Screenshot:
        self.grabs += 1
        self.clock.now += 0.004
        shown = sum(1 for t in self.changes if t <= self.clock.now)
        return Screenshot(f"frame {shown}".encode(), "image/jpeg", 8, 8)


class ScriptedCpu(CpuMeter):
    """CPU seconds that grow at a full core until ``busy_until``, then stay."""

    def __init__(self, clock: Clock, busy_until: float) -> None:
        super().__init__(Path("/nonexistent"))
        self.clock = clock
        self.busy_until = busy_until

    def seconds(self) -> float:
        return min(self.clock.now, self.busy_until)


DEFAULT = SettlePolicy()


def settler(changes: list[float], policy: SettlePolicy = DEFAULT, busy_until: float | None = None,
            caret: bool = False, windows: Callable[[], list[Window]] | None = None
            ) -> tuple[Settler, ScriptedScreen, Clock]:
    clock = Clock()
    screen = ScriptedScreen(clock, changes)
    cpu = ScriptedCpu(clock, busy_until) if busy_until is not None else None
    guest: Any = screen
    s = Settler(guest, policy, cpu, clock=clock, sleep=clock.sleep, difference=caret_first if caret else pixels,
                windows=windows)
    return s, screen, clock


def window(window_id: int, kind: str = "normal", transient_for: int | None = None) -> Window:
    return Window(window_id, f"w{window_id}", ("app", "App"), 1, True, 0, 0, 800, 600, kind, transient_for)


class Opens:
    """A window list that gains ``new`` once the scripted screen has changed (the app mapped it)."""

    def __init__(self, new: Window, broken: bool = False) -> None:
        self.new = new
        self.broken = broken
        self.screen: ScriptedScreen | None = None
        self.calls = 0

    def __call__(self) -> list[Window]:
        self.calls += 1
        if self.broken:
            raise GuestError("no window list here")
        assert self.screen is not None
        shown = self.screen.clock.now >= self.screen.changes[0]
        return [window(1)] + ([self.new] if shown else [])


def pixels(a: bytes, b: bytes) -> int:
    """Scripted frames: any change is a real one (a menu's worth of pixels)."""
    return 0 if a == b else 10_000


def caret_first(a: bytes, b: bytes) -> int:
    """Scripted frames where the first change is a caret blink (20 px)."""
    return 20 if {a, b} == {b"frame 0", b"frame 1"} else pixels(a, b)


def act(s: Settler, clock: Clock, action_at: float = 0.01) -> None:
    """Before the action's frame, then the action itself takes ``action_at`` seconds."""
    s.before()
    clock.now += action_at


def test_after_a_change_the_wait_ends_one_window_after_the_last_change() -> None:
    s, screen, clock = settler([0.05, 0.12])
    act(s, clock)
    done = s.wait()
    assert done.reason == "still" and done.changed
    # the last change shows at 0.12: seen at the next frame, then a window (0.1) of stillness, seen a frame late
    assert 0.12 + 0.1 <= clock.now <= 0.12 + 0.1 + 2 * 0.024, clock.now
    assert s.history == [done]


def test_a_screen_the_action_has_not_changed_yet_gets_the_react_time_to_start() -> None:
    policy = SettlePolicy(window=0.1, react=0.5)
    s, _, clock = settler([0.35], policy)  # a dialog that shows nothing for 350 ms
    act(s, clock)
    done = s.wait()
    assert done.changed and 0.45 <= clock.now <= 0.48, clock.now
    s2, _, clock2 = settler([], policy)  # an action that changes nothing: react time, then done
    act(s2, clock2)
    nothing = s2.wait()
    assert not nothing.changed and nothing.reason == "still" and 0.5 <= nothing.waited <= 0.53


def test_a_screen_that_never_stops_changing_ends_at_the_cap() -> None:
    s, _, clock = settler([i * 0.05 for i in range(1, 200)], SettlePolicy(cap=1.0))
    act(s, clock)
    done = s.wait()
    assert done.reason == "cap" and 1.0 <= done.waited <= 1.03


def test_a_busy_desktop_keeps_the_wait_going_until_its_processes_fall_quiet() -> None:
    # the screen changes at once, then nothing for 0.8 s while the app builds a window, then the window
    s, _, clock = settler([0.02, 0.9], busy_until=0.85)
    act(s, clock)
    done = s.wait()
    assert done.reason == "still" and clock.now >= 0.9 + 0.1, clock.now
    quiet, _, quiet_clock = settler([0.02, 0.9])  # without the CPU signal the same screen settles too early
    act(quiet, quiet_clock)
    quiet.wait()
    assert quiet_clock.now < 0.9


def test_a_wait_without_before_uses_the_window_alone() -> None:
    s, _, clock = settler([])
    s.wait()
    assert 0.1 <= clock.now <= 0.14


@pytest.mark.parametrize("bad", [dict(window=0), dict(window=3.0, cap=2.0), dict(react=5.0), dict(interval=0),
                                 dict(new_window=-1.0)])
def test_policies_that_cannot_work_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="settle"):
        SettlePolicy(**bad)


def test_the_cpu_meter_counts_a_listed_process_and_leaves_out_the_excluded_user(tmp_path: Path) -> None:
    procs = tmp_path / "cgroup.procs"
    procs.write_text(f"{os.getpid()}\n999999999\n")  # a pid that does not exist is skipped
    meter = CpuMeter(procs, exclude_uid=-1)
    before = meter.seconds()
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        pass
    assert meter.seconds() - before >= 0.1
    assert CpuMeter(procs, exclude_uid=os.getuid()).seconds() == 0.0


def test_a_process_outside_any_container_has_no_meter() -> None:
    assert CpuMeter.open(os.getpid(), "0123456789abcdef") is None
    assert CpuMeter.open(999999999, "0123456789abcdef") is None


def test_the_claude_agent_option_sets_the_policy_and_zero_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.agents.claude import ClaudeAgent

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
    agent = ClaudeAgent(settle_window="0.2", settle_cap="3")
    assert agent.settle == SettlePolicy(window=0.2, cap=3.0)
    assert ClaudeAgent(settle_window="0").settle is None


def test_a_small_change_first_is_not_the_effect_the_wait_gives_the_app_its_react_time() -> None:
    # a caret blink at 0.03 s, then nothing until the dialog at 0.4 s
    s, _, clock = settler([0.03, 0.4], SettlePolicy(window=0.1, react=0.5), caret=True)
    act(s, clock)
    done = s.wait()
    assert done.changed and clock.now >= 0.4 + 0.1, clock.now


def test_changed_pixels_counts_what_differs_in_two_encoded_frames() -> None:
    def jpeg(box: tuple[int, int, int, int] | None) -> bytes:
        image = Image.new("RGB", (200, 100), (240, 240, 240))
        if box is not None:
            ImageDraw.Draw(image).rectangle(box, fill=(20, 20, 20))
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=30)
        return buf.getvalue()

    blank = jpeg(None)
    assert changed_pixels(blank, blank) == 0
    assert 150 <= changed_pixels(blank, jpeg((10, 10, 19, 29))) <= 260  # a 10x20 block


@pytest.mark.parametrize(("new", "held"), [
    (window(2), True),  # a new document window: its app may lay it out again after an idle pause
    (window(2, kind=""), True),  # no declared type is a normal window (EWMH)
    (window(2, kind="dialog"), False),
    (window(2, transient_for=1), False),
])
def test_a_new_top_level_window_is_held_past_its_first_still_moment_and_a_dialog_is_not(new: Window,
                                                                                         held: bool) -> None:
    opens = Opens(new)
    s, screen, clock = settler([0.05, 0.12], windows=opens)
    opens.screen = screen
    act(s, clock)
    done = s.wait()
    assert done.new_window is held and done.reason == "still"
    if held:  # first still at 0.22 (last change 0.12 + window): held until 0.12 + new_window
        assert 0.12 + DEFAULT.new_window <= clock.now <= 0.12 + DEFAULT.new_window + 0.05, clock.now
    else:
        assert clock.now <= 0.12 + DEFAULT.window + 0.05, clock.now
    assert opens.calls == 2  # once before the action, once when the screen first looked settled


def test_a_change_during_the_hold_must_settle_too_and_the_cap_still_ends_the_wait() -> None:
    opens = Opens(window(2))
    s, screen, clock = settler([0.05, 0.12, 1.25], windows=opens)  # a redraw just before the hold ends
    opens.screen = screen
    act(s, clock)
    done = s.wait()
    assert done.new_window and clock.now >= 1.25 + DEFAULT.window, clock.now
    opens2 = Opens(window(2))
    capped, screen2, clock2 = settler([0.05, 0.12], SettlePolicy(cap=1.0), windows=opens2)
    opens2.screen = screen2
    act(capped, clock2)
    assert capped.wait().reason == "cap" and clock2.now <= 1.03


def test_a_guest_that_cannot_list_windows_settles_on_the_screen_alone() -> None:
    opens = Opens(window(2), broken=True)
    s, screen, clock = settler([0.05, 0.12], windows=opens)
    opens.screen = screen
    act(s, clock)
    done = s.wait()
    assert not done.new_window and clock.now <= 0.12 + DEFAULT.window + 0.05


def active(wm_class: tuple[str, str]) -> Callable[[], list[Window]]:
    """A window list whose one (active) window belongs to ``wm_class``."""
    return lambda: [Window(1, "w1", wm_class, 1, True, 0, 0, 800, 600, "normal", None)]


@pytest.mark.parametrize("wm_class", [("libreoffice", "libreoffice-calc"), ("soffice", "Soffice")])
def test_an_app_that_redraws_on_its_own_timer_is_waited_for_past_its_first_redraw(wm_class: tuple[str, str]) -> None:
    # LibreOffice's toolbar and status bar update ~0.3 s after the action's redraw, screen and CPU idle in between
    s, _, clock = settler([0.05, 0.05 + 0.3], windows=active(wm_class))
    act(s, clock)
    done = s.wait()
    assert done.deferred and done.reason == "still"
    assert clock.now >= 0.35 + DEFAULT.window, "the timer's redraw was not waited for"
    quiet, _, quiet_clock = settler([0.05], windows=active(wm_class))  # the timer changed nothing visible
    act(quiet, quiet_clock)
    quiet.wait()
    assert 0.05 + DEFAULT.deferred <= quiet_clock.now <= 0.05 + DEFAULT.deferred + 0.05, quiet_clock.now


def test_other_apps_and_a_guest_without_a_window_list_are_not_held_for_a_timer() -> None:
    for windows in (active(("xterm", "XTerm")), Opens(window(2), broken=True)):
        s, _, clock = settler([0.05], windows=windows)
        act(s, clock)
        done = s.wait()
        assert not done.deferred and clock.now <= 0.05 + DEFAULT.window + 0.05, clock.now
    off, _, off_clock = settler([0.05], SettlePolicy(deferred=0), windows=active(("libreoffice", "libreoffice-calc")))
    act(off, off_clock)
    off.wait()
    assert off_clock.now <= 0.05 + DEFAULT.window + 0.05, "deferred=0 should turn the timer wait off"


def test_typed_text_is_the_effect_however_few_pixels_it_changes() -> None:
    # a typed word changes 100-250 pixels, under small_change: as a click's effect that would not count yet
    s, _, clock = settler([0.03], caret=True)
    s.before(typing=True)
    clock.now += 0.01
    done = s.wait()
    assert done.changed and clock.now <= 0.03 + DEFAULT.window + 0.05, clock.now
    clicked, _, click_clock = settler([0.03], caret=True)
    act(clicked, click_clock)
    clicked.wait()
    assert click_clock.now >= 0.03 + DEFAULT.react, "without typing, a caret-sized change is not the effect"
