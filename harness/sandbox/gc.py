"""Collect garbage: the containers and host folders of harness processes that are gone, never a live run's.

A killed harness cannot run its own clean-up, so its containers and its
episodes' host folders (guest sockets, caches) stay behind.  Each of them
records its owner (:mod:`harness.sandbox.ownership`) and, for containers, the
run folder it works for.  The rule, used by ``deskbench gc`` and by a run's
clean-up at its start and end alike:

- a container whose run folder is locked by a live process is kept (its run is going on);
- a container whose owner process is alive is kept (an episode or test without a run folder);
- a container owned by another host is kept (its owner cannot be checked from here);
- every other deskbench container is garbage, as is a host folder whose owner is gone.

``force`` removes every deskbench container whatever its owner.  A run
cleaning up after itself passes its own folder as ``own_folder``: it holds
that folder's lock and has no episode running, so the folder's containers are
its own leftovers whichever process made them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from docker.models.containers import Container

from harness.sandbox.container import FOLDER_LABEL, LABEL, remove_container
from harness.sandbox.engine import list_containers
from harness.sandbox.ownership import current_owner, folder_owner, is_alive, is_local, owner_from_labels
from harness.sandbox.removal import remove_tree
from harness.store.run_folder import folder_lock_holder


@dataclass
class Collection:
    """What one collection removed, and what it kept with the reason for each."""

    removed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # container name -> why it stays
    folders: list[Path] = field(default_factory=list)  # host folders removed


def keep_reason(labels: dict[str, str], own_folder: Path | None = None) -> str | None:
    """Why the container with ``labels`` must stay, or None when it is garbage."""
    folder = labels.get(FOLDER_LABEL)
    if folder and own_folder is not None and Path(folder) == own_folder.resolve():
        return None
    if folder:
        holder = folder_lock_holder(Path(folder))
        if holder is not None:
            return f"its run folder {folder} is in use by process {holder}"
    owner = owner_from_labels(labels)
    if owner is None:
        return None  # made before owners were recorded: nobody can be using it now
    if not is_local(owner):
        return f"its owner is on host {owner.host}; run gc there"
    if is_alive(owner):
        return f"its owner, {owner.describe()}, is alive"
    return None


def leftover_containers(run_id: str | None = None) -> list[str]:
    """Names of deskbench containers, all or of one run, whatever their owner."""
    return [str(c.name) for c in _containers(run_id)]


def collect_garbage(run_id: str | None = None, *, force: bool = False,
                    own_folder: Path | None = None) -> Collection:
    """Remove the containers (all, or of ``run_id``/``own_folder``) that are garbage, and dead owners' folders."""
    result = Collection()
    for container in _containers(run_id, own_folder):
        labels = dict(container.labels or {})
        reason = None if force else keep_reason(labels, own_folder)
        if reason is not None:
            result.kept[str(container.name)] = reason
            continue
        remove_container(container)
        result.removed.append(str(container.name))
    result.folders = remove_dead_folders()
    return result


def _containers(run_id: str | None, folder: Path | None = None) -> list[Container]:
    if folder is not None:
        return list_containers({"label": [f"{FOLDER_LABEL}={folder.resolve()}"]})
    return list_containers({"label": [f"{LABEL}.run={run_id}"] if run_id else [LABEL]})


def host_folder_roots() -> list[Path]:
    """Where episodes make their host folders: the socket folder's parent and the temporary folder."""
    roots = [Path(tempfile.gettempdir())]
    extra = os.environ.get("DESKBENCH_SOCKET_DIR")
    if extra:
        roots.append(Path(extra))
    return list(dict.fromkeys(roots))


def remove_dead_folders(roots: Iterable[Path] | None = None) -> list[Path]:
    """Remove ``deskbench-<kind>-<pid>.<start>-*`` folders whose owner process is gone; returns them."""
    removed = []
    me = current_owner()
    for root in roots or host_folder_roots():
        try:
            entries = list(root.iterdir())
        except OSError:
            continue
        for path in entries:
            owner = folder_owner(path)
            if owner is None or is_alive(owner) or (owner.pid, owner.start) == (me.pid, me.start):
                continue
            try:
                remove_tree(path)
            except OSError:
                continue  # another gc got there first, or it is not ours to remove: left for a later pass
            removed.append(path)
    return removed
