"""Browser getters that read the profile's records (cookies, extensions) or visit a page themselves.

Complements :mod:`harness.checkers.getters_browser` (the tabs the agent left).
The page-visiting getters (``page_info``, ``info_from_website``,
``gotoRecreationPage_and_get_html_content``) open their own tab in the
desktop's running browser over DevTools and close it afterwards; they need
the network the run allows.  ``pdf_from_url`` prints a page with a headless
browser of its own inside the desktop.

Value shapes:

- ``cookie_data``: rows of the cookie database's ``cookies`` table (tuples,
  the host in the second column), or None when the profile has none
- ``find_unpacked_extension_path``: the folder of every installed extension
- ``find_installed_extension_name``: the name of every installed extension
- ``page_info``: ``{"title", "url", "content"}`` of the page at ``url``
- ``info_from_website``: the texts/attributes ``infos`` name, or ``backups``
  when the site cannot be read
- ``pdf_from_url``: the path of the PDF the page prints to
- ``gotoRecreationPage_and_get_html_content``: ``{"expected": {class: text}}``
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from harness.checkers.context import EvalContext
from harness.checkers.getter_params import (
    DestParams,
    NoFields,
    PageInfoParams,
    PdfParams,
    RecreationParams,
    WebsiteInfoParams,
)
from harness.checkers.getters_apps import read_guest_file, save
from harness.checkers.getters_browser import _PAGE_JS
from harness.checkers.registry import getter
from harness.errors import CheckerError
from harness.sandbox.devtools import DEFAULT_PROFILE, BrowserNotRunning, DevTools, DevToolsError, Tab
from harness.sandbox.guest import MAX_FILE
from harness.tasks.schema import Getter

PAGE_TIMEOUT_S = 60.0
SELECTOR_TIMEOUT_S = 10.0
POLL_S = 0.3
PDF_TIMEOUT_S = 90.0

# ------------------------------------------------------------------ profile records


@getter("cookie_data", params=DestParams)
def cookie_data(ctx: EvalContext, spec: Getter) -> list[tuple[Any, ...]] | None:
    """Every row of the profile's cookie database (``Network/Cookies``, or ``Cookies`` in older profiles).

    The browser writes cookies to the file every 30 s or so and on exit,
    as it does in OSWorld's desktop.
    """
    for relative in ("Network/Cookies", "Cookies"):
        data = read_guest_file(ctx, spec.type, f"{DEFAULT_PROFILE}/{relative}", MAX_FILE)
        if data is None:
            continue
        local = save(ctx, spec, data, "Cookies")
        for suffix in ("-journal", "-wal"):
            side = read_guest_file(ctx, spec.type, f"{DEFAULT_PROFILE}/{relative}{suffix}", MAX_FILE)
            if side:
                (ctx.cache_dir / (PurePosixPath(local).name + suffix)).write_bytes(side)
        try:
            with sqlite3.connect(local) as db:
                return [tuple(row) for row in db.execute("SELECT * FROM cookies").fetchall()]
        except sqlite3.Error as exc:
            raise CheckerError(f"cookie_data: cannot read the cookie database: {exc}") from None
    return None


def installed_extensions(ctx: EvalContext, name: str) -> dict[str, dict[str, Any]]:
    """``extensions.settings`` of the profile: from ``Preferences`` and ``Secure Preferences`` (where current
    browsers keep it), keyed by extension id."""
    found: dict[str, dict[str, Any]] = {}
    for file in ("Preferences", "Secure Preferences"):
        data = read_guest_file(ctx, name, f"{DEFAULT_PROFILE}/{file}", 32 * 1024 * 1024)
        try:
            prefs = json.loads(data) if data else {}
        except ValueError as exc:
            raise CheckerError(f"{name}: {file} is not JSON: {exc}") from None
        settings = prefs.get("extensions", {}).get("settings", {}) if isinstance(prefs, dict) else {}
        for ext_id, entry in (settings.items() if isinstance(settings, dict) else []):
            if isinstance(entry, dict):
                found.setdefault(str(ext_id), {}).update(entry)
    return found


def _extension_folder(entry: dict[str, Any]) -> str | None:
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        return None
    return path if path.startswith("/") else f"{DEFAULT_PROFILE}/Extensions/{path}"


@getter("find_unpacked_extension_path", params=NoFields)
def find_unpacked_extension_path(ctx: EvalContext, spec: Getter) -> list[str]:
    """The folder (``path``) of every extension the profile has, unpacked ones by their absolute path."""
    return [str(e["path"]) for e in installed_extensions(ctx, spec.type).values() if isinstance(e.get("path"), str)]


def _localised(ctx: EvalContext, name: str, folder: str, manifest: dict[str, Any], value: str) -> str:
    """A manifest string, with ``__MSG_key__`` looked up in the extension's default locale."""
    if not (value.startswith("__MSG_") and value.endswith("__")):
        return value
    locale = str(manifest.get("default_locale", "en"))
    data = read_guest_file(ctx, name, f"{folder}/_locales/{locale}/messages.json", 1024 * 1024)
    try:
        messages = json.loads(data) if data else {}
    except ValueError:
        return value
    key = value[6:-2].lower()
    for msg_key, entry in messages.items() if isinstance(messages, dict) else []:
        if str(msg_key).lower() == key and isinstance(entry, dict) and isinstance(entry.get("message"), str):
            return str(entry["message"])
    return value


def extension_name(ctx: EvalContext, name: str, entry: dict[str, Any]) -> str | None:
    """An extension's name: from the manifest its settings keep, else from its folder's ``manifest.json``."""
    folder = _extension_folder(entry)
    manifest = entry.get("manifest")
    if not isinstance(manifest, dict) and folder is not None:
        data = read_guest_file(ctx, name, f"{folder}/manifest.json", 1024 * 1024)
        try:
            manifest = json.loads(data) if data else None
        except ValueError:
            manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("name"), str):
        return None
    return _localised(ctx, name, folder or "", manifest, str(manifest["name"]))


@getter("find_installed_extension_name", params=NoFields)
def find_installed_extension_name(ctx: EvalContext, spec: Getter) -> list[str]:
    """The name of every extension the profile has (the browser's own components included)."""
    names = (extension_name(ctx, spec.type, e) for e in installed_extensions(ctx, spec.type).values())
    return [n for n in names if n]


# ------------------------------------------------------------------ visiting pages


class _PageFailed(Exception):
    """The page did not load or did not show what was asked for in time."""


def _in_own_tab(ctx: EvalContext, url: str, read: Callable[[DevTools, Tab], Any]) -> Any:
    """``read(devtools, tab)`` on a new tab opened at ``url``; the tab is closed afterwards.

    BrowserNotRunning and DevToolsError pass through; ``_PageFailed`` when the page never loaded.
    """
    devtools = DevTools(ctx.guest)
    tabs = devtools.open_tabs([url], timeout=PAGE_TIMEOUT_S)
    if not tabs:
        raise _PageFailed(f"no tab opened for {url}")
    tab = tabs[0]
    try:
        if not devtools.wait_loaded([tab.id], timeout=PAGE_TIMEOUT_S).get(tab.id):
            raise _PageFailed(f"{url} did not finish loading within {PAGE_TIMEOUT_S:.0f} s")
        return read(devtools, tab)
    finally:
        devtools.close_tabs([tab.id])


def _evaluate(devtools: DevTools, tab: Tab, script: str) -> Any:
    found = devtools.evaluate(script, tab_id=tab.id, load_wait=PAGE_TIMEOUT_S)
    if found is None:
        raise _PageFailed("the tab is gone")
    return found[1]


def _wait_value(devtools: DevTools, tab: Tab, script: str, timeout: float = SELECTOR_TIMEOUT_S) -> Any:
    """Poll ``script`` until it gives something other than null (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = _evaluate(devtools, tab, script)
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise _PageFailed(f"nothing matched within {timeout:.0f} s: {script[:120]}")
        time.sleep(POLL_S)


def _select(selector: str, then: str) -> str:
    """JavaScript: ``then`` applied to the first element matching ``selector`` (``e``), or null."""
    return f"(() => {{ const e = document.querySelector({json.dumps(selector)}); return e ? ({then}) : null; }})()"


#: a click from a script: a link that would open a new window opens in the same tab instead (a script's
#: click is no user gesture, so the browser's pop-up blocker would swallow the new window)
_CLICK = "(e.closest('a') && e.closest('a').removeAttribute('target'), e.click(), true)"


@getter("page_info", params=PageInfoParams)
def page_info(ctx: EvalContext, spec: Getter) -> dict[str, str] | None:
    """Title, URL and HTML of the page at ``url`` (opened in a tab of its own, with the profile's cookies).

    None when no browser runs; the benchmark's placeholder values when the page does not load.
    """
    url = spec.field("url")
    if not isinstance(url, str) or not url:
        raise CheckerError("page_info: missing field 'url'")

    def read(devtools: DevTools, tab: Tab) -> dict[str, str]:
        value = _evaluate(devtools, tab, _PAGE_JS)
        if not isinstance(value, dict):
            raise _PageFailed("the page did not answer")
        return {"title": str(value.get("title", "")), "url": str(value.get("url", url)),
                "content": str(value.get("content", ""))}

    try:
        result: dict[str, str] = _in_own_tab(ctx, url, read)
    except BrowserNotRunning:
        return None
    except (_PageFailed, DevToolsError):
        return {"title": "Load timeout", "url": url, "content": ""}
    return result


def _info(devtools: DevTools, tab: Tab, url: str, info: dict[str, Any]) -> Any:
    """One entry of ``infos``: an element's text or attribute, after clicking through ``selector`` lists."""
    action = info.get("action", "inner_text")
    selector = info.get("selector")
    attribute = json.dumps(str(info.get("attribute", "")))
    if action not in ("inner_text", "attribute", "click_and_inner_text", "click_and_attribute"):
        raise CheckerError(f"info_from_website: unknown action {action!r}")
    given = selector if isinstance(selector, list) and action.startswith("click_") else [selector]
    selectors = [s for s in given if isinstance(s, str) and s]
    if not selectors or len(selectors) != len(given):
        raise CheckerError(f"info_from_website: bad selector {selector!r}")
    if _evaluate(devtools, tab, "location.href") != url:
        _evaluate(devtools, tab, f"(location.href = {json.dumps(url)}, true)")
        devtools.wait_loaded([tab.id], timeout=PAGE_TIMEOUT_S)
    for step in selectors[:-1]:
        _wait_value(devtools, tab, _select(step, _CLICK))
        time.sleep(POLL_S)
        devtools.wait_loaded([tab.id], timeout=PAGE_TIMEOUT_S)
    read = "e.innerText" if action.endswith("inner_text") else f"(e.getAttribute({attribute}) ?? '')"
    return _wait_value(devtools, tab, _select(selectors[-1], read))


@getter("info_from_website", params=WebsiteInfoParams)
def info_from_website(ctx: EvalContext, spec: Getter) -> Any:
    """What ``infos`` names on the page at ``url`` (in order), or ``backups`` when the site cannot be read.

    The benchmark falls back to ``backups`` for any failure, so a task stays
    scorable when the site is down or has changed; so does deskbench (no
    browser, no network, a selector that matches nothing in 10 s).
    """
    url, infos, backups = spec.field("url"), spec.field("infos", []), spec.field("backups")
    if not isinstance(url, str) or not url or not isinstance(infos, list):
        raise CheckerError("info_from_website: needs 'url' (a string) and 'infos' (a list)")
    if not all(isinstance(i, dict) for i in infos):
        raise CheckerError("info_from_website: each of 'infos' must be an object")
    try:
        return _in_own_tab(ctx, url, lambda devtools, tab: [_info(devtools, tab, url, i) for i in infos])
    except (BrowserNotRunning, DevToolsError, _PageFailed):
        return backups


_PRINT = r'''
set -u
dir=$(mktemp -d /tmp/deskbench-pdf.XXXXXX) || exit 3
setsid chromium --headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync \
  --disable-background-networking --disable-component-update --no-pdf-header-footer \
  --user-data-dir="$dir/profile" --print-to-pdf="$dir/page.pdf" "$1" >/dev/null 2>&1 &
browser=$!
# the headless browser may linger after writing the file: done once the file is complete (its size holds)
size=-1
for _ in $(seq $(( $2 * 4 ))); do
  kill -0 "$browser" 2>/dev/null || break
  now=$(stat -c %s "$dir/page.pdf" 2>/dev/null || echo -1)
  if [ "$now" -gt 0 ] && [ "$now" = "$size" ]; then break; fi
  size=$now
  sleep 0.25
done
kill -KILL -- "-$browser" 2>/dev/null; wait "$browser" 2>/dev/null
echo "$dir"
'''


@getter("pdf_from_url", params=PdfParams)
def pdf_from_url(ctx: EvalContext, spec: Getter) -> str | None:
    """The page at ``path`` (a URL) printed to PDF by a headless browser in the desktop, copied as ``dest``;
    None when it could not be printed (no network, no such page)."""
    url = spec.field("path")
    if not isinstance(url, str) or "://" not in url:
        raise CheckerError(f"pdf_from_url: 'path' must be a URL, got {url!r}")
    result = ctx.guest.run(["bash", "-c", _PRINT, "print", url, str(int(PDF_TIMEOUT_S))], shell=False,
                           as_guest=False, timeout=PDF_TIMEOUT_S + 30)
    folder = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if not folder.startswith("/tmp/deskbench-pdf."):
        raise CheckerError(f"pdf_from_url: could not run a headless browser: {result.stderr.strip()[:200]}")
    try:
        data = read_guest_file(ctx, spec.type, f"{folder}/page.pdf", MAX_FILE)
    finally:
        ctx.guest.run(["rm", "-rf", "--", folder], shell=False, as_guest=False, timeout=30)
    return None if not data else save(ctx, spec, data, "page.pdf")


# ------------------------------------------------------------------ recreation.gov

RECREATION_URL = "https://www.recreation.gov/"
_FILL = ("(() => { const e = document.querySelector('input#hero-search-input'); if (!e) return null;"
         " const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
         " set.call(e, 'Diamond'); e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()")
_NEXT_AVAILABLE = ("button.next-available", "button[class*='next-available']", "button[class*='next']",
                   ".next-available", "[data-testid*='next']")


def _recreation_steps(devtools: DevTools, tab: Tab, class_name: str, order: int | None) -> dict[str, str]:
    """Search for "Diamond", open the first highlighted result, ask for the next available date, read.

    The benchmark's browser opens the result in a pop-up window; here it opens in the getter's own tab.
    """
    _wait_value(devtools, tab, _FILL, PAGE_TIMEOUT_S)
    _wait_value(devtools, tab, _select("button.nav-search-button", _CLICK), PAGE_TIMEOUT_S)
    search_page = _evaluate(devtools, tab, "location.href")
    _wait_value(devtools, tab, _select(".search-result-highlight--success", _CLICK), PAGE_TIMEOUT_S)
    _wait_value(devtools, tab, f"location.href !== {json.dumps(search_page)} || null", PAGE_TIMEOUT_S)
    devtools.wait_loaded([tab.id], timeout=PAGE_TIMEOUT_S)
    for selector in _NEXT_AVAILABLE:
        try:
            _wait_value(devtools, tab, _select(selector, _CLICK), 5.0 if selector == _NEXT_AVAILABLE[0] else 0.0)
            break
        except _PageFailed:
            continue
    index = 0 if order is None else order
    script = (f"(() => {{ const all = document.getElementsByClassName({json.dumps(class_name)});"
              f" return all.length > {index} ? (all[{index}].textContent || '').trim() : null; }})()")
    try:
        return {class_name: str(_wait_value(devtools, tab, script, SELECTOR_TIMEOUT_S))}
    except _PageFailed:
        return {class_name: "__EVALUATION_FAILED__"}


@getter("gotoRecreationPage_and_get_html_content", params=RecreationParams)
def goto_recreation_page_and_get_html_content(ctx: EvalContext, spec: Getter) -> dict[str, Any] | None:
    """The text of an element (``selector: class``, ``class``, optional ``order``) on the campground page that
    recreation.gov's search for "Diamond" leads to, after asking for the next available date.

    The live site is the expected value; ``url`` (default recreation.gov) may
    name another host serving the same pages.  None when no browser runs;
    ``__EVALUATION_FAILED__`` as the text when the site cannot be read.
    """
    if spec.field("selector") != "class" or not isinstance(spec.field("class"), str):
        raise CheckerError("gotoRecreationPage_and_get_html_content: needs selector 'class' and a 'class' name")
    class_name = str(spec.field("class"))
    order_field = spec.field("order")
    try:
        order = None if order_field is None else int(order_field)
    except (TypeError, ValueError):
        raise CheckerError(f"gotoRecreationPage_and_get_html_content: 'order' must be a number, got {order_field!r}"
                           ) from None
    url = str(spec.field("url", RECREATION_URL))
    try:
        found = _in_own_tab(ctx, url, lambda devtools, tab: _recreation_steps(devtools, tab, class_name, order))
    except BrowserNotRunning:
        return None
    except (DevToolsError, _PageFailed):
        found = {class_name: "__EVALUATION_FAILED__"}
    return {"expected": found}
