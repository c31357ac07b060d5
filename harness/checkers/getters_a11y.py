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

from harness import guestcode
from harness.checkers.context import EvalContext
from harness.checkers.getter_params import A11yParams
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
    result = guest.run(["/usr/bin/python3", "-I", "-c", guestcode.source("a11y_tree")], shell=False,
                       stdin=json.dumps(request),
                       timeout=timeout + 30, as_guest=False)
    if result.timed_out:
        raise CheckerError(f"accessibility_tree: the dump did not finish within {timeout + 30:.0f} s")
    if result.exit_code != 0 or not result.stdout.startswith("<desktop-frame"):
        detail = (result.stderr or result.stdout).strip()[-400:]
        raise CheckerError(f"accessibility_tree: cannot read the at-spi tree (exit {result.exit_code}): {detail}")
    return result.stdout


@getter("accessibility_tree", params=A11yParams)
def accessibility_tree(ctx: EvalContext, spec: Getter) -> str:
    """The at-spi tree as XML (see the module docstring); bounds from ``max_depth``/``max_nodes`` fields."""
    return accessibility_tree_xml(ctx.guest, max_depth=int(spec.field("max_depth", MAX_DEPTH)),
                                  max_nodes=int(spec.field("max_nodes", MAX_NODES)))
