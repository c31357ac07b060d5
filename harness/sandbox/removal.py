"""Remove a host folder a container wrote into, whatever tree it holds.

A desktop can leave any tree in the folders it shares with the host: a chain
1,500 folders deep makes ``shutil.rmtree`` (recursive) raise, a deeper one
has paths longer than ``PATH_MAX``, and links may point anywhere on the host.
:func:`remove_tree` never follows a link, keeps at most two folders open,
and flattens the tree as it goes: each pass moves the grandchildren of the
top folder up into it and removes the children left empty, so depth costs
passes, not recursion or path length.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(path: Path) -> None:
    """Remove ``path`` (a folder, a file or a link; nothing when it does not exist) and everything under it.

    Raises OSError only when something could not be removed for a reason
    other than already being gone (a permission the process lacks, say).
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        _unlink(path)
        return
    top = os.open(path, _OPEN_DIR)
    try:
        while any(True for _ in os.scandir(top)):
            if not _flatten_once(top):
                raise OSError(f"cannot empty {path}: a pass over it removed nothing")
    finally:
        os.close(top)
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass


def _flatten_once(top: int) -> int:
    """One pass over ``top``: remove files, lift grandchildren up, remove emptied children; returns changes made."""
    changes = 0
    for entry in list(os.scandir(top)):
        if not entry.is_dir(follow_symlinks=False):
            changes += _unlink_at(entry.name, top)
            continue
        changes += _lift_children(entry.name, top)
        try:
            os.rmdir(entry.name, dir_fd=top)
            changes += 1
        except FileNotFoundError:
            pass
        except OSError:
            pass  # not empty yet (a folder came in meanwhile), or not ours to remove: the next pass tells
    return changes


def _lift_children(name: str, top: int) -> int:
    """Unlink the files of ``top/name`` and move its folders up into ``top`` under fresh names; returns changes."""
    try:
        child = os.open(name, _OPEN_DIR, dir_fd=top)
    except FileNotFoundError:
        return 0
    changes = 0
    try:
        for entry in list(os.scandir(child)):
            if entry.is_dir(follow_symlinks=False):
                os.rename(entry.name, f".gone-{uuid.uuid4().hex}", src_dir_fd=child, dst_dir_fd=top)
                changes += 1
            else:
                changes += _unlink_at(entry.name, child)
    finally:
        os.close(child)
    return changes


def _unlink_at(name: str, folder: int) -> int:
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        return 0
    return 1


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
