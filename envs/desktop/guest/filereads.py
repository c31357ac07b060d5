"""Reading one desktop file with bounds, as the guest or -- run as a script -- as the desktop user.

The guest reads the final state for the checkers with ``CAP_DAC_READ_SEARCH``
(whatever modes the agent set).  The agent's own editor must not: its reads
go through this module run as a program under the desktop user's identity
(``python3 -I -S filereads.py PATH LIMIT``, started by the guest through
``desktop_argv``, so it holds no capability), and see exactly what uid 1000
may read.  Either way a final symbolic link, a FIFO, a device or a file over
the limit is refused, on the open descriptor.
"""

from __future__ import annotations

import os
import stat
import sys


class ReadRefused(Exception):
    """The file cannot be read; ``status`` is the HTTP status the host sees."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def read_bounded(path: str, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit``: a final symbolic link, a FIFO, a device or a bigger file is refused.

    Opened without following a final link and without blocking (a FIFO
    would hang the read), then checked on the open descriptor, so a file
    swapped in between is seen as what it is.  Status 409 (not a regular
    file) and 413 (too large) tell the host the desktop left something that
    cannot be scored; 403 (unreadable) likewise.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ReadRefused(f"no such file: {path}", 404) from None
    except PermissionError:
        raise ReadRefused(f"permission denied: {path}", 403) from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the last component is a symbolic link
            raise ReadRefused(f"is a symbolic link: {path}", 409) from None
        if exc.errno == 21:  # EISDIR
            raise ReadRefused(f"is a directory: {path}", 400) from None
        raise ReadRefused(f"cannot open {path}: {exc.strerror}", 409) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ReadRefused(f"is a directory: {path}", 400)
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused(f"not a regular file (mode {stat.filemode(info.st_mode)}): {path}", 409)
        if info.st_size > limit:
            raise ReadRefused(f"file too large: {path} has {info.st_size} bytes, the limit is {limit}", 413)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ReadRefused(f"file too large: {path} grew past the limit of {limit} bytes while read", 413)
    return data


def main(argv: list[str]) -> int:
    """``PATH LIMIT``: the bytes on stdout (exit 0), or ``STATUS message`` on stderr (exit 1)."""
    try:
        data = read_bounded(argv[1], int(argv[2]))
    except ReadRefused as exc:
        sys.stderr.write(f"{exc.status} {exc}")
        return 1
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
