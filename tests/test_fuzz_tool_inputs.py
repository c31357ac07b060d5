"""Property-based fuzzing of what a model sends as tool input: nothing it sends ends the episode.

The path under test is the one a ``tool_use`` block takes: ``to_action`` (translate.py) turns its
input into a vocabulary action or refuses it; the ``Toolbox`` runs an accepted action through the
guest; the agent answers every ``tool_use`` with a ``tool_result``.  Inputs are of the wrong type,
missing, huge (1 MB of text), off the screen or beyond any integer the screen could hold, NaN,
unknown actions and tools, scroll amounts of 10**9, key names xdotool does not know, paths outside
the home or into /proc and /dev.  The properties: a refusal is a ``ToolInputError`` or an error
result with one bounded, readable message; an accepted action reaches the guest only as requests the
real guest can carry out within its timeouts; the agent loop never raises.

The pure tests use a fake guest that checks every request against the real guest's limits (screen
bounds, xdotool's argument size, its typing speed); the ``docker`` tests then send the nastiest
valid-looking inputs to a real desktop and check it is still healthy afterwards.
"""

from __future__ import annotations

import io
import re
import shlex
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from harness.actions.vocabulary import BashAction, ComputerAction, EditorAction, ToolAction
from harness.agents.claude.scaling import Scaling, choose_scaling
from harness.agents.claude.translate import ToolInputError, to_action
from harness.agents.claude.versions import TOOLSETS, Toolset
from harness.errors import GuestError
from harness.mockapi import MockServer, Script
from harness.sandbox.guest import CommandResult, Screenshot
from harness.tools import Toolbox
from harness.tools.bash import OUTPUT_LIMIT
from harness.tools.computer import MAX_KEY_CHARS, MAX_SCROLL_AMOUNT, MAX_TYPE_CHARS, MAX_TYPE_LINES
from harness.tools.editor import MAX_FILE_BYTES
from harness.tools.result import ToolResult
from harness.tools.toolbox import MAX_RESULT_CHARS

from .claude_support import drive, make_claude, png, result_text, tool_results

PURE = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
SCREEN = (1280, 800)
MESSAGE_LIMIT = 1200  # a refusal the model reads: one short paragraph, whatever the input's size
RESULT_LIMIT = MAX_RESULT_CHARS + 300
MAX_ARG = 128 * 1024  # Linux's MAX_ARG_STRLEN: the longest single argument of a program

# -- what a model can send

HUGE = "x" * 1_000_000
NASTY_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from([2**63, -(2**63), 10**30, -1, HUGE, "", "\x00", "\ud800", "NaN"]),
)
NASTY = st.recursive(NASTY_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=8)
EDGE_INTS = st.one_of(st.integers(-3, 3), st.integers(SCREEN[1] - 3, SCREEN[1] + 3),
                      st.integers(SCREEN[0] - 3, SCREEN[0] + 3), st.integers(0, 2000),
                      st.sampled_from([2**31, 2**63, -(2**63), 10**30]))


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = NASTY_SCALARS) -> st.SearchStrategy[Any]:
    """``good`` three times in four: a call with one bad field among plausible ones is the interesting case,
    and one where every field is garbage is refused at the first.  (``one_of`` flattens nested choices, so
    repeating ``good`` in it would not weigh it.)"""
    return st.integers(0, 3).flatmap(lambda pick: bad if pick == 0 else good)


COORD = mostly(st.lists(EDGE_INTS, min_size=2, max_size=2), st.one_of(
    st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers()), min_size=2, max_size=2),
    st.lists(EDGE_INTS, max_size=5), st.fixed_dictionaries({"x": EDGE_INTS, "y": EDGE_INTS}),
    st.sampled_from(["10,20", "[10, 20]", [True, False], ["5", "6"], [5.0, 6.0]]), NASTY_SCALARS))
REGION = mostly(st.lists(EDGE_INTS, min_size=4, max_size=4), st.one_of(st.lists(EDGE_INTS, max_size=6), NASTY_SCALARS))
KEYS = st.sampled_from(["Return", "ctrl+a", "ctrl+shift+t", "super", "NoSuchKeyName", "ctrl+NoSuchKeyName",
                        "Return Return Tab", "+", "ctrl+", "a b c", "F13", "Page_Down", "日本", "x" * 300,
                        "Return " * 100, "shift"])
TEXT = st.one_of(st.text(max_size=60), KEYS, st.sampled_from([HUGE, "a\n" * 300, "x" * (MAX_TYPE_CHARS + 1),
                                                                 "tab\there", "nul\x00byte", "lone \ud800", ""]))
COMPUTER_ACTIONS = ["key", "type", "mouse_move", "left_click", "right_click", "middle_click", "double_click",
                    "triple_click", "left_click_drag", "left_mouse_down", "left_mouse_up", "scroll", "hold_key",
                    "wait", "screenshot", "cursor_position", "zoom"]
ACTION_NAME = mostly(st.sampled_from(COMPUTER_ACTIONS), st.one_of(
    st.sampled_from(["click", "Left_Click", "", "DONE"]), NASTY_SCALARS, st.lists(st.just("type"), max_size=2),
    st.just({"a": 1})))
COMPUTER_INPUT = st.fixed_dictionaries({"action": ACTION_NAME}, optional={
    "coordinate": COORD, "start_coordinate": COORD, "text": mostly(TEXT),
    "scroll_direction": mostly(st.sampled_from(["up", "down", "left", "right"]),
                               st.one_of(st.sampled_from(["sideways", "UP"]), NASTY_SCALARS)),
    "scroll_amount": mostly(st.integers(0, 3 * MAX_SCROLL_AMOUNT),
                            st.one_of(st.sampled_from([10**9, 2**63, -5]), NASTY_SCALARS)),
    "duration": mostly(st.floats(0, 0.01), st.one_of(st.floats(allow_nan=True, allow_infinity=True), NASTY_SCALARS)),
    "region": REGION,
})
PATHS = st.one_of(st.sampled_from([
    "/home/user/notes.txt", "/home/user/new.txt", "/home/user", "/etc/passwd", "/etc/shadow", "/root/x",
    "/dev/zero", "/dev/null", "/proc/self/mem", "/sys/kernel/notes", "relative/x", "", "/x\x00y",
    "/" + "a" * 5000, "/home/user/../../etc/hosts", "/tmp/big.bin", "/home/user/\ud800",
]), st.text(max_size=30))
EDITOR_INPUT = st.fixed_dictionaries({
    "command": mostly(st.sampled_from(["view", "create", "str_replace", "insert", "undo_edit"]),
                      st.one_of(st.just("rm"), NASTY_SCALARS)),
    "path": mostly(PATHS)}, optional={
    "file_text": mostly(TEXT), "old_str": mostly(TEXT), "new_str": mostly(TEXT), "insert_text": mostly(TEXT),
    "insert_line": mostly(st.integers(-3, 5), st.one_of(EDGE_INTS, NASTY_SCALARS)),
    "view_range": mostly(st.lists(st.integers(-3, 10**6), min_size=2, max_size=2)),
})
BASH_INPUT = st.fixed_dictionaries({}, optional={
    "command": mostly(st.one_of(TEXT, st.sampled_from(["yes", "cat big", "echo hi", "x" * 200_000]))),
    "restart": mostly(st.booleans())})
BOGUS = st.dictionaries(st.text(max_size=8), NASTY, min_size=1, max_size=2)


def tool_call(editor_name: str) -> st.SearchStrategy[tuple[Any, Any]]:
    """(name, input) of one tool_use: mostly a declared tool with plausible fields, sometimes a parameter the
    tool does not have, an input that is not an object, or a tool nobody declared."""
    computer, bash, editor = st.just("computer"), st.just("bash"), st.just(editor_name)
    choices = [
        st.tuples(computer, COMPUTER_INPUT), st.tuples(computer, COMPUTER_INPUT), st.tuples(computer, COMPUTER_INPUT),
        st.tuples(bash, BASH_INPUT), st.tuples(editor, EDITOR_INPUT), st.tuples(editor, EDITOR_INPUT),
        st.tuples(st.sampled_from(["computer", "bash", editor_name]),
                  st.one_of(NASTY, st.builds(lambda a, b: {**a, **b}, COMPUTER_INPUT | EDITOR_INPUT, BOGUS))),
        st.tuples(st.one_of(st.sampled_from(["mouse", "Computer", "str_replace_editor", "", "x" * 10_000]),
                            st.text(max_size=10)), NASTY),
    ]
    return st.integers(0, len(choices) - 1).flatmap(lambda i: choices[i])


# -- a guest that holds the host to the real guest's limits


KNOWN_KEYS = {"Return", "Tab", "Escape", "BackSpace", "Page_Down", "Page_Up", "F5", "F13", "super", "ctrl", "shift",
              "alt", "plus"}


class StrictGuest:
    """Stands in for ``GuestClient``: answers like the desktop's guest, and fails the test on any request
    the real guest could not carry out (off-screen pointer, an argument xdotool cannot take, typing
    that outlasts the guest's timeouts, output without end)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {"/home/user/notes.txt": b"alpha\nbeta\n", "/etc/passwd": b"root:x:0:0\n",
                                        "/proc/self/mem": b"", "/sys/kernel/notes": b"",
                                        "/tmp/big.bin": b""}
        self.sizes = {"/tmp/big.bin": MAX_FILE_BYTES + 1}
        self.dirs = {"/home/user", "/", "/etc", "/tmp"}
        self.special = {"/dev/zero", "/dev/null"}
        self.unreadable = {"/etc/shadow"}
        self.requests = 0

    def _in_screen(self, x: Any, y: Any) -> None:
        assert isinstance(x, int) and isinstance(y, int), (x, y)
        assert 0 <= x < SCREEN[0] and 0 <= y < SCREEN[1], f"pointer sent off the screen: {(x, y)}"

    def _keys(self, keys: Any) -> None:
        assert isinstance(keys, str) and "\x00" not in keys and len(keys.encode()) < MAX_ARG, "keys xdotool cannot take"
        unknown = [k for word in keys.split() for k in word.split("+")
                   if k and k not in KNOWN_KEYS and len(k) > 1]
        if unknown:
            raise GuestError(f"xdotool key: (symbol) No such key name '{unknown[0]}'. Ignoring it.", 400)

    def input(self, *events: dict[str, Any]) -> tuple[int, int]:
        self.requests += 1
        for ev in events:
            op = ev["op"]
            if "x" in ev or "y" in ev:
                self._in_screen(ev.get("x"), ev.get("y"))
            if op == "drag":
                self._in_screen(ev["x1"], ev["y1"])
                self._in_screen(ev["x2"], ev["y2"])
            if op == "scroll":
                assert 0 < ev["amount"] <= MAX_SCROLL_AMOUNT, f"scroll of {ev['amount']} clicks outlasts the guest"
            if op in ("key", "hold"):
                self._keys(ev["keys"])
            if ev.get("modifiers"):
                self._keys(ev["modifiers"])
            if op == "type":
                text = ev["text"]
                assert "\x00" not in text and len(text) <= MAX_TYPE_CHARS and text.count("\n") < MAX_TYPE_LINES, \
                    "typing this would outlast the guest's timeouts"
                assert all(len(line.encode()) < MAX_ARG for line in text.split("\n"))
        return 0, 0

    def cursor(self) -> tuple[int, int]:
        return 10, 10

    def screenshot(self, fmt: str = "png", pointer: bool = True, quality: int = 80) -> Screenshot:
        return png(*SCREEN)

    def run(self, cmd: str | list[str], *, shell: bool | None = None, timeout: float = 60.0, cwd: str | None = None,
            env: dict[str, str] | None = None, stdin: str | None = None) -> CommandResult:
        self.requests += 1
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else cmd
        for arg in argv:
            assert "\x00" not in arg, "a NUL in an argument: Popen refuses it"
            assert len(arg.encode("utf-8", "surrogatepass")) < MAX_ARG, "an argument longer than MAX_ARG_STRLEN"
        if isinstance(cmd, str) and cmd.startswith("if [ -d "):  # the editor's look at a path
            path = shlex.split(cmd)[3]
            if path in self.dirs:
                return CommandResult(0, "dir\n", "", False, 0.01)
            if path in self.special:
                return CommandResult(0, "special\n", "", False, 0.01)
            if path in self.files or path in self.unreadable:
                size = self.sizes.get(path, len(self.files.get(path, b"")))
                return CommandResult(0, f"file {size} {path}", "", False, 0.01)
            return CommandResult(0, "none\n", "", False, 0.01)
        if argv[0] == "find":
            return CommandResult(0, "\n".join(["/home/user"] + [f"/home/user/f{i}" for i in range(5000)]), "", False, 0.1)
        if argv[0] == "bash":
            script = argv[2] if argv[1] == "-c" else self.files[argv[1]].decode("utf-8", "surrogatepass")
            assert f"head -c {OUTPUT_LIMIT}" in script, "a bash command whose output is not bounded in the guest"
            if "\nyes\n" in script:  # what the guest gets back from a command that prints forever
                return CommandResult(0, "y\n" * (OUTPUT_LIMIT // 2), "", False, 1.0)
            return CommandResult(0, f"ran {len(script)} characters", "", False, 0.01)
        return CommandResult(0, "", "", False, 0.01)

    def read_file(self, path: str, max_bytes: int = MAX_FILE_BYTES, *, as_user: bool = False) -> bytes:
        self.requests += 1
        assert not path.startswith(("/proc/", "/sys/", "/dev/")), f"reading {path} would hang or break the guest"
        assert self.sizes.get(path, 0) <= MAX_FILE_BYTES, "reading a file larger than the editor's limit"
        if path in self.unreadable:
            raise GuestError(f"permission denied: {path}", 403)
        if path not in self.files:
            raise GuestError(f"no such file: {path}", 404)
        return self.files[path]

    def write_file(self, path: str, data: bytes, mode: int | None = None) -> None:
        self.requests += 1
        assert "\x00" not in path
        if path.startswith(("/root/", "/etc/", "/proc/", "/sys/")):
            raise GuestError(f"permission denied: {path}", 403)
        self.files[path] = data


def toolbox(editor_version: str = "20250728") -> tuple[Toolbox, StrictGuest]:
    guest = StrictGuest()
    return Toolbox(guest, SCREEN, editor_version), guest  # type: ignore[arg-type]


def check_message(text: str) -> None:
    assert text.strip(), "an empty message tells the model nothing"
    assert len(text) <= MESSAGE_LIMIT, text[:300]
    assert "\n" not in text, text[:300]
    assert "Traceback" not in text


def check_result(result: ToolResult) -> None:
    assert len(result.output or "") <= RESULT_LIMIT and len(result.error or "") <= RESULT_LIMIT
    if result.error is not None:
        assert result.error.strip()


# -- (a) pure: parsing and execution against the strict guest


@PURE
@given(toolset=st.sampled_from(list(TOOLSETS.values())), data=st.data())
def test_tool_inputs_become_actions_or_one_clear_refusal(toolset: Toolset, data: st.DataObject) -> None:
    name, tool_input = data.draw(tool_call(toolset.editor_name))
    scaling = choose_scaling(data.draw(st.sampled_from([SCREEN, (1920, 1080), (800, 600)])))
    try:
        action = to_action(name, tool_input, toolset, toolset.tool_names, scaling)
    except ToolInputError as exc:
        check_message(str(exc))
        return
    if isinstance(action, ComputerAction):
        assert action.action in toolset.computer_actions
        for point in (action.coordinate, action.start_coordinate):
            assert point is None or (0 <= point[0] < scaling.screen[0] and 0 <= point[1] < scaling.screen[1])


@PURE
@given(toolset=st.sampled_from(list(TOOLSETS.values())), data=st.data())
def test_accepted_actions_run_within_the_guests_limits(toolset: Toolset, data: st.DataObject) -> None:
    """Whatever ``to_action`` accepts, the toolbox runs or refuses; the strict guest never sees a request it
    could not carry out, and the result is bounded."""
    name, tool_input = data.draw(tool_call(toolset.editor_name))
    try:
        action = to_action(name, tool_input, toolset, toolset.tool_names, Scaling(SCREEN, SCREEN))
    except ToolInputError:
        return
    tools, _ = toolbox(toolset.editor_version)
    result = tools.execute(action, screenshot=data.draw(st.booleans()))
    check_result(result)
    if result.error is not None and isinstance(action, ComputerAction):
        check_message(result.error)


@given(action=st.one_of(
    st.builds(ComputerAction, action=st.sampled_from(COMPUTER_ACTIONS), coordinate=st.none() | st.tuples(EDGE_INTS, EDGE_INTS),
              start_coordinate=st.none() | st.tuples(EDGE_INTS, EDGE_INTS), text=st.none() | TEXT,
              scroll_direction=st.none() | st.sampled_from(["up", "down", "left", "right"]),
              scroll_amount=st.none() | st.integers(0, 10**12), duration=st.none() | st.floats(0, 2),
              region=st.none() | st.tuples(EDGE_INTS, EDGE_INTS, EDGE_INTS, EDGE_INTS)),
    st.builds(BashAction, command=st.none() | TEXT | st.sampled_from(["yes", "x" * 200_000]), restart=st.booleans()),
    st.builds(EditorAction, command=st.sampled_from(["view", "create", "str_replace", "insert", "undo_edit"]),
              path=PATHS, file_text=st.none() | TEXT, old_str=st.none() | TEXT, new_str=st.none() | TEXT,
              insert_line=st.none() | EDGE_INTS, insert_text=st.none() | TEXT,
              view_range=st.none() | st.tuples(st.integers(-3, 10**6), st.integers(-3, 10**6))),
))
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_toolbox_never_raises_on_a_vocabulary_action(action: ToolAction) -> None:
    """Actions that need no translation (reference solutions, other agents) get the same protection."""
    if isinstance(action, ComputerAction) and action.action == "wait":
        action = action.model_copy(update={"duration": 0.0})
    tools, _ = toolbox()
    check_result(tools.execute(action))


@pytest.mark.parametrize("tool_input,needle", [
    ({"action": ["type"]}, "action ['type'] is not available"),
    ({"action": {"a": 1}}, "is not available"),
    ({"action": "type", "text": [HUGE]}, "... (1000004 characters)"),
    ({"action": "left_click", "coordinate": [2**63, 5]}, "is outside the screen"),
    ({"action": "left_click", "coordinate": [float("nan"), 5]}, "finite number"),
    ({"action": "wait", "duration": float("nan")}, "duration: Input should be a finite number"),
    ({"action": "mouse_move", "coordinate": [1, 2], HUGE: 1}, "has no parameter xxxxxxxx"),
])
def test_specific_refusals(tool_input: dict[str, Any], needle: str) -> None:
    toolset = TOOLSETS["20251124"]
    with pytest.raises(ToolInputError) as info:
        to_action("computer", tool_input, toolset, toolset.tool_names, Scaling(SCREEN, SCREEN))
    check_message(str(info.value))
    assert needle in str(info.value)


@pytest.mark.parametrize("action,needle", [
    (ComputerAction(action="type", text=HUGE), f"type takes at most {MAX_TYPE_CHARS} characters"),
    (ComputerAction(action="type", text="a\n" * 300), f"and {MAX_TYPE_LINES} lines per call"),
    (ComputerAction(action="key", text="Return " * 100), f"at most {MAX_KEY_CHARS} characters"),
    (ComputerAction(action="key", text="ctrl+NoSuchKeyName"), "unknown key name 'NoSuchKeyName'"),
    (ComputerAction(action="left_click", coordinate=(5, 5), text="NoSuchMod"), "unknown key name 'NoSuchMod'"),
    (ComputerAction(action="scroll", scroll_direction="down", scroll_amount=10**9), "scroll_amount is at most"),
    (ComputerAction(action="type", text="a\x00b"), "NUL character"),
    (ComputerAction(action="type", text="lone \ud800"), "text is not valid Unicode"),
    (BashAction(command="echo a\x00b"), "NUL character"),
    (EditorAction(command="view", path="/dev/zero"), "is not a regular file"),
    (EditorAction(command="str_replace", path="/proc/self/mem", old_str="a"), "is not a regular file"),
    (EditorAction(command="view", path="/tmp/big.bin"), f"the editor opens files up to {MAX_FILE_BYTES} bytes"),
    (EditorAction(command="view", path="/x\x00y"), "NUL character"),
    (EditorAction(command="view", path="/" + "a" * 5000), "paths are at most 4096"),
    (EditorAction(command="view", path="/etc/shadow"), "permission denied"),
    (EditorAction(command="create", path="/root/x", file_text="x"), "cannot write /root/x: permission denied"),
    (EditorAction(command="str_replace", path="/home/user/notes.txt", old_str=HUGE), "(1000000 characters)"),
])
def test_specific_tool_errors(action: ToolAction, needle: str) -> None:
    tools, _ = toolbox()
    result = tools.execute(action)
    assert result.error is not None and needle in result.error, result.error
    check_message(result.error)


def test_long_output_is_bounded_and_says_so() -> None:
    tools, guest = toolbox()
    result = tools.execute(BashAction(command="yes"))
    assert result.error is None and result.output is not None
    assert len(result.output) <= RESULT_LIMIT and "characters omitted" in result.output
    assert result.output.endswith(f"only the first {OUTPUT_LIMIT} were kept: redirect long output to a file and "
                                  "read parts of it]")
    listing = tools.execute(EditorAction(command="view", path="/home/user"))
    assert listing.output is not None and len(listing.output) <= RESULT_LIMIT
    long = tools.execute(BashAction(command="echo " + "y" * 200_000))  # written to a file, not passed as -c
    assert long.output is not None and long.output.startswith("ran ")
    assert any(p.endswith("/command.sh") for p in guest.files)


# -- (a) the agent loop: every tool_use answered, whatever it held


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(toolset=st.sampled_from(["20241022", "20250728", "20251124"]), data=st.data())
def test_the_agent_loop_answers_every_bad_call_with_an_error_result(toolset: str, data: st.DataObject) -> None:
    editor = TOOLSETS[toolset].editor_name  # type: ignore[index]
    calls = data.draw(st.lists(st.lists(tool_call(editor).filter(lambda c: isinstance(c[1], dict)), min_size=1,
                                        max_size=4), min_size=1, max_size=3))
    turns = [[{"type": "tool_use", "name": name, "input": tool_input} for name, tool_input in turn] for turn in calls]
    task = "Fuzz the tools, please."
    tools, _ = toolbox(TOOLSETS[toolset].editor_version)  # type: ignore[index]
    with MockServer([Script(task, turns)]) as srv:
        # room for the largest drawn input: the server cuts a longer reply off at max_tokens, as the API does,
        # and this test is about what the tools answer, not about cut-off replies (tests/test_claude_api.py)
        agent = make_claude(srv, tool_version=toolset, model="claude-sonnet-4-5", max_tokens=4_000_000,
                            max_tokens_ceiling=4_000_000)
        result = drive(agent, task, lambda a: tools.execute(a), budget=len(turns) + 2)
    assert result[-1].control == "DONE"
    for message in agent.messages[2::2]:
        for block in tool_results(message):
            text = result_text(block)
            assert block["content"] and len(text) <= RESULT_LIMIT
            if block.get("is_error"):
                assert text.strip() and "Traceback" not in text


# -- (b) a real desktop

docker = pytest.mark.docker


@pytest.fixture(scope="module")
def desk(desktop_image: str) -> Iterator[Any]:
    from harness.sandbox import start_sandbox

    with start_sandbox("desktop", labels={"deskbench.run": "pytest-fuzz-tools"}) as sandbox:
        yield sandbox


def _healthy(box: Any) -> None:
    assert box.guest.health()["ok"] is True
    assert box.guest.run("echo alive").stdout == "alive\n"


def _no_key_held(box: Any) -> None:
    held = box.guest.run(["python3", "-c", "from Xlib import display; print(sum(display.Display().query_keymap()))"],
                         shell=False)
    assert held.stdout.strip() == "0", held


@docker
def test_real_desktop_coordinates_at_and_beyond_the_edges(desk: Any) -> None:
    tools = Toolbox(desk.guest, desk.screen)
    width, height = desk.screen
    for point in [(0, 0), (width - 1, height - 1), (width - 1, 0)]:
        assert tools.execute(ComputerAction(action="left_click", coordinate=point), screenshot=False).error is None
        assert tools.execute(ComputerAction(action="cursor_position")).output == f"X={point[0]},Y={point[1]}"
    for point in [(width, 0), (0, height), (-1, -1), (2**63, 2**63), (-(2**63), 5)]:
        for action in ("mouse_move", "left_click", "left_mouse_down", "scroll"):
            result = tools.execute(ComputerAction(action=action, coordinate=point, scroll_direction="down"))
            assert result.error is not None and "outside the screen" in result.error, (action, point)
    drag = tools.execute(ComputerAction(action="left_click_drag", start_coordinate=(0, 0), coordinate=(width, height)))
    assert drag.error is not None and "outside the screen" in drag.error
    edge = tools.execute(ComputerAction(action="zoom", region=(width - 10, height - 10, width, height)))
    assert edge.screenshot is not None and Image.open(io.BytesIO(edge.screenshot.data)).size == (10, 10)
    beyond = tools.execute(ComputerAction(action="zoom", region=(width - 10, height - 10, width + 1, height)))
    assert beyond.error is not None and "outside the screen" in beyond.error
    scrolled = tools.execute(ComputerAction(action="scroll", coordinate=(width - 1, height - 1),
                                            scroll_direction="down", scroll_amount=MAX_SCROLL_AMOUNT), screenshot=False)
    assert scrolled.error is None
    started = time.monotonic()
    huge = tools.execute(ComputerAction(action="scroll", scroll_direction="up", scroll_amount=10**9))
    assert huge.error is not None and "scroll_amount is at most" in huge.error and time.monotonic() - started < 5
    _healthy(desk)


@docker
def test_real_desktop_huge_text_and_unknown_keys(desk: Any) -> None:
    tools = Toolbox(desk.guest, desk.screen)
    started = time.monotonic()
    refused = tools.execute(ComputerAction(action="type", text="x" * 100_000))
    assert refused.error is not None and "type it in parts" in refused.error
    too_long = tools.execute(ComputerAction(action="key", text="a" * 200_000))
    assert too_long.error is not None and f"at most {MAX_KEY_CHARS} characters" in too_long.error
    assert time.monotonic() - started < 5  # refused before the guest spent any time on it
    for keys in ("NoSuchKeyName", "ctrl+NoSuchKeyName", "ctrl+shift+Nope Return"):
        result = tools.execute(ComputerAction(action="key", text=keys), screenshot=False)
        assert result.error is not None and "unknown key name" in result.error, result.error
        check_message(result.error)
    modifier = tools.execute(ComputerAction(action="left_click", coordinate=(5, 5), text="hyperctrl"))
    assert modifier.error is not None and "unknown key name 'hyperctrl'" in modifier.error
    odd = tools.execute(ComputerAction(action="type", text="tab\tünïcödé € 日本 \\ ' \" $HOME `x`"), screenshot=False)
    assert odd.error is None
    _no_key_held(desk)
    _healthy(desk)


@docker
def test_real_desktop_bash_floods_are_truncated(desk: Any) -> None:
    tools = Toolbox(desk.guest, desk.screen)
    started = time.monotonic()
    flood = tools.execute(BashAction(command="head -c 50000000 /dev/zero | tr '\\0' x; echo; echo done >&2"))
    assert flood.error is None and flood.output is not None
    assert len(flood.output) <= RESULT_LIMIT and "characters omitted" in flood.output
    assert f"more than {OUTPUT_LIMIT} bytes on stdout" in flood.output
    assert flood.output.endswith("read parts of it]\ndone")  # stderr kept apart, after the note
    endless = tools.execute(BashAction(command="timeout 3 yes; echo after"))
    assert endless.output is not None and len(endless.output) <= RESULT_LIMIT
    background = tools.execute(BashAction(command="seq 1 3; sleep 100 & echo started"))
    assert background.output == "1\n2\n3\nstarted"  # a job holding the output open delays nothing
    assert time.monotonic() - started < 60
    heredoc = "cat > /tmp/long.txt <<'EOF'\n" + "line of text\n" * 20_000 + "EOF\nwc -l < /tmp/long.txt"
    assert len(heredoc) > 200_000
    assert tools.execute(BashAction(command=heredoc)).output == "20000"
    assert tools.execute(BashAction(command="cd /tmp && export FUZZ=1")).error is None
    assert tools.execute(BashAction(command="pwd; echo $FUZZ")).output == "/tmp\n1"  # state survives the wrapper
    assert tools.execute(BashAction(command="echo out; echo err >&2; exit 3")).output == "out\nerr"
    _healthy(desk)


@docker
def test_real_desktop_editor_outside_the_home(desk: Any) -> None:
    tools = Toolbox(desk.guest, desk.screen)
    for path in ("/dev/zero", "/dev/urandom", "/proc/self/mem", "/proc/kmsg"):
        started = time.monotonic()
        result = tools.execute(EditorAction(command="view", path=path))
        assert result.error is not None and time.monotonic() - started < 10, (path, result)
        assert "not a regular file" in result.error or "permission denied" in result.error, result.error
    shadow = tools.execute(EditorAction(command="view", path="/etc/shadow"))
    assert shadow.error is not None and "permission denied" in shadow.error
    root = tools.execute(EditorAction(command="create", path="/root/evil.txt", file_text="x"))
    assert root.error is not None and "permission denied" in root.error
    passwd = tools.execute(EditorAction(command="view", path="/etc/passwd", view_range=(1, 2)))
    assert passwd.error is None and passwd.output is not None and "root" in passwd.output
    desk.guest.run("head -c 20000000 /dev/zero > /tmp/big.bin")
    big = tools.execute(EditorAction(command="view", path="/tmp/big.bin"))
    assert big.error is not None and "use the bash tool" in big.error
    listing = tools.execute(EditorAction(command="view", path="/"))
    assert listing.output is not None and len(listing.output) <= RESULT_LIMIT
    assert re.search(r"paths are at most", tools.execute(EditorAction(command="view", path="/" + "a" * 5000)).error
                     or "")
    _healthy(desk)
