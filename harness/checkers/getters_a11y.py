"""The desktop's accessibility tree (at-spi) as XML.

The tree is read inside the container by a short Python program (GObject
introspection's ``Atspi``, which Debian's ``python3-pyatspi`` brings) run
through the guest, and printed as XML in the spirit of OSWorld's: one element
per accessible object, the tag its role ("push-button", "page-tab-list"),
``name`` its accessible name, states as ``st:<state>="true"``, toolkit
attributes as ``attr:<key>`` (``attr:id``, ``attr:class``), geometry as
``cp:screencoord``/``cp:windowcoord``/``cp:parentcoord``/``cp:size``
(``"(x, y)"``), values as ``val:*``, actions as ``act:<name>_desc``, and the
object's text as the element's text.  The namespace URIs are
:data:`NAMESPACES` (OSWorld's), so selectors such as
``tool-bar[attr|id=MsgHeadersToolbar] label[name=To]`` work unchanged.

The tree needs the session D-Bus bus that boot.py starts; applications
appear in it once they have connected to the accessibility bus (GTK3 apps,
LibreOffice with its gtk3 plugin, Chromium).
"""

from __future__ import annotations

import json

from harness.checkers.context import EvalContext
from harness.checkers.registry import getter
from harness.errors import CheckerError
from harness.sandbox.guest import GuestClient
from harness.tasks.schema import Getter

NAMESPACES = {
    "st": "https://accessibility.ubuntu.example.org/ns/state",
    "attr": "https://accessibility.ubuntu.example.org/ns/attributes",
    "cp": "https://accessibility.ubuntu.example.org/ns/component",
    "doc": "https://accessibility.ubuntu.example.org/ns/document",
    "docattr": "https://accessibility.ubuntu.example.org/ns/document/attributes",
    "txt": "https://accessibility.ubuntu.example.org/ns/text",
    "val": "https://accessibility.ubuntu.example.org/ns/value",
    "act": "https://accessibility.ubuntu.example.org/ns/action",
}

# Bounds that keep one dump within seconds even for a spreadsheet, whose table reports a child per cell.
MAX_DEPTH = 50
MAX_CHILDREN = 1000  # per node
MAX_NODES = 50_000
MAX_TEXT = 100_000  # characters of one object's text
CALL_TIMEOUT_MS = 1500  # one at-spi call; a hung application costs this much, not the D-Bus default 25 s
DUMP_TIMEOUT_S = 120.0

_SCRIPT = r'''
import json, re, sys, time, warnings
import xml.etree.ElementTree as ET

warnings.simplefilter("ignore")  # Atspi's GI names carry deprecation notes; the output must stay clean
REQ = json.load(sys.stdin)
NS = REQ["namespaces"]
import gi
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi

Atspi.set_timeout(REQ["call_timeout_ms"], REQ["call_timeout_ms"] * 4)
for prefix, uri in NS.items():
    ET.register_namespace(prefix, uri)
BAD_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
BAD_NAME = re.compile(r"[^A-Za-z0-9_.-]")
COUNT = [0]
DEADLINE = time.monotonic() + REQ["timeout"]
SCREEN = Atspi.CoordType.SCREEN
NOWHERE = -(2 ** 31) + 2 ** 16  # at-spi puts objects that are not on screen at INT_MIN


def clean(value):
    return BAD_XML.sub("", str(value))


def key(ns, name):
    name = BAD_NAME.sub("_", str(name)) or "_"
    if not (name[0].isalpha() or name[0] == "_"):
        name = "_" + name
    return "{%s}%s" % (NS[ns], name)


def attempt(fn, default=None):
    try:
        return fn()
    except Exception:
        return default


def describe(acc, el, states, parent_xy, window_xy):
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
            el.set(key("cp", "screencoord"), "(%d, %d)" % xy)
            for label, origin in (("windowcoord", window_xy or xy), ("parentcoord", parent_xy)):
                if origin is None:
                    continue
                if min(xy + origin) <= NOWHERE:  # not on screen (a closed menu's items): no relative position
                    origin = (0, 0)
                el.set(key("cp", label), "(%d, %d)" % (box.x - origin[0], box.y - origin[1]))
            el.set(key("cp", "size"), "(%d, %d)" % (box.width, box.height))
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
            name = attempt(lambda: action.get_action_name(i))
            if name:
                el.set(key("act", name + "_kb"), clean(attempt(lambda: action.get_key_binding(i), "") or ""))
    return xy


def visible_cells(acc):
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


def children(acc, states):
    count = attempt(acc.get_child_count, 0) or 0
    if "manages_descendants" in states and count > REQ["max_children"]:
        try:
            cells = list(visible_cells(acc))
            return cells[:REQ["max_children"]], len(cells) > REQ["max_children"]
        except Exception:
            pass
    kids = []
    for i in range(min(count, REQ["max_children"])):
        kids.append(attempt(lambda: acc.get_child_at_index(i)))
    return kids, count > REQ["max_children"]


def build(acc, depth, parent_xy=None, window_xy=None):
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


desktop = Atspi.get_desktop(0)
root = ET.Element("desktop-frame", {"name": "main"})
for i in range(attempt(desktop.get_child_count, 0) or 0):
    app = attempt(lambda: desktop.get_child_at_index(i))
    if app is not None:
        root.append(build(app, 1))
sys.stdout.write(ET.tostring(root, encoding="unicode"))
'''


def accessibility_tree_xml(guest: GuestClient, *, max_depth: int = MAX_DEPTH, max_children: int = MAX_CHILDREN,
                           max_nodes: int = MAX_NODES, timeout: float = DUMP_TIMEOUT_S) -> str:
    """The whole desktop's at-spi tree as one XML document (root ``desktop-frame``, one child per application).

    A subtree cut by the bounds carries ``truncated="true"``.  Raises
    ``CheckerError`` when the tree cannot be read at all (no at-spi in the
    image, no session bus).
    """
    request = {"namespaces": NAMESPACES, "max_depth": max_depth, "max_children": max_children,
               "max_nodes": max_nodes, "max_text": MAX_TEXT, "call_timeout_ms": CALL_TIMEOUT_MS, "timeout": timeout}
    # As the desktop user: only it may use the session's accessibility bus; -I keeps its site folder out.
    result = guest.run(["/usr/bin/python3", "-I", "-c", _SCRIPT], shell=False, stdin=json.dumps(request),
                       timeout=timeout + 30, as_guest=False)
    if result.timed_out:
        raise CheckerError(f"accessibility_tree: the dump did not finish within {timeout + 30:.0f} s")
    if result.exit_code != 0 or not result.stdout.startswith("<desktop-frame"):
        detail = (result.stderr or result.stdout).strip()[-400:]
        raise CheckerError(f"accessibility_tree: cannot read the at-spi tree (exit {result.exit_code}): {detail}")
    return result.stdout


@getter("accessibility_tree")
def accessibility_tree(ctx: EvalContext, spec: Getter) -> str:
    """The at-spi tree as XML (see the module docstring); bounds from ``max_depth``/``max_nodes`` fields."""
    return accessibility_tree_xml(ctx.guest, max_depth=int(spec.field("max_depth", MAX_DEPTH)),
                                  max_nodes=int(spec.field("max_nodes", MAX_NODES)))
