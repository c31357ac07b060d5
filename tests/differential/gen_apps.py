"""Cases for settings files the apps write: VLC's vlcrc, GIMP's config files, Thunderbird's prefs.js.

Each task's rule names a key and the value it wants; the files set it to
that value, to another, leave it commented out (the app's default), hold
it twice, or are empty or missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.differential.cases import Case, generates
from tests.differential.uses import Use

VLC_KEYS = {
    "is_vlc_recordings_folder": ("input-record-path", "recording_file_path", "/tmp"),
    "check_global_key_play_pause": ("global-key-play-pause", "expected_global_key_play_pause", ""),
    "check_qt_max_volume": ("qt-max-volume", "expected_qt_max_volume", "125"),
    "check_qt_minimal_view": ("qt-minimal-view", "expected_qt_minimal_view", "0"),
    "check_one_instance_when_started_from_file": ("one-instance-when-started-from-file",
                                                  "expected_one_instance_when_started_from_file", "1"),
    "check_qt_bgcone": ("qt-bgcone", "expected_qt_bgcone", "1"),
}


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def _vlc_value(metric: str, want: Any) -> str:
    if metric == "check_global_key_play_pause":
        return "Ctrl+p" if str(want) == "1" else ""
    return str(want)


@generates(*VLC_KEYS)
def vlcrc(uses: list[Use], folder: Path) -> list[Case]:
    metric = folder.name
    key, field, other = VLC_KEYS[metric]
    cases: list[Case] = []
    for n, use in enumerate(uses):
        value = _vlc_value(metric, use.rules[field])
        files = {
            "set": f"[qt]\n# a comment\n{key}={value}\n",
            "other-value": f"[qt]\n{key}={other}\n",
            "commented-default": f"[qt]\n#{key}={other}\n",
            "set-with-blanks": f"[qt]\n{key} = {value} \n",
            "twice-last-wins": f"[qt]\n{key}={other}\n{key}={value}\n",
            "empty": "",
        }
        for label, text in files.items():
            cases.append(Case(metric, f"{use.task[:8]}:{label}", _write(folder, f"{n}-{label}", text), use.rules,
                              use.options, (use.task,)))
    return cases


@generates("check_qt_slider_colours")
def slider(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        for label, text in [("black", "qt-slider-colours=0;0;0;20;20;20;30;30;30;0;0;0;10;10;10;0;0;0\n"),
                            ("default", "#qt-slider-colours=153;210;153;20;210;20;255;199;15;245;39;29\n"),
                            ("white", "qt-slider-colours=255;255;255;250;250;250;240;240;240;255;255;255\n")]:
            cases.append(Case("check_qt_slider_colours", f"{use.task[:8]}:{label}", _write(folder, label, text),
                              use.rules, use.options, (use.task,)))
    return cases


@generates("check_config_status")
def gimprc(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for n, use in enumerate(uses):
        rule = use.rules
        key = " ".join(rule["key"]) if isinstance(rule["key"], list) else rule["key"]
        files = {"set": f"# GIMP gimprc\n\n({key} {rule['value']})\n", "other": f"({key} other)\n",
                 "commented": f"# ({key} {rule['value']})\n", "nested": f"(session-info\n    ({key} {rule['value']}))\n"}
        for label, text in files.items():
            cases.append(Case("check_config_status", f"{use.task[:8]}:{label}", _write(folder, f"{n}-{label}", text),
                              rule, use.options, (use.task,)))
        cases.append(Case("check_config_status", f"{use.task[:8]}:none", None, rule, use.options, (use.task,)))
    return cases


def _pref(value: Any) -> str:
    return json.dumps(value)


@generates("check_thunderbird_prefs")
def prefs(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for n, use in enumerate(uses):
        rule = use.rules
        good, bad = [], []
        for key, check in rule.get("expect", {}).items():
            ref = check["ref"]
            value = ref if check["method"] == "eq" else ("Anonym\\nXYZ Lab" if "Anonym" in str(ref) else "dark-x")
            good.append(f'user_pref("{key}", {_pref(value)});')
            bad.append(f'user_pref("{key}", {_pref("zzz" if isinstance(ref, str) else not ref)});')
        for key, check in rule.get("unexpect", {}).items():
            bad.append(f'user_pref("{key}", {_pref(check["ref"])});')
        files = {"good": "\n".join(["// Mozilla User Preferences", *good]) + "\n",
                 "bad": "\n".join(bad) + "\n", "empty": ""}
        for label, text in files.items():
            cases.append(Case("check_thunderbird_prefs", f"{use.task[:8]}:{label}",
                              _write(folder, f"{n}-{label}.js", text), rule, use.options, (use.task,)))
        cases.append(Case("check_thunderbird_prefs", f"{use.task[:8]}:none", None, rule, use.options, (use.task,)))
    return cases
