"""Who owns a container or a host folder, and whether that owner is still alive.

Housekeeping (``deskbench gc``, a run's clean-up at its start and end) must
remove what a killed harness left, and never what a live run is using.  A
process id alone cannot tell: ids are reused.  So every container and every
host folder an episode makes carries its owner's identity -- host name, the
kernel's boot id, process id and the process's start time (clock ticks since
boot, from ``/proc``) -- and an owner is alive only when all four match a
process running now.

This module reads only ``/proc`` and the host name: it knows nothing of
Docker, so both the sandbox layer and the tests can use it.
"""

from __future__ import annotations

import functools
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

#: label keys on a container (the prefix is the project's label)
HOST_LABEL = "deskbench.owner.host"
BOOT_LABEL = "deskbench.owner.boot"
PID_LABEL = "deskbench.owner.pid"
START_LABEL = "deskbench.owner.start"
#: host folders of one episode are named ``deskbench-<kind>-<pid>.<start>-<random>``
_OWNED_NAME = re.compile(r"^deskbench-(?P<kind>[a-z]+)-(?P<pid>\d+)\.(?P<start>\d+)-")


@dataclass(frozen=True)
class Owner:
    """A harness process, identified so that a reused process id does not pass for it."""

    host: str
    boot: str
    pid: int
    start: int  # clock ticks after boot at which the process started

    def labels(self) -> dict[str, str]:
        return {HOST_LABEL: self.host, BOOT_LABEL: self.boot, PID_LABEL: str(self.pid), START_LABEL: str(self.start)}

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks after boot, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
    fields = text[text.rfind(")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


@functools.lru_cache(maxsize=1)
def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def current_owner() -> Owner:
    """This process, as an owner (computed each time: a forked child is a different owner)."""
    pid = os.getpid()
    return Owner(socket.gethostname(), boot_id(), pid, process_start(pid) or 0)


def owner_from_labels(labels: dict[str, str]) -> Owner | None:
    """The owner a container's labels name; None for containers made before owners were recorded."""
    try:
        return Owner(labels[HOST_LABEL], labels[BOOT_LABEL], int(labels[PID_LABEL]), int(labels[START_LABEL]))
    except (KeyError, ValueError):
        return None


def is_local(owner: Owner) -> bool:
    """Whether ``owner`` ran on this machine (another host's processes cannot be checked from here)."""
    return owner.host == socket.gethostname()


def is_alive(owner: Owner) -> bool:
    """Whether the owner process still runs here: same boot, same process id, same start time."""
    return is_local(owner) and owner.boot == boot_id() and process_start(owner.pid) == owner.start


def owned_folder_prefix(kind: str) -> str:
    """The name prefix of a host folder of ``kind`` (``sock``, ``episode``...) made by this process."""
    me = current_owner()
    return f"deskbench-{kind}-{me.pid}.{me.start}-"


def folder_owner(path: Path) -> Owner | None:
    """The owner encoded in a host folder's name (always this host and boot: such folders are local)."""
    match = _OWNED_NAME.match(path.name)
    if match is None:
        return None
    return Owner(socket.gethostname(), boot_id(), int(match["pid"]), int(match["start"]))
