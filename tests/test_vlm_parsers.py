"""Property tests of the vlm agent's two reply parsers: valid calls become the right actions, coordinates
survive screen -> model -> screen within a pixel, the local server's replays parse back to the solution's
actions, and no input whatever crashes a parser (it becomes an error the model reads)."""

from __future__ import annotations

from typing import Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.actions.vocabulary import ComputerAction
from harness.agents.claude.scaling import Scaling
from harness.agents.vlm import ModelSpace, Parsed, parse_pyautogui, parse_uitars
from harness.mockapi.chat_script import GuiScript, reply_turns

#: typed text may hold any character but a lone surrogate (not encodable) or NUL
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
SCREENS = st.sampled_from([(1280, 800), (1920, 1080), (1024, 768), (800, 600)])
#: the pyautogui names the parser maps, with the keysym xdotool must receive (spelled out here, not imported)
KEYS = {"enter": "Return", "esc": "Escape", "tab": "Tab", "backspace": "BackSpace", "pagedown": "Next",
        "pageup": "Prior", "ctrl": "ctrl", "shift": "shift", "alt": "alt", "win": "super", "f5": "F5", "a": "a",
        "z": "z", "1": "1", "delete": "Delete", "up": "Up"}
key_names = st.sampled_from(sorted(KEYS))


def identity(screen: tuple[int, int]) -> ModelSpace:
    return ModelSpace(Scaling(screen, screen))


def block(*lines: str) -> str:
    return "I will do the next step.\n```python\n" + "\n".join(lines) + "\n```"


@st.composite
def screen_points(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int]]:
    screen = draw(SCREENS)
    return screen, (draw(st.integers(0, screen[0] - 1)), draw(st.integers(0, screen[1] - 1)))


@st.composite
def pyautogui_calls(draw: st.DrawFn, screen: tuple[int, int]) -> tuple[str, dict[str, Any]]:
    """One pyautogui call on an unscaled screen and the action it must become (fields as the vocabulary has them)."""
    x, y = draw(st.integers(0, screen[0] - 1)), draw(st.integers(0, screen[1] - 1))
    kind = draw(st.sampled_from(["click", "double", "triple", "right", "move", "drag", "type", "press", "hotkey",
                                 "scroll", "sleep", "keyword_click"]))
    if kind == "click":
        return f"pyautogui.click({x}, {y})", {"action": "left_click", "coordinate": (x, y)}
    if kind == "keyword_click":
        clicks = draw(st.sampled_from([1, 2, 3]))
        name = {1: "left_click", 2: "double_click", 3: "triple_click"}[clicks]
        return f"pyautogui.click(x={x}, y={y}, clicks={clicks}, button='left')", {"action": name, "coordinate": (x, y)}
    if kind in ("double", "triple", "right"):
        fn = {"double": "doubleClick", "triple": "tripleClick", "right": "rightClick"}[kind]
        name = {"double": "double_click", "triple": "triple_click", "right": "right_click"}[kind]
        return f"pyautogui.{fn}({x}, {y})", {"action": name, "coordinate": (x, y)}
    if kind == "move":
        return f"pyautogui.moveTo({x}, {y}, duration=0.2)", {"action": "mouse_move", "coordinate": (x, y)}
    if kind == "drag":
        return f"pyautogui.dragTo({x}, {y}, button='left')", {"action": "left_click_drag", "coordinate": (x, y)}
    if kind == "type":
        text = draw(st.text(st.characters(blacklist_categories=SURROGATES, blacklist_characters="\x00"), min_size=1,
                            max_size=40))
        fn = draw(st.sampled_from(["typewrite", "write"]))
        return f"pyautogui.{fn}({text!r})", {"action": "type", "text": text}
    if kind == "press":
        key, presses = draw(key_names), draw(st.integers(1, 4))
        return f"pyautogui.press({key!r}, presses={presses})", {"action": "key", "text": " ".join([KEYS[key]] * presses)}
    if kind == "hotkey":
        keys = draw(st.lists(key_names, min_size=1, max_size=3))
        return (f"pyautogui.hotkey({', '.join(map(repr, keys))})",
                {"action": "key", "text": "+".join(KEYS[k] for k in keys)})
    if kind == "scroll":
        clicks = draw(st.integers(-20, 20).filter(bool))
        return (f"pyautogui.scroll({clicks}, x={x}, y={y})",
                {"action": "scroll", "coordinate": (x, y), "scroll_direction": "up" if clicks > 0 else "down",
                 "scroll_amount": abs(clicks)})
    seconds = draw(st.floats(0, 100, allow_nan=False).map(lambda s: round(s, 2)))
    return f"time.sleep({seconds})", {"action": "wait", "duration": seconds}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_valid_pyautogui_blocks_become_the_same_actions_in_order(data: st.DataObject) -> None:
    screen = data.draw(SCREENS)
    calls = data.draw(st.lists(pyautogui_calls(screen), min_size=1, max_size=6))
    parsed = parse_pyautogui(block("import pyautogui", *(c for c, _ in calls)), identity(screen))
    assert parsed.error is None and parsed.control is None
    assert [a.model_dump(exclude_none=True, exclude={"tool"}) for a in parsed.actions] == [e for _, e in calls]


@settings(max_examples=150, deadline=None)
@given(screen_points(), st.integers(50, 100))
def test_a_screen_point_survives_the_round_trip_through_a_scaled_screenshot(found: Any, percent: int) -> None:
    screen, point = found
    image = (max(1, screen[0] * percent // 100), max(1, screen[1] * percent // 100))
    space = ModelSpace(Scaling(screen, image))
    x, y = space.to_model(*point)
    assert 0 <= x < image[0] and 0 <= y < image[1]
    parsed = parse_pyautogui(block(f"pyautogui.click({x}, {y})"), space)
    (action,) = parsed.actions
    assert action.coordinate is not None
    assert abs(action.coordinate[0] - point[0]) <= 1 and abs(action.coordinate[1] - point[1]) <= 1


@settings(max_examples=150, deadline=None)
@given(screen_points())
def test_a_screen_point_survives_the_round_trip_through_the_uitars_grid(found: Any) -> None:
    screen, point = found
    space = ModelSpace(Scaling(screen, (1000, 1000)), inclusive=True)
    x, y = space.to_model(*point)
    parsed = parse_uitars(f"Thought: go\nAction: click(start_box='<|box_start|>({x},{y})<|box_end|>')", space)
    (action,) = parsed.actions
    assert action.coordinate is not None
    assert abs(action.coordinate[0] - point[0]) <= 1 and abs(action.coordinate[1] - point[1]) <= 1


@settings(max_examples=100, deadline=None)
@given(SCREENS, st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000))
def test_uitars_boxes_click_their_centre_and_the_grid_covers_the_whole_screen(screen: tuple[int, int], x1: int,
                                                                             y1: int, x2: int, y2: int) -> None:
    space = ModelSpace(Scaling(screen, (1000, 1000)), inclusive=True)
    (box,) = parse_uitars(f"Action: left_double(start_box='[{x1},{y1},{x2},{y2}]')", space).actions
    assert box.action == "double_click" and box.coordinate is not None
    for got, low, high, size in ((box.coordinate[0], x1, x2, screen[0]), (box.coordinate[1], y1, y2, screen[1])):
        centre = (low + high) / 2 / 1000 * size
        assert 0 <= got < size and abs(got - centre) <= max(1.5, size / 1000 + 1)


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_categories=SURROGATES, blacklist_characters="\x00"), min_size=1, max_size=60))
def test_uitars_type_content_round_trips_through_the_grammar_escapes(text: str) -> None:
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    parsed = parse_uitars(f"Thought: type it\nAction: type(content='{escaped}')", ModelSpace(Scaling((1280, 800),
                                                                                                    (1000, 1000))))
    assert parsed.error is None, parsed.error
    assert [a.text for a in parsed.actions] == [text]


@st.composite
def gui_actions(draw: st.DrawFn, screen: tuple[int, int], uitars: bool) -> ComputerAction:
    point = st.tuples(st.integers(0, screen[0] - 1), st.integers(0, screen[1] - 1))
    kinds = ["left_click", "double_click", "right_click", "type", "key", "scroll", "left_click_drag"]
    kind = draw(st.sampled_from(kinds if uitars else [*kinds, "triple_click", "mouse_move", "wait"]))
    if kind == "type":
        return ComputerAction(action="type", text=draw(st.text("abc XYZ'\"\\\n$", min_size=1, max_size=20)))
    if kind == "key":
        combos = draw(st.lists(st.lists(key_names, min_size=1, max_size=3), min_size=1, max_size=1 if uitars else 2))
        return ComputerAction(action="key", text=" ".join("+".join(KEYS[k] for k in c) for c in combos))
    if kind == "scroll":
        return ComputerAction(action="scroll", coordinate=draw(point), scroll_amount=5,
                              scroll_direction=draw(st.sampled_from(["up", "down", "left", "right"])))
    if kind == "left_click_drag":
        return ComputerAction(action="left_click_drag", start_coordinate=draw(point), coordinate=draw(point))
    if kind == "wait":
        return ComputerAction(action="wait", duration=draw(st.sampled_from([0.5, 1.0, 2.0])))
    return ComputerAction(action=kind, coordinate=draw(point))  # type: ignore[arg-type]


def near(got: ComputerAction, want: ComputerAction) -> bool:
    """Equal actions, with coordinates within 1 px."""
    fields = ("coordinate", "start_coordinate")
    for field in fields:
        a, b = getattr(got, field), getattr(want, field)
        if (a is None) != (b is None) or (a is not None and max(abs(a[0] - b[0]), abs(a[1] - b[1])) > 1):
            return False
    return got.model_dump(exclude=set(fields)) == want.model_dump(exclude=set(fields))


@settings(max_examples=120, deadline=None)
@given(st.data(), st.sampled_from(["pyautogui", "uitars", "uitars-absolute"]))
def test_the_local_servers_replay_parses_back_to_the_reference_actions(data: st.DataObject, fmt: str) -> None:
    """The mock writes what a model would; the agent's parser must read back the solution it came from."""
    screen = data.draw(SCREENS)
    actions = data.draw(st.lists(gui_actions(screen, fmt != "pyautogui"), min_size=1, max_size=4))
    # a drag in pyautogui is moveTo + dragTo from the pointer: compare it as the two actions it becomes
    script = GuiScript("t", tuple((a,) for a in actions), False, screen)
    absolute = fmt == "uitars-absolute"
    image = (round(screen[0] / 28) * 28, round(screen[1] / 28) * 28) if absolute else screen
    replies = reply_turns(script, "pyautogui" if fmt == "pyautogui" else "uitars", image, absolute)
    if fmt != "pyautogui":
        space = ModelSpace(Scaling(screen, image), False) if absolute else ModelSpace(Scaling(screen, (1000, 1000)),
                                                                                     inclusive=True)
        parsed = [parse_uitars(r, space, scroll_amount=5) for r in replies]
    else:
        parsed = [parse_pyautogui(r, identity(screen)) for r in replies]
    assert all(p.error is None for p in parsed), [p.error for p in parsed]
    assert parsed[-1].control == "DONE"
    got = [a for p in parsed[:-1] for a in p.actions]
    want = [b for a in actions for b in _as_pyautogui(a, fmt)]
    assert len(got) == len(want) and all(near(g, w) for g, w in zip(got, want, strict=True)), (got, want)


def _as_pyautogui(action: ComputerAction, fmt: str) -> list[ComputerAction]:
    """What replaying ``action`` executes: pyautogui drags move first; key sequences press one combo a line."""
    if fmt == "pyautogui" and action.action == "left_click_drag" and action.start_coordinate is not None:
        return [ComputerAction(action="mouse_move", coordinate=action.start_coordinate),
                ComputerAction(action="left_click_drag", coordinate=action.coordinate)]
    if action.action == "key" and " " in (action.text or ""):
        return [ComputerAction(action="key", text=combo) for combo in (action.text or "").split()]
    return [action]


JUNK = st.one_of(
    st.text(max_size=300),
    st.text(max_size=200).map(lambda s: f"```python\n{s}\n```"),
    st.text(max_size=200).map(lambda s: f"Thought: x\nAction: {s}"),
    st.lists(st.sampled_from(["pyautogui.", "click", "(", ")", "'", ",", "x=", "1e308", "-", "[", "]", "\n", "```",
                              "python", "Action:", "start_box=", "<|box_start|>", "time.sleep", "import os", "**",
                              "lambda: 0", "keyDown('shift')", "9" * 50, "DONE", "type(content='"]),
             max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(JUNK)
def test_arbitrary_replies_never_crash_a_parser(reply: str) -> None:
    space = identity((1280, 800))
    for parsed in (parse_pyautogui(reply, space), parse_uitars(reply, ModelSpace(Scaling((1280, 800), (1000, 1000)),
                                                                                  inclusive=True))):
        assert isinstance(parsed, Parsed)
        assert (parsed.error is None) or (not parsed.actions and parsed.control is None)
        for action in parsed.actions:  # whatever got through is on the screen
            for point in (action.coordinate, action.start_coordinate):
                assert point is None or (0 <= point[0] < 1280 and 0 <= point[1] < 800)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["os.system('rm -rf ~')", "__import__('os').system('id')", "eval('1')", "exec('x=1')",
                        "open('/etc/passwd').read()", "subprocess.run(['id'])", "pyautogui.screenshot()",
                        "pyautogui.locateOnScreen('a.png')", "for i in range(3):\n    pyautogui.click(1, 1)",
                        "def f():\n    pass", "import subprocess", "pyautogui.click(*[1, 2])",
                        "with open('x') as f:\n    pass", "x = [i for i in range(9)]"]),
       st.integers(0, 3))
def test_code_outside_the_subset_refuses_the_whole_block_naming_the_line(bad: str, before: int) -> None:
    lines = ["pyautogui.click(10, 10)"] * before + [bad]
    parsed = parse_pyautogui(block(*lines), identity((1280, 800)))
    assert parsed.actions == () and parsed.control is None
    assert parsed.error is not None and f"line {before + 1}" in parsed.error and "nothing was executed" in parsed.error


def test_control_words_modifiers_and_assignments() -> None:
    space = identity((1280, 800))
    assert parse_pyautogui("The task is complete.\n```DONE```", space).control == "DONE"
    assert parse_pyautogui("FAIL", space).control == "FAIL"
    assert parse_pyautogui("```\nWAIT\n```", space).control == "WAIT"
    held = parse_pyautogui(block("x, y = 100, 50", "pyautogui.keyDown('shift')", "pyautogui.click(x + 10, y * 2)",
                                 "pyautogui.keyUp('shift')", "pyautogui.keyDown('ctrl')", "pyautogui.keyUp('ctrl')"),
                           space)
    assert [(a.action, a.coordinate, a.text) for a in held.actions] == [("left_click", (110, 100), "shift"),
                                                                        ("key", None, "ctrl")]
    assert "keyUp" in (parse_pyautogui(block("pyautogui.keyDown('shift')"), space).error or "")
    assert "DONE and FAIL must come alone" in (parse_pyautogui(block("pyautogui.click(1, 1)") + "```DONE```",
                                                               space).error or "")
    assert "outside the screen" in (parse_pyautogui(block("pyautogui.click(1280, 5)"), space).error or "")
    uitars = ModelSpace(Scaling((1280, 800), (1000, 1000)), inclusive=True)
    assert parse_uitars("Thought: all done\nAction: finished(content='ok')", uitars).control == "DONE"
    assert parse_uitars("Action: call_user()", uitars).control == "FAIL"
    assert "unknown action 'open_app'" in (parse_uitars("Action: open_app(app_name='x')", uitars).error or "")
