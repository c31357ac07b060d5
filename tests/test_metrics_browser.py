"""Browser metrics on the value shapes the browser getters produce (see harness.checkers.metrics.browser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.checkers.metrics.browser import (
    check_enabled_experiments,
    check_font_size,
    check_history_deleted,
    compare_htmls,
    is_added_to_steam_cart,
    is_cookie_deleted,
    is_expected_active_tab,
    is_expected_bookmarks,
    is_expected_installed_extensions,
    is_expected_search_query,
    is_expected_tabs,
    is_expected_url_pattern_match,
    is_shortcut_on_desktop,
)
from harness.errors import CheckerError

TAB = {"title": "Results", "url": "https://www.example.com/search?search=spider-man%20toys&S=4", "content": "..."}


def test_url_pattern_match() -> None:
    rules = {"expected": ["search=spider[-%20]?man%20toys", "S=4"]}
    assert is_expected_url_pattern_match(TAB, rules) == 1.0
    assert is_expected_url_pattern_match(TAB["url"], rules) == 1.0
    assert is_expected_url_pattern_match(TAB, {"expected": ["S=5"]}) == 0.0
    assert is_expected_url_pattern_match(None, rules) == 0.0
    with pytest.raises(CheckerError, match="is_expected_url_pattern_match"):
        is_expected_url_pattern_match(TAB, {"expected": "S=4"})


def test_active_tab() -> None:
    rules = {"type": "url", "url": "https://www.nfl.com/scores/2019/POST4"}
    assert is_expected_active_tab("https://www.nfl.com/scores/2019/POST4", rules) == 1.0
    assert is_expected_active_tab({"url": "https://nfl.com/scores/2019/POST4"}, rules) == 1.0
    assert is_expected_active_tab("https://www.nfl.com/scores/2019/POST3", rules) == 0.0
    assert is_expected_active_tab(None, rules) == 0.0
    with pytest.raises(CheckerError, match="rule type"):
        is_expected_active_tab("x", {"type": "title", "url": "x"})


def test_open_tabs() -> None:
    rules = {"type": "url", "urls": ["https://www.apple.com/", "https://scholar.google.com/"]}
    tabs = [{"title": "Scholar", "url": "https://scholar.google.com/"}, {"title": "Apple", "url": "https://www.apple.com"}]
    assert is_expected_tabs(tabs, rules) == 1.0
    assert is_expected_tabs(tabs[:1], rules) == 0.0
    assert is_expected_tabs(tabs + [{"title": "x", "url": "https://x.org"}], rules) == 0.0
    assert is_expected_tabs(None, rules) == 0.0


def bar(*children: dict[str, Any]) -> dict[str, Any]:
    return {"bookmark_bar": {"children": list(children)}, "other": {"children": []}}


def test_bookmarks() -> None:
    folders = bar({"type": "folder", "name": "Favorites", "children": []}, {"type": "url", "name": "x", "url": "u"})
    assert is_expected_bookmarks(folders, {"type": "bookmark_bar_folders_names", "names": ["Favorites"]}) == 1.0
    assert is_expected_bookmarks(bar(), {"type": "bookmark_bar_folders_names", "names": ["Favorites"]}) == 0.0
    links = bar({"type": "url", "name": "T", "url": "https://jalammar.github.io/illustrated-transformer/"})
    rule = {"type": "bookmark_bar_websites_urls", "urls": ["https://jalammar.github.io/illustrated-transformer/"]}
    assert is_expected_bookmarks(links, rule) == 1.0
    assert is_expected_bookmarks(folders, rule) == 0.0
    liked = {"type": "liked_authors_websites_urls", "urls": [["https://a.me/", "https://b.org/a"], "https://c.io/"]}
    folder = bar({"type": "folder", "name": "Liked Authors", "children": [
        {"type": "url", "url": "https://b.org/a"}, {"type": "url", "url": "https://c.io/"}]})
    assert is_expected_bookmarks(folder, liked) == 1.0
    extra = bar({"type": "folder", "name": "Liked Authors", "children": [{"type": "url", "url": "https://c.io/"}]})
    assert is_expected_bookmarks(extra, liked) == 0.0
    assert is_expected_bookmarks(None, liked) == 0.0
    with pytest.raises(CheckerError, match="rule type"):
        is_expected_bookmarks(folder, {"type": "history"})


def test_search_query_and_steam_cart() -> None:
    rules = {"expect": {"pattern": r"www\.google\.com.*?/search\?q=Nereida&"}}
    assert is_expected_search_query({"url": "https://www.google.com/search?q=Nereida&sca=1"}, rules) == 1.0
    assert is_expected_search_query({"url": "https://www.google.com/search?q=Other&"}, rules) == 0.0
    cart = {"title": "Cart", "url": "https://store.steampowered.com/cart/", "content": "The Dota 2 Official Soundtrack"}
    assert is_added_to_steam_cart(cart, {"items": ["The Dota 2 Official Soundtrack"]}) == 1.0
    assert is_added_to_steam_cart({**cart, "content": "empty"}, {"items": ["The Dota 2 Official Soundtrack"]}) == 0.0


def test_extensions_and_experiments() -> None:
    rules = {"expected": ["Momentum", "Google Translate"]}
    assert is_expected_installed_extensions(["Momentum", "Google Translate", "Other"], rules) == 1.0
    assert is_expected_installed_extensions([{"name": "Momentum"}], rules) == 0.0
    flags = {"type": "names", "names": ["chrome-refresh-2023", "chrome-webui-refresh-2023"]}
    assert check_enabled_experiments(["chrome-refresh-2023@1", "chrome-webui-refresh-2023@1"], flags) == 1.0
    assert check_enabled_experiments(["chrome-refresh-2023@1"], flags) == 0.0


def test_font_size() -> None:
    assert check_font_size({"default_font_size": 20}, {"type": "range", "min": 16, "max": 99999}) == 1.0
    assert check_font_size({"default_font_size": 16}, {"type": "range", "min": 16, "max": 99999}) == 0.0
    assert check_font_size({"default_font_size": 16}, {"type": "value", "value": 16}) == 1.0
    with pytest.raises(CheckerError, match="check_font_size"):
        check_font_size({"default_font_size": 16}, {"type": "range", "min": 1})


def test_cookies_history_shortcuts() -> None:
    rules = {"type": "domains", "domains": [".amazon.com"]}
    assert is_cookie_deleted([(0, ".google.com", "NID")], rules) == 1.0
    assert is_cookie_deleted([(0, ".amazon.com", "session")], rules) == 0.0
    assert is_cookie_deleted([{"host_key": ".amazon.com"}], rules) == 0.0
    history = {"type": "keywords", "keywords": ["youtube"]}
    assert check_history_deleted([("https://example.org/", "Example", 0)], history) == 1.0
    assert check_history_deleted([("https://www.youtube.com/watch", "YT", 0)], history) == 0.0
    shortcut = {"type": "name", "name": "Play Puzzle Game 2048"}
    assert is_shortcut_on_desktop({"/d/2048.desktop": "[Desktop Entry]\nName=Play Puzzle Game 2048\n"}, shortcut) == 1.0
    assert is_shortcut_on_desktop({"/d/x.desktop": "Name=Other\n"}, shortcut) == 0.0


def test_compare_htmls(tmp_path: Path) -> None:
    gold = tmp_path / "g.html"
    gold.write_text('<html><body><table><tr><td sdnum="1;0">12</td></tr></table></body></html>')
    same = tmp_path / "a.html"
    same.write_text('<html><body><table><tr><td sdnum="1;0">12</td></tr></table></body></html>')
    renum = tmp_path / "b.html"
    renum.write_text('<html><body><table><tr><td sdnum="1;1">12</td></tr></table></body></html>')
    other = tmp_path / "c.html"
    other.write_text('<html><body><table><tr><td sdnum="1;0">13</td></tr></table></body></html>')
    assert compare_htmls(str(same), str(gold)) == 1.0
    assert compare_htmls(str(renum), str(gold)) == 0.0
    assert compare_htmls(str(renum), str(gold), ignore_sdnum=True) == 1.0
    assert compare_htmls(str(other), str(gold)) == 0.0
