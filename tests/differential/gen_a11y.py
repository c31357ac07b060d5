"""Cases for the metrics that read the accessibility tree (``check_accessibility_tree``, ``check_left_panel``)
and the one that runs a task's Python test suite (``check_python_file_by_test_suite``).

The trees are written in the XML form OSWorld's ``accessibility_tree`` getter
returns on Ubuntu (role tags, ``name`` attributes, the ``attr:`` namespace of
at-spi attributes), shaped so that the real tasks' CSS selectors find, or
just miss, what they look for.  The test-suite cases put the agent's files
and a generated suite in one folder, as OSWorld's cache holds them; each
suite drops the agent modules from ``sys.modules`` first, because the
reference imports them into the calling process and would otherwise reuse
the previous case's module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use

A11Y = "https://accessibility.ubuntu.example.org/ns/"
ROOT = (f'<desktop-frame xmlns:attr="{A11Y}attributes" xmlns:st="{A11Y}state" xmlns:cp="{A11Y}component" '
        f'name="main">{{}}</desktop-frame>')


def _case(metric: str, use: Use, label: str, result: Any, expected: Any) -> Case:
    return Case(metric, f"{use.task[:8]}:{label}", result, expected if use.has_expected else NO_EXPECTED,
                use.options, (use.task,))


def _pill(address: str) -> str:
    return (f'<section attr:class="address-pill" name="{address}">'
            f'<label attr:class="pill-label" name="{address}"></label></section>')


def _headers(addresses: list[str], field: str = "To", toolbar: str = "MsgHeadersToolbar") -> str:
    pills = "".join(_pill(a) for a in addresses)
    return (f'<application name="Thunderbird"><frame name="Write: report"><tool-bar attr:id="{toolbar}">'
            f'<label name="{field}"></label>{pills}</tool-bar></frame></application>')


def _tabs(tab: str, app: str = "Thunderbird", tab_list: str = "tabmail-tabs") -> str:
    return (f'<application name="{app}"><frame name="Mail"><page-tab-list attr:id="{tab_list}">'
            f'<page-tab name="Inbox"></page-tab><page-tab name="{tab}"></page-tab></page-tab-list></frame>'
            f'</application>')


def _wanted_addresses(rules: list[dict[str, Any]]) -> list[str]:
    """The addresses a rule list looks for: the ``name*="..."`` parts of its selectors."""
    found = []
    for rule in rules:
        for selector in rule.get("selectors", []):
            if 'name*="' in selector:
                found.append(selector.split('name*="')[1].split('"')[0])
    return found


def _trees(use: Use) -> dict[str, str]:
    """Trees for one task's rules: one that satisfies them and near misses, by what the rules select."""
    addresses = _wanted_addresses(use.rules)
    if addresses:
        return {
            "all-recipients": _headers(addresses),
            "one-missing": _headers(addresses[:-1]),
            "in-cc-field": _headers(addresses, field="Cc"),
            "other-toolbar": _headers(addresses, toolbar="ComposeToolbar"),
            "address-in-longer-name": _headers([f"Dr {a} (work)" for a in addresses]),
        }
    return {
        "tab-open": _tabs("About Profiles"),
        "other-tab": _tabs("About Config"),
        "other-app": _tabs("About Profiles", app="Firefox"),
        "tab-name-prefix": _tabs("About Profiles and Paths"),
    }


@generates("check_accessibility_tree")
def accessibility_tree(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        for label, body in _trees(use).items():
            cases.append(_case("check_accessibility_tree", use, label, ROOT.format(body), use.rules))
        cases.append(_case("check_accessibility_tree", use, "empty-desktop", ROOT.format(""), use.rules))
    return cases


def _impress(panes: str) -> str:
    return (f'<application name="soffice"><frame name="deck.odp - LibreOffice Impress"><panel name="">{panes}'
            f'<document-frame name="Outline View"></document-frame></panel></frame></application>')


@generates("check_left_panel")
def left_panel(uses: list[Use], folder: Path) -> list[Case]:
    trees = {
        "slide-pane-shown": ROOT.format(_impress('<document-frame name="Slides View"></document-frame>')),
        "slide-pane-hidden": ROOT.format(_impress("")),
        "pane-named-differently": ROOT.format(_impress('<document-frame name="Slide Sorter"></document-frame>')),
        "name-on-another-role": ROOT.format(_impress('<panel name="Slides View"></panel>')),
    }
    cases: list[Case] = []
    for use in uses:
        for label, tree in trees.items():
            cases.append(_case("check_left_panel", use, label, tree, None))
    return cases


SNAKE = "class Snake:\n    def __init__(self):\n        self.body = [(0, 0)]\n\n    def grow(self):\n{grow}\n"
GROWS = {
    "correct": "        self.body.append(self.body[-1])",
    "bug": "        pass",
    "syntax-error": "        self.body.append(",
}
SUITES = {
    "bool": "def {fn}():\n    s = {mod}.Snake()\n    s.grow()\n    return len(s.body) == 2\n",
    "number": "def {fn}():\n    s = {mod}.Snake()\n    s.grow()\n    return len(s.body) / 4\n",
    "raises": "def {fn}():\n    s = {mod}.Snake()\n    s.grow()\n    assert len(s.body) == 2\n    return None\n",
    "no-function": "def other():\n    return True\n",
}


def _suite_text(kind: str, module: str, function: str) -> str:
    header = f"import sys\nsys.modules.pop({module!r}, None)\nimport {module}\n\n"
    return header + SUITES[kind].format(fn=function, mod=module)


@generates("check_python_file_by_test_suite")
def python_suites(uses: list[Use], folder: Path) -> list[Case]:
    """The task's own file list (the getter's ``dest`` names); the class under test lives in its last file."""
    cases: list[Case] = []
    for n, use in enumerate(uses):
        dests = (use.result_getter or {}).get("dest", [])
        names = dests if isinstance(dests, list) else [dests]
        module = Path(names[-1]).stem
        function = str(use.options.get("test_function_name", "test"))
        for grow, body in GROWS.items():
            for kind in SUITES:
                if grow != "correct" and kind in ("no-function", "number"):
                    continue
                place = folder / f"{n}-{grow}-{kind}"
                place.mkdir()
                files = []
                for name in names:
                    text = SNAKE.format(grow=body) if name == names[-1] else f"# {name}\n"
                    (place / name).write_text(text)
                    files.append(str(place / name))
                suite = place / "test_suite.py"
                suite.write_text(_suite_text(kind, module, function))
                cases.append(_case("check_python_file_by_test_suite", use, f"{grow}-{kind}", files, str(suite)))
        missing = folder / f"{n}-missing"
        missing.mkdir()
        suite = missing / "test_suite.py"
        suite.write_text(_suite_text("bool", module, function))
        cases.append(_case("check_python_file_by_test_suite", use, "files-missing",
                           [str(missing / name) for name in names], str(suite)))
    return cases
