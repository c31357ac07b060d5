"""The process that runs metric calls for :mod:`harness.checkers.limits`: one fork per call, limits set in the fork.

Started by the harness with ``python -m harness.checkers.metric_server``; it
imports the checkers once, then reads requests on stdin and answers on its
original stdout (what the metrics print goes to stderr).  Each request is
pickled ``(memory_bytes, cpu_seconds, plugin_files, payload)``; the fork sets
``RLIMIT_AS`` and ``RLIMIT_CPU``, imports the suite checker files the call
needs (``(module name, path)`` pairs) and runs the metric; the answer is pickled
``("ok", score)``, ``("raised", exception)``, ``("limit", what)``,
``("unavailable", why)`` or, for a fork the kernel ended, ``("died", code)``.
A single-threaded process forks safely, which the harness (threads for
parallel episodes) does not.  Frames are a 4-byte big-endian length and bytes.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import resource
import struct
import sys
from typing import Any, BinaryIO


def read_frame(stream: BinaryIO) -> bytes | None:
    """One frame, or None at the end of the stream."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return stream.read(size)


def write_frame(stream: BinaryIO, data: bytes) -> None:
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _import_plugins(files: list[tuple[str, str]]) -> None:
    """Import each suite checker file under the module name the harness gave it, so its functions unpickle."""
    for name, path in files:
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load checker file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


def _call(payload: bytes, memory: int, plugins: list[tuple[str, str]]) -> tuple[str, Any]:
    """In the fork, limits already set: the metric's answer, or what went wrong."""
    try:
        _import_plugins(plugins)
        fn, result, expected, options = pickle.loads(payload)
    except Exception as exc:  # a metric this process cannot import (a suite's checker loaded from a file)
        return "unavailable", f"{type(exc).__name__}: {exc}"
    try:
        return "ok", fn(result, expected, **options)
    except MemoryError:
        return "limit", f"more than {memory // 1024**2} MiB of memory"
    except Exception as exc:
        return "raised", exc


def _answer(answer: tuple[str, Any]) -> bytes:
    try:
        return pickle.dumps(answer)
    except Exception:  # an exception (or a score) that does not pickle: its type and text
        return pickle.dumps(("raised", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))


def _serve_one(request: bytes) -> bytes:
    memory, cpu, plugins, payload = pickle.loads(request)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            with os.fdopen(write_end, "wb") as out:
                out.write(_answer(_call(payload, memory, plugins)))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer_pipe:
        data = answer_pipe.read()
    _, status = os.waitpid(pid, 0)
    return data or pickle.dumps(("died", os.waitstatus_to_exitcode(status)))


def main() -> None:
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a metric that prints must not corrupt the answers
    import harness.checkers  # noqa: F401  (the registry and the libraries, once for every fork)

    while (request := read_frame(sys.stdin.buffer)) is not None:
        write_frame(protocol, _serve_one(request))


if __name__ == "__main__":
    main()
