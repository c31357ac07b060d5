"""Make Chromium's window titles end in "- Google Chrome", as Chrome's do (run once, at image build).

OSWorld's tasks find the browser window by title: 28 of them activate the
window "Google Chrome" before scoring.  Debian ships Chromium, whose title
format string, "$1 - Chromium", lives in the locale resource file (a .pak:
version 5 header, a table of (id, offset) entries, aliases, then the
resources back to back).  This rewrites that one resource and shifts the
offsets after it.  It fails the build unless it finds exactly one such
resource, so a Chromium update that changes the format cannot slip through.
"""

from __future__ import annotations

import struct
import sys

OLD = b"$1 - Chromium"
NEW = b"$1 - Google Chrome"


def patch(data: bytes) -> bytes:
    version, encoding = struct.unpack_from("<IB", data, 0)
    if version != 5:
        raise SystemExit(f"unexpected .pak version {version} (only 5 is known)")
    count, aliases = struct.unpack_from("<HH", data, 8)
    table = 12
    entries = [struct.unpack_from("<HI", data, table + 6 * i) for i in range(count + 1)]  # +1: the end sentinel
    hits = [i for i in range(count) if data[entries[i][1]:entries[i + 1][1]] == OLD]
    if len(hits) != 1:
        raise SystemExit(f"expected one resource {OLD!r} in the locale file, found {len(hits)} (encoding {encoding})")
    index = hits[0]
    grow = len(NEW) - len(OLD)
    start, end = entries[index][1], entries[index + 1][1]
    out = bytearray(data[:start] + NEW + data[end:])
    for i in range(index + 1, count + 1):
        resource_id, offset = entries[i]
        struct.pack_into("<HI", out, table + 6 * i, resource_id, offset + grow)
    return bytes(out)


def main() -> None:
    path = sys.argv[1]
    with open(path, "rb") as fh:
        data = fh.read()
    patched = patch(data)
    with open(path, "wb") as fh:
        fh.write(patched)
    print(f"{path}: window title format is now {NEW.decode()!r}")


if __name__ == "__main__":
    main()
