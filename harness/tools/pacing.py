"""Mouse gestures paced the way a hand makes them, from the guest's primitive input events.

The guest sends a double click as two press/release pairs with nothing in
between, right after the pointer jumps to the spot.  A toolkit that has not
yet handled the motion, or that sees the two presses in one burst, may take
them for a single click or a click elsewhere (issue 15 counted a double
click selecting its word 13 times of 16 in the text editor).  Here a
gesture is sent in parts with short host-side pauses between: move, let the
app see the pointer, then clicks ~40 ms apart; a drag presses, moves in
steps and releases with pauses at both ends.  The pauses are well inside
every toolkit's double-click time (GTK 400 ms, xterm 250 ms).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.sandbox.guest import GuestClient

Event = dict[str, Any]

PAUSE = "pause"  # a host-side pause between events; never sent to the guest
#: after the pointer moved, before pressing: the app handles the motion (enter, hover) first
AFTER_MOVE = 0.05
#: between the clicks of a double or triple click
CLICK_GAP = 0.04
#: drag: pause after the press and before the release, and the motion steps between
DRAG_HOLD = 0.05
DRAG_STEPS = 10
DRAG_STEP_PAUSE = 0.015


def pause(seconds: float) -> Event:
    return {"op": PAUSE, "seconds": seconds}


def multi_click(where: dict[str, int], button: str, count: int, modifiers: str) -> list[Event]:
    """A click repeated ``count`` times at ``where`` (or at the pointer when empty), modifiers held throughout."""
    events: list[Event] = [{"op": "keydown", "keys": modifiers}] if modifiers else []
    if where:
        events += [{"op": "move", **where}, pause(AFTER_MOVE)]
    for i in range(count):
        if i:
            events.append(pause(CLICK_GAP))
        events += [{"op": "down", "button": button}, {"op": "up", "button": button}]
    if modifiers:
        events.append({"op": "keyup", "keys": modifiers})
    return events


def drag(start: dict[str, int], end: dict[str, int], button: str = "left") -> list[Event]:
    """Press at ``start``, move to ``end`` in steps the app sees as a drag, release there."""
    events: list[Event] = [{"op": "move", **start}, pause(AFTER_MOVE), {"op": "down", "button": button},
                           pause(DRAG_HOLD)]
    for i in range(1, DRAG_STEPS + 1):
        events += [{"op": "move", "x": start["x"] + (end["x"] - start["x"]) * i // DRAG_STEPS,
                    "y": start["y"] + (end["y"] - start["y"]) * i // DRAG_STEPS}, pause(DRAG_STEP_PAUSE)]
    events += [pause(DRAG_HOLD), {"op": "up", "button": button}]
    return events


def send(guest: GuestClient, events: list[Event], sleep: Callable[[float], None] = time.sleep) -> None:
    """Send ``events`` in batches split at the pauses; a key or button left down by a failure is released."""
    batch: list[Event] = []
    held: list[Event] = []
    try:
        for event in events:
            if event["op"] == PAUSE:
                if batch:
                    guest.input(*batch)
                    batch = []
                sleep(float(event["seconds"]))
                continue
            batch.append(event)
            if event["op"] in ("keydown", "down"):
                held.append(event)
            elif event["op"] in ("keyup", "up"):
                held = [h for h in held if h.get("keys") != event.get("keys") or h["op"] != _opening(event["op"])]
        if batch:
            guest.input(*batch)
    except BaseException:
        _release(guest, held)
        raise


def _opening(op: str) -> str:
    return "keydown" if op == "keyup" else "down"


def _release(guest: GuestClient, held: list[Event]) -> None:
    """Best effort, after a failure: release what the gesture pressed, so the desktop is not left with it down."""
    releases = [{"op": "keyup", "keys": h["keys"]} if h["op"] == "keydown" else {"op": "up", "button": h["button"]}
                for h in reversed(held)]
    if releases:
        try:
            guest.input(*releases)
        except Exception:  # noqa: BLE001 - the original failure is what the caller must see
            pass
