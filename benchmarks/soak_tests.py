"""Run the Docker-heavy tests several times in a row and name every test that flaked.

    python benchmarks/soak_tests.py --runs 5                 # every test marked ``docker``
    python benchmarks/soak_tests.py --runs 3 -- tests/test_run_parallel.py tests/test_faults.py

Each run is a fresh pytest process writing a JUnit XML report; the summary
prints, per run, its exit code, counts and wall time, then every test id that
failed in some runs and passed in others (flaky) or failed in all (broken).
Exit status 1 when anything failed, so a soak can gate a change.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def outcomes(report: Path) -> dict[str, str]:
    """Test id -> passed / failed / error / skipped, from one JUnit XML file."""
    result: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        kinds = {child.tag for child in case}
        outcome = ("failed" if "failure" in kinds else "error" if "error" in kinds
                   else "skipped" if "skipped" in kinds else "passed")
        if result.get(test_id) in ("failed", "error"):
            continue  # a teardown error after a pass is reported as a second entry: keep the worse
        result[test_id] = outcome
    return result


def soak(runs: int, selection: list[str]) -> int:
    per_test: dict[str, list[str]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        for number in range(1, runs + 1):
            report = Path(tmp) / f"run{number}.xml"
            started = time.monotonic()
            proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                   f"--junitxml={report}", *selection], cwd=REPO, capture_output=True, text=True)
            seconds = time.monotonic() - started
            found = outcomes(report) if report.is_file() else {}
            for test_id, outcome in found.items():
                per_test[test_id].append(outcome)
            bad = sum(o in ("failed", "error") for o in found.values())
            print(f"run {number}/{runs}: exit {proc.returncode}, {len(found)} tests, {bad} failed, "
                  f"{seconds:.0f} s", flush=True)
    flaky = {t: o for t, o in per_test.items() if "passed" in o and any(x in ("failed", "error") for x in o)}
    broken = {t: o for t, o in per_test.items() if o and all(x in ("failed", "error") for x in o)}
    failures = sum(o.count("failed") + o.count("error") for o in per_test.values())
    print(f"\nsoak: {runs} runs, {len(per_test)} tests, {failures} failures, {len(flaky)} flaky, "
          f"{len(broken)} failing every time")
    for test_id, seen in sorted(flaky.items()):
        print(f"  flaky   {test_id}  ({', '.join(seen)})")
    for test_id in sorted(broken):
        print(f"  broken  {test_id}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="consecutive runs (default 5)")
    parser.add_argument("selection", nargs="*", help="pytest arguments after --; default: -m docker")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    sys.exit(soak(args.runs, args.selection or ["-m", "docker"]))


if __name__ == "__main__":
    main()
