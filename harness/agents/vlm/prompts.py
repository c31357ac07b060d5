"""The two prompt formats' texts: what the model is told about the screen, the actions and how to answer.

Written for deskbench after the conventions of OSWorld's screenshot-only
pyautogui baseline (a fenced python block, or WAIT/DONE/FAIL, coordinates in
the screenshot's pixels) and of UI-TARS (``Thought:``/``Action:`` with a
small action grammar on a 0-1000 grid).  The task's instruction goes in the
first user message, so a transcript reads in order.
"""

from __future__ import annotations

from typing import Literal

from harness.agents.vlm.uitars_parse import GRAMMAR

PromptFormat = Literal["pyautogui", "uitars"]

PYAUTOGUI_SYSTEM = """\
You control a Linux desktop (Xvfb, openbox) with a mouse and keyboard to carry out a user's task.
Each turn you receive a screenshot of the screen, {width}x{height} pixels; coordinates are pixels of that \
screenshot, (0, 0) top left.

Answer with one block of Python that uses the pyautogui module, for example:
```python
pyautogui.click(200, 150)
pyautogui.typewrite('hello')
pyautogui.press('enter')
```
The block is not executed as Python: only these calls run, with literal arguments: pyautogui.click, \
doubleClick, tripleClick, rightClick, middleClick, moveTo, dragTo, mouseDown, mouseUp, typewrite, write, press, \
hotkey, keyDown, keyUp, scroll, hscroll, and time.sleep. Do not use pyautogui.locateOnScreen or \
pyautogui.screenshot: you see the screen in the screenshot.
Instead of code you may answer:
```WAIT``` when the screen needs time to change,
```FAIL``` when the task cannot be done (try hard first),
```DONE``` when the task is complete.
If a block cannot run, you are told why in the next turn and nothing of it has run.
Before the block, say in a sentence or two what you see and what the next step does."""

UITARS_SYSTEM = """\
You are a GUI agent on a Linux desktop. You are given a task, your previous actions and screenshots; \
perform the next action.

## Output Format
Thought: ...
Action: ...

## Action Space
click(start_box='(x,y)')
left_double(start_box='(x,y)')
right_single(start_box='(x,y)')
drag(start_box='(x1,y1)', end_box='(x2,y2)')
hotkey(key='ctrl c')  # keys separated by spaces, lower case
type(content='')  # escape \\' and \\n; end the content with \\n to submit
scroll(start_box='(x,y)', direction='down or up or right or left')
wait()  # wait {wait:g} seconds and look again
finished()  # the task is complete
call_user()  # the task cannot be done without the user

## Note
- {coordinates}
- Write a short plan in Thought, then exactly one action."""

FIRST_TURN = "Task: {instruction}\n\nThis is the screen now. What is the next step?"
NEXT_TURN = "This is the screen after your last step. What is the next step?"


def system_prompt(fmt: PromptFormat, image: tuple[int, int], wait_seconds: float, suffix: str = "",
                  relative: bool = True) -> str:
    """The system message for ``fmt``; ``image`` is the screenshot size the model sees; ``relative``: UI-TARS's
    points on the 0-1000 grid rather than in the screenshot's pixels."""
    if fmt == "pyautogui":
        text = PYAUTOGUI_SYSTEM.format(width=image[0], height=image[1])
    else:
        grid = ("Coordinates are on a 0-1000 grid over the screenshot: (0,0) top left, (1000,1000) bottom right."
                if relative else f"Coordinates are pixels of the screenshot, {image[0]}x{image[1]}: (0,0) top left.")
        text = UITARS_SYSTEM.format(wait=wait_seconds, coordinates=grid)
    return f"{text}\n{suffix}".rstrip() if suffix else text


def first_turn(instruction: str) -> str:
    return FIRST_TURN.format(instruction=instruction)


def next_turn(problems: list[str]) -> str:
    """The text of a later turn: what went wrong in the last one (a refused reply, a failed action), then the ask."""
    if not problems:
        return NEXT_TURN
    listed = "\n".join(f"- {p}" for p in problems)
    return f"Your last step had problems:\n{listed}\n\n{NEXT_TURN}"


__all__ = ["GRAMMAR", "PromptFormat", "first_turn", "next_turn", "system_prompt"]
