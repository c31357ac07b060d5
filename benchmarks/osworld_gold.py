"""Validate the whole OSWorld gold suite: every gold solution and the noop agent, in real desktops.

    python benchmarks/osworld_gold.py [SUITE] [PARALLEL] [RUN_DIR]

SUITE defaults to tasks/osworld-gold (OSWorld's offline tasks, vendored, with
deskbench's gold files); it may also be a folder laid out the same way.  Every
task with a solution runs twice, the solution and noop, including the tasks
whose gold file records a finding (``deskbench validate`` leaves those out), so
the table shows what each finding does to the score.  One row per task:

    task, solution score, noop score, seconds (both episodes, wall), verdict

verdict is ``proven`` (1 and 0), ``finding (<cause>)`` for a recorded finding
whose scores bear it out, ``no solution (<cause>)``, or ``UNEXPECTED`` when the
scores disagree with the record (a regression, or a finding that went away).
Exits 1 on any UNEXPECTED row.  Slow (two episodes per task); the CI test
``tests/test_osworld_gold.py`` validates a subset.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.errors import DeskbenchError  # noqa: E402
from harness.runner.validate import Calibration, validate_suite  # noqa: E402
from harness.store.records import EpisodeResult  # noqa: E402
from harness.tasks.gold import Finding, read_gold, suite_gold_folder  # noqa: E402
from harness.tasks.loader import load_tasks  # noqa: E402


def score(record: EpisodeResult | None) -> str:
    """The score, or the status when there is none (an error is not a 0)."""
    if record is None:
        return "not run"
    return f"{record.score:g}" if record.score is not None else record.status


def seconds(row: Calibration) -> float:
    return sum(r.timings.total for r in (row.oracle, row.noop) if r is not None)


def verdict(row: Calibration, finding: Finding | None) -> str:
    """Whether the scores are what the gold file says they should be."""
    if finding is None:
        return "proven" if row.ok else "UNEXPECTED"
    if finding.noop_scores_1:
        borne_out = row.noop is not None and row.noop.score == 1.0
    else:
        borne_out = not row.solvable
    return f"finding ({finding.cause})" if borne_out else "UNEXPECTED"


def main() -> int:
    try:
        return run_table()
    except DeskbenchError as exc:  # a bad suite, an image not built: one line, as the CLI says it
        print(f"osworld_gold: error: {exc}", file=sys.stderr)
        return 2


def run_table() -> int:
    """Validate, print the table, and return the exit code."""
    suite = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "tasks" / "osworld-gold"
    parallel = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    folder = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp(prefix="osworld-gold-"))
    gold_folder = suite_gold_folder(suite)
    if gold_folder is None:
        raise DeskbenchError(f"{suite}: not a gold suite (no suite.json naming an index and a solutions folder)")
    gold = read_gold(gold_folder)
    tasks = load_tasks(suite)
    runnable = [t for t in tasks if t.solution]
    print(f"{len(tasks)} tasks, {len(runnable)} with a solution: {2 * len(runnable)} episodes, {parallel} at once "
          f"-> {folder}", flush=True)
    started = time.monotonic()
    rows = {r.key: r for r in validate_suite(runnable, folder, parallel=parallel)}
    wall = time.monotonic() - started
    print(f"\n{'task':56} {'solution':>9} {'noop':>9} {'seconds':>8}  verdict")
    unexpected = 0
    for task in tasks:
        finding = gold[task.key].finding
        row = rows.get(task.key)
        if row is None:
            cause = finding.cause if finding else "?"
            print(f"{task.key:56} {'-':>9} {'-':>9} {'-':>8}  no solution ({cause})")
            continue
        shown = verdict(row, finding)
        unexpected += shown == "UNEXPECTED"
        print(f"{task.key:56} {score(row.oracle):>9} {score(row.noop):>9} {seconds(row):8.1f}  {shown}")
    proven = sum(verdict(r, gold[k].finding) == "proven" for k, r in rows.items())
    print(f"\nproven (solution 1, noop 0): {proven}/{len(tasks)}; findings: "
          f"{sum(g.finding is not None for g in gold.values())}; unexpected: {unexpected}; wall {wall:.0f} s")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
