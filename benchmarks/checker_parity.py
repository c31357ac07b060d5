"""The full differential sweep: deskbench's checkers against OSWorld's reference, every metric test_all.json uses.

``python benchmarks/checker_parity.py [--checkers osworld|strict] [--metric NAME ...] [--show-disagreements]``

Prints one row per metric (tasks using it, cases, agreements, disagreements,
errors on deskbench's side and on the reference's), the totals with the
task-derived agreement, and each disagreement with its allowlist reason.
Needs the test extra, desktop-env (scripts/install.sh) and the
deskbench/office image (for the LibreOffice round trips).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package, from a checkout

from harness.checkers.semantics import DEVIATIONS, SEMANTICS, parse_semantics  # noqa: E402
from tests.differential.allowlist import explanation  # noqa: E402
from tests.differential.runner import Outcome  # noqa: E402
from tests.differential.sweep import summary, sweep  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkers", default="osworld", choices=SEMANTICS)
    parser.add_argument("--metric", action="append", help="only this metric (repeatable)")
    parser.add_argument("--show-disagreements", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        uses, outcomes = sweep(Path(folder), parse_semantics(args.checkers), args.metric)
    print(f"checker semantics: {args.checkers}")
    print(summary(uses, outcomes))
    disagreements = [o for o in outcomes if not o.agree]
    unexplained = [o for o in disagreements if _why(o, args.checkers) is None]
    print(f"disagreements: {len(disagreements)} ({len(unexplained)} unexplained); "
          f"{time.monotonic() - started:.0f} s")
    if args.show_disagreements or unexplained:
        for o in disagreements:
            why = _why(o, args.checkers) or "NOT EXPLAINED"
            print(f"  {o.case.key}: deskbench {o.ours:g}{f' ({o.ours_error})' if o.ours_error else ''}, "
                  f"reference {o.ref:g}{f' ({o.ref_error})' if o.ref_error else ''} -- {why}")
    return 1 if unexplained else 0


def _why(outcome: Outcome, semantics: str) -> str | None:
    """The allowlist's reason, or under strict the deviation that changes this case on purpose."""
    if semantics == "strict":
        for deviation in DEVIATIONS.values():
            if deviation.metric == outcome.case.metric and set(deviation.tasks) & set(outcome.case.tasks):
                return f"strict deviation {deviation.id}"
    return explanation(outcome.case.key)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
