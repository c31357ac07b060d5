"""Cases for LibreOffice's user registry (registrymodifications.xcu): autosave interval, Writer's default font,
Impress's presenter console, written as LibreOffice writes them (one ``item`` per changed setting)."""

from __future__ import annotations

from pathlib import Path

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')
TAIL = "</oor:items>\n"


def _item(path: str, name: str, value: str) -> str:
    return f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>\n'


SETTINGS = {
    "check_auto_saving_time": ("/org.openoffice.Office.Common/Save/Document", "AutoSaveTimeIntervall"),
    "find_default_font": ("/org.openoffice.Office.Writer/DefaultFont", "Standard"),
    "check_presenter_console_disable": ("/org.openoffice.Office.Impress/Misc/Start", "EnablePresenterScreen"),
}


@generates(*SETTINGS)
def registry(uses: list[Use], folder: Path) -> list[Case]:
    metric = folder.name
    path, name = SETTINGS[metric]
    cases: list[Case] = []
    for n, use in enumerate(uses):
        rules = use.rules or {}
        want = str(rules.get("minutes", rules.get("font_name", "false")))
        other = {"check_auto_saving_time": "10", "find_default_font": "Liberation Serif"}.get(metric, "true")
        unrelated = _item("/org.openoffice.Office.Common/Misc", "FirstRun", "false")
        files = {"set": HEAD + unrelated + _item(path, name, want) + TAIL,
                 "other": HEAD + _item(path, name, other) + TAIL,
                 "absent": HEAD + unrelated + TAIL, "not-xml": "<oor:items"}
        expected = rules if use.has_expected else NO_EXPECTED
        for label, text in files.items():
            file = folder / f"{n}-{label}.xcu"
            file.write_text(text)
            cases.append(Case(metric, f"{use.task[:8]}:{label}", str(file), expected, use.options, (use.task,)))
        cases.append(Case(metric, f"{use.task[:8]}:missing-file", str(folder / "absent.xcu"), expected, use.options,
                          (use.task,)))
    return cases
