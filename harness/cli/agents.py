"""CLI command ``agents``: the built-in agents, and one agent's options with their types, defaults and meaning.

Read from the agents' pydantic options models, the same ones that validate
``--agent-option``, so the listing cannot drift from what a run accepts.
Only the named agent's options module is imported (a model agent's loads its
provider SDK): the list of agents itself imports none.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add this module's command to the ``deskbench`` app."""
    app.command("agents")(agents)


def agents(
    name: Annotated[str | None, typer.Argument(help="an agent (built-in name or package.module:Class) whose options "
                                                    "to list; none: the built-in agents")] = None,
) -> None:
    """List the built-in agents, or one agent's options (give them with --agent-option KEY=VALUE)."""
    from rich.table import Table
    from rich.text import Text

    from harness.agents.spec import BUILT_IN, is_secret_option, options_model
    from harness.cli.app import out

    if name is None:
        table = Table("agent", "what it is", box=None)
        for agent, entry in BUILT_IN.items():
            table.add_row(Text(agent), Text(entry.about))
        out.print(table)
        out.print("deskbench agents NAME lists an agent's options; your own agent: --agent package.module:Class",
                  highlight=False, markup=False)
        return
    model = options_model(name)
    table = Table("option", "type", "default", "description", box=None, title=f"options of {name}")
    for option, info in sorted(model.model_fields.items(), key=lambda item: item[0] != "model"):  # model first
        default = "required" if info.is_required() else _shown(info.get_default(call_default_factory=True))
        about = " ".join((info.description or "").split())
        if is_secret_option(option):
            about = f"secret, shown as redacted. {about}"
        table.add_row(*(Text(cell) for cell in (option, type_name(info.annotation), default, about.strip())))
    out.print(table)


def type_name(annotation: Any) -> str:
    """``int | None``, ``tuple[computer|bash|editor, ...]``: an annotation as a user reads it."""
    text = annotation.__name__ if isinstance(annotation, type) and not getattr(annotation, "__args__", None) \
        else str(annotation)
    text = re.sub(r"\b(typing|collections\.abc|pathlib)\.", "", text)
    text = re.sub(r"Optional\[(.*)\]$", r"\1 | None", text)
    return re.sub(r"Literal\[([^\]]*)\]", lambda m: "|".join(v.strip(" '\"") for v in m.group(1).split(",")), text)


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value) or '""'
    return str(value) if value != "" else '""'
