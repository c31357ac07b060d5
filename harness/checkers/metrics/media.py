"""Media metrics: VLC's settings (``vlcrc``) and playback status, window size, MP3 tags.

``compare_audios`` and ``compare_videos`` are not implemented: they need an
audio feature extractor (MFCC + dynamic time warping) and a video decoder,
heavy dependencies for four tasks.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from lxml import etree
from mutagen.easyid3 import EasyID3
from mutagen.id3 import ID3NoHeaderError

from harness.checkers.metrics._common import fail, match_rule, read_text, result_path, rules_of
from harness.checkers.registry import metric


def vlcrc_value(path: str, key: str, default: str) -> str:
    """The value of ``key=`` in a ``vlcrc``: the last line mentioning it, commented (default shown) or not."""
    value = default
    for line in read_text(path).split("\n"):
        if f"{key}=" in line:
            value = line.split("=")[-1].strip()
    return value


def _vlc_setting(metric_name: str, key: str, default: str, result: Any, expected: Any) -> float:
    wanted = rules_of(metric_name, expected, f"expected_{key.replace('-', '_')}")[f"expected_{key.replace('-', '_')}"]
    path = result_path(result)
    return 0.0 if path is None else float(vlcrc_value(path, key, default) == str(wanted))


@metric("check_qt_bgcone")
def check_qt_bgcone(result: Any, expected: Any) -> float:
    """1 when VLC's cone background setting (``qt-bgcone``, default 1) has the expected value."""
    return _vlc_setting("check_qt_bgcone", "qt-bgcone", "1", result, expected)


@metric("check_qt_max_volume")
def check_qt_max_volume(result: Any, expected: Any) -> float:
    """1 when VLC's maximum volume (``qt-max-volume``, default 125) has the expected value."""
    return _vlc_setting("check_qt_max_volume", "qt-max-volume", "125", result, expected)


@metric("check_qt_minimal_view")
def check_qt_minimal_view(result: Any, expected: Any) -> float:
    """1 when VLC's minimal view (``qt-minimal-view``, default 0) has the expected value."""
    return _vlc_setting("check_qt_minimal_view", "qt-minimal-view", "0", result, expected)


@metric("check_one_instance_when_started_from_file")
def check_one_instance_when_started_from_file(result: Any, expected: Any) -> float:
    """1 when VLC's single-instance setting (``one-instance-when-started-from-file``, default 1) is as expected."""
    return _vlc_setting("check_one_instance_when_started_from_file", "one-instance-when-started-from-file", "1",
                        result, expected)


@metric("check_global_key_play_pause")
def check_global_key_play_pause(result: Any, expected: Any) -> float:
    """1 when a global play/pause hot key is set (1) or not (0), as ``rules.expected_global_key_play_pause``."""
    wanted = rules_of("check_global_key_play_pause", expected, "expected_global_key_play_pause")
    path = result_path(result)
    if path is None:
        return 0.0
    bound = "0" if vlcrc_value(path, "global-key-play-pause", "") == "" else "1"
    return float(bound == str(wanted["expected_global_key_play_pause"]))


_SLIDER_DEFAULT = "153;210;153;20;210;20;255;199;15;245;39;29"


@metric("check_qt_slider_colours")
def check_qt_slider_colours(result: Any, expected: Any) -> float:
    """VLC's volume slider colours: equal to ``rules.expected_qt_slider_colours`` (``type: match``) or all
    dark, every RGB component below 100 (``type: blackish``)."""
    rules = rules_of("check_qt_slider_colours", expected, "type")
    path = result_path(result)
    if path is None:
        return 0.0
    colours = vlcrc_value(path, "qt-slider-colours", _SLIDER_DEFAULT)
    if rules["type"] == "match":
        return float(colours == rules_of("check_qt_slider_colours", rules, "expected_qt_slider_colours")[
            "expected_qt_slider_colours"])
    if rules["type"] != "blackish":
        raise fail("check_qt_slider_colours", f"rule type must be match or blackish, got {rules['type']!r}")
    try:
        values = [int(v) for v in colours.split(";")]
    except ValueError:
        return 0.0
    return float(all(v < 100 for v in values))


@metric("is_vlc_recordings_folder")
def is_vlc_recordings_folder(result: Any, expected: Any) -> float:
    """1 when VLC's recording folder (``input-record-path``, first uncommented line) is ``rules.recording_file_path``."""
    wanted = rules_of("is_vlc_recordings_folder", expected, "recording_file_path")["recording_file_path"]
    path = result_path(result)
    if path is None:
        return 0.0
    for line in read_text(path).split("\n"):
        if line.startswith("#") or not line.strip():
            continue
        if "input-record-path" in line:
            return float(line.split("=")[-1].strip() == wanted)
    return 0.0


_META = 'information/category[@name="meta"]/info[@name="{}"]'


def _first_info(tree: Any, names: list[str]) -> str | None:
    for name in names:
        node = tree.find(_META.format(name))
        if node is not None and node.text:
            return str(node.text)
    return None


@metric("is_vlc_playing")
def is_vlc_playing(result: Any, expected: Any) -> float:
    """1 when VLC's status (its web interface ``status.xml``) says it is playing ``rules.file_name`` (type
    ``file_name``) or ``rules.url`` (type ``url``)."""
    rules = rules_of("is_vlc_playing", expected, "type")
    if rules["type"] not in ("file_name", "url"):
        raise fail("is_vlc_playing", f"rule type must be file_name or url, got {rules['type']!r}")
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        tree = etree.fromstring(open(path, "rb").read())
    except etree.XMLSyntaxError:
        return 0.0
    if tree.findtext("state") != "playing":
        return 0.0
    if rules["type"] == "file_name":
        wanted = rules_of("is_vlc_playing", rules, "file_name")["file_name"]
        shown = _first_info(tree, ["filename", "title", "uri", "location", "name"])
        return float(shown is not None and (os.path.basename(shown) == wanted or shown.endswith(wanted)))
    url = rules_of("is_vlc_playing", rules, "url")["url"]
    shown = _first_info(tree, ["url", "URI", "location", "title", "filename"])
    if shown is None:
        return 0.0
    if url in shown or shown == os.path.basename(urlparse(url).path):
        return 1.0
    if "://" in shown:
        want, got = urlparse(url), urlparse(shown)
        return float(want.netloc == got.netloc and want.path in got.path)
    return 0.0


@metric("is_vlc_fullscreen")
def is_vlc_fullscreen(result: Any, expected: Any) -> float:
    """1 when the VLC window is as large as the screen (both ``{"width", "height"}``; result = screen size)."""
    if not isinstance(result, dict) or not isinstance(expected, dict):
        return 0.0
    return float(result.get("width") == expected.get("width") and result.get("height") == expected.get("height"))


@metric("check_mp3_meta")
def check_mp3_meta(result: Any, expected: Any) -> float:
    """1 when each ID3 tag named in the rules (``title``, ``artist``...) satisfies its value rule."""
    rules = rules_of("check_mp3_meta", expected)
    path = result_path(result)
    if path is None:
        return 0.0
    tags: Any
    try:
        tags = EasyID3(path)  # type: ignore[no-untyped-call]
    except ID3NoHeaderError:
        tags = {}
    for key, rule in rules.items():
        value = tags.get(key, "")
        text = ",".join(value) if isinstance(value, list) else str(value)
        if not match_rule("check_mp3_meta", text, rule):
            return 0.0
    return 1.0
