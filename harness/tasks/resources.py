"""Where a file a task names (by URL or path) is found on the host.

Task-relative paths and ``file://`` URLs work offline; other URLs are read
from the local file cache (``harness.tasks.cache``) or need the network.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import DeskbenchError
from harness.tasks.cache import cached_file
from harness.tasks.schema import Task


class ResourceUnavailable(DeskbenchError):
    """A file the task names cannot be had here (missing, or only on the network)."""


def resolve_resource(task: Task, ref: str) -> Path:
    """The local file for ``ref``: ``file://`` URL, absolute path, or a path relative to the task file."""
    if ref.startswith("file://"):
        local = Path(ref[len("file://"):])
    elif "://" in ref:
        cached = cached_file(ref)
        if cached is None:
            raise ResourceUnavailable(f"{ref} needs the network and is not in the local cache "
                                      f"(add it with: deskbench cache add URL FILE)")
        local = cached
    else:
        folder = task.folder
        local = (folder / ref) if folder is not None and not Path(ref).is_absolute() else Path(ref)
    if not local.is_file():
        raise ResourceUnavailable(f"file {local} does not exist (named by the task as {ref!r})")
    return local
