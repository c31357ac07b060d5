"""Getters for applications' state and files' contents, against real containers: files written through the
guest into a plain desktop (settings, launchers, associations, presentations, a workbook), the wallpaper set
with gsettings, a terminal typed into; then the real VLC of the osworld image and its web interface."""

from __future__ import annotations

import io
import time
import wave
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from PIL import Image
from pptx import Presentation
from pptx.util import Inches

from harness.checkers.context import EvalContext
from harness.checkers.getters_apps import default_apps
from harness.checkers.metrics.config import check_config_status
from harness.checkers.metrics.media import check_qt_max_volume, is_vlc_playing
from harness.checkers.registry import GETTERS, METRICS
from harness.errors import CheckerError
from harness.sandbox import Sandbox, start_sandbox
from harness.tasks.schema import Getter, Task
from tests.waiting import poll

RUN = {"deskbench.run": "pytest-apps-getters"}
HOME = "/home/user"


def _task() -> Task:
    return Task.model_validate({"id": "getters", "instruction": "-", "evaluator": {"func": "exact_match"}})


def get(box: Sandbox, tmp_path: Path, name: str, **fields: Any) -> Any:
    return GETTERS[name](EvalContext(box.guest, _task(), tmp_path), Getter.model_validate({"type": name, **fields}))


def sh(box: Sandbox, command: str) -> str:
    result = box.guest.run(command, timeout=30)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def desktop(desktop_image: str) -> Iterator[Sandbox]:
    with start_sandbox("desktop", labels=dict(RUN)) as box:
        yield box


# --------------------------------------------------------------------- host-side units


def test_default_apps_follow_the_association_files_in_order() -> None:
    user = "[Default Applications]\nvideo/mp4=vlc.desktop;mpv.desktop\nvideo/webm=gone.desktop;mpv.desktop\n"
    system = "[Default Applications]\nvideo/mp4=totem.desktop\nvideo/x-flv=totem.desktop\n"
    cache = "[MIME Cache]\nvideo/ogg=totem.desktop;vlc.desktop;\nvideo/mp4=mpv.desktop;\n"
    installed = {"vlc.desktop", "mpv.desktop", "totem.desktop"}
    chosen = default_apps([user, system], [cache], installed, ["video/mp4", "video/webm", "video/x-flv", "video/ogg",
                                                               "video/avi"])
    assert chosen == {"video/mp4": "vlc.desktop", "video/webm": "mpv.desktop", "video/x-flv": "totem.desktop",
                      "video/ogg": "totem.desktop"}


# --------------------------------------------------------------------- plain desktop, real files


def test_settings_files_are_copied_and_scored(desktop: Sandbox, tmp_path: Path) -> None:
    assert get(desktop, tmp_path, "vlc_config", dest="vlcrc") is None  # no VLC settings yet
    desktop.guest.write_file(f"{HOME}/.config/vlc/vlcrc", b"[qt]\n#qt-max-volume=125\nqt-max-volume=200\n")
    copy = get(desktop, tmp_path, "vlc_config", dest="vlcrc")
    assert copy == str(tmp_path / "vlcrc")
    assert check_qt_max_volume(copy, {"expected_qt_max_volume": 200}) == 1.0

    desktop.guest.write_file(f"{HOME}/.config/GIMP/2.10/gimprc", b"# GIMP gimprc\n(undo-levels 100)\n(theme \"Light\")\n")
    gimprc = get(desktop, tmp_path, "gimp_config_file", file_name="gimprc", dest="gimprc")
    assert check_config_status(gimprc, {"key": "undo-levels", "value": "100"}) == 1.0
    assert check_config_status(gimprc, {"key": "theme", "value": "\"Dark\""}) == 0.0
    assert get(desktop, tmp_path, "gimp_config_file", file_name="sessionrc", dest="sessionrc") is None
    with pytest.raises(CheckerError, match="'file_name' must be a file name"):
        get(desktop, tmp_path, "gimp_config_file", file_name="../../.bashrc", dest="x")
    with pytest.raises(CheckerError, match="'dest' must be a plain file name"):
        get(desktop, tmp_path, "vlc_config", dest="../outside")


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def test_wallpaper_set_with_gsettings_or_pcmanfm(desktop: Sandbox, tmp_path: Path) -> None:
    assert get(desktop, tmp_path, "vm_wallpaper", dest="wall.png") is None  # the default names no file here
    desktop.guest.write_file(f"{HOME}/Pictures/red wall.png", _png((200, 0, 0)))
    desktop.guest.write_file(f"{HOME}/.config/pcmanfm/default/desktop-items-0.conf",
                             f"[*]\nwallpaper_mode=stretch\nwallpaper={HOME}/Pictures/red wall.png\n".encode())
    red = get(desktop, tmp_path, "vm_wallpaper", dest="wall.png")
    assert Image.open(red).getpixel((1, 1)) == (200, 0, 0)
    desktop.guest.write_file(f"{HOME}/Desktop/blue.png", _png((0, 0, 200)))
    sh(desktop, f"gsettings set org.gnome.desktop.background picture-uri 'file://{HOME}/Desktop/blue.png'")
    blue = get(desktop, tmp_path, "vm_wallpaper", dest="wall2.png")
    assert Image.open(blue).getpixel((1, 1)) == (0, 0, 200)  # GNOME's setting first, as OSWorld reads it
    assert METRICS["compare_images"](blue, red) < 0.99


def test_default_video_player_reads_the_users_choice(desktop: Sandbox, tmp_path: Path) -> None:
    before = get(desktop, tmp_path, "default_video_player")
    assert before != "vlc.desktop"
    desktop.guest.write_file(f"{HOME}/.local/share/applications/vlc.desktop",
                             b"[Desktop Entry]\nType=Application\nName=VLC\nExec=vlc %U\nMimeType=video/mp4;\n")
    mimeapps = "[Default Applications]\n" + "".join(f"video/{t}=vlc.desktop\n" for t in ("mp4", "x-matroska", "webm"))
    desktop.guest.write_file(f"{HOME}/.config/mimeapps.list", mimeapps.encode())
    assert get(desktop, tmp_path, "default_video_player") == "vlc.desktop"
    assert METRICS["check_include_exclude"]("vlc.desktop", {"include": ["vlc.desktop"]}) == 1.0


def test_shortcuts_on_desktop(desktop: Sandbox, tmp_path: Path) -> None:
    desktop.guest.write_file(f"{HOME}/Desktop/2048.desktop", b"[Desktop Entry]\nType=Link\nName=Play Puzzle Game "
                             b"2048\nURL=https://play2048.co/\n")
    desktop.guest.write_file(f"{HOME}/Desktop/notes.txt", b"Name=Play Puzzle Game 2048\n")
    found = get(desktop, tmp_path, "shortcuts_on_desktop")
    assert list(found) == ["2048.desktop"]
    assert METRICS["is_shortcut_on_desktop"](found, {"type": "name", "name": "Play Puzzle Game 2048"}) == 1.0
    assert METRICS["is_shortcut_on_desktop"](found, {"type": "name", "name": "Another game"}) == 0.0


def test_terminal_output_is_read_from_the_terminal_window(desktop: Sandbox, tmp_path: Path) -> None:
    assert get(desktop, tmp_path, "vm_terminal_output") is None  # no terminal open
    desktop.guest.input({"op": "key", "keys": "ctrl+alt+t"})
    poll(lambda: any(w.title == "Terminal" for w in desktop.guest.windows()), "the terminal window", 20)
    time.sleep(0.5)  # the shell's prompt
    desktop.guest.input({"op": "type", "text": "echo $((50 + 4)); stty size\n"})
    text = poll(lambda: (t := get(desktop, tmp_path, "vm_terminal_output")) and "54\n" in t and t,
                "the command's output on the screen", 20)
    assert METRICS["check_include_exclude"](text, {"include": ["54\n", "28 90"], "exclude": []}) == 1.0
    assert METRICS["check_include_exclude"](text, {"include": ["43 132"], "exclude": []}) == 0.0


def test_last_row_of_a_workbook(desktop: Sandbox, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Name", "Citations", "h-index"], ["Geoffrey Hinton", 900000, 190], ["Yann LeCun", 345074, 147]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    desktop.guest.write_file(f"{HOME}/Desktop/researchers.xlsx", out.getvalue())
    row = get(desktop, tmp_path, "content_from_vm_file", path=f"{HOME}/Desktop/researchers.xlsx", file_type="xlsx",
              file_content="last_row")
    assert row == ["Yann LeCun", "345074", "147"]
    assert METRICS["literal_match"](row, ["yann lecun", "345074", "147"], type="list", ignore_case=True) == 1.0
    assert get(desktop, tmp_path, "content_from_vm_file", path=f"{HOME}/Desktop/none.xlsx", file_type="xlsx",
               file_content="last_row") is None
    with pytest.raises(CheckerError, match="only file_type 'xlsx'"):
        get(desktop, tmp_path, "content_from_vm_file", path="/x.csv", file_type="csv", file_content="last_row")


def _tone() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000 * 30) * 0.3) * 8000).astype("<i2").tobytes())
    return out.getvalue()


AUDIO_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/audio"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
BACKGROUND = ('<p:bg><p:bgPr><a:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></a:blipFill>'
              '<a:effectLst/></p:bgPr></p:bg>')


def _presentation(audio: str, picture: bytes) -> bytes:
    """Two slides: the first links or embeds audio, the second has a picture as its background fill."""
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    second = deck.slides.add_slide(deck.slide_layouts[6])
    picture_shape = second.shapes.add_picture(io.BytesIO(picture), Inches(1), Inches(1))
    rid = picture_shape._element.blipFill.blip.rEmbed  # the picture's relationship, reused by the background
    second.shapes._spTree.remove(picture_shape._element)
    out = io.BytesIO()
    deck.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "ppt/slides/slide2.xml":
                data = data.replace(b"<p:cSld>", b"<p:cSld>" + BACKGROUND.format(rid=rid).encode(), 1)
            if item.filename == "ppt/slides/_rels/slide1.xml.rels":
                external = ' TargetMode="External"' if audio.startswith("file://") else ""
                data = data.replace(b"</Relationships>", f'<Relationship Id="rId9" Type="{AUDIO_REL}" '
                                    f'Target="{audio}"{external}/></Relationships>'.encode())
            target.writestr(item, data)
        if not audio.startswith("file://"):
            target.writestr("ppt/media/media1.wav", _tone())
    return result.getvalue()


def test_audio_and_background_of_slides(desktop: Sandbox, tmp_path: Path) -> None:
    desktop.guest.write_file(f"{HOME}/Desktop/Baseball.wav", _tone())
    landscape = _png((10, 120, 30))
    for name, audio in (("embedded.pptx", "../media/media1.wav"), ("linked.pptx", f"file://{HOME}/Desktop/Baseball.wav")):
        desktop.guest.write_file(f"{HOME}/Desktop/{name}", _presentation(audio, landscape))
        sound = get(desktop, tmp_path, "audio_in_slide", ppt_file_path=f"{HOME}/Desktop/{name}", slide_index=0,
                    dest=f"{name}.wav")
        assert Path(sound).read_bytes() == _tone()
        assert METRICS["compare_audios"](sound, sound) == pytest.approx(1.0)
        assert get(desktop, tmp_path, "audio_in_slide", ppt_file_path=f"{HOME}/Desktop/{name}", slide_index=1,
                   dest="none.wav") is None
        background = get(desktop, tmp_path, "background_image_in_slide", ppt_file_path=f"{HOME}/Desktop/{name}",
                         slide_index=1, dest=f"{name}.png")
        assert Image.open(background).getpixel((5, 5)) == (10, 120, 30)
        assert get(desktop, tmp_path, "background_image_in_slide", ppt_file_path=f"{HOME}/Desktop/{name}",
                   slide_index=0, dest="none.png") is None
    desktop.guest.write_file(f"{HOME}/Desktop/not-a-deck.pptx", b"plain text")
    assert get(desktop, tmp_path, "audio_in_slide", ppt_file_path=f"{HOME}/Desktop/not-a-deck.pptx", slide_index=0,
               dest="x.wav") is None
    with pytest.raises(CheckerError, match="'slide_index' must be a number"):
        get(desktop, tmp_path, "audio_in_slide", ppt_file_path=f"{HOME}/Desktop/linked.pptx", slide_index="0",
            dest="x.wav")


def test_time_diff_range_hands_over_its_field(desktop: Sandbox, tmp_path: Path) -> None:
    assert get(desktop, tmp_path, "time_diff_range", diff_range_in_minutes="60") == "60"
    with pytest.raises(CheckerError, match="diff_range_in_minutes"):
        get(desktop, tmp_path, "time_diff_range")


# --------------------------------------------------------------------- the osworld image's real VLC


@pytest.fixture
def osworld(osworld_image: str, no_leftovers: None) -> Iterator[Sandbox]:
    with start_sandbox("osworld", labels=dict(RUN)) as box:
        yield box


def test_vlc_playing_info_from_the_real_web_interface(osworld: Sandbox, tmp_path: Path) -> None:
    assert get(osworld, tmp_path, "vlc_playing_info", dest="status.xml") is None  # VLC is not running
    osworld.guest.write_file(f"{HOME}/Desktop/Never Gonna.wav", _tone())
    osworld.guest.spawn(["vlc", "--no-video-title-show", f"{HOME}/Desktop/Never Gonna.wav"], shell=False)
    rule = {"type": "file_name", "file_name": "Never Gonna.wav"}

    def status_while_playing() -> str:
        """The status file once VLC reports the file playing; "" (keep polling) until then."""
        status: str | None = get(osworld, tmp_path, "vlc_playing_info", dest="status.xml")
        return status if status and is_vlc_playing(status, rule) == 1.0 else ""

    status = poll(status_while_playing, "VLC playing the file", 60)
    assert "<state>playing</state>" in Path(status).read_text()
    assert is_vlc_playing(status, {"type": "file_name", "file_name": "Other.wav"}) == 0.0
    # any answer but 200 is no status, as in OSWorld (a desktop that changed VLC's password is scored, not skipped)
    assert get(osworld, tmp_path, "vlc_playing_info", dest="denied.xml", password="wrong") is None
    vlcrc = get(osworld, tmp_path, "vlc_config", dest="vlcrc")
    assert "http-password=password" in Path(vlcrc).read_text()
