"""Cases for the browser-profile metrics: cookies, history, desktop shortcuts, experiments, font size, cart,
extensions, as rows and records in the shapes OSWorld's getters return (SQLite rows, dicts of files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.differential.cases import Case, generates
from tests.differential.uses import Use


def _cases(metric: str, use: Use, values: list[tuple[str, Any]]) -> list[Case]:
    return [Case(metric, f"{use.task[:8]}:{label}", value, use.rules, use.options, (use.task,))
            for label, value in values]


def _cookie(host: str) -> tuple[int, str, str, str]:
    """A cookies-table row as OSWorld's getter reads it: creation_utc, host_key, name, value."""
    return (1, host, "name", "value")


@generates("is_cookie_deleted")
def cookies(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        domain = use.rules["domains"][0]
        out += _cases("is_cookie_deleted", use, [
            ("deleted", [_cookie(".example.org")]), ("kept", [_cookie(domain)]),
            ("subdomain", [_cookie("www" + domain)]), ("country-code", [_cookie(domain + ".sg")]), ("none-left", [])])
    return out


@generates("check_history_deleted")
def history(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        word = use.rules["keywords"][0]
        out += _cases("check_history_deleted", use, [
            ("deleted", [("https://example.org/", "t", 1)]), ("kept", [(f"https://www.{word}.com/watch", "t", 1)]),
            ("upper", [(f"https://www.{word.upper()}.com/", "t", 1)]), ("empty", [])])
    return out


@generates("is_shortcut_on_desktop")
def shortcuts(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        name = use.rules.get("name", "")
        entry = f"[Desktop Entry]\nName={name}\nExec=chrome\n"
        out += _cases("is_shortcut_on_desktop", use, [
            ("present", {"/home/user/Desktop/a.desktop": entry}),
            ("no-newline", {"/home/user/Desktop/a.desktop": f"[Desktop Entry]\nName={name}"}),
            ("other", {"/home/user/Desktop/b.desktop": "[Desktop Entry]\nName=Other\n"}), ("none", {})])
    return out


@generates("check_enabled_experiments")
def experiments(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        names = use.rules["names"]
        out += _cases("check_enabled_experiments", use, [
            ("same", [f"{n}@1" for n in names]), ("reordered", [f"{n}@1" for n in reversed(names)]),
            ("one", [f"{names[0]}@1"]), ("empty", [])])
    return out


@generates("check_font_size")
def font_size(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        out += _cases("check_font_size", use, [(f"size-{v}", {"default_font_size": v}) for v in (12, 16, 17, 24)])
    return out


@generates("is_added_to_steam_cart")
def steam(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        item = use.rules["items"][0]
        out += _cases("is_added_to_steam_cart", use, [
            ("in-cart", {"title": "Cart", "url": "u", "content": f"Your cart: {item} $9.99"}),
            ("empty-cart", {"title": "Cart", "url": "u", "content": "Your cart is empty"})])
    return out


@generates("is_expected_installed_extensions")
def extensions(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        want = use.rules["expected"]
        out += _cases("is_expected_installed_extensions", use, [
            ("all", list(want)), ("more", [*want, "Other"]), ("fewer", list(want[1:])), ("none", [])])
    return out


@generates("is_vlc_playing")
def vlc_playing(uses: list[Use], folder: Path) -> list[Case]:
    out: list[Case] = []
    for use in uses:
        rule = use.rules
        if rule["type"] == "file_name":
            name = rule["file_name"]
            good = f"<root><state>playing</state><information><category name='meta'><info name='filename'>{name}</info></category></information></root>"
            bad = good.replace("playing", "paused")
        else:
            good = f"<root><state>playing</state><information><category name='meta'><info name='url'>{rule['url']}</info></category></information></root>"
            bad = good.replace(rule["url"], "https://example.org/x")
        out += _cases("is_vlc_playing", use, [("playing", good), ("other", bad)])
    return out
