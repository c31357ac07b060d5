"""VLC's ``status.xml`` from its web interface, asked inside the desktop (VLC listens on its loopback only).

Standard library only.  Arguments: port, password, cap (bytes).  Writes at
most cap + 1 bytes of the answer on stdout (the host refuses a longer one);
exits 2 on an HTTP error, 3 when nothing answers (no VLC).
"""

from __future__ import annotations

import base64
import sys
import urllib.error
import urllib.request


def status(port: int, password: str, cap: int) -> int:
    """Copy the status to stdout; the exit code the host reads."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/requests/status.xml")
    request.add_header("Authorization", "Basic " + base64.b64encode((":" + password).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            sys.stdout.buffer.write(answer.read(cap + 1))
    except urllib.error.HTTPError as exc:
        sys.stderr.write(f"HTTP {exc.code}")
        return 2
    except OSError as exc:
        sys.stderr.write(str(exc))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(status(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
