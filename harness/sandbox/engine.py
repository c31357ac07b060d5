"""The one place that connects to the Docker engine, so its failure reads the same everywhere."""

from __future__ import annotations

import functools

import docker
import docker.errors

from harness.errors import EngineUnavailable

ENGINE_HINT = "start it with scripts/ensure-docker.sh (as root on Debian), or set DOCKER_HOST"


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


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__
