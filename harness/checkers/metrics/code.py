"""Code metrics: ``check_python_file_by_test_suite`` runs a task's test suite against the agent's Python files.

The agent's files are code the desktop wrote, so they never run inside the
harness: they are copied with the suite into a fresh folder and imported by a
separate Python process that has no network (a new network namespace, when
the host lets deskbench make one), no privileges (the ``nobody`` user when
deskbench runs as root), a clean environment, SDL's dummy video and audio
drivers (the suites test pygame games) and a time limit.  It inherits the
metric's memory and CPU limits.  What it reports is trusted no further than
the benchmark trusts it: the suite imports the agent's modules, which could
always have faked a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.checkers.metrics._common import expected_path, fail, option
from harness.checkers.registry import metric

SUITE_TIMEOUT_S = 60.0
NOBODY = 65534

# Runs in the child: import the suite from the folder, call its test function, report on the fd it is given.
_RUNNER = r"""
import importlib.util, json, math, os, sys
folder, suite, name = sys.argv[1], sys.argv[2], sys.argv[3]
report = os.fdopen(int(sys.argv[4]), "w")
sys.path.insert(0, folder)
os.chdir(folder)
def done(value, why=""):
    report.write(json.dumps({"score": value, "why": why})); report.flush(); os._exit(0)
try:
    spec = importlib.util.spec_from_file_location("deskbench_test_suite", os.path.join(folder, suite))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
except BaseException as exc:
    done(0.0, "loading the suite failed: %s: %s" % (type(exc).__name__, exc))
fn = getattr(module, name, None)
if not callable(fn):
    done(0.0, "the suite has no function %r" % name)
try:
    value = fn()
except BaseException as exc:
    done(0.0, "the test raised %s: %s" % (type(exc).__name__, exc))
if isinstance(value, bool) or not isinstance(value, (int, float)):
    done(1.0 if value else 0.0)
done(0.0 if math.isnan(value) else max(0.0, min(1.0, float(value))))
"""


def _isolation() -> list[str]:
    """The command prefix that takes the network and root away from the child, where this host allows it."""
    if os.geteuid() != 0:
        return []
    prefix: list[str] = []
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    if unshare:
        prefix += [unshare, "--net", "--"]
    if setpriv:
        prefix += [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--no-new-privs", "--"]
    return prefix


def _agent_files(result: Any) -> list[Path] | None:
    items = result if isinstance(result, list) else [result]
    files = [Path(item) for item in items if isinstance(item, (str, Path)) and Path(item).is_file()]
    return files or None


def run_suite(files: list[Path], suite: Path, function: str, timeout: float = SUITE_TIMEOUT_S) -> tuple[float, str]:
    """(score, why) of ``suite``'s ``function`` run with ``files`` beside it, in an isolated child process."""
    with tempfile.TemporaryDirectory(prefix="deskbench-suite-") as folder:
        work = Path(folder)
        for file in files:
            shutil.copyfile(file, work / file.name)
        shutil.copyfile(suite, work / "deskbench_test_suite.py")
        os.chmod(work, 0o777)  # the unprivileged child may write caches (``__pycache__``) beside the files
        read_end, write_end = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "HOME": folder, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
               "PYGAME_HIDE_SUPPORT_PROMPT": "1", "LANG": "C.UTF-8"}
        command = [*_isolation(), sys.executable, "-c", _RUNNER, folder, "deskbench_test_suite.py", function,
                   str(write_end)]
        try:
            child = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, pass_fds=(write_end,), start_new_session=True)
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as report:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, 9)
                child.wait()
                return 0.0, f"the test suite ran longer than {timeout:.0f} s"
            data = report.read(65536)
    try:
        answer = json.loads(data)
        return float(answer["score"]), str(answer.get("why", ""))
    except (ValueError, KeyError, TypeError):
        return 0.0, f"the test process ended (exit code {child.returncode}) without a result"


@metric("check_python_file_by_test_suite")
def check_python_file_by_test_suite(result: Any, expected: Any, test_function_name: str = "test") -> float:
    """The score the task's test suite (``expected``, a Python file) gives the agent's files (``result``).

    The suite's ``test_function_name`` function returns a bool or a number
    (clamped to [0, 1]); an exception, a missing function or a time-out scores 0.
    """
    option("check_python_file_by_test_suite", "test_function_name", test_function_name, str)
    if not test_function_name.isidentifier():
        raise fail("check_python_file_by_test_suite", f"test_function_name {test_function_name!r} is not a name")
    suite = Path(expected_path("check_python_file_by_test_suite", expected))
    files = _agent_files(result)
    if files is None:
        return 0.0
    score, _why = run_suite(files, suite, test_function_name)
    return score
