"""Who runs what inside the desktop: the guest's own user, and the desktop user it starts processes as.

The container starts as root with four capabilities; ``start-guest`` (a
``setpriv`` line) drops to the guest's user (uid 999, ``deskguest``) and
keeps exactly these, as ambient capabilities so that they survive the exec
of Python:

- ``CAP_SETUID``/``CAP_SETGID``: start the desktop session and every
  agent-facing command as uid 1000 (``setgroups``/``setregid``/``setreuid``
  in the child, before its exec);
- ``CAP_KILL``: stop uid 1000's commands on a timeout, and reclaim the
  process table from a fork bomb so the checkers can still run;
- ``CAP_DAC_READ_SEARCH``: read the desktop's final state (a browser profile
  is mode 0700) in the guest process itself, whatever modes the agent set.

:func:`seal` clears the ambient and inheritable sets at start-up, so nothing
the guest executes inherits a capability: commands run as uid 1000 or as the
guest's user hold none, and ``no-new-privileges`` (set on the container)
keeps setuid programs and file capabilities from giving any back.
``CAP_SYS_RESOURCE`` (which would let the guest lower its OOM priority) is
not asked for: the engines deskbench runs on do not all grant it.  Instead
every process started as uid 1000 begins with ``oom_score_adj`` 1000 (see
:func:`desktop_argv`), so the kernel kills the desktop's processes first.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

GUEST_UID = 999
DESKTOP_UID = 1000
#: where the guest's commands find programs: root-owned folders only, never the desktop user's
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CHOOM = "/usr/bin/choom"

_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def seal() -> None:
    """Clear the ambient and inheritable capability sets: the guest keeps its capabilities, its children none.

    A no-op when the guest was not started with capabilities (an image run
    the old way, as uid 1000: there is nothing to pass on).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0:
        return  # a kernel without ambient capabilities cannot have given any
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    for half in data:
        half.inheritable = 0
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def separated() -> bool:
    """Whether the guest runs as its own user (the desktop user then needs a switch for each command)."""
    return os.getuid() != DESKTOP_UID


def desktop_argv(argv: list[str]) -> list[str]:
    """``argv`` started with the highest OOM priority, so the kernel kills the desktop's processes before the guest.

    Raising one's own ``oom_score_adj`` needs no privilege; every descendant
    inherits it.  The desktop user may lower it back to 0 (it cannot go below
    without ``CAP_SYS_RESOURCE``), which puts it level with the guest.
    """
    return [CHOOM, "-n", "1000", "--", *argv] if separated() and os.path.exists(CHOOM) else argv


def as_desktop_user() -> dict[str, Any]:
    """``subprocess.Popen`` arguments that start a process as uid 1000 with no supplementary groups."""
    if not separated():
        return {}
    return {"user": DESKTOP_UID, "group": DESKTOP_UID, "extra_groups": []}


def guest_environment(base: dict[str, str]) -> dict[str, str]:
    """The environment of a command the guest runs as itself (a checker's command): nothing the desktop chose.

    The desktop user controls files in its home, not this process's
    environment; still, no variable that makes a program load code from
    elsewhere gets through, Python skips the user's site folder, and PATH has
    root-owned folders only.
    """
    keep = ("DISPLAY", "LANG", "LC_ALL", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "DESKBENCH_SCREEN",
            "HOME", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY")
    env = {key: base[key] for key in keep if key in base}
    env.update(PATH=SAFE_PATH, PYTHONNOUSERSITE="1", PYTHONSAFEPATH="1", PYTHONDONTWRITEBYTECODE="1",
               USER="deskguest")
    return env
