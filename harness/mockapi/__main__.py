"""``python -m harness.mockapi --port 0 --script tasks/smoke``: serve the mock API and print its URL.

The URL is the first line on stdout (so scripts can read it); how to point
deskbench at it goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import DeskbenchError
from harness.mockapi.faults import Faults
from harness.mockapi.script import Script, load_scripts
from harness.mockapi.server import MockServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m harness.mockapi", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--script", type=Path, action="append", default=[],
                   help="task file/folder (replays reference solutions) or scripts JSON; repeatable")
    p.add_argument("--fail-first", type=int, default=0, help="fail the first N calls")
    p.add_argument("--fail-always", action="store_true", help="fail every call")
    p.add_argument("--fail-status", type=int, default=529, help="status of injected failures (429, 500, 529...)")
    p.add_argument("--retry-after", type=float, default=None, help="retry-after seconds sent with failures")
    p.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each answer")
    p.add_argument("--delay-first", type=int, default=None, help="only delay the first N calls")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        scripts: list[Script] = [s for path in args.script for s in load_scripts(path)]
    except DeskbenchError as exc:
        print(f"mockapi: error: {exc}", file=sys.stderr)
        return 1
    faults = Faults(args.fail_first, args.fail_always, args.fail_status, args.retry_after, args.delay,
                    args.delay_first)
    server = MockServer(scripts, faults, args.host, args.port)
    print(server.url, flush=True)
    print(f"mockapi: {len(scripts)} script(s); point deskbench at it with\n"
          f"  ANTHROPIC_BASE_URL={server.url} ANTHROPIC_API_KEY=dry-run deskbench run --agent claude\n"
          "Ctrl-C stops it.", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
