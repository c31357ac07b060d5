"""CLI command ``view``: the static HTML trajectory viewer of finished runs (issue 6; being written)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``deskbench`` app."""
