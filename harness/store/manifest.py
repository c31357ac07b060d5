"""``manifest.json``: what a run folder's episodes were produced with, so a resume cannot mix two experiments.

The manifest is written when a run folder is first used.  Resuming compares
the fields that change what an episode means (agent, model, budgets, sweep,
suite content, images, seed, limits); one that differs is refused with the
old and new values, while fields that only change *how fast* the run goes
(parallelism, retries) may differ freely.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from harness.errors import ConfigError
from harness.store.records import RECORD_VERSION
from harness.store.run_folder import RunFolderError
from harness.store.versions import NewerRecordError, check_version

if TYPE_CHECKING:
    from harness.tasks.schema import Task

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_files_lock = threading.Lock()  # episodes of one run note their files from several threads


class RunManifest(BaseModel):
    """The configuration of a run; ``identity`` holds what must match on resume."""

    manifest_version: int = MANIFEST_VERSION
    record_version: int = RECORD_VERSION
    deskbench_version: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    identity: dict[str, Any]  # agent, model, budgets, repeats, sweep, seed, suite_hash, images, limits...
    settings: dict[str, Any] = Field(default_factory=dict)  # parallel, retries...: free to change on resume
    prefix_fallback: dict[str, str] = Field(default_factory=dict)  # task -> why it ran independent episodes
    checkers: str = "osworld"  # checker semantics of the run (harness.checkers.semantics); older manifests: osworld
    # URL -> sha256 of each cached file the run's episodes used (more than one if the cache changed mid-run):
    # two machines compare these to tell whether they ran the same inputs.  Empty in manifests before it existed.
    files: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _known_version(cls, raw: Any) -> Any:
        """A newer deskbench's manifest (or one of a run whose records are newer) is refused by version."""
        check_version(raw, "manifest_version", MANIFEST_VERSION, "run manifest")
        check_version(raw, "record_version", RECORD_VERSION, "run manifest")
        return raw


def deskbench_version() -> str:
    try:
        return metadata.version("deskbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def suite_hash(tasks: Sequence[Task]) -> str:
    """SHA-256 of the task definitions and their ``assets/`` files, order-independent.

    The definitions say what the agent is asked and how it is scored; the
    assets (input documents, expected files, checker scripts) decide the
    score too, so an edited expected file is a different suite.
    """
    parts = sorted(json.dumps([t.key, t.model_dump(mode="json", exclude_none=True)], sort_keys=True, default=str)
                   for t in tasks)  # exclude_none: a new optional field does not change old suites
    digest = hashlib.sha256("\n".join(parts).encode())
    for folder in sorted({t.folder / "assets" for t in tasks if t.folder is not None}):
        for file in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            digest.update(f"\n{file.relative_to(folder)}\n".encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def read_manifest(folder: Path) -> RunManifest | None:
    file = folder / MANIFEST
    if not file.is_file():
        return None
    try:
        return RunManifest.model_validate_json(file.read_text(encoding="utf-8"))
    except NewerRecordError as exc:
        raise NewerRecordError(f"{file}: {exc}") from None
    except (ValueError, ValidationError) as exc:
        raise RunFolderError(f"{file}: not a deskbench run manifest: {exc}") from None


def write_manifest(folder: Path, manifest: RunManifest) -> None:
    """Write atomically (temporary file + rename), so a kill never leaves half a manifest."""
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def check_resume(old: RunManifest, new: RunManifest, folder: Path) -> None:
    """Refuse to resume ``folder`` with a configuration that would change what its episodes mean."""
    differences = [f"{key}: was {old.identity.get(key)!r}, now {new.identity.get(key)!r}"
                   for key in sorted(set(old.identity) | set(new.identity))
                   if old.identity.get(key) != new.identity.get(key)]
    if differences:
        raise ConfigError(f"run folder {folder} was started with another configuration; refusing to resume "
                          f"({'; '.join(differences)}). Use a new --run-dir, or the original options.")


def note_files(folder: Path, used: dict[str, str]) -> None:
    """Add the sha256 of the cached files an episode used (URL -> digest) to the folder's manifest.

    The run's one writer process calls this from its episode threads; a
    digest already noted for the URL is not repeated.
    """
    if not used:
        return
    with _files_lock:
        manifest = read_manifest(folder)
        if manifest is None:
            return  # a bare episode run outside a run folder: nothing to note in
        changed = False
        for url, sha in used.items():
            known = manifest.files.setdefault(url, [])
            if sha not in known:
                known.append(sha)
                changed = True
        if changed:
            write_manifest(folder, manifest)
