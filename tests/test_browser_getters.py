"""Browser getters and setup steps: pure helpers on the host, then round trips with Chromium in real
office containers (tabs opened by the steps and read back by the getters, a bookmark made with the
keyboard, history flushed the way OSWorld's tasks do it, preferences live and from the file).

Every wait is bounded polling; every container is removed (``no_leftovers``).
"""

from __future__ import annotations

import sqlite3
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from harness.checkers.context import EvalContext
from harness.checkers.getters_browser import dash_part, html_parse_script, parse_url_keys, user_prefs, with_prefix
from harness.checkers.registry import GETTERS
from harness.errors import CheckerError, SetupError
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.devtools import DevTools, normalize_url, same_page
from harness.setup import STEPS, SetupContext
from harness.setup.browser_steps import add_history, chrome_time
from harness.tasks.schema import Getter, Task
from tests.waiting import poll

RUN = {"deskbench.run": "pytest-browser"}
DESKTOP = "/home/user/Desktop"
PROFILE = "/home/user/.config/google-chrome/Default"
PATIENCE_S = 60.0
REPO = Path(__file__).resolve().parents[1]




# --------------------------------------------------------------------- host-side units


@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://www.tripadvisor.com", "https://www.tripadvisor.com/", True),
    ("https://www.tripadvisor.com/", "http://tripadvisor.com", True),
    ("tripadvisor.com", "https://www.tripadvisor.com/", True),
    ("HTTPS://WWW.Example.com/a", "https://example.com/a", True),
    ("https://example.com/a", "https://example.com/b", False),
    ("https://example.com/?q=1", "https://example.com/?q=2", False),
    ("file:///home/user/a.html", "file:///home/user/a.html", True),
    ("https://example.com/a/", "https://example.com/a", False),
])
def test_same_page(a: str, b: str, same: bool) -> None:
    assert same_page(a, b) is same


def test_normalize_url_keeps_query_and_fragment() -> None:
    assert normalize_url("https://www.Shop.com/?q=x#top") == "https://shop.com?q=x#top"


def test_url_parse_and_dash_part_follow_osworld() -> None:
    url = "https://www.rail.com/search?fromStation=BOM&toStation=STO&departing=2024-03-18&x=1&x=2"
    assert parse_url_keys(url, ["fromStation", "departing", "x", "missing"], {"departing": "time"}) == {
        "fromStation": "BOM", "x": "1", "missing": "", "time": "2024-03-18"}
    page = "https://www.drugs.com/sfx/tamiflu-side-effects.html?id=3"
    assert dash_part(page, -1, True, "string", None) == "tamiflu-side-effects.html"
    assert dash_part(page, -1, False, "string", None) == "tamiflu-side-effects.html?id=3"
    assert dash_part(page, -2, False, "json", "time") == {"time": "sfx"}
    with pytest.raises(CheckerError, match="no part"):
        dash_part(page, 12, False, "string", None)
    with pytest.raises(CheckerError, match="returnType"):
        dash_part(page, -1, False, "xml", None)


def test_goto_prefix_only_completes_urls_without_a_scheme() -> None:
    assert with_prefix("https://www.babycenter.com/x", "https://www.") == "https://www.babycenter.com/x"
    assert with_prefix("babycenter.com/x", "https://www.") == "https://www.babycenter.com/x"
    assert with_prefix("chrome://newtab/", "https://") == "chrome://newtab/"


def test_html_parse_script_rejects_unknown_categories() -> None:
    with pytest.raises(CheckerError, match="unknown category"):
        html_parse_script(Getter.model_validate({"type": "active_tab_html_parse", "category": "label"}))
    script = html_parse_script(Getter.model_validate({"type": "active_tab_html_parse", "category": "input",
                                                      "inputObject": {"//input": "name"}}))
    assert '"//input": "name"' in script and ".value" in script


def test_user_prefs_drops_defaults_like_the_file_does() -> None:
    shown = {"profile": {"name": {"metadata": ["user_controlled"], "value": "Thomas"},
                         "avatar": {"metadata": ["default", "user_modifiable"], "value": 3}},
             "webkit": {"webprefs": {"default_font_size": {"metadata": ["default"], "value": 16}}},
             "enable_do_not_track": {"metadata": ["user_controlled", "user_modifiable"], "value": True}}
    assert user_prefs(shown) == {"profile": {"name": "Thomas"}, "enable_do_not_track": True}


HISTORY_SCHEMA = """
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0
  NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit
  INTEGER,external_referrer_url TEXT,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,visit_duration INTEGER
  DEFAULT 0 NOT NULL,incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,opener_visit INTEGER);
"""


def test_add_history_writes_urls_and_visits(tmp_path: Path) -> None:
    db = tmp_path / "History"
    with sqlite3.connect(db) as conn:
        conn.executescript(HISTORY_SCHEMA)
    now = 1_700_000_000.0
    add_history(db, [{"url": "https://www.bbc.co.uk/", "title": "BBC", "visit_time_from_now_in_seconds": 60},
                     {"url": "https://www.bbc.co.uk/", "title": "BBC News", "visit_time_from_now_in_seconds": 10},
                     {"url": "https://www.cnn.com/", "title": "CNN"}], now)
    with sqlite3.connect(db) as conn:
        urls = conn.execute("SELECT url, title, visit_count, last_visit_time FROM urls ORDER BY id").fetchall()
        visits = conn.execute("SELECT url, visit_time FROM visits ORDER BY id").fetchall()
    assert urls == [("https://www.bbc.co.uk/", "BBC News", 2, chrome_time(now - 10)),
                    ("https://www.cnn.com/", "CNN", 1, chrome_time(now))]
    assert visits == [(1, chrome_time(now - 60)), (1, chrome_time(now - 10)), (2, chrome_time(now))]
    assert chrome_time(0) == 11_644_473_600_000_000  # 1970 in microseconds since 1601


def test_chrome_title_patch_rewrites_one_resource() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("patch_chrome_title", REPO / "envs/office/patch_chrome_title.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    resources = [b"first", b"$1 - Chromium", b"last one"]
    header = struct.pack("<IB3xHH", 5, 1, len(resources), 0)
    start = len(header) + 6 * (len(resources) + 1)
    table, offset = b"", start
    for i, data in enumerate([*resources, b""]):
        table += struct.pack("<HI", 100 + i, offset)
        offset += len(data)
    patched = module.patch(header + table + b"".join(resources))
    offsets = [struct.unpack_from("<HI", patched, 12 + 6 * i)[1] for i in range(len(resources) + 1)]
    assert [patched[offsets[i]:offsets[i + 1]] for i in range(3)] == [b"first", b"$1 - Google Chrome", b"last one"]
    with pytest.raises(SystemExit, match="found 0"):
        module.patch(patched)


# ----------------------------------------------------------------------- containers


@pytest.fixture
def office(office_image: str, no_leftovers: None) -> Iterator[Sandbox]:
    with start_sandbox("office", labels=dict(RUN)) as box:
        yield box


def _task() -> Task:
    return Task.model_validate({"id": "browser-test", "instruction": "-", "evaluator": {"func": "exact_match"}})


def step(box: Sandbox, name: str, **params: Any) -> None:
    STEPS[name](SetupContext(box.guest, _task()), params)


def get(box: Sandbox, tmp_path: Path, name: str, **fields: Any) -> Any:
    return GETTERS[name](EvalContext(box.guest, _task(), tmp_path), Getter.model_validate({"type": name, **fields}))


PAGE_A = ("<!doctype html><title>Page A</title><div class='city'>Zurich</div><div class='city'>Geneva</div>"
          "<main><p>first</p><p>second <b>bold</b></p></main><form><input name='who' value=' Ada '></form>")


@pytest.mark.docker
def test_tabs_opened_by_the_step_are_what_the_getters_read(office: Sandbox, tmp_path: Path) -> None:
    box = office
    box.guest.write_file(f"{DESKTOP}/a.html", PAGE_A.encode())
    box.guest.write_file(f"{DESKTOP}/b.html", b"<!doctype html><title>Page B</title><p>b</p>")
    assert get(box, tmp_path, "open_tabs_info") is None  # no browser yet: nothing to read, not an error
    assert get(box, tmp_path, "active_tab_info") is None

    # No browser runs: the step starts one on the URLs.
    step(box, "chrome_open_tabs", urls_to_open=[f"file://{DESKTOP}/b.html"])
    assert get(box, tmp_path, "open_tabs_info") == [{"title": "Page B", "url": f"file://{DESKTOP}/b.html"}]
    # It runs now: new tabs go into it, the last one opened is the active one.
    url_a = f"file://{DESKTOP}/a.html?from=ZRH&to=GVA&when=2024-03-18#results"
    step(box, "chrome_open_tabs", urls_to_open=["https://www.example.com/", url_a])
    tabs = get(box, tmp_path, "open_tabs_info")
    assert sorted(t["title"] for t in tabs) == ["Page A", "Page B", "www.example.com"]
    assert tabs[0] == {"title": "Page A", "url": url_a}  # most recently active first
    info = get(box, tmp_path, "active_tab_info")
    assert (info["title"], info["url"]) == ("Page A", url_a)
    assert info["content"].startswith("<!DOCTYPE html><html>") and "<div class=\"city\">Geneva</div>" in info["content"]
    assert get(box, tmp_path, "active_url_from_accessTree", goto_prefix="https://www.") == url_a
    assert get(box, tmp_path, "active_tab_url_parse", parse_keys=["from", "when", "none"], replace={"when": "time"}) == {
        "from": "ZRH", "none": "", "time": "2024-03-18"}
    assert get(box, tmp_path, "url_dashPart", partIndex=-1, needDeleteId=True, returnType="string") == "a.html"
    assert get(box, tmp_path, "active_tab_html_parse", category="class", class_singleObject={"city": "start"},
               class_multiObject={"city": {"1": "end", "7": "absent"}}) == {"start": "Zurich", "end": "Geneva"}
    assert get(box, tmp_path, "active_tab_html_parse", category="xpath",
               xpathObject={"/html/body/main/p[2]": "p2", "/html/body/nav": "none"}) == {"p2": "second bold"}
    assert get(box, tmp_path, "active_tab_html_parse", category="input",
               inputObject={"/html/body/form/input": "who"}) == {"who": "Ada"}
    assert get(box, tmp_path, "vm_window_size", app_class_name="Google-chrome") == {"width": 1280, "height": 800}

    # Closing by a loosely spelled URL; a URL no tab shows is a setup error, not a silent no-op.
    step(box, "chrome_close_tabs", urls_to_close=["http://example.com"])
    assert sorted(t["title"] for t in get(box, tmp_path, "open_tabs_info")) == ["Page A", "Page B"]
    with pytest.raises(SetupError, match="no open tab shows"):
        step(box, "chrome_close_tabs", urls_to_close=["https://www.tripadvisor.com"])
    # The active tab is still A: closing a background tab does not move the user.
    assert get(box, tmp_path, "active_url_from_accessTree") == url_a


@pytest.mark.docker
def test_chrome_open_tabs_waits_for_a_browser_that_is_starting(office: Sandbox, tmp_path: Path) -> None:
    box = office
    step(box, "launch", command=["google-chrome", "--remote-debugging-port=1337"])
    step(box, "chrome_open_tabs", urls_to_open=[f"file://{DESKTOP}"])  # at once, as OSWorld's configs do
    urls = [t["url"] for t in get(box, tmp_path, "open_tabs_info")]
    assert f"file://{DESKTOP}/" in urls and len(urls) == 2, urls
    windows = [w for w in box.guest.windows() if w.title.endswith(" - Google Chrome")]
    assert len(windows) == 1, [w.title for w in box.guest.windows()]


@pytest.mark.docker
def test_a_bookmark_made_with_the_keyboard_is_in_the_bookmarks_getter(office: Sandbox, tmp_path: Path) -> None:
    box = office
    box.guest.write_file(f"{DESKTOP}/keep.html", b"<!doctype html><title>Keep me</title><p>keep</p>")
    step(box, "chrome_open_tabs", urls_to_open=[f"file://{DESKTOP}/keep.html"])
    assert get(box, tmp_path, "bookmarks") is None  # a fresh profile has no Bookmarks file
    step(box, "activate_window", window_name="Keep me - Google Chrome", strict=True)
    box.guest.input({"op": "key", "keys": "ctrl+d"})  # "Bookmark this tab": made at once, its bubble edits it

    def bookmarked() -> list[str]:
        roots = get(box, tmp_path, "bookmarks") or {}
        return [n.get("url", "") for root in roots.values() if isinstance(root, dict) for n in root.get("children", [])]
    assert f"file://{DESKTOP}/keep.html" in poll(bookmarked, "the bookmark in the Bookmarks file", timeout=PATIENCE_S)
    roots = get(box, tmp_path, "bookmarks")
    assert {"bookmark_bar", "other"} <= set(roots)


@pytest.mark.docker
def test_history_from_the_setup_step_and_from_a_visit(office: Sandbox, tmp_path: Path) -> None:
    box = office
    step(box, "update_browse_history", history=[
        {"url": "https://www.youtube.com/watch?v=1", "title": "Video", "visit_time_from_now_in_seconds": 3600},
        {"url": "https://www.bbc.co.uk/", "title": "BBC", "visit_time_from_now_in_seconds": 60}])
    rows = get(box, tmp_path, "history", dest="history.sqlite")
    assert [(url, title) for url, title, _ in rows] == [("https://www.youtube.com/watch?v=1", "Video"),
                                                        ("https://www.bbc.co.uk/", "BBC")]
    assert (tmp_path / "history.sqlite").is_file()
    assert rows[0][2] < rows[1][2] <= chrome_time(time.time())

    box.guest.write_file(f"{DESKTOP}/seen.html", b"<!doctype html><title>Seen page</title><p>seen</p>")
    step(box, "chrome_open_tabs", urls_to_open=[f"file://{DESKTOP}/seen.html"])
    with pytest.raises(SetupError, match="browser is running"):
        step(box, "update_browse_history", history=[{"url": "https://late.example/"}])
    # The browser commits history every ~10 s and when it exits normally (pkill's SIGTERM ends the session
    # without that commit): a normal exit, through DevTools, writes the visit now.
    assert DevTools(box.guest).close_browser()
    rows = get(box, tmp_path, "history", dest="history.sqlite")
    # The browser kept the step's rows (it would have replaced a database it found broken) and added the visit.
    assert [url for url, _, _ in rows][:2] == ["https://www.youtube.com/watch?v=1", "https://www.bbc.co.uk/"]
    assert (f"file://{DESKTOP}/seen.html", "Seen page") in [(url, title) for url, title, _ in rows]


@pytest.mark.docker
def test_preferences_are_read_live_and_from_the_file(office: Sandbox, tmp_path: Path) -> None:
    box = office
    assert get(box, tmp_path, "default_search_engine") == "Google"  # neither browser nor profile: the default
    step(box, "launch", command=["google-chrome"])
    step(box, "chrome_open_tabs", urls_to_open=["about:blank"])
    assert get(box, tmp_path, "enable_do_not_track") == "false"
    assert get(box, tmp_path, "data_delete_automacally") == "false"
    assert get(box, tmp_path, "chrome_prefs", key="profile.name")  # live, through chrome://prefs-internals
    tabs_before = get(box, tmp_path, "open_tabs_info")
    assert len(tabs_before) == 2  # the background tab the live read opened is gone again
    # Change a preference in the file while the browser is stopped (as OSWorld's configs do with jq) ...
    step(box, "execute", command="pkill chrome", shell=True)
    devtools = DevTools(box.guest)
    poll(lambda: not devtools.browser_pids(), "the browser to exit", timeout=30)
    step(box, "execute", shell=True, command=(
        f"cd {PROFILE} && jq '. + {{\"enable_do_not_track\": true, \"default_search_provider_data\": "
        "{\"template_url_data\": {\"short_name\": \"Bing\"}}}' Preferences > p && mv p Preferences"))
    assert get(box, tmp_path, "enable_do_not_track") == "true"  # from the file
    assert get(box, tmp_path, "default_search_engine") == "Bing"
    # ... and the running browser reports it too.
    step(box, "launch", command=["google-chrome"])
    step(box, "chrome_open_tabs", urls_to_open=["about:blank"])
    assert devtools.is_up()
    assert get(box, tmp_path, "enable_do_not_track") == "true"
    assert get(box, tmp_path, "profile_name")


@pytest.mark.docker
def test_steps_fail_clearly_without_a_browser(desktop_image: str, tmp_path: Path, no_leftovers: None) -> None:
    with start_sandbox("desktop", labels=dict(RUN)) as box:
        with pytest.raises(SetupError, match="cannot start the browser"):
            step(box, "chrome_open_tabs", urls_to_open=["https://example.com"])
        with pytest.raises(SetupError, match="no browser answers"):
            step(box, "chrome_close_tabs", urls_to_close=["https://example.com"])
        with pytest.raises(SetupError, match="no History database"):
            step(box, "update_browse_history", history=[{"url": "https://example.com"}])
        assert get(box, tmp_path, "open_tabs_info") is None


@pytest.mark.docker
def test_change_wallpaper_fills_the_screen(desktop_image: str, tmp_path: Path, no_leftovers: None) -> None:
    with start_sandbox("desktop", labels=dict(RUN)) as box:
        source = tmp_path / "wall.png"
        Image.new("RGB", (64, 40), (200, 30, 40)).save(source)
        box.guest.write_file("/home/user/Pictures/wall.png", source.read_bytes())
        step(box, "change_wallpaper", path="/home/user/Pictures/wall.png")
        import io

        shot = Image.open(io.BytesIO(box.guest.screenshot(pointer=False).data)).convert("RGB")
        for x, y in ((0, 0), (box.screen[0] - 1, box.screen[1] - 1), (box.screen[0] // 2, box.screen[1] // 2)):
            assert shot.getpixel((x, y)) == (200, 30, 40), (x, y)
        with pytest.raises(SetupError, match="cannot read the image"):
            step(box, "change_wallpaper", path="/home/user/Pictures/missing.png")
