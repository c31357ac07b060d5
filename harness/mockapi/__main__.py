"""``python -m harness.mockapi --port 0 --script tasks/smoke``: serve the mock API and print its URL.

The URL is the first line on stdout (so scripts can read it); how to point
deskbench at it goes to stderr.
"""

from __future__ import annotations

import argparse
import sys

from harness.mockapi.cli import serve_main, server_parser
from harness.mockapi.faults import Faults
from harness.mockapi.script import Script
from harness.mockapi.server import MockServer


def _build(args: argparse.Namespace, scripts: list[Script], faults: Faults) -> tuple[MockServer, str, str]:
    server = MockServer(scripts, faults, args.host, args.port)
    return server, server.url, ("point deskbench at it with\n"
                                f"  ANTHROPIC_BASE_URL={server.url} ANTHROPIC_API_KEY=dry-run deskbench run --agent claude")


def main(argv: list[str] | None = None) -> int:
    return serve_main(server_parser("python -m harness.mockapi", __doc__.splitlines()[0]), _build, argv)


if __name__ == "__main__":
    sys.exit(main())
