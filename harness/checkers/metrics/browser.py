"""Browser metrics: the active tab, open tabs, bookmarks, profile data, against the task's rules.

The browser getters hand these metrics plain JSON-like values.  Shapes
(what a getter must return so these metrics can read it):

==============================  ==============================================================
getter (task file)              value
==============================  ==============================================================
``active_tab_info``, page_info  ``{"title": str, "url": str, "content": str}`` (content = page HTML)
``active_url_from_accessTree``  ``str``, the URL in the address bar (``None`` if no window)
``open_tabs_info``              ``[{"title": str, "url": str}, ...]`` in tab order
``bookmarks``                   Chrome's ``Bookmarks`` JSON ``roots`` object: ``{"bookmark_bar":
                                {"children": [{"type": "url"|"folder", "name", "url"?,
                                "children"?}]}, "other": {...}, "synced": {...}}``
``find_installed_extension_``   ``[str, ...]`` extension names (dicts with a ``"name"`` are
``name``                        accepted too)
``enabled_experiments``         ``[str, ...]`` entries of ``chrome://flags`` state, ``"name@N"``
``chrome_font_size``            ``{"default_font_size": int, ...}``
``cookie_data``                 rows of Chrome's ``cookies`` table (``row[1]`` is ``host_key``),
                                or dicts with ``"host_key"``
``history``                     rows whose ``row[0]`` is a visited URL, or dicts with ``"url"``
``shortcuts_on_desktop``        ``{path: file content}`` of the ``.desktop`` files on the desktop
==============================  ==============================================================

``None`` (no browser window, no profile file) scores 0.  URLs are compared
as the benchmark does: ignoring a lone ``www.``, the public suffix
(``.com`` / ``.co.uk``) and a root ``/`` path.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import lxml.html

from harness.checkers.metrics._common import (
    expected_path,
    fail,
    result_path,
    rules_of,
    same_items,
    urls_match,
)
from harness.checkers.registry import metric


def _url_of(value: Any) -> str | None:
    if isinstance(value, dict):
        url = value.get("url")
        return url if isinstance(url, str) else None
    return value if isinstance(value, str) else None


def _kind(metric_name: str, rules: dict[str, Any], *allowed: str) -> str:
    kind = rules.get("type")
    if kind not in allowed:
        raise fail(metric_name, f"rule type must be one of {', '.join(allowed)}, got {kind!r}")
    return str(kind)


@metric("is_expected_url_pattern_match")
def is_expected_url_pattern_match(result: Any, expected: Any) -> float:
    """1 when every regular expression in ``rules.expected`` is found in the URL (a string, or a tab's ``url``)."""
    patterns = rules_of("is_expected_url_pattern_match", expected, "expected")["expected"]
    if not isinstance(patterns, list):
        raise fail("is_expected_url_pattern_match", "'expected' must be a list of regular expressions")
    url = _url_of(result)
    if not url:
        return 0.0
    try:
        return float(all(re.search(p, url) for p in patterns))
    except re.error as exc:
        raise fail("is_expected_url_pattern_match", f"bad regular expression: {exc}") from None


@metric("is_expected_active_tab")
def is_expected_active_tab(result: Any, expected: Any) -> float:
    """1 when the active tab shows ``rules.url`` (``rules.type`` is ``"url"``), compared as normalised URLs."""
    rules = rules_of("is_expected_active_tab", expected, "type", "url")
    _kind("is_expected_active_tab", rules, "url")
    url = _url_of(result)
    return 0.0 if not url else float(urls_match(rules["url"], url))


@metric("is_expected_tabs")
def is_expected_tabs(result: Any, expected: Any) -> float:
    """1 when the open tabs are exactly ``rules.urls`` (any order, normalised URLs, same count)."""
    rules = rules_of("is_expected_tabs", expected, "type", "urls")
    _kind("is_expected_tabs", rules, "url")
    if not isinstance(result, list):
        return 0.0
    actual = [_url_of(tab) for tab in result]
    return float(same_items(rules["urls"], actual, urls_match))


def _bar(bookmarks: dict[str, Any]) -> list[dict[str, Any]]:
    children = bookmarks.get("bookmark_bar", {}).get("children", [])
    return [c for c in children if isinstance(c, dict)]


@metric("is_expected_bookmarks")
def is_expected_bookmarks(result: Any, expected: Any) -> float:
    """Bookmark bar checks by ``rules.type``:

    - ``bookmark_bar_folders_names``: the bar's folders are exactly ``names`` (as a set);
    - ``bookmark_bar_websites_urls``: the bar's links are exactly ``urls`` (as a set);
    - ``liked_authors_websites_urls``: a "Liked Authors" folder on the bar holds one accepted URL for each
      entry of ``urls`` (an entry is a URL or a list of alternatives) and nothing else.
    """
    name = "is_expected_bookmarks"
    rules = rules_of(name, expected, "type")
    kind = _kind(name, rules, "bookmark_bar_folders_names", "bookmark_bar_websites_urls", "liked_authors_websites_urls")
    if not isinstance(result, dict) or not result:
        return 0.0
    bar = _bar(result)
    if kind == "bookmark_bar_folders_names":
        return float({b.get("name") for b in bar if b.get("type") == "folder"} == set(rules_of(name, rules, "names")["names"]))
    urls = rules_of(name, rules, "urls")["urls"]
    if kind == "bookmark_bar_websites_urls":
        return float({b.get("url") for b in bar if b.get("type") == "url"} == set(urls))
    folder = next((b for b in bar if b.get("type") == "folder" and b.get("name") == "Liked Authors"), None)
    if folder is None:
        return 0.0
    saved = {c.get("url") for c in folder.get("children", []) if c.get("type") == "url"}
    choices = [u if isinstance(u, list) else [u] for u in urls]
    return float(any(set(combo) == saved for combo in itertools.product(*choices)))


@metric("is_expected_search_query")
def is_expected_search_query(result: Any, expected: Any) -> float:
    """1 when the active tab's URL matches ``rules.expect.pattern`` (a search was made for the right words)."""
    rules = rules_of("is_expected_search_query", expected, "expect")
    pattern = rules_of("is_expected_search_query", rules["expect"], "pattern")["pattern"]
    url = _url_of(result)
    return 0.0 if not url else float(re.search(pattern, url) is not None)


def _extension_names(value: Any) -> set[str]:
    names = set()
    for item in value if isinstance(value, list) else []:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.add(name)
    return names


@metric("is_expected_installed_extensions")
def is_expected_installed_extensions(result: Any, expected: Any) -> float:
    """1 when every extension named in ``rules.expected`` is installed (others may be too)."""
    wanted = rules_of("is_expected_installed_extensions", expected, "expected")["expected"]
    if result is None:
        return 0.0
    return float(set(wanted) <= _extension_names(result))


@metric("check_enabled_experiments")
def check_enabled_experiments(result: Any, expected: Any) -> float:
    """1 when the enabled ``chrome://flags`` experiments are exactly ``rules.names``, in order."""
    rules = rules_of("check_enabled_experiments", expected, "type", "names")
    _kind("check_enabled_experiments", rules, "names")
    if not isinstance(result, list):
        return 0.0
    return float([str(e).split("@")[0] for e in result] == rules["names"])


@metric("check_font_size")
def check_font_size(result: Any, expected: Any) -> float:
    """1 when the browser's default font size equals ``rules.value`` or lies strictly between ``min`` and ``max``."""
    rules = rules_of("check_font_size", expected, "type")
    kind = _kind("check_font_size", rules, "value", "range")
    if not isinstance(result, dict) or not isinstance(result.get("default_font_size"), (int, float)):
        return 0.0
    size = result["default_font_size"]
    if kind == "value":
        return float(size == rules_of("check_font_size", rules, "value")["value"])
    bounds = rules_of("check_font_size", rules, "min", "max")
    return float(bounds["min"] < size < bounds["max"])


@metric("is_added_to_steam_cart")
def is_added_to_steam_cart(result: Any, expected: Any) -> float:
    """1 when the cart page's text mentions every item of ``rules.items``."""
    items = rules_of("is_added_to_steam_cart", expected, "items")["items"]
    content = result.get("content") if isinstance(result, dict) else None
    return 0.0 if not isinstance(content, str) else float(all(i in content for i in items))


def _cookie_host(row: Any) -> str | None:
    if isinstance(row, dict):
        return row.get("host_key")
    return row[1] if isinstance(row, (list, tuple)) and len(row) > 1 else None


@metric("is_cookie_deleted")
def is_cookie_deleted(result: Any, expected: Any) -> float:
    """1 when no cookie is left for any of ``rules.domains``."""
    rules = rules_of("is_cookie_deleted", expected, "type", "domains")
    _kind("is_cookie_deleted", rules, "domains")
    if not isinstance(result, list):
        return 0.0
    hosts = [h for h in map(_cookie_host, result) if h]
    return float(not any(urls_match(d, h) for d in rules["domains"] for h in hosts))


def _history_url(row: Any) -> str | None:
    if isinstance(row, dict):
        return row.get("url")
    return row[0] if isinstance(row, (list, tuple)) and row else None


@metric("check_history_deleted")
def check_history_deleted(result: Any, expected: Any) -> float:
    """1 when no history entry's URL contains any of ``rules.keywords``."""
    rules = rules_of("check_history_deleted", expected, "type", "keywords")
    _kind("check_history_deleted", rules, "keywords")
    if not isinstance(result, list):
        return 0.0
    urls = [u for u in map(_history_url, result) if isinstance(u, str)]
    return float(not any(k in u for k in rules["keywords"] for u in urls))


@metric("is_shortcut_on_desktop")
def is_shortcut_on_desktop(result: Any, expected: Any) -> float:
    """1 when a desktop launcher has the line ``Name=<rules.name>`` (type ``name``) or ``Exec=<rules.exec>``."""
    rules = rules_of("is_shortcut_on_desktop", expected, "type")
    kind = _kind("is_shortcut_on_desktop", rules, "name", "exec")
    line = f"{'Name' if kind == 'name' else 'Exec'}={rules_of('is_shortcut_on_desktop', rules, kind)[kind]}\n"
    if not isinstance(result, dict):
        return 0.0
    return float(any(line in str(content) for content in result.values()))


def _elements_equal(a: Any, b: Any, ignore_sdnum: bool) -> bool:
    if a.tag != b.tag or a.text_content().strip() != b.text_content().strip():
        return False
    attrs_a, attrs_b = dict(a.attrib), dict(b.attrib)
    if ignore_sdnum:
        attrs_a.pop("sdnum", None)
        attrs_b.pop("sdnum", None)
    return attrs_a == attrs_b


@metric("compare_htmls")
def compare_htmls(result: Any, expected: Any, ignore_sdnum: bool | None = None) -> float:
    """1 when two HTML files have the same elements in document order: tag, stripped text and attributes
    (``ignore_sdnum`` drops LibreOffice's number-format attribute)."""
    gold = expected_path("compare_htmls", expected)
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        mine = lxml.html.parse(path).getroot()
    except (OSError, ValueError):
        return 0.0
    theirs = lxml.html.parse(gold).getroot()
    if mine is None or theirs is None:
        return float(mine is None and theirs is None)
    elements = ([e for e in root.iter() if isinstance(e.tag, str)] for root in (mine, theirs))
    pairs = zip(*elements, strict=False)
    return float(all(_elements_equal(a, b, bool(ignore_sdnum)) for a, b in pairs))
