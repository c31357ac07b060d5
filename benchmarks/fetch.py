"""``deskbench tasks fetch`` against the loopback stand-in for the file hosts: files/s and MB/s.

    python benchmarks/fetch.py [FILES] [MB_EACH] [DELAY_MS] [REPEATS]

Builds a suite of FILES tasks, each downloading one file of MB_EACH MiB from
``tests/fetch_host.py`` (mapped in with ``DESKBENCH_MIRRORS``), and times the
real command, with an empty cache each time, at ``--parallel 1`` and ``4``
(the median of REPEATS runs: the machine is shared).
DELAY_MS makes the stand-in wait before each answer, as a distant host
does; at 0 the figures are the harness's own ceiling on this machine.  The
command's wall time includes its start-up (loading the suite, importing).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fetch_host import HOST_PREFIX, serve_files  # noqa: E402  (the stand-in lives with the tests)


def make_suite(folder: Path, files: int, size: int, delay_ms: int) -> None:
    """``files`` tasks in ``folder/os/``, each with one download step of ``size`` bytes."""
    (folder / "os").mkdir(parents=True)
    for i in range(files):
        url = f"{HOST_PREFIX}/files/bench-{i}.bin?size={size}&delay={delay_ms}"
        task = {"id": f"fetch-{i}", "instruction": "nothing", "config": [
                    {"type": "download", "parameters": {"files": [{"url": url, "path": f"/home/user/{i}.bin"}]}}],
                "evaluator": {"func": "infeasible"}}
        (folder / "os" / f"fetch-{i}.json").write_text(json.dumps(task))


def time_fetch(suite: Path, cache: Path, mirrors: str, parallel: int) -> float:
    """Seconds for one ``deskbench tasks fetch`` into an empty cache; raises if it failed."""
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "DESKBENCH_CACHE": str(cache), "DESKBENCH_MIRRORS": mirrors}
    started = time.monotonic()
    done = subprocess.run([str(REPO / ".venv" / "bin" / "deskbench"), "tasks", "fetch", str(suite),
                           "--parallel", str(parallel)], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"tasks fetch failed: {done.stdout}{done.stderr}")
    return seconds


def main(argv: list[str]) -> int:
    files = int(argv[0]) if len(argv) > 0 else 50
    mb_each = float(argv[1]) if len(argv) > 1 else 1.0
    delay_ms = int(argv[2]) if len(argv) > 2 else 0
    repeats = int(argv[3]) if len(argv) > 3 else 3
    size = int(mb_each * (1 << 20))
    with tempfile.TemporaryDirectory(prefix="deskbench-fetch-bench-") as tmp, serve_files() as host:
        suite = Path(tmp) / "suite"
        make_suite(suite, files, size, delay_ms)
        print(f"tasks fetch: {files} files of {mb_each:g} MiB from the loopback stand-in, "
              f"{delay_ms} ms per answer, empty cache each run, median of {repeats}")
        print(f"{'parallel':>8} {'seconds':>8} {'files/s':>8} {'MB/s':>8}")
        for parallel in (1, 4):
            seconds = statistics.median(time_fetch(suite, Path(tmp) / "cache", host.mirrors, parallel)
                                        for _ in range(repeats))
            print(f"{parallel:>8} {seconds:>8.2f} {files / seconds:>8.1f} {files * size / 1e6 / seconds:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
