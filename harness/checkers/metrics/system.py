"""Desktop metrics: GNOME settings read by commands, the accessibility tree, folder listings.

Value shapes expected from getters: ``vm_command_line`` gives the command's
standard output (a string); ``accessibility_tree`` gives the desktop's
accessibility tree as XML text, with element names for roles
(``document-frame``, ``push-button``...), a ``name`` attribute, and other
properties in namespaced attributes -- prefix ``attr`` for
``https://accessibility.ubuntu.example.org/ns/attributes``, ``st`` for
``.../ns/state``, ``cp`` for ``.../ns/component`` and so on (see
``A11Y_NAMESPACES``), which is what the task files' CSS selectors use;
``list_directory`` gives the folder's entry names (``[str, ...]``; OSWorld's
tree form ``{"name", "type", "children": [{"name", ...}]}`` is read too).
"""

from __future__ import annotations

import ast
from typing import Any

from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError

from harness.checkers.metrics._common import fail, rules_of, similarity
from harness.checkers.registry import metric
from harness.checkers.semantics import corrects

_BASE = "https://accessibility.ubuntu.example.org/ns/"
A11Y_NAMESPACES = {prefix: _BASE + path for prefix, path in (
    ("st", "state"), ("attr", "attributes"), ("cp", "component"), ("doc", "document"),
    ("docattr", "document/attributes"), ("txt", "text"), ("val", "value"), ("act", "action"))}


@metric("check_gnome_favorite_apps")
def check_gnome_favorite_apps(result: Any, expected: Any) -> float:
    """1 when the dock's favourites (``gsettings get org.gnome.shell favorite-apps`` output) are exactly
    ``rules.expected``, in any order."""
    wanted = rules_of("check_gnome_favorite_apps", expected, "expected")["expected"]
    if not isinstance(result, str):
        return 0.0
    try:
        apps = ast.literal_eval(result.strip())
    except (ValueError, SyntaxError):
        return 0.0
    if not isinstance(apps, (list, tuple)):
        return 0.0
    return float(len(apps) == len(wanted) and set(apps) == set(wanted))


@metric("is_utc_0")
def is_utc_0(result: Any, expected: Any = None) -> float:
    """1 when ``timedatectl status`` reports a time zone at offset +0000."""
    if not isinstance(result, str):
        return 0.0
    lines = result.split("\n")
    if not corrects("utc-zone-line"):  # OSWorld reads the fourth line, whatever it holds
        return float(len(lines) > 3 and lines[3].endswith("+0000)"))
    zone = [line for line in lines if "Time zone:" in line]
    return float(bool(zone) and zone[0].rstrip().endswith("+0000)"))


@metric("check_text_enlarged")
def check_text_enlarged(result: Any, expected: Any = None) -> float:
    """1 when GNOME's text scaling factor (a number printed by ``gsettings``) is above 1."""
    try:
        return float(float(str(result).strip()) > 1.0)
    except ValueError:
        return 0.0


@metric("check_moved_jpgs")
def check_moved_jpgs(result: Any, expected: Any) -> float:
    """1 when the folder holds exactly the files named in ``rules.expected``."""
    wanted = rules_of("check_moved_jpgs", expected, "expected")["expected"]
    if isinstance(result, list):
        names = [str(name) for name in result]
    elif isinstance(result, dict) and isinstance(result.get("children"), list):
        names = [str(child.get("name")) for child in result["children"] if isinstance(child, dict)]
    else:
        return 0.0
    return float(len(names) == len(wanted) and set(names) == set(wanted))


def _parse_tree(result: Any) -> Any:
    if not isinstance(result, (str, bytes)) or not result:
        return None
    try:
        return etree.fromstring(result.encode() if isinstance(result, str) else result)
    except etree.XMLSyntaxError:
        return None


def _select(rule: dict[str, Any], tree: Any) -> list[Any]:
    name = "check_accessibility_tree"
    try:
        if "xpath" in rule:
            return list(tree.xpath(rule["xpath"], namespaces=A11Y_NAMESPACES))
        if "selectors" in rule:
            return list(CSSSelector(", ".join(rule["selectors"]), namespaces=A11Y_NAMESPACES)(tree))
    except (SelectorError, etree.XPathError) as exc:
        raise fail(name, f"bad selector in {rule!r}: {exc}") from None
    raise fail(name, f"a rule needs 'xpath' or 'selectors', got {rule!r}")


@metric("check_accessibility_tree")
def check_accessibility_tree(result: Any, expected: Any) -> float:
    """Each rule selects elements of the accessibility tree (``xpath`` or CSS ``selectors``); with ``text``,
    the best element's text must equal it (``exact``, default) or is scored by similarity.  The score is
    the product over rules; a rule that selects nothing gives 0."""
    if not isinstance(expected, list) or not all(isinstance(r, dict) for r in expected):
        raise fail("check_accessibility_tree", "rules must be a list of objects")
    tree = _parse_tree(result)
    if tree is None:
        return 0.0
    score = 1.0
    for rule in expected:
        elements = _select(rule, tree)
        if not elements:
            return 0.0
        if "text" in rule:
            texts = [e.text or "" for e in elements]
            if rule.get("exact", True):
                score *= float(rule["text"] in texts)
            else:
                score *= max(similarity(rule["text"], t) for t in texts)
    return score


@metric("check_left_panel")
def check_left_panel(result: Any, expected: Any = None) -> float:
    """1 when LibreOffice Impress shows its slide pane (a ``document-frame`` named "Slides View")."""
    tree = _parse_tree(result)
    if tree is None:
        return 0.0
    return float(any(e.get("name") == "Slides View" for e in tree.iter("document-frame")))
