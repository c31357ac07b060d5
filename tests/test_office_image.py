"""The office image in real containers: LibreOffice and Chromium start as OSWorld's tasks expect, default
applications open the right files, and the accessibility tree shows them.

Every wait is bounded polling; every container is removed (``no_leftovers``).
Documents are minimal Office Open XML files written here with zipfile, so
the test depends on nothing but the image.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator

import pytest

from harness.checkers.getters_a11y import NAMESPACES, accessibility_tree_xml
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.devtools import DevTools
from harness.sandbox.guest import GuestClient, Window
from tests.waiting import poll

pytestmark = pytest.mark.docker

RUN = {"deskbench.run": "pytest-office"}
DESKTOP = "/home/user/Desktop"
APP_START_S = 60.0  # generous: CI machines are shared; a warm start here is about a second

_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
         '2006/relationships/officeDocument" Target="{target}"/></Relationships>')
_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/'
          '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>')


def _zip(files: dict[str, str]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def minimal_xlsx(rows: list[list[str]]) -> bytes:
    """A one-sheet workbook ("Data") with inline strings: the least an .xlsx needs to open."""
    cells = "".join(f'<row r="{i + 1}">' + "".join(
        f'<c r="{chr(65 + j)}{i + 1}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in enumerate(row)) + "</row>"
        for i, row in enumerate(rows))
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return _zip({
        "[Content_Types].xml": _TYPES.format(overrides=(
            f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{main}.worksheet+xml"/>')),
        "_rels/.rels": _RELS.format(target="xl/workbook.xml"),
        "xl/workbook.xml": ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.'
                            'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
                            'officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
                            '</sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": _RELS.replace("officeDocument/2006/relationships/officeDocument",
                                                    "officeDocument/2006/relationships/worksheet").format(
            target="worksheets/sheet1.xml"),
        "xl/worksheets/sheet1.xml": ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://'
                                     f'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}'
                                     '</sheetData></worksheet>'),
    })


def minimal_docx(text: str) -> bytes:
    """A one-paragraph Word document."""
    return _zip({
        "[Content_Types].xml": _TYPES.format(overrides=(
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/>')),
        "_rels/.rels": _RELS.format(target="word/document.xml"),
        "word/document.xml": ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://'
                              'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
                              f'{text}</w:t></w:r></w:p></w:body></w:document>'),
    })




def window_titled(guest: GuestClient, title: str) -> Callable[[], Window | None]:
    return lambda: next((w for w in guest.windows() if w.title == title), None)


@pytest.fixture
def office(office_image: str, no_leftovers: None) -> Iterator[Sandbox]:
    with start_sandbox("office", labels=dict(RUN)) as box:
        yield box


def test_office_starts_like_the_desktop_with_a_session_bus(office: Sandbox) -> None:
    guest = office.guest
    assert office.start_seconds < 30
    env = guest.run("echo $DBUS_SESSION_BUS_ADDRESS; echo $XDG_RUNTIME_DIR; echo $SAL_USE_VCLPLUGIN").stdout.split()
    assert env == ["unix:path=/run/user/1000/bus", "/run/user/1000", "gtk3"]
    names = guest.run("dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "
                      "org.freedesktop.DBus.ListNames")
    assert names.exit_code == 0 and "org.freedesktop.DBus" in names.stdout, names.stderr
    # The window manager got the bus address too (it starts before the guest's own commands exist).
    openbox = guest.run("tr '\\0' '\\n' < /proc/$(pgrep -x openbox)/environ | grep ^DBUS_SESSION_BUS_ADDRESS=")
    assert openbox.stdout.strip() == "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"


def test_every_browser_name_is_the_wrapper_with_devtools_on_1337(office: Sandbox) -> None:
    guest = office.guest
    for name in ("google-chrome", "google-chrome-stable", "chromium-browser", "chromium"):
        found = guest.run(f"readlink -f \"$(command -v {name})\"")
        assert found.stdout.strip() == "/usr/bin/google-chrome", name
    wrapper = guest.read_file("/usr/bin/google-chrome").decode()
    for flag in ("--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--no-default-browser-check", "--password-store=basic",
                 "--remote-debugging-port=1337"):
        assert flag in wrapper, flag


def test_calc_opens_an_xlsx_without_dialogs_and_shows_it_to_at_spi(office: Sandbox) -> None:
    guest = office.guest
    guest.write_file(f"{DESKTOP}/budget.xlsx", minimal_xlsx([["item", "cost"], ["teapot", "31"]]))
    started = time.monotonic()
    guest.spawn(["libreoffice", "--calc", f"{DESKTOP}/budget.xlsx"])
    window = poll(window_titled(guest, "budget.xlsx - LibreOffice Calc"), "the Calc window", timeout=APP_START_S)
    up = time.monotonic() - started
    assert window.wm_class == ("libreoffice", "libreoffice-calc")
    assert up < APP_START_S

    # The document's cells are in the accessibility tree (LibreOffice's gtk3 plugin talks to at-spi).
    def loaded_cells() -> dict[str, str] | None:
        root = ET.fromstring(accessibility_tree_xml(guest))
        cells = {c.get("name", ""): (c.text or "") for c in root.iter("table-cell")}
        return cells if cells.get("A2") == "teapot" else None
    cells = poll(loaded_cells, "cell A2 in the tree", timeout=APP_START_S)
    assert cells["B2"] == "31"
    # Loaded, and still one window: no tip of the day, no "what's new", no format question.
    titles = [w.title for w in guest.windows()]
    assert titles == ["budget.xlsx - LibreOffice Calc"], titles
    profile = guest.read_file("/home/user/.config/libreoffice/4/user/registrymodifications.xcu").decode()
    assert '"ShowTipOfTheDay" oor:op="fuse"><value>false' in profile
    assert '"WarnAlienFormat" oor:op="fuse"><value>false' in profile


def test_xdg_open_picks_the_office_defaults(office: Sandbox) -> None:
    guest = office.guest
    files = {"a.xlsx": minimal_xlsx([["x"]]), "b.csv": b"a,b\n1,2\n", "c.docx": minimal_docx("hi"),
             "d.pptx": b"PK\x05\x06" + b"\0" * 18, "e.odt": b"PK\x05\x06" + b"\0" * 18,
             "f.html": b"<!doctype html><title>f</title>", "g.txt": b"plain\n"}
    for name, data in files.items():
        guest.write_file(f"{DESKTOP}/{name}", data)
    expected = {"a.xlsx": "libreoffice-calc.desktop", "b.csv": "libreoffice-calc.desktop",
                "c.docx": "libreoffice-writer.desktop", "d.pptx": "libreoffice-impress.desktop",
                "e.odt": "libreoffice-writer.desktop", "f.html": "google-chrome.desktop",
                "g.txt": "org.xfce.mousepad.desktop"}
    for name, app in expected.items():
        found = guest.run(f'xdg-mime query default "$(xdg-mime query filetype {DESKTOP}/{name})"')
        assert found.stdout.strip() == app, (name, found.stdout, found.stderr)
    for scheme in ("http", "https"):
        found = guest.run(f"xdg-mime query default x-scheme-handler/{scheme}")
        assert found.stdout.strip() == "google-chrome.desktop"


def test_xdg_open_of_a_docx_opens_writer(office: Sandbox) -> None:
    guest = office.guest
    guest.write_file(f"{DESKTOP}/letter.docx", minimal_docx("Dear deskbench"))
    guest.spawn(["xdg-open", f"{DESKTOP}/letter.docx"])
    window = poll(window_titled(guest, "letter.docx - LibreOffice Writer"), "the Writer window", timeout=APP_START_S)
    assert window.wm_class == ("libreoffice", "libreoffice-writer")


def test_chromium_opens_a_local_page_through_the_wrapper(office: Sandbox) -> None:
    guest = office.guest
    guest.write_file(f"{DESKTOP}/hello.html", b"<!doctype html><title>Hello deskbench</title><p>hi</p>")
    started = time.monotonic()
    # As OSWorld's tasks launch it: their own --remote-debugging-port flag is accepted.
    guest.spawn(["google-chrome", "--remote-debugging-port=1337", f"file://{DESKTOP}/hello.html"])
    window = poll(window_titled(guest, "Hello deskbench - Google Chrome"), "the browser window", timeout=APP_START_S)
    assert time.monotonic() - started < APP_START_S
    assert window.wm_class[1] == "Google-chrome"
    assert (window.width, window.height) == office.screen  # --start-maximized
    devtools = DevTools(guest)
    assert devtools.version()["Browser"].startswith("Chrome/")
    assert [(t.title, t.url) for t in devtools.tabs()] == [("Hello deskbench", f"file://{DESKTOP}/hello.html")]

    # The browser is in the accessibility tree too: its address bar shows the page.
    def address_bar() -> str | None:
        root = ET.fromstring(accessibility_tree_xml(guest))
        bars = [e for e in root.iter("entry") if e.get("name") == "Address and search bar"]
        return (bars[0].text or "") if bars else None
    assert "hello.html" in poll(address_bar, "the address bar in the tree", timeout=APP_START_S)

    # "pkill chrome" (OSWorld's way to restart it) stops it: the process is named chrome.
    guest.run(["pkill", "chrome"], shell=False)
    poll(lambda: not devtools.is_up() and not devtools.browser_pids(), "the browser to exit", timeout=30)
    assert not [w for w in guest.windows() if "Google Chrome" in w.title]


def test_accessibility_tree_format(office: Sandbox) -> None:
    guest = office.guest
    guest.spawn(["mousepad"])
    poll(lambda: [w for w in guest.windows() if "Mousepad" in w.title], "the mousepad window", timeout=APP_START_S)

    def tree_with_mousepad() -> str | None:
        xml = accessibility_tree_xml(guest)
        return xml if 'name="Mousepad"' in xml or 'name="mousepad"' in xml else None
    root = ET.fromstring(poll(tree_with_mousepad, "mousepad in the tree", timeout=APP_START_S))
    assert root.tag == "desktop-frame"
    apps = [a for a in root if a.tag == "application" and a.get("name", "").lower() == "mousepad"]
    assert apps, [a.get("name") for a in root]
    frames = [f for f in apps[0].iter("frame") if "Mousepad" in f.get("name", "")]
    assert frames
    frame = frames[0]
    st, cp = NAMESPACES["st"], NAMESPACES["cp"]
    assert frame.get(f"{{{st}}}showing") == "true" and frame.get(f"{{{st}}}visible") == "true"
    assert frame.get(f"{{{cp}}}size", "").startswith("(") and frame.get(f"{{{cp}}}screencoord")
    menus = [m.get("name") for m in frame.iter("menu")]
    assert "File" in menus, menus


@pytest.mark.parametrize("image", ["desktop"])
def test_desktop_image_has_a_session_bus_too(image: str, desktop_image: str, no_leftovers: None) -> None:
    with start_sandbox(image, labels=dict(RUN)) as box:
        env = box.guest.run("echo $DBUS_SESSION_BUS_ADDRESS; echo $XDG_RUNTIME_DIR").stdout.split()
        assert len(env) == 2 and env[0] == f"unix:path={env[1]}/bus", env
        assert box.guest.run(["test", "-S", env[0].split("=", 1)[1]], shell=False).exit_code == 0
        child = box.guest.spawn("sleep 30")
        spawned = box.guest.run(f"tr '\\0' '\\n' < /proc/{child}/environ | grep ^DBUS_SESSION_BUS_ADDRESS=")
        assert spawned.stdout.strip() == f"DBUS_SESSION_BUS_ADDRESS={env[0]}"


def test_impress_starts_without_the_template_picker(office: Sandbox) -> None:
    guest = office.guest
    guest.spawn(["libreoffice", "--impress"])  # as OSWorld's tasks start it
    poll(window_titled(guest, "Untitled 1 - LibreOffice Impress"), "the Impress window", timeout=APP_START_S)

    def loaded_tree() -> str | None:
        xml = accessibility_tree_xml(guest)
        return xml if "<document-presentation " in xml else None
    poll(loaded_tree, "the presentation in the accessibility tree", timeout=APP_START_S)
    # The picker opens right after the document shows; one more full read of the tree gives it that time.
    xml = accessibility_tree_xml(guest)
    assert 'name="Select a Template"' not in xml
    assert [w.title for w in guest.windows()] == ["Untitled 1 - LibreOffice Impress"]
