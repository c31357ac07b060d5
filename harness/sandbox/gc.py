"""Remove containers deskbench left behind (a killed harness cannot run its own clean-up)."""

from __future__ import annotations

from harness.sandbox.container import LABEL, remove_container
from harness.sandbox.engine import docker_client


def leftover_containers(run_id: str | None = None) -> list[str]:
    """Names of deskbench containers, all or of one run."""
    filters = {"label": [f"{LABEL}.run={run_id}"] if run_id else [LABEL]}
    return [str(c.name) for c in docker_client().containers.list(all=True, filters=filters)]


def collect_garbage(run_id: str | None = None) -> list[str]:
    """Remove every deskbench container (or those of ``run_id``); returns their names."""
    filters = {"label": [f"{LABEL}.run={run_id}"] if run_id else [LABEL]}
    removed = []
    for container in docker_client().containers.list(all=True, filters=filters):
        remove_container(container)
        removed.append(str(container.name))
    return removed
