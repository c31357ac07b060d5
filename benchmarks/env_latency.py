"""Run the environment latency benchmark without the CLI: ``python benchmarks/env_latency.py [samples] [starts]``.

A thin wrapper around :mod:`harness.bench.env_latency` (the same code as
``deskbench bench env``), kept so the benchmark runs from a checkout as a script.
"""

from __future__ import annotations

import sys

from harness.bench.env_latency import measure, render


def main(argv: list[str]) -> int:
    """Parse up to two positional integers (samples, starts), run, print the report."""
    samples = int(argv[0]) if len(argv) > 0 else 20
    starts = int(argv[1]) if len(argv) > 1 else 10
    print(render(measure(samples=samples, starts=starts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
