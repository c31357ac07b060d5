"""The text editor tool per version, in a real desktop, through the path a model's call takes: tool_use input ->
action -> Editor -> tool_result.  Checks each command's effect and the exact texts the model reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import cast

import pytest

from harness.agents.claude.scaling import choose_scaling
from harness.agents.claude.translate import PlannedCall, ToolInputError, to_action, tool_result_block
from harness.agents.claude.versions import TOOLSETS, Toolset, ToolsetName
from harness.sandbox import Sandbox, start_sandbox
from harness.tools import Toolbox

from .claude_support import result_text

pytestmark = pytest.mark.docker
VERSIONS: list[ToolsetName] = ["20241022", "20250124", "20250728"]
Call = Callable[[dict[str, object]], tuple[bool, str]]


@pytest.fixture(scope="module")
def box(desktop_image: str) -> Iterator[Sandbox]:
    with start_sandbox("desktop", labels={"deskbench.run": "pytest-claude-editor"}) as sandbox:
        yield sandbox


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> ToolsetName:
    return cast(ToolsetName, request.param)


def caller(box: Sandbox, toolset: Toolset, name: str | None = None) -> Call:
    """A model's editor call as it travels: validate, execute (fresh history per test), answer."""
    tools = Toolbox(box.guest, box.screen, editor_version=toolset.editor_version)
    scaling = choose_scaling(box.screen)

    def call(tool_input: dict[str, object]) -> tuple[bool, str]:
        try:
            action = to_action(name or toolset.editor_name, tool_input, toolset, toolset.tool_names, scaling)
        except ToolInputError as exc:
            block = tool_result_block(PlannedCall("toolu_e", error=str(exc)), None, scaling)
        else:
            block = tool_result_block(PlannedCall("toolu_e", action=action), tools.execute(action), scaling)
        return bool(block.get("is_error")), result_text(block)

    return call


@pytest.fixture
def edit(box: Sandbox, version: ToolsetName) -> Call:
    return caller(box, TOOLSETS[version])


def path_for(version: str, name: str) -> str:
    return f"/home/user/editor-{version}/{name}"


def test_view_numbers_lines_ranges_and_lists_directories(edit: Call, box: Sandbox, version: ToolsetName) -> None:
    path = path_for(version, "view.txt")
    box.guest.write_file(path, b"alpha\n\tbeta\ngamma")
    box.guest.write_file(path_for(version, ".hidden"), b"x")
    assert edit({"command": "view", "path": path}) == (
        False, f"Here's the result of running `cat -n` on {path}:\n     1\talpha\n     2\t\tbeta\n     3\tgamma\n")
    assert edit({"command": "view", "path": path, "view_range": [2, -1]}) == (
        False, f"Here's the result of running `cat -n` on {path}:\n     2\t\tbeta\n     3\tgamma\n")
    assert edit({"command": "view", "path": path, "view_range": [2, 2]})[1].endswith("     2\t\tbeta\n")
    assert edit({"command": "view", "path": path, "view_range": [5, 6]}) == (
        True, "view_range first line 5 should be within [1, 3]")
    assert edit({"command": "view", "path": path, "view_range": [2, 9]}) == (
        True, "view_range last line 9 should be -1 or within [2, 3]")
    folder = path_for(version, "")[:-1]
    error, listing = edit({"command": "view", "path": folder})
    assert not error and listing.startswith(f"Files and directories up to 2 levels deep in {folder}, excluding hidden "
                                            "items:\n")
    assert path in listing and ".hidden" not in listing
    assert edit({"command": "view", "path": folder, "view_range": [1, 2]}) == (
        True, "view_range is not allowed when path points to a directory")
    assert edit({"command": "view", "path": "/home/user/nope.txt"}) == (True, "the path /home/user/nope.txt does not exist")


def test_create_makes_new_files_and_never_overwrites(edit: Call, box: Sandbox, version: ToolsetName) -> None:
    path = path_for(version, "new/created.txt")
    assert edit({"command": "create", "path": path, "file_text": "one\ttwo\n"}) == (
        False, f"File created successfully at: {path}")
    assert box.guest.read_file(path) == b"one\ttwo\n"
    assert edit({"command": "create", "path": path, "file_text": "other"}) == (
        True, f"file already exists at: {path}; create cannot overwrite files")
    assert box.guest.read_file(path) == b"one\ttwo\n"
    assert edit({"command": "create", "path": path_for(version, "x.txt")}) == (
        True, "parameter file_text is required for command: create")
    assert edit({"command": "create", "path": "/home/user", "file_text": "x"}) == (
        True, "the path /home/user is a directory and only the `view` command can be used on directories")


def test_str_replace_needs_exactly_one_match(edit: Call, box: Sandbox, version: ToolsetName) -> None:
    path = path_for(version, "replace.ini")
    box.guest.write_file(path, b"[a]\nx = 1\nx = 1\nport = 8080\n")
    error, text = edit({"command": "str_replace", "path": path, "old_str": "port = 8080", "new_str": "port = 9090"})
    assert not error
    assert text.startswith(f"The file {path} has been edited. Here's the result of running `cat -n` on a snippet:\n")
    assert "     4\tport = 9090" in text
    assert text.endswith("Review the changes and make sure they are as expected. Edit the file again if necessary.")
    assert box.guest.read_file(path) == b"[a]\nx = 1\nx = 1\nport = 9090\n"
    assert edit({"command": "str_replace", "path": path, "old_str": "zzz", "new_str": "y"}) == (
        True, f"no replacement was performed, old_str `zzz` did not appear verbatim in {path}")
    assert edit({"command": "str_replace", "path": path, "old_str": "x = 1", "new_str": "x = 2"}) == (
        True, "no replacement was performed: multiple occurrences of old_str `x = 1` in lines [2, 3]; please ensure "
              "it is unique")
    assert edit({"command": "str_replace", "path": path, "old_str": "", "new_str": "y"}) == (
        True, "old_str must not be empty: give the exact text to replace (to add text, use insert)")
    assert edit({"command": "str_replace", "path": path, "new_str": "y"}) == (
        True, "parameter old_str is required for command: str_replace")
    assert edit({"command": "str_replace", "path": path, "old_str": "[a]\n"})[0] is False
    assert box.guest.read_file(path) == b"x = 1\nx = 1\nport = 9090\n"  # new_str left out: the text is deleted


def test_insert_takes_its_text_from_the_field_of_its_version(edit: Call, box: Sandbox, version: ToolsetName) -> None:
    path = path_for(version, "insert.txt")
    box.guest.write_file(path, b"one\nthree\n")
    field, other = ("insert_text", "new_str") if version == "20250728" else ("new_str", "insert_text")
    error, text = edit({"command": "insert", "path": path, "insert_line": 1, field: "two"})
    assert not error and text.startswith(f"The file {path} has been edited.")
    assert box.guest.read_file(path) == b"one\ntwo\nthree\n"
    assert edit({"command": "insert", "path": path, "insert_line": 0, field: "zero"})[0] is False
    assert box.guest.read_file(path) == b"zero\none\ntwo\nthree\n"
    assert edit({"command": "insert", "path": path, "insert_line": 1, other: "nope"}) == (
        True, f"parameters insert_line and {field} are required for command: insert")
    assert edit({"command": "insert", "path": path, "insert_line": 9, field: "x"}) == (
        True, "insert_line 9 should be within [0, 5]")
    assert box.guest.read_file(path) == b"zero\none\ntwo\nthree\n"


def test_undo_edit_exists_only_before_20250728(edit: Call, box: Sandbox, version: ToolsetName) -> None:
    path = path_for(version, "undo.txt")
    box.guest.write_file(path, b"keep\tthis\n")
    edit({"command": "str_replace", "path": path, "old_str": "keep", "new_str": "drop"})
    if version == "20250728":
        assert edit({"command": "undo_edit", "path": path}) == (
            True, "undo_edit is not a command of text_editor_20250728; the commands are view, create, str_replace, "
                  "insert")
        assert box.guest.read_file(path) == b"drop\tthis\n"
        return
    error, text = edit({"command": "undo_edit", "path": path})
    assert not error and text.startswith(f"Last edit to {path} undone successfully.")
    assert box.guest.read_file(path) == b"keep\tthis\n"
    assert edit({"command": "undo_edit", "path": path}) == (True, f"no edit history found for {path}")
    created = path_for(version, "undo-created.txt")
    edit({"command": "create", "path": created, "file_text": "temp"})
    assert edit({"command": "undo_edit", "path": created})[0] is False
    assert edit({"command": "view", "path": created}) == (True, f"the path {created} does not exist")


def test_refusals_before_anything_runs(edit: Call, box: Sandbox, version: ToolsetName) -> None:
    assert edit({"command": "view", "path": "notes.txt"}) == (
        True, "the path notes.txt is not an absolute path; it should start with '/'")
    assert edit({"command": "str_replace", "path": "/home/user", "old_str": "a", "new_str": "b"}) == (
        True, "the path /home/user is a directory and only the `view` command can be used on directories")
    toolset = TOOLSETS[version]
    error, text = edit({"command": "delete", "path": "/tmp/x"})
    assert error and text.startswith(f"invalid input for {toolset.editor_name}: {toolset.editor_name} command: "
                                     "Input should be 'view', 'create', 'str_replace', 'insert' or 'undo_edit'")
    other = "str_replace_editor" if toolset.editor_name == "str_replace_based_edit_tool" else \
        "str_replace_based_edit_tool"
    wrong_name = caller(box, toolset, other)
    assert wrong_name({"command": "view", "path": "/tmp"}) == (
        True, f"unknown tool '{other}': the tools are computer, bash, {toolset.editor_name}")
