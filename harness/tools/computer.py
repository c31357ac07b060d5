"""The ``computer`` tool on the host: Claude's actions turned into guest input events.

Coordinates arrive in the screenshot's pixel space and are checked against
the screen before anything is sent; a bad one is a ``ToolError`` the model
sees, not a crash.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

from PIL import Image

from harness.actions.vocabulary import ComputerAction
from harness.errors import GuestError
from harness.sandbox.guest import GuestClient, ImageFormat, Screenshot
from harness.sandbox.settle import SettleWait
from harness.tools.pacing import drag, multi_click, send
from harness.tools.result import ToolError, ToolResult

CLICKS: dict[str, tuple[str, int]] = {
    "left_click": ("left", 1), "right_click": ("right", 1), "middle_click": ("middle", 1),
    "double_click": ("left", 2), "triple_click": ("left", 3),
}
NEEDS_TEXT = {"key", "type", "hold_key"}

# What one action may ask of the guest.  Past these the guest cannot do it within its timeouts (xdotool
# types about 9 ms a character and 110 ms a line, and each guest request has two minutes), or the
# argument list of xdotool overflows (128 kB), and the action would end the episode as an
# infrastructure error instead of telling the model to ask for less.
MAX_TYPE_CHARS = 5000
MAX_TYPE_LINES = 200
MAX_KEY_CHARS = 256  # key combinations, key sequences and click/scroll modifiers
MAX_SCROLL_AMOUNT = 100  # wheel clicks, 15 ms each
_UNKNOWN_KEY = re.compile(r"No such key name '([^']*)'")


class ComputerTool:
    """Executes computer actions through the guest and returns a screenshot after each."""

    def __init__(self, guest: GuestClient, screen: tuple[int, int], image_format: ImageFormat = "png",
                 settle: SettleWait | None = None) -> None:
        self.guest = guest
        self.width, self.height = screen
        self.image_format: ImageFormat = image_format
        self.settle = settle  # waits for the desktop to redraw before the screenshot (harness.sandbox.settle)

    def point(self, coordinate: tuple[int, int] | None, what: str = "coordinate") -> dict[str, int]:
        if coordinate is None:
            raise ToolError(f"{what} is required for this action")
        x, y = coordinate
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ToolError(f"{what} ({x}, {y}) is outside the screen ({self.width}x{self.height})")
        return {"x": x, "y": y}

    def execute(self, action: ComputerAction, screenshot: bool = True) -> ToolResult:
        """Run one action; ``screenshot`` adds the screen after it (not for cursor_position)."""
        name = action.action
        if name in NEEDS_TEXT and not action.text:
            raise ToolError(f"text is required for {name}")
        self._check_limits(action)
        if name == "cursor_position":
            x, y = self.guest.cursor()
            return ToolResult(output=f"X={x},Y={y}")
        if name == "zoom":
            return ToolResult(screenshot=self._zoom(action))
        if screenshot and self.settle is not None:
            self.settle.before(typing=name == "type")
        events = self._events(action)
        if events:
            try:
                send(self.guest, events)
            except GuestError as exc:
                if exc.status >= 500 or not (unknown := _UNKNOWN_KEY.findall(str(exc))):
                    raise
                names = ", ".join(repr(k) for k in dict.fromkeys(unknown))
                raise ToolError(f"unknown key name {names}: use X keysym names such as Return, Tab, Escape, "
                                "BackSpace, Page_Down, F5, super, and combine them with + (ctrl+shift+t)") from None
        if name == "wait":
            time.sleep(action.duration if action.duration is not None else 1.0)
        if screenshot and self.settle is not None:
            self.settle.wait()
        return ToolResult(screenshot=self.guest.screenshot(self.image_format) if screenshot else None)

    @staticmethod
    def _check_limits(a: ComputerAction) -> None:
        """Refuse, before anything reaches the guest, an action it could not carry out in time."""
        text = a.text or ""
        if "\x00" in text:
            raise ToolError(f"text for {a.action} contains a NUL character, which cannot be typed or pressed")
        if a.action == "type":
            lines = text.count("\n") + 1
            if len(text) > MAX_TYPE_CHARS or lines > MAX_TYPE_LINES:
                raise ToolError(f"type takes at most {MAX_TYPE_CHARS} characters and {MAX_TYPE_LINES} lines per call "
                                f"(this text has {len(text)} characters and {lines} lines): type it in parts, or "
                                "write it to a file with the bash or text editor tool")
        elif len(text) > MAX_KEY_CHARS:
            what = "key names" if a.action in ("key", "hold_key") else "modifier keys"
            raise ToolError(f"text for {a.action} holds {what} and takes at most {MAX_KEY_CHARS} characters "
                            f"(got {len(text)}); to enter text, use the type action")
        if a.scroll_amount is not None and a.scroll_amount > MAX_SCROLL_AMOUNT:
            raise ToolError(f"scroll_amount is at most {MAX_SCROLL_AMOUNT} wheel clicks per call (got "
                            f"{a.scroll_amount}); scroll again to go further")

    def _events(self, a: ComputerAction) -> list[dict[str, Any]]:
        name = a.action
        if name == "key":
            return [{"op": "key", "keys": a.text}]
        if name == "type":
            return [{"op": "type", "text": a.text}]
        if name == "hold_key":
            return [{"op": "hold", "keys": a.text, "duration": a.duration if a.duration is not None else 0.5}]
        if name == "mouse_move":
            return [{"op": "move", **self.point(a.coordinate)}]
        if name in CLICKS:
            button, repeat = CLICKS[name]
            where = self.point(a.coordinate) if a.coordinate is not None else {}
            if repeat > 1:  # paced, so every toolkit counts the clicks as one gesture (harness.tools.pacing)
                return multi_click(where, button, repeat, a.text or "")
            return [{"op": "click", "button": button, "repeat": repeat, "modifiers": a.text or "", **where}]
        if name == "left_click_drag":
            start = self.point(a.start_coordinate, "start_coordinate") if a.start_coordinate else dict(
                zip(("x", "y"), self.guest.cursor(), strict=True))
            end = self.point(a.coordinate)
            return drag(start, end)
        if name in ("left_mouse_down", "left_mouse_up"):
            where = self.point(a.coordinate) if a.coordinate is not None else {}
            return [{"op": "down" if name == "left_mouse_down" else "up", "button": "left", **where}]
        if name == "scroll":
            if a.scroll_direction is None:
                raise ToolError("scroll_direction is required for scroll")
            where = self.point(a.coordinate) if a.coordinate is not None else {}
            return [{"op": "scroll", "direction": a.scroll_direction, "amount": a.scroll_amount or 3,
                     "modifiers": a.text or "", **where}]
        return []  # screenshot, wait

    def _zoom(self, a: ComputerAction) -> Screenshot:
        if a.region is None:
            raise ToolError("region [x1, y1, x2, y2] is required for zoom")
        x1, y1, x2, y2 = a.region
        self.point((x1, y1), "region start")
        self.point((x2 - 1, y2 - 1), "region end")
        if x2 <= x1 or y2 <= y1:
            raise ToolError(f"region {list(a.region)} is empty")
        shot = self.guest.screenshot("png", pointer=False)
        crop = Image.open(io.BytesIO(shot.data)).crop((x1, y1, x2, y2))
        buf = io.BytesIO()
        crop.save(buf, "PNG")
        return Screenshot(buf.getvalue(), "image/png", crop.width, crop.height)
