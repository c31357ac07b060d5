"""The desktop state an episode was scored on, kept so that ``deskbench rescore`` can score it again.

Layout in the episode folder::

    snapshot/manifest.json     what the archive holds (``SnapshotManifest``, versioned)
    snapshot/desktop.tar.gz    the desktop's writable places, as the checkers read them

The desktop's only writable places are memory-backed mounts (the root file
system is read-only), so they are the whole changed part of its file system:
``docker diff`` cannot see them, a tar of them loses nothing.  The archive's
checksum is in the manifest, so a torn or edited snapshot is refused before
any container starts.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from harness.errors import DeskbenchError

#: 1: the first format.
SNAPSHOT_VERSION = 1
SNAPSHOT_DIR = "snapshot"
MANIFEST_FILE = "manifest.json"
ARCHIVE_FILE = "desktop.tar.gz"
#: the desktop's writable mounts (harness.sandbox.container.writable_mounts), minus the session's runtime folder
SNAPSHOT_PATHS: tuple[str, ...] = ("home/user", "tmp", "var/tmp")
DEFAULT_CAP = 64 * 1024 * 1024  # compressed bytes; a bigger desktop state is not kept (the manifest says so)


class SnapshotError(DeskbenchError):
    """A snapshot that cannot be used: missing, of another version, or not the archive its manifest describes."""


class SnapshotManifest(BaseModel):
    """What one episode's snapshot holds and where it came from."""

    snapshot_version: int = SNAPSHOT_VERSION
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    image: str  # the image reference the episode ran in
    image_id: str  # the engine's id of that image: a rescore starts exactly this one
    paths: list[str]  # desktop paths (relative to /) the archive holds
    kept: bool = True  # False: the state was over ``cap`` bytes compressed and no archive was written
    archive_bytes: int = 0
    archive_sha256: str = ""
    cap: int = DEFAULT_CAP
    seconds: float = 0.0  # time to make and copy the archive


def write_snapshot(episode_dir: Path, manifest: SnapshotManifest, archive: bytes | None) -> Path:
    """Write the archive (when kept) and then the manifest, so a manifest always describes a whole archive."""
    folder = episode_dir / SNAPSHOT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if archive is not None:
        manifest.archive_bytes = len(archive)
        manifest.archive_sha256 = hashlib.sha256(archive).hexdigest()
        (folder / ARCHIVE_FILE).write_bytes(archive)
    (folder / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
    return folder


def read_manifest(episode_dir: Path) -> SnapshotManifest | None:
    """The snapshot's manifest; None when the episode kept none; SnapshotError when it is unreadable."""
    file = episode_dir / SNAPSHOT_DIR / MANIFEST_FILE
    if not file.is_file():
        return None
    try:
        manifest = SnapshotManifest.model_validate_json(file.read_text(encoding="utf-8"))
    except (ValueError, ValidationError) as exc:
        raise SnapshotError(f"{file}: not a snapshot manifest: {_first_line(str(exc))}") from None
    if manifest.snapshot_version > SNAPSHOT_VERSION:
        raise SnapshotError(f"{file}: snapshot version {manifest.snapshot_version} is newer than this deskbench's "
                            f"({SNAPSHOT_VERSION}); upgrade deskbench")
    return manifest


def read_archive(episode_dir: Path, manifest: SnapshotManifest) -> bytes:
    """The archive's bytes, checked against the manifest's size and checksum."""
    file = episode_dir / SNAPSHOT_DIR / ARCHIVE_FILE
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{file}: cannot read the snapshot archive: {exc.strerror or exc}") from None
    if len(data) != manifest.archive_bytes or hashlib.sha256(data).hexdigest() != manifest.archive_sha256:
        raise SnapshotError(f"{file}: corrupt snapshot ({len(data)} bytes, the manifest says "
                            f"{manifest.archive_bytes} with another checksum)")
    return data


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
