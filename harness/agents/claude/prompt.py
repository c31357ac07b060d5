"""The system prompt: what the desktop is, how to finish, and how to say a task cannot be done.

The model needs to know the machine it drives (no internet, which apps
exist, who it is) or it wastes steps discovering it, and it needs one
unambiguous way to declare a task infeasible, because OSWorld scores
"infeasible" tasks by that declaration.
"""

from __future__ import annotations

from datetime import date

#: A final reply starting with this word (no tool call) declares the task infeasible: the turn is FAIL.
INFEASIBLE_MARKER = "INFEASIBLE"


def system_prompt(scaled: tuple[int, int], tool_names: tuple[str, ...], suffix: str = "",
                  today: date | None = None) -> str:
    """The system prompt for one episode; ``suffix`` (the user's own text) goes last."""
    width, height = scaled
    day = (today or date.today()).strftime("%A, %B %d, %Y")
    tools = ", ".join(tool_names)
    text = f"""<SYSTEM_CAPABILITY>
* You are operating a Debian Linux desktop (X11, openbox window manager) through these tools: {tools}.
* Screenshots are {width}x{height} pixels; give coordinates in that pixel space.
* There is no internet access. Do not try to browse or download anything.
* Installed applications: xterm (terminal), mousepad (text editor), pcmanfm (file manager).
* You are the user "user"; the home folder is /home/user. There is no sudo password to use.
* The bash tool runs commands as "user" on the same machine as the desktop; its working directory and
  exported variables persist between calls. To start a graphical application from bash, detach it, e.g.
  `setsid mousepad /home/user/file.txt >/dev/null 2>&1 &`.
* Some applications take a moment to appear: take a screenshot to check before acting on them.
* Today is {day}.
</SYSTEM_CAPABILITY>

<FINISHING>
* Work until the task is done, then reply with a short summary and no tool call: that ends the task.
* If the task is impossible on this machine (it needs something that does not exist or cannot be done),
  reply without a tool call and start your reply with the word {INFEASIBLE_MARKER} followed by the reason.
* Each of your replies counts as one step and the number of steps is limited: combine work where you can.
</FINISHING>"""
    return f"{text}\n\n{suffix.strip()}" if suffix.strip() else text


def is_infeasible(answer: str) -> bool:
    """Whether a final answer declares the task infeasible (the marker first, any case, markdown stripped)."""
    return answer.lstrip(" \t\n*#_`>").upper().startswith(INFEASIBLE_MARKER)
