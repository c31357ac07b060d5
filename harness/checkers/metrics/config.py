"""Application settings metrics: JSON/YAML settings files, GIMP and LibreOffice configuration, JSON objects
read from pages, installed VS Code extensions.

These check that one setting has the asked value, never the whole file: the
applications rewrite their settings files with whatever else they hold.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from lxml import etree

from harness.checkers.metrics._common import fail, match_rule, option, read_text, result_path, rules_of
from harness.checkers.registry import metric

_OOR = "http://openoffice.org/2001/registry"


def _load_json(path: str) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError:
        return None


@metric("check_json_settings")
def check_json_settings(result: Any, expected: Any) -> float:
    """1 when the JSON settings file has every key of ``rules.expected`` with exactly that value."""
    wanted = rules_of("check_json_settings", expected, "expected")["expected"]
    if not isinstance(wanted, dict):
        raise fail("check_json_settings", "'expected' must be an object of settings")
    path = result_path(result)
    data = None if path is None else _load_json(path)
    if not isinstance(data, dict):
        return 0.0
    return float(all(key in data and data[key] == value for key, value in wanted.items()))


@metric("check_json_keybindings")
def check_json_keybindings(result: Any, expected: Any) -> float:
    """1 when the keybindings file (a JSON list, possibly after a first comment line) holds ``rules.expected``."""
    wanted = rules_of("check_json_keybindings", expected, "expected")["expected"]
    path = result_path(result)
    if path is None:
        return 0.0
    text = read_text(path)
    for candidate in (text, text.split("\n", 1)[1] if "\n" in text else ""):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, list):
            return float(wanted in data)
    return 0.0


def _at(data: Any, keys: list[Any]) -> tuple[bool, Any]:
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, data


@metric("check_json")
def check_json(result: Any, expected: Any, is_yaml: bool = False) -> float:
    """1 when every ``expect`` rule holds and no ``unexpect`` rule does, on a JSON (or YAML) file.

    A rule is ``{"key": [path...], "method": ..., "ref": ...}``; an ``expect``
    key that is absent fails, an ``unexpect`` key that is absent passes.
    """
    option("check_json", "is_yaml", is_yaml, bool)
    rules = rules_of("check_json", expected)
    expect, unexpect = rules.get("expect", []), rules.get("unexpect", [])
    if not all(isinstance(r, dict) and isinstance(r.get("key"), list) for r in [*expect, *unexpect]):
        raise fail("check_json", "each rule needs a 'key' list")
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        text = read_text(path)
        data = yaml.safe_load(text) if is_yaml else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError):
        return 0.0
    for rule in expect:
        found, value = _at(data, rule["key"])
        if not found or not match_rule("check_json", value, rule):
            return 0.0
    for rule in unexpect:
        found, value = _at(data, rule["key"])
        if found and value is not None and match_rule("check_json", value, rule):
            return 0.0
    return 1.0


def _as_object(result: Any) -> Any:
    """Getters give a dict, or JSON text (in the benchmark sometimes with single quotes)."""
    if isinstance(result, str):
        try:
            return json.loads(result.strip().replace("'", '"'))
        except json.JSONDecodeError:
            return None
    return result


def _value_contains(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any((isinstance(actual, list) and w in actual) or (isinstance(actual, str) and w == actual)
                   for w in wanted)
    if isinstance(wanted, str):
        return isinstance(actual, str) and wanted in actual
    return False


@metric("check_direct_json_object")
def check_direct_json_object(result: Any, expected: Any) -> float:
    """1 when the result object has the expected value for every key of ``rules.expected``.

    With ``rules.expect_in_result``, a list of accepted values needs one of
    them (in a list result, or equal to a string result) and a string needs to
    be contained in the result's string.  ``rules.expected.ignore_list_order``
    compares lists sorted.  A getter's ``__EVALUATION_FAILED__`` marker in the
    expected values (the page could not be read) scores 0.
    """
    rules = rules_of("check_direct_json_object", expected, "expected")
    wanted = rules["expected"]
    if not isinstance(wanted, dict):
        raise fail("check_direct_json_object", "'expected' must be an object")
    data = _as_object(result)
    if not isinstance(data, dict):
        return 0.0
    if "__EVALUATION_FAILED__" in wanted.values():
        return 0.0
    if rules.get("expect_in_result", False):
        return float(all(_value_contains(data.get(key), value) for key, value in wanted.items()))
    if wanted.get("ignore_list_order", False):
        pairs = [(key, value) for key, value in wanted.items() if key != "ignore_list_order"]
        try:
            return float(all(sorted(value) == sorted(data.get(key) or []) for key, value in pairs))
        except TypeError:
            return 0.0
    return float(all(data.get(key) == value for key, value in wanted.items()))


@metric("is_extension_installed")
def is_extension_installed(result: Any, expected: Any) -> float:
    """Whether ``rules.expected`` appears (``type: contain``) or does not (``not_contain``) in command output,
    e.g. ``code --list-extensions``."""
    rules = rules_of("is_extension_installed", expected, "type", "expected")
    if rules["type"] not in ("contain", "not_contain"):
        raise fail("is_extension_installed", f"rule type must be contain or not_contain, got {rules['type']!r}")
    if result is None:
        return 0.0
    present = str(rules["expected"]) in str(result)
    return float(present if rules["type"] == "contain" else not present)


@metric("check_config_status")
def check_config_status(result: Any, expected: Any) -> float:
    """1 when a GIMP config file (``gimprc``, ``sessionrc``...: lines like ``(key value)``) has a line whose
    first item is ``rules.key`` (or whose first two items are the two of a list key) and last item is
    ``rules.value``."""
    rules = rules_of("check_config_status", expected, "key", "value")
    key, value = rules["key"], rules["value"]
    if not isinstance(key, str) and not (isinstance(key, list) and len(key) == 2):
        raise fail("check_config_status", f"'key' must be a string or a pair, got {key!r}")
    path = result_path(result)
    if path is None:
        return 0.0
    for line in read_text(path).splitlines():
        if line.startswith("#") or not line.strip():
            continue
        items = line.strip().lstrip("(").rstrip(")").split()
        if not items:
            continue
        head_ok = items[0] == key if isinstance(key, str) else items[:2] == list(key)
        if head_ok and items[-1] == value:
            return 1.0
    return 0.0


def _registry_value(path: str, item_path: str, prop: str) -> str | None:
    """A value from LibreOffice's ``registrymodifications.xcu`` (``<item oor:path><prop oor:name><value>``)."""
    try:
        root = etree.parse(path).getroot()
    except (OSError, etree.XMLSyntaxError):
        return None
    found = None
    for item in root.iter("item"):
        if item.get(f"{{{_OOR}}}path") != item_path:
            continue
        for p in item.iter("prop"):
            if p.get(f"{{{_OOR}}}name") == prop:
                node = p.find("value")
                found = node.text if node is not None else None
    return found


@metric("check_presenter_console_disable")
def check_presenter_console_disable(result: Any, expected: Any = None) -> float:
    """1 when LibreOffice Impress's presenter console is switched off in the user registry."""
    path = result_path(result)
    value = None if path is None else _registry_value(path, "/org.openoffice.Office.Impress/Misc/Start",
                                                      "EnablePresenterScreen")
    return float(value is not None and value.lower() == "false")


@metric("check_auto_saving_time")
def check_auto_saving_time(result: Any, expected: Any) -> float:
    """1 when LibreOffice's autosave interval is ``rules.minutes``."""
    minutes = rules_of("check_auto_saving_time", expected, "minutes")["minutes"]
    path = result_path(result)
    value = None if path is None else _registry_value(path, "/org.openoffice.Office.Common/Save/Document",
                                                      "AutoSaveTimeIntervall")
    try:
        return float(value is not None and int(value) == int(minutes))
    except ValueError:
        return 0.0


@metric("find_default_font")
def find_default_font(result: Any, expected: Any) -> float:
    """1 when LibreOffice Writer's default (Standard) font is ``rules.font_name``."""
    font = rules_of("find_default_font", expected, "font_name")["font_name"]
    path = result_path(result)
    value = None if path is None else _registry_value(path, "/org.openoffice.Office.Writer/DefaultFont", "Standard")
    return float(value == font)
