"""The settle wait on a real desktop: after a click opens LibreOffice's File menu, the screenshot the computer
tool returns (the one the model sees) already shows the menu, and is the screen as it stays."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pytest
from PIL import Image, ImageChops

from harness.actions.vocabulary import ComputerAction
from harness.sandbox import Sandbox, start_sandbox
from harness.sandbox.settle import SettlePolicy, Settler, settle_hook
from harness.setup.steps import wait_for_window
from harness.tools.computer import ComputerTool

pytestmark = pytest.mark.docker
FILE_MENU = (30, 40)  # "File" in Writer's menu bar (maximised window)
MENU_AREA = (0, 150, 200, 500)  # grey beside the page, where the File menu drops down (below the ruler)
CARET = 400  # pixels a blinking caret may change between two screenshots


def changed(a: bytes, b: bytes, box: tuple[int, int, int, int] | None = None) -> int:
    one, two = (Image.open(io.BytesIO(x)).convert("RGB") for x in (a, b))
    if box is not None:
        one, two = one.crop(box), two.crop(box)
    mask = ImageChops.difference(one, two).convert("L").point(lambda v: 255 if v > 24 else 0)
    return int(mask.histogram()[255])


@pytest.fixture(scope="module")
def writer(office_image: str) -> Iterator[Sandbox]:
    with start_sandbox("office", labels={"deskbench.run": "pytest-settle-menu"}) as box:
        box.guest.spawn(["soffice", "--writer", "--norestore"])
        wait_for_window(box.guest, "Writer", timeout=60)
        time.sleep(4.0)  # LibreOffice takes input a few seconds after its window shows (its window is drawn by then)
        Settler(box.guest, SettlePolicy(window=0.3, cap=5.0, react=0.0)).wait()  # shorter than a caret's blink
        yield box


def test_the_screenshot_after_a_click_that_opens_a_menu_shows_the_menu(writer: Sandbox) -> None:
    hook = settle_hook(writer, SettlePolicy())
    assert hook is not None and hook.cpu is not None, "the host reads the container's processes (CPU signal)"
    before = writer.guest.screenshot("png").data
    shown = ComputerTool(writer.guest, writer.screen, settle=hook).execute(
        ComputerAction(action="left_click", coordinate=FILE_MENU)).screenshot
    assert shown is not None
    time.sleep(1.5)
    later = writer.guest.screenshot("png").data
    assert changed(before, later, MENU_AREA) > 1000, "the click did not open the File menu at all"
    assert changed(shown.data, later) <= CARET, "the settled screenshot is not the screen as it stays"
    done = hook.history[-1]
    assert done.changed and done.reason == "still" and done.waited < SettlePolicy().cap
    writer.guest.input({"op": "key", "keys": "Escape"})



def test_the_screenshot_after_ctrl_n_shows_the_new_document_as_it_stays_and_a_dialog_is_not_held(
        writer: Sandbox) -> None:
    # a new Writer window lays out its ruler again about 0.8 s after it looks drawn, with screen and CPU idle
    hook = settle_hook(writer, SettlePolicy())
    assert hook is not None
    tool = ComputerTool(writer.guest, writer.screen, settle=hook)
    shown = tool.execute(ComputerAction(action="key", text="ctrl+n")).screenshot
    assert shown is not None
    time.sleep(2.5)
    later = writer.guest.screenshot("png").data
    assert hook.history[-1].new_window, "the new document window was not recognised as one"
    assert changed(shown.data, later) <= CARET, "the settled screenshot is not the new window as it stays"
    tool.execute(ComputerAction(action="key", text="ctrl+h"))  # Find & Replace: a dialog, not held
    dialog = hook.history[-1]
    assert dialog.changed and not dialog.new_window and dialog.waited < SettlePolicy().new_window, dialog
    writer.guest.input({"op": "key", "keys": "Escape"})


def select_to_line_start(writer: Sandbox, policy: SettlePolicy) -> tuple[bytes, bytes, Settler]:
    """Type a line, then select it with shift+Home through the settle wait: the screenshot and the screen later."""
    writer.guest.input({"op": "key", "keys": "End"}, {"op": "type", "text": " Some words to select."})
    time.sleep(1.0)  # LibreOffice's own toolbar update after typing is over
    hook = settle_hook(writer, policy)
    assert hook is not None
    shown = ComputerTool(writer.guest, writer.screen, settle=hook).execute(
        ComputerAction(action="key", text="shift+Home")).screenshot
    assert shown is not None
    time.sleep(1.5)
    later = writer.guest.screenshot("png").data
    writer.guest.input({"op": "key", "keys": "End"})
    return shown.data, later, hook


def test_the_screenshot_after_a_selection_shows_the_toolbar_libreoffice_updates_on_its_timer(writer: Sandbox) -> None:
    # selecting enables Cut and Copy: LibreOffice redraws those buttons 0.3 s after the selection, on its own timer
    # (0.6 s for a document's very first selection, once: that one is not waited for, see SettlePolicy.deferred)
    select_to_line_start(writer, SettlePolicy())
    shown, later, hook = select_to_line_start(writer, SettlePolicy())
    assert hook.history[-1].deferred, "the active LibreOffice window was not recognised as redrawing on a timer"
    assert changed(shown, later) <= CARET, "the settled screenshot misses LibreOffice's toolbar update"
