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

:func:`seal` leaves only ``CAP_DAC_READ_SEARCH`` in the ambient and
inheritable sets at start-up: a checker's command (run as uid 998, see
:data:`CHECKER_UID`) inherits that one, so it reads the final state as the guest does (a private
``~/.ssh``, a mode-000 file) and can change nothing.  Every process started
as uid 1000 goes through ``setpriv --ambient-caps=-all --inh-caps=-all``
first (:func:`desktop_argv`), so it holds no capability at all, and
``no-new-privileges`` (set on the container) keeps setuid programs and file
capabilities from giving any back.
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
#: the user of the checkers' commands: task-defined, they may run code the agent wrote (a test suite in its
#: project), so they run neither as the desktop user (which could trace them) nor as the guest (whose process
#: they could then signal)
CHECKER_UID = 998
#: where the guest's commands find programs: root-owned folders only, never the desktop user's
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CHOOM = "/usr/bin/choom"
SETPRIV = "/usr/bin/setpriv"

_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_LOWER = 47, 3
#: the capabilities the guest keeps (see above) and the one its own commands inherit
_CAP_DAC_READ_SEARCH, _CAP_KILL, _CAP_SETGID, _CAP_SETUID = 2, 5, 6, 7
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def seal() -> None:
    """Keep only CAP_DAC_READ_SEARCH inheritable: the guest keeps its four, its own commands get that one.

    A no-op when the guest was not started with capabilities (an image run
    the old way, as uid 1000: there is nothing to pass on).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_SETUID, _CAP_SETGID, _CAP_KILL):
        if libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_LOWER, cap, 0, 0) != 0:
            return  # a kernel without ambient capabilities cannot have given any
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    data[0].inheritable &= 1 << _CAP_DAC_READ_SEARCH
    data[1].inheritable = 0
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def separated() -> bool:
    """Whether the guest runs as its own user (the desktop user then needs a switch for each command)."""
    return os.getuid() != DESKTOP_UID


def desktop_argv(argv: list[str]) -> list[str]:
    """``argv`` without any capability and with the highest OOM priority, as every desktop process starts.

    ``setpriv`` drops the ambient and inheritable sets (dropping needs no
    privilege), so nothing reaches uid 1000.  Raising one's own
    ``oom_score_adj`` needs no privilege either, and every descendant inherits
    it: the kernel kills the desktop's processes before the guest.  The
    desktop user may lower it back to 0 (not below without
    ``CAP_SYS_RESOURCE``), which puts it level with the guest.
    """
    if not separated():
        return argv
    return [SETPRIV, "--ambient-caps=-all", "--inh-caps=-all", "--", CHOOM, "-n", "1000", "--", *argv]


def as_desktop_user() -> dict[str, Any]:
    """``subprocess.Popen`` arguments that start a process as uid 1000 with no supplementary groups."""
    if not separated():
        return {}
    return {"user": DESKTOP_UID, "group": DESKTOP_UID, "extra_groups": []}


def as_checker_user() -> dict[str, Any]:
    """``subprocess.Popen`` arguments for a checker's command: uid 998, which keeps the ambient read capability."""
    if not separated():
        return {}
    return {"user": CHECKER_UID, "group": CHECKER_UID, "extra_groups": []}


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
    env.update(PATH=SAFE_PATH, PYTHONNOUSERSITE="1", PYTHONDONTWRITEBYTECODE="1", USER="deskguest")
    return env
