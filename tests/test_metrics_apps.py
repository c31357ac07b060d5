"""Application settings metrics: VS Code/JSON/YAML, GIMP, LibreOffice registry, Thunderbird, VLC, GNOME, a11y."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mutagen.easyid3 import EasyID3

from harness.checkers.metrics.config import (
    check_auto_saving_time,
    check_config_status,
    check_direct_json_object,
    check_json,
    check_json_keybindings,
    check_json_settings,
    check_presenter_console_disable,
    find_default_font,
    is_extension_installed,
)
from harness.checkers.metrics.mail import check_thunderbird_filter, check_thunderbird_folder, check_thunderbird_prefs
from harness.checkers.metrics.media import (
    check_global_key_play_pause,
    check_mp3_meta,
    check_qt_max_volume,
    check_qt_slider_colours,
    is_vlc_fullscreen,
    is_vlc_playing,
    is_vlc_recordings_folder,
)
from harness.checkers.metrics.system import (
    check_accessibility_tree,
    check_gnome_favorite_apps,
    check_left_panel,
    check_moved_jpgs,
    check_text_enlarged,
    is_utc_0,
)
from harness.checkers.semantics import scoring_under
from harness.errors import CheckerError

from .checker_support import task_file_options


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_json_settings_and_keybindings(tmp_path: Path) -> None:
    settings = write(tmp_path / "settings.json", json.dumps({"files.autoSave": "afterDelay", "files.autoSaveDelay": 500}))
    assert check_json_settings(settings, {"expected": {"files.autoSave": "afterDelay", "files.autoSaveDelay": 500}}) == 1.0
    assert check_json_settings(settings, {"expected": {"files.autoSaveDelay": 1000}}) == 0.0
    assert check_json_settings(write(tmp_path / "bad.json", "{"), {"expected": {"a": 1}}) == 0.0
    binding = {"key": "ctrl+j", "command": "workbench.action.focusActiveEditorGroup", "when": "terminalFocus"}
    keys = write(tmp_path / "keybindings.json", "// Place your key bindings here\n" + json.dumps([binding]))
    assert check_json_keybindings(keys, {"expected": binding}) == 1.0
    assert check_json_keybindings(keys, {"expected": {**binding, "key": "ctrl+k"}}) == 0.0


def test_check_json_and_yaml(tmp_path: Path) -> None:
    config = write(tmp_path / "_config.yml", "name: Test Account\nauthor:\n  name: Test Account\n  email: a@b.c\n")
    rules = {"expect": [{"key": ["author", "name"], "method": "eq", "ref": "Test Account"}]}
    assert check_json(config, rules, is_yaml=True) == 1.0
    assert check_json(config, {"expect": [{"key": ["author", "url"], "method": "eq", "ref": "x"}]}, is_yaml=True) == 0.0
    store = write(tmp_path / "xulstore.json", json.dumps({"w": {"folderTree": {"mode": "smart,all"}}}))
    assert check_json(store, {"expect": [{"key": ["w", "folderTree", "mode"], "method": "re", "ref": r"\bsmart\b"}]}) == 1.0
    assert check_json(store, {"unexpect": [{"key": ["w", "folderTree", "mode"], "method": "re", "ref": "smart"}]}) == 0.0
    with pytest.raises(CheckerError, match="check_json: option 'is_yaml'"):
        check_json(store, rules, **task_file_options(is_yaml="yes"))


def test_direct_json_object() -> None:
    rules = {"expected": {"q": "drip coffee maker", "tbs": "mr:1"}}
    assert check_direct_json_object({"q": "drip coffee maker", "tbs": "mr:1", "other": 1}, rules) == 1.0
    assert check_direct_json_object({"q": "drip coffee maker", "tbs": "mr:2"}, rules) == 0.0
    assert check_direct_json_object("{'q': 'drip coffee maker', 'tbs': 'mr:1'}", rules) == 1.0
    assert check_direct_json_object(None, rules) == 0.0
    assert check_direct_json_object({"q": "x"}, {"expected": {"q": "__EVALUATION_FAILED__"}}) == 0.0
    inside = {"expect_in_result": True, "expected": {"city": ["Boston", "Cambridge"], "title": "Logan"}}
    assert check_direct_json_object({"city": "Cambridge", "title": "Boston Logan Intl"}, inside) == 1.0
    assert check_direct_json_object({"city": "Salem", "title": "Boston Logan Intl"}, inside) == 0.0
    with pytest.raises(CheckerError, match="check_direct_json_object"):
        check_direct_json_object({}, {"want": {}})


def test_is_extension_installed() -> None:
    assert is_extension_installed("ms-python.python\n", {"type": "contain", "expected": "ms-python.python"}) == 1.0
    assert is_extension_installed("", {"type": "contain", "expected": "ms-python.python"}) == 0.0
    assert is_extension_installed("", {"type": "not_contain", "expected": "ms-python.python"}) == 1.0
    with pytest.raises(CheckerError, match="contain or not_contain"):
        is_extension_installed("", {"type": "has", "expected": "x"})


def test_gimp_config_status(tmp_path: Path) -> None:
    gimprc = write(tmp_path / "gimprc", '# GIMP gimprc\n\n(theme "Light")\n(undo-levels 100)\n')
    assert check_config_status(gimprc, {"key": "theme", "value": '"Light"'}) == 1.0
    assert check_config_status(gimprc, {"key": "undo-levels", "value": "5"}) == 0.0
    history = write(tmp_path / "action-history", '(history-item "filters-vignette" 1)\n')
    assert check_config_status(history, {"key": ["history-item", '"filters-vignette"'], "value": "1"}) == 1.0
    assert check_config_status(history, {"key": ["history-item", '"filters-blur"'], "value": "1"}) == 0.0


def xcu(tmp_path: Path, item: str, prop: str, value: str) -> str:
    return write(tmp_path / "registrymodifications.xcu", (
        '<?xml version="1.0" encoding="UTF-8"?><oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        f'<item oor:path="{item}"><prop oor:name="{prop}" oor:op="fuse"><value>{value}</value></prop></item>'
        '</oor:items>'))


def test_libreoffice_registry(tmp_path: Path) -> None:
    off = xcu(tmp_path, "/org.openoffice.Office.Impress/Misc/Start", "EnablePresenterScreen", "false")
    assert check_presenter_console_disable(off) == 1.0
    on = xcu(tmp_path, "/org.openoffice.Office.Impress/Misc/Start", "EnablePresenterScreen", "true")
    assert check_presenter_console_disable(on) == 0.0
    autosave = xcu(tmp_path, "/org.openoffice.Office.Common/Save/Document", "AutoSaveTimeIntervall", "3")
    assert check_auto_saving_time(autosave, {"minutes": 3}) == 1.0
    assert check_auto_saving_time(autosave, {"minutes": 10}) == 0.0
    font = xcu(tmp_path, "/org.openoffice.Office.Writer/DefaultFont", "Standard", "Times New Roman")
    assert find_default_font(font, {"font_name": "Times New Roman"}) == 1.0
    assert find_default_font(font, {"font_name": "Arial"}) == 0.0


def test_thunderbird_prefs(tmp_path: Path) -> None:
    prefs = write(tmp_path / "prefs.js", '// Mozilla\nuser_pref("mail.identity.id1.auto_quote", false);\n'
                                         'user_pref("mail.identity.id1.htmlSigText", "Anonym\\nXYZ Lab");\n')
    assert check_thunderbird_prefs(prefs, {"expect": {"mail.identity.id1.auto_quote": {"method": "eq", "ref": False}}}) == 1.0
    assert check_thunderbird_prefs(prefs, {"expect": {"mail.identity.id1.htmlSigText":
                                                      {"method": "re.S", "ref": "Anonym.+XYZ Lab"}}}) == 1.0
    assert check_thunderbird_prefs(prefs, {"expect": {"mail.other": {"method": "eq", "ref": True}}}) == 0.0
    assert check_thunderbird_prefs(prefs, {"unexpect": {"mail.identity.id1.auto_quote": {"method": "eq", "ref": False}}}) == 0.0


def test_thunderbird_filter(tmp_path: Path) -> None:
    rules_file = write(tmp_path / "msgFilterRules.dat", 'version="9"\nlogging="no"\nname="Promo"\nenabled="yes"\n'
                                                        'type="17"\naction="Move to folder"\n'
                                                        'actionValue="mailbox://nobody@Local%20Folders/Promotions"\n'
                                                        'condition="AND (subject,contains,discount)"\n')
    expect = {"expect": [{"enabled": "yes", "action": "Move to folder",
                          "actionValue": "mailbox://nobody@Local%20Folders/Promotions",
                          "condition": ["AND (subject,contains,discount)"]}]}
    assert check_thunderbird_filter(rules_file, expect) == 1.0
    expect["expect"][0]["condition"] = ["ALL"]
    assert check_thunderbird_filter(rules_file, expect) == 0.0


def test_thunderbird_folder(tmp_path: Path) -> None:
    gold = write(tmp_path / "gold", "FROM - Mon\nX-Mozilla-Status: 0001\nSubject: a\n\nhi\nFROM - Tue\nSubject: b\n\nyo\n")
    reordered = write(tmp_path / "mine", "FROM - Tue\nSubject: b\n\nyo\nFROM - Mon\nX-Mozilla-Status: 0001\nSubject: a\n\nhi\n"
                                         "FROM - Wed\nX-Mozilla-Status: 0009\nSubject: gone\n\n")
    status = write(tmp_path / "status", "FROM - Mon\nX-Mozilla-Status: 0005\nSubject: a\n\nhi\nFROM - Tue\nSubject: b\n\nyo\n")
    assert check_thunderbird_folder(status, gold) == 1.0  # osworld: OSWorld compares no message at all
    with scoring_under("strict"):  # deviation thunderbird-folder-messages
        assert check_thunderbird_folder(reordered, gold) == 1.0
        assert check_thunderbird_folder(reordered, gold, remove_deleted=False) == 0.0
        assert check_thunderbird_folder(status, gold) == 0.0
        assert check_thunderbird_folder(status, gold, ignore_status=True) == 1.0


def test_vlc_settings(tmp_path: Path) -> None:
    vlcrc = write(tmp_path / "vlcrc", "#qt-max-volume=125\nqt-max-volume=200\n#global-key-play-pause=\n"
                                      "qt-slider-colours=10;10;10;20;20;20;0;0;0;1;2;3\ninput-record-path=/home/user/Desktop\n")
    assert check_qt_max_volume(vlcrc, {"expected_qt_max_volume": 200}) == 1.0
    assert check_qt_max_volume(vlcrc, {"expected_qt_max_volume": 125}) == 0.0
    assert check_global_key_play_pause(vlcrc, {"expected_global_key_play_pause": 0}) == 1.0
    assert check_global_key_play_pause(vlcrc, {"expected_global_key_play_pause": 1}) == 0.0
    assert check_qt_slider_colours(vlcrc, {"type": "blackish"}) == 1.0
    default = write(tmp_path / "default", "#qt-slider-colours=153;210;153;20;210;20;255;199;15;245;39;29\n")
    assert check_qt_slider_colours(default, {"type": "blackish"}) == 0.0
    assert is_vlc_recordings_folder(vlcrc, {"recording_file_path": "/home/user/Desktop"}) == 1.0
    assert is_vlc_recordings_folder(default, {"recording_file_path": "/home/user/Desktop"}) == 0.0


def status_xml(tmp_path: Path, state: str, filename: str) -> str:
    return write(tmp_path / "status.xml", f'<root><state>{state}</state><information><category name="meta">'
                                          f'<info name="filename">{filename}</info></category></information></root>')


def test_vlc_playing_and_fullscreen(tmp_path: Path) -> None:
    rule = {"type": "file_name", "file_name": "song.mp4"}
    assert is_vlc_playing(status_xml(tmp_path, "playing", "song.mp4"), rule) == 1.0
    assert is_vlc_playing(status_xml(tmp_path, "paused", "song.mp4"), rule) == 0.0
    assert is_vlc_playing(status_xml(tmp_path, "playing", "other.mp4"), rule) == 0.0
    url_rule = {"type": "url", "url": "https://www.youtube.com/watch?v=pgBsyTKAwLw"}
    assert is_vlc_playing(status_xml(tmp_path, "playing", "https://www.youtube.com/watch?v=pgBsyTKAwLw"), url_rule) == 1.0
    assert is_vlc_fullscreen({"width": 1920, "height": 1080}, {"width": 1920, "height": 1080}) == 1.0
    assert is_vlc_fullscreen({"width": 1920, "height": 1080}, {"width": 800, "height": 600}) == 0.0


def test_mp3_meta(tmp_path: Path) -> None:
    path = tmp_path / "song.mp3"
    path.write_bytes(b"")
    tags = EasyID3()  # type: ignore[no-untyped-call]  # mutagen's EasyID3.__init__ carries no annotations
    tags["title"], tags["artist"] = "Missing You", "Cheng Xiang"
    tags.save(str(path))
    rules = {"title": {"method": "eq", "ref": "Missing You"}, "artist": {"method": "eq", "ref": "Cheng Xiang"}}
    assert check_mp3_meta(str(path), rules) == 1.0
    assert check_mp3_meta(str(path), {**rules, "title": {"method": "eq", "ref": "Other"}}) == 0.0


def test_gnome_and_timezone() -> None:
    rules = {"expected": ["google-chrome.desktop", "thunderbird.desktop"]}
    assert check_gnome_favorite_apps("['thunderbird.desktop', 'google-chrome.desktop']\n", rules) == 1.0
    assert check_gnome_favorite_apps("['thunderbird.desktop']\n", rules) == 0.0
    utc = "Local time: Thu\n Universal time: Thu\n RTC time: Thu\n Time zone: Atlantic/Faroe (WET, +0000)\n"
    assert is_utc_0(utc) == 1.0
    assert is_utc_0(utc.replace("+0000", "+0100")) == 0.0
    assert check_text_enlarged("1.25\n") == 1.0
    assert check_text_enlarged("1.0\n") == 0.0
    listing = {"name": "cpjpg", "type": "directory", "children": [{"name": "a.jpg"}, {"name": "b.jpg"}]}
    assert check_moved_jpgs(listing, {"expected": ["b.jpg", "a.jpg"]}) == 1.0
    assert check_moved_jpgs(listing, {"expected": ["a.jpg"]}) == 0.0
    assert check_moved_jpgs(["a.jpg", "b.jpg"], {"expected": ["b.jpg", "a.jpg"]}) == 1.0
    assert check_moved_jpgs(["a.jpg", "c.jpg"], {"expected": ["b.jpg", "a.jpg"]}) == 0.0


A11Y = ('<desktop xmlns:attr="https://accessibility.ubuntu.example.org/ns/attributes">'
        '<application name="Thunderbird"><page-tab-list attr:id="tabmail-tabs">'
        '<page-tab name="About Profiles">About Profiles</page-tab></page-tab-list></application>'
        '<document-frame name="Slides View"/></desktop>')


def test_accessibility_tree() -> None:
    rule = [{"selectors": ['application[name=Thunderbird] page-tab-list[attr|id="tabmail-tabs"]>page-tab[name="About Profiles"]']}]
    assert check_accessibility_tree(A11Y, rule) == 1.0
    assert check_accessibility_tree(A11Y.replace("About Profiles", "Inbox"), rule) == 0.0
    assert check_accessibility_tree(A11Y, [{"xpath": "//page-tab", "text": "About Profiles"}]) == 1.0
    assert check_accessibility_tree(A11Y, [{"xpath": "//page-tab", "text": "About", "exact": False}]) < 1.0
    with pytest.raises(CheckerError, match="xpath' or 'selectors"):
        check_accessibility_tree(A11Y, [{"text": "x"}])
    assert check_left_panel(A11Y) == 1.0
    assert check_left_panel(A11Y.replace("Slides View", "Outline")) == 0.0
