"""The ``computer`` tool on the host: Claude's actions turned into guest input events.

Coordinates arrive in the screenshot's pixel space and are checked against
the screen before anything is sent; a bad one is a ``ToolError`` the model
sees, not a crash.
"""

from __future__ import annotations

import io
import time
from typing import Any

from PIL import Image

from harness.actions.vocabulary import ComputerAction
from harness.sandbox.guest import GuestClient, ImageFormat, Screenshot
from harness.tools.result import ToolError, ToolResult

CLICKS: dict[str, tuple[str, int]] = {
    "left_click": ("left", 1), "right_click": ("right", 1), "middle_click": ("middle", 1),
    "double_click": ("left", 2), "triple_click": ("left", 3),
}
NEEDS_TEXT = {"key", "type", "hold_key"}


class ComputerTool:
    """Executes computer actions through the guest and returns a screenshot after each."""

    def __init__(self, guest: GuestClient, screen: tuple[int, int], image_format: ImageFormat = "png") -> None:
        self.guest = guest
        self.width, self.height = screen
        self.image_format: ImageFormat = image_format

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
        if name == "cursor_position":
            x, y = self.guest.cursor()
            return ToolResult(output=f"X={x},Y={y}")
        if name == "zoom":
            return ToolResult(screenshot=self._zoom(action))
        events = self._events(action)
        if events:
            self.guest.input(*events)
        if name == "wait":
            time.sleep(action.duration if action.duration is not None else 1.0)
        return ToolResult(screenshot=self.guest.screenshot(self.image_format) if screenshot else None)

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
            return [{"op": "click", "button": button, "repeat": repeat, "modifiers": a.text or "", **where}]
        if name == "left_click_drag":
            start = self.point(a.start_coordinate, "start_coordinate") if a.start_coordinate else dict(
                zip(("x", "y"), self.guest.cursor(), strict=True))
            end = self.point(a.coordinate)
            return [{"op": "drag", "x1": start["x"], "y1": start["y"], "x2": end["x"], "y2": end["y"]}]
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
