"""Where a file a task names (by URL or path) is found on the host.

Task-relative paths and ``file://`` URLs work offline; other URLs need the
network, which a later local cache will stand in for.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import DeskbenchError
from harness.tasks.schema import Task


class ResourceUnavailable(DeskbenchError):
    """A file the task names cannot be had here (missing, or only on the network)."""


def resolve_resource(task: Task, ref: str) -> Path:
    """The local file for ``ref``: ``file://`` URL, absolute path, or a path relative to the task file."""
    if ref.startswith("file://"):
        local = Path(ref[len("file://"):])
    elif "://" in ref:
        raise ResourceUnavailable(f"{ref} needs the network (no local copy of it)")
    else:
        folder = task.folder
        local = (folder / ref) if folder is not None and not Path(ref).is_absolute() else Path(ref)
    if not local.is_file():
        raise ResourceUnavailable(f"file {local} does not exist (named by the task as {ref!r})")
    return local
