"""Cases for the remaining file metrics: archives (zip, tar.gz, epub), HTML pages, Thunderbird's filter rules,
MP3 tags, window geometry; each from its task's rules or options."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use


def _case(metric: str, use: Use, label: str, result: Any, expected: Any) -> Case:
    return Case(metric, f"{use.task[:8]}:{label}", result, expected if use.has_expected else NO_EXPECTED,
                use.options, (use.task,))


def _zip(path: Path, files: dict[str, str]) -> str:
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return str(path)


FILES = {"a.txt": "alpha\n", "b.txt": "beta\n"}
VARIANTS = {"same": FILES, "one-changed": {**FILES, "b.txt": "BETA\n"}, "one-missing": {"a.txt": "alpha\n"},
            "extra": {**FILES, "c.txt": "gamma\n"}}


@generates("compare_zip_files", "compare_epub")
def zips(uses: list[Use], folder: Path) -> list[Case]:
    metric = folder.name
    ext = ".epub" if metric == "compare_epub" else ".zip"
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = _zip(folder / f"{n}-gold{ext}", FILES)
        for label, files in VARIANTS.items():
            cases.append(_case(metric, use, label, _zip(folder / f"{n}-{label}{ext}", files), gold))
        cases.append(_case(metric, use, "missing-file", str(folder / f"absent{ext}"), gold))
    return cases


@generates("compare_htmls")
def htmls(uses: list[Use], folder: Path) -> list[Case]:
    base = "<html><body><h1>Title</h1><p>Some <b>text</b>.</p><a href='x.html'>link</a></body></html>"
    variants = {"same": base, "whitespace": base.replace("<p>", "\n  <p>"), "text-changed": base.replace("Some", "Other"),
                "attr-changed": base.replace("x.html", "y.html"), "tag-added": base.replace("</body>", "<p>more</p></body>")}
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = folder / f"{n}-gold.html"
        gold.write_text(base)
        for label, text in variants.items():
            path = folder / f"{n}-{label}.html"
            path.write_text(text)
            cases.append(_case("compare_htmls", use, label, str(path), str(gold)))
    return cases


@generates("check_thunderbird_filter")
def filters(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for n, use in enumerate(uses):
        want = use.rules["expect"][0]
        conditions = " ".join(want["condition"])
        good = ('version="9"\nlogging="no"\nname="Rule"\nenabled="{enabled}"\ntype="17"\naction="{action}"\n'
                'actionValue="{value}"\ncondition="{cond}"\n').format(enabled=want["enabled"], action=want["action"],
                                                                   value=want["actionValue"], cond=conditions)
        variants = {"good": good, "disabled": good.replace('enabled="yes"', 'enabled="no"'),
                    "other-action": good.replace(want["action"], "Delete"), "empty": 'version="9"\n'}
        for label, text in variants.items():
            path = folder / f"{n}-{label}.dat"
            path.write_text(text)
            cases.append(_case("check_thunderbird_filter", use, label, str(path), use.rules))
    return cases


@generates("check_mp3_meta")
def mp3(uses: list[Use], folder: Path) -> list[Case]:
    from mutagen.easyid3 import EasyID3
    from mutagen.id3 import ID3

    cases: list[Case] = []
    for n, use in enumerate(uses):
        meta = use.rules
        for label, title in [("tagged", meta["title"]["ref"]), ("other-title", "Something Else")]:
            path = folder / f"{n}-{label}.mp3"
            ID3().save(path)  # type: ignore[no-untyped-call]
            tags = EasyID3(path)  # type: ignore[no-untyped-call]
            tags["title"], tags["artist"] = title, meta["artist"]["ref"]
            tags.save()
            cases.append(_case("check_mp3_meta", use, label, str(path), meta))
        bare = folder / f"{n}-untagged.mp3"
        shutil.copy(path, bare)
        ID3(bare).delete()  # type: ignore[no-untyped-call]
        cases.append(_case("check_mp3_meta", use, "untagged", str(bare), meta))
    return cases


@generates("is_vlc_fullscreen")
def fullscreen(uses: list[Use], folder: Path) -> list[Case]:
    screen = {"width": 1920, "height": 1080}
    cases: list[Case] = []
    for use in uses:
        for label, window in [("full", dict(screen)), ("windowed", {"width": 800, "height": 600}), ("none", None)]:
            cases.append(_case("is_vlc_fullscreen", use, label, window, screen))
    return cases


MAIL = ("FROM - Mon Jan 01 00:00:00 2024\nX-Mozilla-Status: 0001\nX-Mozilla-Keys:\nSubject: {subject}\n\n"
        "body of {subject}\n")


@generates("check_thunderbird_folder")
def mail_folders(uses: list[Use], folder: Path) -> list[Case]:
    """Thunderbird mbox files: the same messages, one missing, a deleted one (status 0008), a duplicate."""
    gold_text = MAIL.format(subject="Bill 1") + MAIL.format(subject="Bill 2")
    variants = {"same": gold_text, "one-missing": MAIL.format(subject="Bill 1"),
                "deleted-extra": gold_text + MAIL.format(subject="Old").replace("0001", "0008"),
                "duplicate": gold_text + MAIL.format(subject="Bill 2"), "other": MAIL.format(subject="Spam"),
                "empty": ""}
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = folder / f"{n}-gold"
        gold.write_text(gold_text)
        for label, text in variants.items():
            path = folder / f"{n}-{label}"
            path.write_text(text)
            cases.append(_case("check_thunderbird_folder", use, label, str(path), str(gold)))
        cases.append(_case("check_thunderbird_folder", use, "missing-file", None, str(gold)))
    return cases


@generates("compare_image_list")
def image_lists(uses: list[Use], folder: Path) -> list[Case]:
    from PIL import Image

    def picture(name: str, colour: tuple[int, int, int], size: tuple[int, int] = (32, 24)) -> str:
        path = folder / name
        Image.new("RGB", size, colour).save(path)
        return str(path)

    gold = [picture("g1.png", (200, 10, 10)), picture("g2.png", (10, 200, 10))]
    variants: dict[str, Any] = {
        "same": [picture("s1.png", (200, 10, 10)), picture("s2.png", (10, 200, 10))],
        "one-differs": [picture("d1.png", (200, 10, 10)), picture("d2.png", (10, 10, 200))],
        "resized": [picture("r1.png", (200, 10, 10), (64, 48)), picture("r2.png", (10, 200, 10), (64, 48))],
        "one-missing": [picture("m1.png", (200, 10, 10)), None],
    }
    cases: list[Case] = []
    for use in uses:
        for label, files in variants.items():
            cases.append(_case("compare_image_list", use, label, files, gold))
    return cases


@generates("compare_time_in_speedtest_results")
def speedtest(uses: list[Use], folder: Path) -> list[Case]:
    """A speed-test export whose first row was made now, 3 hours ago, or at an unreadable time (expected: the
    ``time_diff_range`` getter's minutes).  Both sides read the wall clock: the offsets stay far from the limit."""
    import datetime as dt

    now = dt.datetime.now()
    rows = {"now": now.strftime("%m/%d/%Y %H:%M"), "three-hours-ago": (now - dt.timedelta(hours=3)).strftime(
        "%m/%d/%Y %H:%M"), "no-time": "yesterday"}
    cases: list[Case] = []
    for n, use in enumerate(uses):
        minutes = (use.expected_getter or {}).get("diff_range_in_minutes", "60")
        for label, stamp in rows.items():
            path = folder / f"{n}-{label}.csv"
            path.write_text(f"Download,Date,Upload\n95.1,{stamp},10.2\n")
            cases.append(_case("compare_time_in_speedtest_results", use, label, str(path), minutes))
        header_only = folder / f"{n}-header.csv"
        header_only.write_text("Download,Date,Upload\n")
        cases.append(_case("compare_time_in_speedtest_results", use, "header-only", str(header_only), minutes))
    return cases
