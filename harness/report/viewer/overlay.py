"""Actions drawn over the screenshot they were aimed at, and each action in words.

The overlay is an SVG laid exactly over the image with a ``viewBox`` of the
screen's size in pixels, so an action's coordinates are used as they were
recorded and land on the right pixel at any displayed size.  Marks carry the
action's number, matching the numbered list of actions beside the picture.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from harness.report.viewer.html import Html, el, join

POINT_ACTIONS = frozenset({"left_click", "right_click", "middle_click", "double_click", "triple_click",
                           "mouse_move", "left_mouse_down", "left_mouse_up", "scroll"})
_SCROLL = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


@dataclass(frozen=True)
class Caption:
    """An action in words: a short line, and the text it carried (typed text, keys, a command), if any."""

    line: str
    detail: str | None = None


def overlay(actions: list[dict[str, Any] | str], screen: tuple[int, int]) -> Html | None:
    """The SVG of every action that has a place on the screen; ``None`` if none has."""
    size = max(screen) / 90  # marks keep one look whatever the screen's resolution
    marks = [m for n, action in enumerate(actions, 1) if isinstance(action, dict)
             for m in [_mark(n, action, size)] if m is not None]
    if not marks:
        return None
    return el("svg", {"class": "overlay", "viewBox": f"0 0 {screen[0]} {screen[1]}",
                      "preserveAspectRatio": "none", "aria-hidden": "true"}, *marks)


def _mark(number: int, action: dict[str, Any], size: float) -> Html | None:
    name = str(action.get("action", ""))
    end = _point(action.get("coordinate"))
    start = _point(action.get("start_coordinate"))
    if start is not None and end is not None:
        return _drag(number, name, start, end, size)
    if end is not None and name in POINT_ACTIONS:
        return _point_mark(number, name, end, size, _scroll_arrow(action, end, size))
    region = action.get("region")
    if name == "zoom" and isinstance(region, list) and len(region) == 4 and all(isinstance(v, int) for v in region):
        return _group(number, name, region[0], region[1], size,
                      el("rect", {"class": "mark-region", "x": region[0], "y": region[1],
                                  "width": region[2] - region[0], "height": region[3] - region[1]}))
    return None


def _point(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    return None


def _group(number: int, name: str, x: int, y: int, size: float, *shapes: Html) -> Html:
    """A mark with its number beside it; ``data-x``/``data-y`` say where the action was aimed."""
    label = el("text", {"class": "mark-label", "x": x + 1.3 * size, "y": y - 1.3 * size,
                        "font-size": 1.6 * size}, str(number))
    return el("g", {"class": f"mark mark-{name}", "data-action": name, "data-x": x, "data-y": y}, *shapes, label)


def _point_mark(number: int, name: str, at: tuple[int, int], size: float, extra: Html | None) -> Html:
    """A ring on the point; double and triple clicks get one more ring per click; a move is hollow."""
    x, y = at
    clicks = {"double_click": 2, "triple_click": 3}.get(name, 1)
    rings = [el("circle", {"class": "mark-ring", "cx": x, "cy": y, "r": size * (1 + 0.45 * k)})
             for k in range(1, clicks)]
    dot = el("circle", {"class": "mark-point mark-hollow" if name == "mouse_move" else "mark-point",
                        "cx": x, "cy": y, "r": size})
    return _group(number, name, x, y, size, dot, *rings, *([extra] if extra else []))


def _drag(number: int, name: str, start: tuple[int, int], end: tuple[int, int], size: float) -> Html:
    """A line from where the button went down to where it came up, with an arrowhead at the end."""
    line = el("line", {"class": "mark-line", "x1": start[0], "y1": start[1], "x2": end[0], "y2": end[1],
                       "stroke-width": size / 3})
    origin = el("circle", {"class": "mark-start", "cx": start[0], "cy": start[1], "r": size / 2})
    return _group(number, name, end[0], end[1], size, line, origin, _arrowhead(start, end, size),
                  el("circle", {"class": "mark-point", "cx": end[0], "cy": end[1], "r": size / 2}))


def _arrowhead(start: tuple[int, int], end: tuple[int, int], size: float) -> Html:
    """A filled triangle pointing along start -> end (drawn here: SVG markers need page-unique ids)."""
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    length, spread = 2.2 * size, 0.45
    corners = [end, *[(end[0] - length * math.cos(angle + s), end[1] - length * math.sin(angle + s))
                      for s in (spread, -spread)]]
    return el("polygon", {"class": "mark-arrow", "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)})


def _scroll_arrow(action: dict[str, Any], at: tuple[int, int], size: float) -> Html | None:
    """Scrolls point the way the page was asked to move, longer for more clicks of the wheel."""
    direction = _SCROLL.get(str(action.get("scroll_direction")))
    if action.get("action") != "scroll" or direction is None:
        return None
    amount = action.get("scroll_amount")
    reach = size * (2 + min(int(amount) if isinstance(amount, int) else 1, 10))
    end = (round(at[0] + direction[0] * reach), round(at[1] + direction[1] * reach))
    return join([el("line", {"class": "mark-line", "x1": at[0], "y1": at[1], "x2": end[0], "y2": end[1],
                             "stroke-width": size / 3}), _arrowhead(at, end, size)])


def caption(action: dict[str, Any] | str) -> Caption:
    """What one action did, for the numbered list beside the screenshot."""
    if isinstance(action, str):
        return Caption(action)
    tool = str(action.get("tool", "computer"))
    if tool == "computer":
        return _computer_caption(action)
    if tool == "bash":
        return Caption("bash: restart the shell") if action.get("restart") else Caption(
            "bash", str(action.get("command", "")))
    if tool in ("str_replace_editor", "str_replace_based_edit_tool"):
        return _editor_caption(action)
    return Caption(tool, json.dumps(action, indent=1, default=str))


def _computer_caption(action: dict[str, Any]) -> Caption:
    name = str(action.get("action", "?"))
    where = _point(action.get("coordinate"))
    start = _point(action.get("start_coordinate"))
    line = name.replace("_", " ")
    if start and where:
        line += f" from ({start[0]}, {start[1]}) to ({where[0]}, {where[1]})"
    elif where:
        line += f" at ({where[0]}, {where[1]})"
    if name == "scroll":
        line += f" {action.get('scroll_direction', '?')} by {action.get('scroll_amount', '?')}"
    if "duration" in action:
        line += f" for {action['duration']} s"
    if "region" in action:
        line += f" region {action['region']}"
    text = action.get("text")
    return Caption(line, str(text) if text is not None else None)


def _editor_caption(action: dict[str, Any]) -> Caption:
    line = f"editor {action.get('command', '?')} {action.get('path', '')}".rstrip()
    if "view_range" in action:
        line += f" lines {action['view_range']}"
    if "insert_line" in action:
        line += f" after line {action['insert_line']}"
    parts = [f"{key}:\n{action[key]}" for key in ("old_str", "new_str", "file_text", "insert_text") if key in action]
    return Caption(line, "\n\n".join(parts) if parts else None)
