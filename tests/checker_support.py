"""Helpers shared by the checker tests."""

from __future__ import annotations

from typing import Any


def task_file_options(**options: Any) -> dict[str, Any]:
    """Options as a task file's JSON hands them to a checker: untyped.

    The tests pass a wrong type on purpose (``"yes"`` for a bool) to see the checker refuse it at run time; going
    through this untyped mapping says so to mypy instead of silencing it.
    """
    return options
