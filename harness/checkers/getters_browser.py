"""Browser getters: the state of Chromium in the desktop, read over DevTools or from its profile files.

Value shapes (the contract with the metrics):

- ``active_tab_info``: ``{"title", "url", "content"}`` (content: the page's HTML now)
- ``active_url_from_accessTree``: the active tab's URL (a string)
- ``active_tab_url_parse``: ``{key: first value of that query parameter, or ""}``
- ``active_tab_html_parse``: ``{key: text}`` for the elements the spec names
- ``url_dashPart``: one ``/``-separated part of the active URL (a string, or ``{key: part}``)
- ``open_tabs_info``: ``[{"title", "url"}]``, most recently active first
- ``bookmarks``: the ``roots`` object of the profile's Bookmarks file
- ``history``: ``[(url, title, last_visit_time)]`` rows of the History database's ``urls`` table
- ``default_search_engine`` and the other preference getters: strings (as OSWorld's), ``chrome_prefs`` a dict

A value of ``None`` means the desktop does not hold the thing (no browser
runs, no tab is open, the profile has no such file): the agent may have
closed the browser, and metrics score ``None`` as 0.  A getter that cannot
read what is there raises ``CheckerError``: the episode is then not scored,
never silently failed.

OSWorld reads the active URL from the browser's address bar in the
accessibility tree, which shows it without ``https://www.``; its tasks
therefore give a ``goto_prefix`` to put back.  DevTools gives the whole URL,
so the prefix is only used for a URL that has no scheme.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

from harness.checkers.context import EvalContext
from harness.checkers.getter_params import (
    ChromePrefsParams,
    DashPartParams,
    GotoParams,
    HistoryParams,
    HtmlParseParams,
    NoFields,
    PageParams,
    UrlParseParams,
)
from harness.checkers.registry import getter
from harness.errors import CheckerError, GuestError
from harness.sandbox.devtools import DEFAULT_PROFILE, PROFILE_DIR, BrowserNotRunning, DevTools, DevToolsError, Tab
from harness.sandbox.guest import UnscorableOutput
from harness.tasks.schema import Getter

PAGE_LOAD_WAIT_S = 5.0  # how long a getter lets the active page finish loading before reading it

# Reads the page the way a person sees it: innerText (rendered text) where there is one.
_TEXT_JS = "function(e){return e ? ((e.innerText !== undefined ? e.innerText : e.textContent) || '').trim() : null}"
_PAGE_JS = ("(() => ({title: document.title, url: location.href, content: (document.doctype ? "
            "new XMLSerializer().serializeToString(document.doctype) : '') + document.documentElement.outerHTML}))()")


def _devtools(ctx: EvalContext) -> DevTools:
    return DevTools(ctx.guest)


def _fail(name: str, exc: Exception) -> CheckerError:
    return CheckerError(f"{name}: {exc}")


def active_url(ctx: EvalContext, spec: Getter) -> str | None:
    """The URL of the tab the user sees, or None when no browser runs or no tab is open."""
    try:
        tab = _devtools(ctx).active_tab()
    except BrowserNotRunning:
        return None
    except DevToolsError as exc:
        raise _fail(spec.type, exc) from None
    if tab is None:
        return None
    return with_prefix(tab.url, spec.field("goto_prefix"))


def with_prefix(url: str, prefix: Any) -> str:
    """``goto_prefix`` + URL for a URL without a scheme (see the module docstring); the URL otherwise."""
    if "://" in url or url.startswith(("about:", "chrome:", "data:", "file:", "javascript:")) or not prefix:
        return url
    return str(prefix) + url


@getter("active_url_from_accessTree", params=GotoParams)
def active_url_from_access_tree(ctx: EvalContext, spec: Getter) -> str | None:
    """The active tab's URL (read over DevTools rather than from the address bar: the whole URL)."""
    return active_url(ctx, spec)


def _evaluate_object(ctx: EvalContext, spec: Getter, script: str) -> tuple[Tab, dict[str, Any]] | None:
    """Run ``script`` in the active tab once it has loaded; None when no browser or page is there.

    The scripts build a plain object; anything else means the page broke the script.
    """
    try:
        found = _devtools(ctx).evaluate(script, load_wait=float(spec.field("load_wait", PAGE_LOAD_WAIT_S)))
    except BrowserNotRunning:
        return None
    except DevToolsError as exc:
        raise _fail(spec.type, exc) from None
    if found is None:
        return None
    tab, value = found
    if not isinstance(value, dict):
        raise CheckerError(f"{spec.type}: the page answered {type(value).__name__}, not an object")
    return tab, value


@getter("active_tab_info", params=PageParams)
def active_tab_info(ctx: EvalContext, spec: Getter) -> dict[str, str] | None:
    """Title, URL and current HTML of the active tab, once it has loaded (bounded wait).

    OSWorld opens the URL again in a new page to read it; reading the tab
    itself keeps what the agent did to the page and needs no network.
    """
    found = _evaluate_object(ctx, spec, _PAGE_JS)
    if found is None:
        return None
    tab, value = found
    return {"title": str(value.get("title", tab.title)), "url": str(value.get("url") or tab.url),
            "content": str(value.get("content", ""))}


@getter("active_tab_url_parse", params=UrlParseParams)
def active_tab_url_parse(ctx: EvalContext, spec: Getter) -> dict[str, str] | None:
    """The first value of each ``parse_keys`` query parameter ("" when absent); ``replace`` renames keys."""
    url = active_url(ctx, spec)
    if url is None:
        return None
    return parse_url_keys(url, spec.field("parse_keys", []), spec.field("replace", {}))


def parse_url_keys(url: str, keys: Any, replace: Any) -> dict[str, str]:
    if not isinstance(keys, list):
        raise CheckerError("active_tab_url_parse: 'parse_keys' must be a list")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    values = {str(k): query.get(str(k), [""])[0] for k in keys}
    for old, new in (replace or {}).items():
        if old in values:
            values[str(new)] = values.pop(old)
    return values


@getter("url_dashPart", params=DashPartParams)
def url_dash_part(ctx: EvalContext, spec: Getter) -> str | dict[str, str] | None:
    """Part ``partIndex`` of the active URL split at ``/`` (``needDeleteId``: without its ``?query``)."""
    url = active_url(ctx, spec)
    if url is None:
        return None
    return dash_part(url, spec.field("partIndex"), bool(spec.field("needDeleteId", False)),
                     str(spec.field("returnType", "string")), spec.field("key"))


def dash_part(url: str, index: Any, drop_query: bool, return_type: str, key: Any) -> str | dict[str, str]:
    if not isinstance(index, int):
        raise CheckerError("url_dashPart: 'partIndex' must be an integer")
    parts = url.split("/")
    try:
        part = parts[index]
    except IndexError:
        raise CheckerError(f"url_dashPart: {url!r} has no part {index}") from None
    if drop_query:
        part = part.split("?")[0]
    if return_type == "string":
        return part
    if return_type == "json":
        if key is None:
            raise CheckerError("url_dashPart: returnType 'json' needs a 'key'")
        return {str(key): part}
    raise CheckerError(f"url_dashPart: unknown returnType {return_type!r} (string, json)")


def html_parse_script(spec: Getter) -> str:
    """The JavaScript that reads the elements an ``active_tab_html_parse`` spec names, as ``{key: text}``.

    category ``class``: ``class_singleObject`` {class: key} (first element),
    ``class_multiObject`` {class: {index: key}}; ``xpath``: ``xpathObject``
    {xpath: key} (rendered text); ``input``: ``inputObject`` {xpath: key}
    (the field's value).  An element that is not there leaves its key out.
    """
    category = spec.field("category")
    plan: dict[str, Any]
    if category == "class":
        single = spec.field("class_singleObject", {}) or {}
        multi = spec.field("class_multiObject", {}) or {}
        plan = {"single": single, "multi": multi}
    elif category in ("xpath", "input"):
        objects = spec.field("xpathObject" if category == "xpath" else "inputObject", {}) or {}
        plan = {"xpath": objects}
    else:
        raise CheckerError(f"active_tab_html_parse: unknown category {category!r} (class, xpath, input)")
    for name, value in plan.items():
        if not isinstance(value, dict):
            raise CheckerError(f"active_tab_html_parse: {name} objects must be JSON objects")
    return ("(() => { const plan = " + json.dumps(plan) + "; const text = " + _TEXT_JS + "; const out = {};"
            " const byXpath = p => document.evaluate(p, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null)"
            ".singleNodeValue;"
            " for (const [cls, key] of Object.entries(plan.single || {})) {"
            "  const e = document.getElementsByClassName(cls)[0]; if (e) out[key] = text(e); }"
            " for (const [cls, keys] of Object.entries(plan.multi || {})) {"
            "  const all = document.getElementsByClassName(cls);"
            "  for (const [i, key] of Object.entries(keys)) { const e = all[Number(i)]; if (e) out[key] = text(e); } }"
            " for (const [path, key] of Object.entries(plan.xpath || {})) {"
            "  let e = null; try { e = byXpath(path); } catch (err) { e = null; }"
            "  if (e) out[key] = " + ("(e.value || '').trim()" if category == "input" else "text(e)") + "; }"
            " return out; })()")


@getter("active_tab_html_parse", params=HtmlParseParams)
def active_tab_html_parse(ctx: EvalContext, spec: Getter) -> dict[str, str] | None:
    """Texts (or input values) of elements of the active page, by class or XPath, as ``{key: text}``."""
    found = _evaluate_object(ctx, spec, html_parse_script(spec))
    return None if found is None else {str(k): str(v) for k, v in found[1].items()}


@getter("open_tabs_info", params=NoFields)
def open_tabs_info(ctx: EvalContext, spec: Getter) -> list[dict[str, str]] | None:
    """Every open tab as ``{"title", "url"}``, most recently active first; None when no browser runs."""
    try:
        tabs: list[Tab] = _devtools(ctx).tabs()
    except BrowserNotRunning:
        return None
    except DevToolsError as exc:
        raise _fail(spec.type, exc) from None
    return [{"title": t.title, "url": t.url} for t in tabs]


# ------------------------------------------------------------------ profile files


def _read_profile_file(ctx: EvalContext, name: str, path: str) -> bytes | None:
    try:
        return ctx.guest.read_file(path)
    except GuestError as exc:
        if exc.status == 404:
            return None
        if isinstance(exc, UnscorableOutput):  # the desktop made it unreadable: scored
            raise
        raise CheckerError(f"{name}: cannot read {path}: {exc}") from None


def _profile_json(ctx: EvalContext, name: str, path: str) -> dict[str, Any] | None:
    data = _read_profile_file(ctx, name, path)
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise CheckerError(f"{name}: {path} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CheckerError(f"{name}: {path} holds {type(value).__name__}, not an object")
    return value


@getter("bookmarks", params=NoFields)
def bookmarks(ctx: EvalContext, spec: Getter) -> dict[str, Any] | None:
    """The ``roots`` of the profile's Bookmarks file (bookmark bar, other, synced); None when it has none.

    The browser writes this file about 2.5 s after a change.
    """
    data = _profile_json(ctx, spec.type, f"{DEFAULT_PROFILE}/Bookmarks")
    if data is None:
        return None
    roots = data.get("roots")
    if not isinstance(roots, dict):
        raise CheckerError("bookmarks: the Bookmarks file has no 'roots' object")
    return roots


@getter("history", params=HistoryParams)
def history(ctx: EvalContext, spec: Getter) -> list[tuple[str, str, int]] | None:
    """``(url, title, last_visit_time)`` for every row of the History database's ``urls`` table.

    The database (and its rollback journal, if one is pending) is copied to
    the cache folder as ``dest`` and read there with sqlite3.  The browser
    commits history in batches (every few seconds) and on exit: OSWorld's
    history task restarts the browser before scoring for that reason.
    """
    dest = str(spec.field("dest", "History.sqlite"))
    local = ctx.cache_dir / dest
    data = _read_profile_file(ctx, spec.type, f"{DEFAULT_PROFILE}/History")
    if data is None:
        return None
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    for suffix in ("-journal", "-wal"):
        side = _read_profile_file(ctx, spec.type, f"{DEFAULT_PROFILE}/History{suffix}")
        side_path = Path(str(local) + suffix)
        if side:
            side_path.write_bytes(side)
        elif side_path.exists():
            side_path.unlink()
    try:
        with sqlite3.connect(local) as db:
            rows = db.execute("SELECT url, title, last_visit_time FROM urls ORDER BY id").fetchall()
    except sqlite3.Error as exc:
        raise CheckerError(f"history: cannot read the History database: {exc}") from None
    return [(str(url), str(title or ""), int(when or 0)) for url, title, when in rows]


def preferences(ctx: EvalContext, name: str, local_state: bool = False) -> dict[str, Any] | None:
    """The profile's preferences as its ``Preferences`` file holds them (values set away from the defaults).

    While the browser runs, they are read from its own ``chrome://prefs-internals``
    page (in a background tab, closed after): the file is written up to 10 s
    after a change, so it may not show the agent's last one yet.  With no
    browser the file is read; None when there is neither.  The browser-wide
    ``Local State`` (``local_state``) is always read from its file: its
    internals page is disabled in release builds.
    """
    if not local_state:
        try:
            text = _devtools(ctx).page_text("chrome://prefs-internals")
        except BrowserNotRunning:
            text = None
        except DevToolsError as exc:
            raise _fail(name, exc) from None
        if text is not None:
            try:
                shown = json.loads(text)
            except ValueError as exc:
                raise CheckerError(f"{name}: chrome://prefs-internals did not show JSON: {exc}") from None
            if not isinstance(shown, dict):
                raise CheckerError(f"{name}: chrome://prefs-internals showed {type(shown).__name__}, not an object")
            return user_prefs(shown)
    path = f"{PROFILE_DIR}/Local State" if local_state else f"{DEFAULT_PROFILE}/Preferences"
    return _profile_json(ctx, name, path)


def _is_pref(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"metadata", "value"} and isinstance(node["metadata"], list)


def user_prefs(shown: dict[str, Any]) -> dict[str, Any]:
    """chrome://prefs-internals' tree (every pref as ``{"metadata": [...], "value": v}``) in the file's shape.

    Prefs still at their default (metadata "default") are left out, as the
    file leaves them out: OSWorld's getters tell "changed" from "not" by
    whether a key is there.
    """
    out: dict[str, Any] = {}
    for key, node in shown.items():
        if _is_pref(node):
            if "default" not in node["metadata"]:
                out[key] = node["value"]
        elif isinstance(node, dict):
            inner = user_prefs(node)
            if inner:
                out[key] = inner
        else:
            out[key] = node
    return out


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


@getter("chrome_prefs", params=ChromePrefsParams)
def chrome_prefs(ctx: EvalContext, spec: Getter) -> Any:
    """deskbench: the profile's preferences as a dict, or the value at a dotted ``key`` in them."""
    prefs = preferences(ctx, spec.type, bool(spec.field("local_state", False)))
    key = spec.field("key")
    if prefs is None or key is None:
        return prefs
    return _dig(prefs, *str(key).split("."))


@getter("default_search_engine", params=NoFields)
def default_search_engine(ctx: EvalContext, spec: Getter) -> str:
    """The default search engine's short name; "Google" (the browser's default) when none was chosen."""
    name = _dig(preferences(ctx, spec.type), "default_search_provider_data", "template_url_data", "short_name")
    return str(name) if name else "Google"


@getter("profile_name", params=NoFields)
def profile_name(ctx: EvalContext, spec: Getter) -> str | None:
    """The profile's display name (``profile.name``)."""
    name = _dig(preferences(ctx, spec.type), "profile", "name")
    return None if name is None else str(name)


def _flag(value: Any) -> str:
    return "true" if value else "false"


@getter("enable_do_not_track", params=NoFields)
def enable_do_not_track(ctx: EvalContext, spec: Getter) -> str:
    """"true" when "Do Not Track" is on."""
    return _flag(_dig(preferences(ctx, spec.type), "enable_do_not_track"))


@getter("enable_enhanced_safety_browsing", params=NoFields)
def enable_enhanced_safety_browsing(ctx: EvalContext, spec: Getter) -> str:
    """"true" when enhanced Safe Browsing is on."""
    return _flag(_dig(preferences(ctx, spec.type), "safebrowsing", "enhanced"))


@getter("new_startup_page", params=NoFields)
def new_startup_page(ctx: EvalContext, spec: Getter) -> str:
    """"true" when the browser starts on the New Tab page (no session setting, or ``restore_on_startup`` 5)."""
    prefs = preferences(ctx, spec.type) or {}
    if "session" not in prefs:
        return "true"
    return _flag(_dig(prefs, "session", "restore_on_startup") == 5)


@getter("data_delete_automacally", params=NoFields)
def data_delete_automatically(ctx: EvalContext, spec: Getter) -> str:
    """"true" when a site-data default was changed (``profile.default_content_setting_values``), OSWorld's
    test for "delete browsing data on close".  The browser's own bookkeeping entries there (``has_*``, e.g.
    ``has_migrated_local_network_access``, written on every new profile) do not count.
    """
    changed = _dig(preferences(ctx, spec.type), "profile", "default_content_setting_values")
    if not isinstance(changed, dict):
        return _flag(changed is not None)
    return _flag(any(not str(k).startswith("has_") for k in changed))


@getter("chrome_font_size", params=NoFields)
def chrome_font_size(ctx: EvalContext, spec: Getter) -> dict[str, Any]:
    """The font size settings (``webkit.webprefs``), with the browser's defaults for unset ones."""
    sizes: dict[str, Any] = {"default_fixed_font_size": 13, "default_font_size": 16, "minimum_font_size": 13}
    set_ = _dig(preferences(ctx, spec.type), "webkit", "webprefs")
    if isinstance(set_, dict):
        sizes.update({k: v for k, v in set_.items() if k in sizes})
    return sizes


@getter("enabled_experiments", params=NoFields)
def enabled_experiments(ctx: EvalContext, spec: Getter) -> list[str]:
    """The chrome://flags experiments switched on (``browser.enabled_labs_experiments`` in Local State)."""
    found = _dig(preferences(ctx, spec.type, local_state=True), "browser", "enabled_labs_experiments")
    return [str(x) for x in found] if isinstance(found, list) else []
