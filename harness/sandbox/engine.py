"""The one place that connects to the Docker engine, so its failure reads the same everywhere.

It also knows how to wait for an engine that went away: a crashed or
restarted ``dockerd`` makes every request fail at once, and a run that
retried its episodes straight away would burn all their retries in a second.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container

from harness.errors import EngineUnavailable

ENGINE_HINT = "start it with scripts/ensure-docker.sh (as root on Debian), or set DOCKER_HOST"
#: how long a run waits for an engine that stopped answering before it gives up (a dockerd restart takes seconds)
ENGINE_PATIENCE = 90.0


@functools.lru_cache(maxsize=1)
def docker_client() -> docker.DockerClient:
    """Return a client whose engine answered a ping; raise EngineUnavailable otherwise."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        raise EngineUnavailable(f"the Docker engine does not answer ({_short(exc)}); {ENGINE_HINT}") from None
    return client


def reset_client() -> None:
    """Forget the cached client (after the engine restarted)."""
    docker_client.cache_clear()


def engine_answers(timeout: float = 5.0) -> bool:
    """Whether the engine answers a ping now, asked on a fresh connection.

    A fresh client, not the cached one: the cached client's pooled connections
    may still point at the engine process that died, and its two-minute timeout
    is meant for slow requests, not for a yes-or-no question.
    """
    try:
        client = docker.from_env(timeout=timeout)
    except (docker.errors.DockerException, OSError):
        return False
    try:
        return bool(client.ping())
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return False
    finally:
        client.close()


def wait_for_engine(patience: float = ENGINE_PATIENCE, stop: threading.Event | None = None,
                    answers: Callable[[], bool] = engine_answers) -> float:
    """Block until the engine answers again; returns the seconds waited (0.0 when it answers at once).

    Polls with a growing pause (0.5 s doubling up to 5 s), so an engine back
    after a restart is noticed within seconds without hammering one that takes
    a while.  Raises EngineUnavailable after ``patience`` seconds, and returns
    early (without an error) when ``stop`` is set: a stopping run waits for
    nothing.  The cached client is dropped once the engine is back, since its
    pooled connections lead to the engine process that went away.
    """
    if answers():
        return 0.0
    started = time.monotonic()
    pause = 0.5
    while True:
        left = patience - (time.monotonic() - started)
        if left <= 0:
            raise EngineUnavailable(f"the Docker engine stopped answering and did not come back within "
                                    f"{patience:.0f} s; {ENGINE_HINT}")
        if (stop or threading.Event()).wait(min(pause, left)):
            return time.monotonic() - started
        pause = min(pause * 2, 5.0)
        if answers():
            reset_client()
            return time.monotonic() - started


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__


def list_containers(filters: dict[str, list[str]], *, all: bool = True) -> list[Container]:  # noqa: A002
    """Containers matching ``filters``, tolerating those removed while the engine was being asked.

    The SDK lists the containers, then inspects each one: a container removed
    in between (by its episode finishing, say) would raise NotFound from the
    listing itself.  ``ignore_removed`` leaves such a container out, which is
    the truth: it is gone.
    """
    found: list[Container] = docker_client().containers.list(all=all, filters=filters, ignore_removed=True)
    return found
