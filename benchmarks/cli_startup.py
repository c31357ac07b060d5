"""How long the ``deskbench`` command takes to start, beside what an eager import of the runner costs.

    python benchmarks/cli_startup.py [--samples 7]

Prints the median wall time of ``deskbench --help`` and of ``--version``-like
imports, side by side with ``import harness.runner.run`` (what every command
paid when ``harness/__init__`` imported the runner eagerly), in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "deskbench --help": [sys.executable, "-m", "harness.cli", "--help"],
    "import harness (lazy API)": [sys.executable, "-c", "import harness"],
    "import harness.runner.run (eager, as before)": [sys.executable, "-c", "import harness.runner.run"],
}


def median_seconds(command: list[str], samples: int) -> float:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    figures = {name: median_seconds(cmd, args.samples) for name, cmd in CASES.items()}
    base = figures["import harness.runner.run (eager, as before)"]
    for name, seconds in figures.items():
        print(f"{name:46} median {seconds * 1000:7.0f} ms  ({seconds / base:.2f}x the eager import)")


if __name__ == "__main__":
    main()
