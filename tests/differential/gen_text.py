"""Cases for metrics on command output, plain text, JSON and CSV files, built from each task's own rules."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from tests.differential.cases import Case, constant, from_uses, generates
from tests.differential.uses import Use


def _file(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


@generates("check_include_exclude")
def include_exclude(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        rules = use.rules
        inc, exc = rules.get("include", []), rules.get("exclude", [])
        values = [("all-included", "\n".join(inc) + "\n"), ("one-excluded", "\n".join(inc + exc[:1])),
                  ("missing-one", "\n".join(inc[1:])), ("empty", ""), ("none", None),
                  ("upper-case", "\n".join(s.upper() for s in inc))]
        cases += from_uses("check_include_exclude", [use], values)
    return cases


@generates("exact_match")
def exact(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        want = use.rules.get("expected")
        values: list[tuple[str, Any]] = [("equal", want), ("padded", f" {want} "), ("other", "something else"),
                                         ("none", None), ("upper", str(want).upper()), ("bool-true", True)]
        cases += from_uses("exact_match", [use], values)
    return cases


@generates("is_in_list")
def in_list(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        want = use.rules.get("expected")
        values: list[tuple[str, Any]] = [("list-with", ["a", want]), ("list-without", ["a", "b"]),
                                         ("text-with", f"# {want}\nline"), ("text-without", "nothing"),
                                         ("none", None), ("empty-list", [])]
        cases += from_uses("is_in_list", [use], values)
    return cases


@generates("is_extension_installed")
def extension(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        want = use.rules.get("expected")
        values: list[tuple[str, Any]] = [("listed", f"{want}\n"), ("other", "ms-toolsai.jupyter\n"), ("empty", ""),
                                         ("none", None), ("prefix", f"{want}-extra\n")]
        cases += from_uses("is_extension_installed", [use], values)
    return cases


@generates("check_list")
def check_list(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for i, use in enumerate(uses):
        rules = use.rules
        expect = rules.get("expect", [])
        samples = {"org\\.openoffice\\.languagetool\\.oxt": "org.openoffice.languagetool.oxt",
                   "openjdk-\\d+-(jre|jdk)": "openjdk-17-jre", "Orchis": "Orchis-Dark", ".+": "x"}
        lines = [samples.get(p, p.replace("\\b", "").replace("\\.", ".").replace(".*", " ").replace("\\", ""))
                 for p in expect]
        values: list[tuple[str, Any]] = [
            ("all-lines", _file(folder, f"{i}-all.txt", "\n".join(lines) + "\n")),
            ("empty-file", _file(folder, f"{i}-empty.txt", "")),
            ("some-lines", _file(folder, f"{i}-some.txt", "\n".join(lines[:-1] + ["zzz"]))),
            ("missing-file", str(folder / f"{i}-absent.txt")), ("none", None)]
        cases += from_uses("check_list", [use], values)
    return cases


@generates("check_json_settings", "check_json_keybindings")
def json_settings(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for i, use in enumerate(uses):
        metric = "check_json_keybindings" if isinstance(use.rules.get("expected"), dict) and "key" in use.rules[
            "expected"] and "command" in use.rules["expected"] else "check_json_settings"
        want = use.rules["expected"]
        if metric == "check_json_keybindings":
            good = json.dumps([{"key": "ctrl+k", "command": "x"}, want], indent=2)
            values: list[tuple[str, Any]] = [
                ("with-comment", _file(folder, f"{i}-c.json", "// Place your key bindings in this file\n" + good)),
                ("plain", _file(folder, f"{i}-p.json", good)),
                ("without", _file(folder, f"{i}-w.json", "[]")),
                ("invalid-json", _file(folder, f"{i}-bad.json", "[{,")), ("none", None),
                ("missing-file", str(folder / f"{i}-absent.json"))]
        else:
            other = {k: "other" for k in want}
            values = [("equal", _file(folder, f"{i}-eq.json", json.dumps({**want, "x": 1}, indent=4))),
                      ("other", _file(folder, f"{i}-ne.json", json.dumps(other))),
                      ("empty-object", _file(folder, f"{i}-empty.json", "{}")),
                      ("trailing-comma", _file(folder, f"{i}-tc.json", json.dumps(want)[:-1] + ",}")),
                      ("invalid-json", _file(folder, f"{i}-bad.json", "{")), ("none", None),
                      ("missing-file", str(folder / f"{i}-absent.json")),
                      ("latin-1", _file(folder, f"{i}-l1.json", json.dumps(want, ensure_ascii=False).encode("latin-1",
                                                                                                           "replace")))]
        cases += from_uses(metric, [use], values)
    return cases


@generates("check_direct_json_object")
def direct_json(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        rules = use.rules
        if not isinstance(rules, dict):
            continue  # an expected value computed by a live page getter: no rule to build from
        want = {k: _fill_dates(v) for k, v in rules.get("expected", {}).items()}
        other = {k: "zzz" for k in want}
        values: list[tuple[str, Any]] = [("equal", dict(want)), ("extra-keys", {**want, "extra": 1}),
                                         ("other", other), ("missing-key", dict(list(want.items())[1:])),
                                         ("none", None), ("lower-case", {k: str(v).lower() for k, v in want.items()}),
                                         ("padded", {k: f" {v} " for k, v in want.items()})]
        cases += from_uses("check_direct_json_object", [use], values, expected=constant({**rules, "expected": want}))
    return cases


def _fill_dates(value: Any) -> Any:
    """A relative-time rule's placeholders filled in with one fixed date, as its getter would on that day."""
    import re
    fixed = {"DoW": "Mon", "Month": "Jan", "month": "january", "DayD": "8", "Day0D": "08", "Year": "2024",
             "Month0D": "01", "MonthD": "1", "MonthFull": "January"}
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: fixed.get(m.group(1), m.group(0)), value)
    return value


@generates("check_json")
def check_json(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for i, use in enumerate(uses):
        doc: dict[str, Any] = {}
        for rule in use.rules.get("expect", []):
            node = doc
            for key in rule["key"][:-1]:
                node = node.setdefault(key, {})
            node[rule["key"][-1]] = rule["ref"] if rule["method"] == "eq" else "smart mode"
        yaml_ = use.options.get("is_yaml", False)
        if yaml_:
            import yaml
            text = yaml.safe_dump(doc)
        else:
            text = json.dumps(doc)
        values: list[tuple[str, Any]] = [("good", _file(folder, f"{i}-good", text)),
                                         ("empty", _file(folder, f"{i}-empty", "{}")),
                                         ("invalid", _file(folder, f"{i}-bad", "{: [")),
                                         ("missing-file", str(folder / f"{i}-absent")), ("none", None)]
        cases += from_uses("check_json", [use], values)
    return cases


@generates("check_csv")
def check_csv(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for i, use in enumerate(uses):
        records = use.rules.get("expect") or use.rules.get("unexpect") or []
        keys = sorted({k for r in records for k in r})
        header = ",".join(keys)
        rows = [",".join(json.dumps(r.get(k, ""))[1:-1].replace(",", "") for k in keys) for r in records]
        import csv
        import io
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys)
        writer.writeheader()
        for r in records:
            writer.writerow(r)
        values: list[tuple[str, Any]] = [("with-records", _file(folder, f"{i}-with.csv", buf.getvalue())),
                                         ("header-only", _file(folder, f"{i}-head.csv", header + "\n")),
                                         ("naive", _file(folder, f"{i}-naive.csv", "\n".join([header, *rows]))),
                                         ("missing-file", str(folder / f"{i}-absent.csv")), ("none", None)]
        cases += from_uses("check_csv", [use], values)
    return cases


@generates("compare_config")
def compare_config(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for i, use in enumerate(uses):
        want = use.rules["expected"]
        values: list[tuple[str, Any]] = [("equal", _file(folder, f"{i}-eq", want)),
                                         ("trailing-newline", _file(folder, f"{i}-nl", want + "\n")),
                                         ("other", _file(folder, f"{i}-ne", "zzz")),
                                         ("missing-file", str(folder / f"{i}-absent")), ("none", None)]
        cases += from_uses("compare_config", [use], values)
    return cases


def _text_pairs(folder: Path) -> list[tuple[str, str, str]]:
    """(label, result text, expected text) pairs for whole-file text comparisons."""
    base = "line one\nline two\n\nline three\n"
    return [("same", base, base), ("blank-lines", "line one\n\nline two\nline three\n\n", base),
            ("case", base.upper(), base), ("other", "different\n", base), ("empty", "", base),
            ("trailing-spaces", base.replace("\n", "  \n"), base), ("crlf", base.replace("\n", "\r\n"), base)]


@generates("compare_text_file", "diff_text_file", "compare_python_pure_text", "compare_result_files")
def text_files(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    metric = folder.name
    for label, got, want in _text_pairs(folder):
        r = _file(folder, f"{label}-r.txt", got)
        e = _file(folder, f"{label}-e.txt", want)
        cases += from_uses(metric, uses[:3], [(label, r)], expected=constant(e))
    missing = str(folder / "absent.txt")
    e = _file(folder, "e.txt", "x\n")
    cases += from_uses(metric, uses[:1], [("missing-file", missing), ("none", None)], expected=constant(e))
    latin = _file(folder, "latin1.txt", "caf\xe9\n".encode("latin-1"))
    cases += from_uses(metric, uses[:1], [("latin-1", latin)], expected=constant(_file(folder, "cafe.txt", "café\n")))
    if metric == "compare_result_files":
        for label, got, want in [("number", "answer: 42.00001", "42"), ("number-off", "43", "42")]:
            r, e = _file(folder, f"{label}-r", got), _file(folder, f"{label}-e", want)
            cases += from_uses(metric, uses[:1], [(label, r)], expected=constant(e))
    return cases


@generates("file_contains", "check_line_number")
def file_contains(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    metric = folder.name
    for i, use in enumerate(uses):
        want = use.rules["expected"]
        if metric == "file_contains":
            good = "  ".join(want) + "\n"
        else:
            good = "".join(f"12:00:{k:02d} AM all 1.0\n" for k in range(int(want)))
        values: list[tuple[str, Any]] = [("good", _file(folder, f"{i}-g", good)), ("empty", _file(folder, f"{i}-e", "")),
                                         ("missing-file", str(folder / f"{i}-absent")), ("none", None)]
        cases += from_uses(metric, [use], values)
    return cases


@generates("run_sqlite3")
def run_sqlite3(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for i, use in enumerate(uses):
        for label, rows in [("match", [(1, 13)]), ("no-match", [(1, 2)])]:
            path = folder / f"{i}-{label}.sqlite"
            con = sqlite3.connect(path)
            con.execute("create table messages (id integer, folderID integer)")
            con.execute("create table messageAttributes (attributeID integer, value integer, messageID integer)")
            con.executemany("insert into messages values (?, ?)", rows)
            con.execute("insert into messageAttributes values (58, 1, 1)")
            con.commit()
            con.close()
            cases += from_uses("run_sqlite3", [use], [(label, str(path))])
        cases += from_uses("run_sqlite3", [use], [("not-a-db", _file(folder, f"{i}-bad", "not sqlite"))])
    return cases


@generates("check_gnome_favorite_apps", "is_utc_0", "check_text_enlarged", "check_moved_jpgs", "is_in_vm_clickboard")
def os_outputs(uses: list[Use], folder: Path) -> list[Case]:
    metric = folder.name
    values: dict[str, list[tuple[str, Any]]] = {
        "check_gnome_favorite_apps": [("same", "['google-chrome.desktop', 'thunderbird.desktop']\n"),
                                      ("reordered", "['thunderbird.desktop', 'google-chrome.desktop']"),
                                      ("extra", "['google-chrome.desktop', 'thunderbird.desktop', 'x.desktop']"),
                                      ("garbage", "no list here"), ("none", None)],
        "is_utc_0": [("utc", _timedatectl("Etc/UTC (UTC, +0000)")), ("other", _timedatectl("Asia/Shanghai (CST, +0800)")),
                     ("utc-no-rtc", _timedatectl("Etc/UTC (UTC, +0000)").replace("RTC time: Sat 2024-01-06 10:00:00\n",
                                                                                  "")),
                     ("empty", ""), ("none", None)],
        "check_text_enlarged": [("enlarged", "1.25\n"), ("default", "1.0\n"), ("garbage", "abc"), ("none", None)],
        "check_moved_jpgs": [],
        "is_in_vm_clickboard": [],
    }
    cases: list[Case] = []
    for use in uses:
        vals = values[metric]
        if metric == "check_moved_jpgs":
            want = use.rules["expected"]
            vals = [("all", [{"name": n} for n in want]), ("some", [{"name": n} for n in want[:1]]),
                    ("none", None)]
        if metric == "is_in_vm_clickboard":
            want = (use.result_getter or {}).get("rules", {})
            cases += [Case(metric, f"{use.task[:8]}:{label}", want, out, use.options, (use.task,))
                      for label, out in [("copied", "/home/user/Data3/List3/secret.docx\n"), ("other", "x"),
                                         ("empty", "")]]
            continue
        cases += from_uses(metric, [use], vals)
    return cases


def _timedatectl(zone: str) -> str:
    """``timedatectl status`` as Ubuntu prints it; the time-zone line is the fourth."""
    return ("               Local time: Sat 2024-01-06 10:00:00 UTC\n"
            "           Universal time: Sat 2024-01-06 10:00:00 UTC\n"
            "                 RTC time: Sat 2024-01-06 10:00:00\n"
            f"                Time zone: {zone}\n"
            "System clock synchronized: yes\n              NTP service: active\n          RTC in local TZ: no\n")


@generates("literal_match")
def literal(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for use in uses:
        for label, got, want in [("same", ["A", "b"], ["a", "B"]), ("other", ["a"], ["b"]),
                                 ("string", "abc", "ABC"), ("none", None, ["a"])]:
            cases.append(Case("literal_match", f"{use.task[:8]}:{label}", got, want, use.options, (use.task,)))
    return cases


@generates("fuzzy_place_math", "compare_conference_city_in_order")
def ordered_lists(uses: list[Use], folder: Path) -> list[Case]:
    """Both read a .docx (fuzzy_place_math) or .xlsx (cities) of the agent; built here with the real libraries."""
    import docx
    import openpyxl
    metric = folder.name
    cases: list[Case] = []
    for i, use in enumerate(uses):
        want = use.rules["expected"]
        flat = [w if isinstance(w, str) else w[0] for w in want]
        variants = {"exact": flat, "typo": [w[:-1] + "x" for w in flat], "short": flat[:-1]}
        for label, items in variants.items():
            if metric == "fuzzy_place_math":
                d = docx.Document()
                for w in items:
                    d.add_paragraph(w)
                path = folder / f"{i}-{label}.docx"
                d.save(str(path))
            else:
                wb = openpyxl.Workbook()
                ws = wb.active
                assert ws is not None
                ws.append(["Conference", "City"])
                for w in items:
                    ws.append(["X", w])
                path = folder / f"{i}-{label}.xlsx"
                wb.save(str(path))
            cases += from_uses(metric, [use], [(label, str(path))])
        cases += from_uses(metric, [use], [("missing-file", str(folder / "absent")), ("none", None)])
    return cases


