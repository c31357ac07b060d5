"""One command-line main for every local API server: the same options, the URL first on stdout, a hint on stderr.

Scripts and tests start a server with ``python -m harness.mockapi...`` and
read its base URL from the first line of stdout; how to point deskbench at
it goes to stderr.  A bad ``--script`` is one error line and exit status 1,
before anything listens.  Each protocol's server only adds its own options
and says how it is built and what deskbench command reaches it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from harness.errors import DeskbenchError
from harness.mockapi.faults import Faults
from harness.mockapi.script import Script, load_scripts
from harness.mockapi.server import MockServer

#: builds the server from the parsed options, the scripts and the faults; returns it, the URL clients use
#: (the first line on stdout) and the hint printed to stderr
Build = Callable[[argparse.Namespace, list[Script], Faults], tuple[MockServer, str, str]]


def server_parser(prog: str, description: str, *, fail_status: int = 529) -> argparse.ArgumentParser:
    """The options every server takes (address, scripts, injected faults); a caller may add its own."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--script", type=Path, action="append", default=[],
                   help="task file/folder (replays reference solutions) or scripts JSON; repeatable")
    p.add_argument("--fail-first", type=int, default=0, help="fail the first N calls")
    p.add_argument("--fail-always", action="store_true", help="fail every call")
    p.add_argument("--fail-status", type=int, default=fail_status,
                   help=f"status of injected failures (429, 500, 503...; default {fail_status})")
    p.add_argument("--retry-after", type=float, default=None, help="retry-after seconds sent with failures")
    p.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each answer")
    p.add_argument("--delay-first", type=int, default=None, help="only delay the first N calls")
    return p


def faults_from(args: argparse.Namespace) -> Faults:
    """The injected faults the common options describe."""
    return Faults(args.fail_first, args.fail_always, args.fail_status, args.retry_after, args.delay,
                  args.delay_first)


def serve_main(parser: argparse.ArgumentParser, build: Build, argv: list[str] | None = None) -> int:
    """Parse, load the scripts, build, print the URL and the hint, serve until Ctrl-C."""
    args = parser.parse_args(argv)
    name = parser.prog.split()[-1].rsplit(".", 1)[-1]  # "python -m harness.mockapi.chat_server": chat_server
    try:
        scripts: list[Script] = [s for path in args.script for s in load_scripts(path)]
    except DeskbenchError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 1
    server, url, hint = build(args, scripts, faults_from(args))
    print(url, flush=True)
    print(f"{name}: {len(scripts)} script(s); {hint}\nCtrl-C stops it.", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
