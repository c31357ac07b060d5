"""The desktop's accessibility tree (at-spi) as XML, read inside the container (host half: ``getters_a11y``).

Runs as the desktop user with the image's ``/usr/bin/python3`` and GObject
introspection's ``Atspi`` (Debian's ``python3-gi``, which ``python3-pyatspi``
brings).  Reads one JSON request on stdin (namespaces, bounds, timeouts) and
writes one XML document (root ``desktop-frame``) on stdout.
"""

from __future__ import annotations

import json
import re
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from functools import partial

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for the type checker only: the desktop's python3 skips typing's import (~10 ms a run)
    from collections.abc import Callable, Iterator
    from typing import Any

REQ: dict[str, Any] = {}
NS: dict[str, str] = {}
BAD_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
BAD_NAME = re.compile(r"[^A-Za-z0-9_.-]")
COUNT = [0]
DEADLINE = 0.0
NOWHERE = -(2 ** 31) + 2 ** 16  # at-spi puts objects that are not on screen at INT_MIN
Atspi: Any = None  # gi.repository.Atspi, imported by main()
SCREEN: Any = None  # Atspi.CoordType.SCREEN


def clean(value: Any) -> str:
    return BAD_XML.sub("", str(value))


def key(ns: str, name: Any) -> str:
    name = BAD_NAME.sub("_", str(name)) or "_"
    if not (name[0].isalpha() or name[0] == "_"):
        name = "_" + name
    return "{%s}%s" % (NS[ns], name)  # noqa: UP031  (braces are the literal text here)


def pair(x: float, y: float) -> str:
    """``(x, y)`` in whole pixels, as OSWorld's trees write positions and sizes."""
    return f"({int(x)}, {int(y)})"


def attempt(fn: Callable[[], Any], default: Any = None) -> Any:
    try:
        return fn()
    except Exception:
        return default


def describe(acc: Any, el: ET.Element, states: list[str], parent_xy: tuple[int, int] | None,
             window_xy: tuple[int, int] | None) -> tuple[int, int] | None:
    """Fill in el; return this object's screen position (its children's coordinates are relative to it).

    Every read is one D-Bus round trip to the application, so only what the XML shows is asked for,
    and window- and parent-relative positions are computed here from the screen ones.
    """
    el.set("name", clean(attempt(acc.get_name, "") or ""))
    for state in states:
        el.set(key("st", state), "true")
    for k, v in (attempt(acc.get_attributes, {}) or {}).items():
        el.set(key("attr", k), clean(v))
    xy = None
    comp = attempt(acc.get_component_iface)
    if comp is not None:
        box = attempt(lambda: comp.get_extents(SCREEN))
        if box is not None:
            xy = (box.x, box.y)
            el.set(key("cp", "screencoord"), pair(*xy))
            for label, origin in (("windowcoord", window_xy or xy), ("parentcoord", parent_xy)):
                if origin is None:
                    continue
                if min(xy + origin) <= NOWHERE:  # not on screen (a closed menu's items): no relative position
                    origin = (0, 0)
                el.set(key("cp", label), pair(box.x - origin[0], box.y - origin[1]))
            el.set(key("cp", "size"), pair(box.width, box.height))
    text = attempt(acc.get_text_iface)
    if text is not None:
        content = attempt(lambda: text.get_text(0, -1), "") or ""
        if content:
            el.text = clean(content[:REQ["max_text"]].replace("\ufffc", ""))
    value = attempt(acc.get_value_iface)
    if value is not None:
        for label, fn in (("value", value.get_current_value), ("min", value.get_minimum_value),
                          ("max", value.get_maximum_value), ("step", value.get_minimum_increment)):
            v = attempt(fn)
            if v is not None:
                el.set(key("val", label), str(v))
    action = attempt(acc.get_action_iface)
    if action is not None:
        for i in range(attempt(action.get_n_actions, 0) or 0):
            name = attempt(partial(action.get_action_name, i))
            if name:
                el.set(key("act", name + "_kb"), clean(attempt(partial(action.get_key_binding, i), "") or ""))
    return xy


def visible_cells(acc: Any) -> Iterator[Any]:
    # A spreadsheet's table "manages descendants": it reports a child per cell of the whole sheet, row by
    # row (the first thousand are row 1).  The cells on screen are what a person sees: find the corners.
    table = acc.get_table_iface()
    comp = acc.get_component_iface()
    box = comp.get_extents(SCREEN)
    corners = []
    for x, y in ((box.x + 1, box.y + 1), (box.x + box.width - 2, box.y + box.height - 2)):
        cell = comp.get_accessible_at_point(x, y, SCREEN)
        index = cell.get_index_in_parent()
        corners.append((table.get_row_at_index(index), table.get_column_at_index(index)))
    (r0, c0), (r1, c1) = corners
    if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0:
        raise ValueError("no visible cells")
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            yield table.get_accessible_at(r, c)


def children(acc: Any, states: list[str]) -> tuple[list[Any], bool]:
    count = attempt(acc.get_child_count, 0) or 0
    if "manages_descendants" in states and count > REQ["max_children"]:
        try:
            cells = list(visible_cells(acc))
            return cells[:REQ["max_children"]], len(cells) > REQ["max_children"]
        except Exception:
            pass
    kids = []
    for i in range(min(count, REQ["max_children"])):
        kids.append(attempt(partial(acc.get_child_at_index, i)))
    return kids, count > REQ["max_children"]


def build(acc: Any, depth: int, parent_xy: tuple[int, int] | None = None,
          window_xy: tuple[int, int] | None = None) -> ET.Element:
    COUNT[0] += 1
    role = attempt(lambda: Atspi.role_get_name(acc.get_role()), "") or "unknown"
    el = ET.Element(BAD_NAME.sub("-", role.replace(" ", "-")) or "unknown")
    states = [s.value_nick.replace("-", "_") for s in attempt(lambda: acc.get_state_set().get_states(), []) or []]
    xy = describe(acc, el, states, parent_xy, window_xy)
    if depth >= REQ["max_depth"]:
        return el
    # An application's children are its top-level windows: a window's position is its contents' origin.
    inner_window_xy = None if depth == 1 else xy if depth == 2 else window_xy
    kids, cut = children(acc, states)
    for child in kids:
        if COUNT[0] >= REQ["max_nodes"] or time.monotonic() > DEADLINE:
            cut = True
            break
        if child is not None:
            el.append(build(child, depth + 1, xy, inner_window_xy))
    if cut:
        el.set("truncated", "true")
    return el


def main() -> str:
    """The whole desktop's tree: one child of ``desktop-frame`` per application."""
    global Atspi, SCREEN
    import gi  # python3-gi

    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi as atspi

    Atspi, SCREEN = atspi, atspi.CoordType.SCREEN
    Atspi.set_timeout(REQ["call_timeout_ms"], REQ["call_timeout_ms"] * 4)
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    desktop = Atspi.get_desktop(0)
    root = ET.Element("desktop-frame", {"name": "main"})
    for i in range(attempt(desktop.get_child_count, 0) or 0):
        app = attempt(partial(desktop.get_child_at_index, i))
        if app is not None:
            root.append(build(app, 1))
    return ET.tostring(root, encoding="unicode")


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # Atspi's GI names carry deprecation notes; the output must stay clean
    REQ = json.load(sys.stdin)
    NS = REQ["namespaces"]
    DEADLINE = time.monotonic() + REQ["timeout"]
    sys.stdout.write(main())
