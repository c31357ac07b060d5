"""Container images: find them in ``envs/``, tag them by content, build them without a registry.

Each folder ``envs/<name>/`` holds a ``Dockerfile`` that starts with
``ARG BASE`` / ``FROM ${BASE}`` and an ``image.json`` naming its parent
(``"base"`` or another image).  The tag is ``deskbench/<name>:<hash>`` where
the hash covers the folder's files and the parent's image id, so a second
build with nothing changed finds its tag and does nothing.

The base is ``debian:bookworm`` when the engine has it or can pull it; with no
registry in reach it is bootstrapped with debootstrap from the host's apt
mirror and imported (``deskbench/base:bookworm``).

A Dockerfile that declares ``ARG DESKBENCH_EXTRA_CA`` gets the certificate
authorities the host added to its own trust store (on a machine whose HTTPS
goes through an inspecting proxy, the npm registry is reached only with them).
How long each build took is kept beside the cache (``image-builds.json``) for
``deskbench bench env``.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from harness.errors import ImageBuildError, ImageNotFound
from harness.sandbox.engine import docker_client

REPO = "deskbench"
OFFICIAL_BASE = "debian:bookworm"
BOOTSTRAPPED_BASE = f"{REPO}/base:bookworm"
PULL_TIMEOUT_S = 60.0
EXTRA_CA_ARG = "DESKBENCH_EXTRA_CA"
HOST_EXTRA_CA_DIR = Path("/usr/local/share/ca-certificates")  # where Debian keeps locally added authorities
Log = Callable[[str], None]


def envs_dir() -> Path:
    """The folder of image definitions: ``$DESKBENCH_ENVS`` or ``envs/`` beside the package."""
    override = os.environ.get("DESKBENCH_ENVS")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "envs"


@dataclass(frozen=True)
class ImageSpec:
    """One image definition folder."""

    name: str
    folder: Path
    parent: str
    programs: tuple[str, ...] = ()  # what tasks may launch here, beyond the parent's (image.json "programs")

    @property
    def repository(self) -> str:
        return f"{REPO}/{self.name}"


def known_images() -> dict[str, ImageSpec]:
    """All image folders under ``envs/``, by name."""
    specs: dict[str, ImageSpec] = {}
    root = envs_dir()
    for folder in sorted(p for p in root.iterdir() if (p / "Dockerfile").is_file()) if root.is_dir() else []:
        meta_file = folder / "image.json"
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        specs[folder.name] = ImageSpec(folder.name, folder, str(meta.get("parent", "base")),
                                       tuple(str(p) for p in meta.get("programs", [])))
    return specs


def image_programs(name: str) -> frozenset[str]:
    """The programs an image declares, its parents' included (an unknown image declares none).

    The compatibility report uses them to tell a task that launches an app no
    image has (``code``, ``vlc``...) from one that can run; a test checks each
    declared program really is on the image's PATH.
    """
    specs = known_images()
    found: set[str] = set()
    while name in specs:
        found.update(specs[name].programs)
        name = specs[name].parent
    return frozenset(found)


def image_spec(name: str) -> ImageSpec:
    specs = known_images()
    if name not in specs:
        known = ", ".join(specs) or "none"
        raise ImageNotFound(f"unknown image {name!r} (known images in {envs_dir()}: {known})")
    return specs[name]


def folder_digest(folder: Path) -> str:
    """A hash of every file's relative path, mode bit for 'executable' and bytes."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        h.update(b"x" if os.access(path, os.X_OK) else b"-")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _image_id(ref: str) -> str | None:
    try:
        return str(docker_client().images.get(ref).id)
    except docker.errors.ImageNotFound:
        return None


def base_image(log: Log | None = None, create: bool = False) -> str:
    """The Debian bookworm base to build on; bootstrapped when ``create`` and none exists."""
    for ref in (OFFICIAL_BASE, BOOTSTRAPPED_BASE):
        if _image_id(ref):
            return ref
    if not create:
        raise ImageNotFound("no Debian bookworm base image; run: deskbench images build")
    if _try_pull(log):
        return OFFICIAL_BASE
    bootstrap_base(log)
    return BOOTSTRAPPED_BASE


def _try_pull(log: Log | None) -> bool:
    """Try to pull debian:bookworm, bounded in time: most machines here reach no registry."""
    if log:
        log(f"trying to pull {OFFICIAL_BASE} ...")
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(docker_client().images.pull, "debian", tag="bookworm")
    try:
        future.result(timeout=PULL_TIMEOUT_S)
        return True
    except Exception as exc:  # registry unreachable, refused, timed out: all mean "bootstrap"
        if log:
            log(f"no registry ({type(exc).__name__}); bootstrapping the base with debootstrap")
        return False
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def host_debian_mirror() -> str:
    """The Debian mirror the host's apt uses (deb822 ``.sources`` or one-line ``.list`` files)."""
    override = os.environ.get("DESKBENCH_DEBIAN_MIRROR")
    if override:
        return override
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for uri in re.findall(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M):
            if not uri.rstrip("/").endswith("-security"):
                return str(uri)
        for stanza in text.split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:(.*)$", stanza, re.M)
            if uris and suites and "bookworm" in suites.group(1).split():
                return uris.group(1)
    raise ImageBuildError("cannot find a Debian bookworm mirror in /etc/apt/sources*; set DESKBENCH_DEBIAN_MIRROR")


def bootstrap_base(log: Log | None = None) -> None:
    """debootstrap a minimal bookworm into a temporary folder and import it as an image."""
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is not installed; run scripts/ensure-docker.sh or apt-get install debootstrap")
    if os.geteuid() != 0:
        raise ImageBuildError("bootstrapping the base image needs root (debootstrap); run as root or load debian:bookworm")
    mirror = host_debian_mirror()
    if log:
        log(f"debootstrap --variant=minbase bookworm from {mirror} (about 30-60 s)")
    with tempfile.TemporaryDirectory(prefix="deskbench-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        proc = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise ImageBuildError("debootstrap failed: " + " | ".join(tail))
        archive = Path(tmp) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
        repository, tag = BOOTSTRAPPED_BASE.split(":")
        docker_client().api.import_image(src=str(archive), repository=repository, tag=tag)
    if log:
        log(f"imported {BOOTSTRAPPED_BASE}")


def expected_tag(name: str, create_base: bool = False, log: Log | None = None) -> str:
    """The content-hash tag image ``name`` has (or would have) right now."""
    spec = image_spec(name)
    if spec.parent == "base":
        parent_ref = base_image(log, create=create_base)
    else:
        parent_ref = resolve_image(spec.parent)
    parent_id = _image_id(parent_ref) or parent_ref
    h = hashlib.sha256((parent_id + folder_digest(spec.folder)).encode()).hexdigest()[:12]
    return f"{spec.repository}:{h}"


def resolve_image(name: str) -> str:
    """The built tag of image ``name``; ImageNotFound with the command to run when it is missing."""
    if ":" in name or "/" in name:  # a plain Docker reference, used as is
        if _image_id(name) is None:
            raise ImageNotFound(f"image {name!r} does not exist in the Docker engine")
        return name
    try:
        tag = expected_tag(name)
    except ImageNotFound as exc:
        if "unknown image" in str(exc):
            raise
        raise ImageNotFound(f"image {name!r} is not built; run: deskbench images build {name}") from None
    if _image_id(tag) is None:
        raise ImageNotFound(f"image {name!r} is not built (or its files changed); run: deskbench images build {name}")
    return tag


def build_image(name: str, log: Log | None = None) -> tuple[str, bool]:
    """Build ``name`` (and its parents) unless its content tag exists. Returns (tag, built_now)."""
    spec = image_spec(name)
    if spec.parent != "base":
        build_image(spec.parent, log)
    tag = expected_tag(name, create_base=True, log=log)
    if _image_id(tag):
        if log:
            log(f"{name}: up to date ({tag})")
        return tag, False
    parent_ref = base_image() if spec.parent == "base" else resolve_image(spec.parent)
    if log:
        log(f"{name}: building {tag} on {parent_ref}")
    started = time.monotonic()
    _docker_build(spec, tag, parent_ref, log)
    record_build_seconds(tag, time.monotonic() - started)
    docker_client().images.get(tag).tag(spec.repository, "latest")
    return tag, True


def build_times_file() -> Path:
    """``$XDG_CACHE_HOME/deskbench/image-builds.json`` (``~/.cache`` by default): seconds per built tag."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "deskbench" / "image-builds.json"


def recorded_build_seconds() -> dict[str, float]:
    """How long each tag built here took (tags built elsewhere, or before this was kept, are absent)."""
    try:
        data = json.loads(build_times_file().read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


def record_build_seconds(tag: str, seconds: float) -> None:
    """Keep a build's duration; a file that cannot be written costs the figure, never the build."""
    times = recorded_build_seconds()
    times[tag] = round(seconds, 1)
    path = build_times_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(times, indent=1, sort_keys=True))
        tmp.replace(path)
    except OSError:
        pass


def host_extra_ca() -> str:
    """The PEM text of the certificate authorities the host added locally (empty when it added none)."""
    files = sorted(HOST_EXTRA_CA_DIR.rglob("*.crt")) if HOST_EXTRA_CA_DIR.is_dir() else []
    return "\n".join(f.read_text(errors="replace").strip() for f in files if f.is_file())


def build_args(spec: ImageSpec, parent_ref: str) -> dict[str, str]:
    """``BASE``, and the host's added authorities for a Dockerfile that asks for them."""
    args = {"BASE": parent_ref}
    if re.search(rf"^\s*ARG\s+{EXTRA_CA_ARG}\b", (spec.folder / "Dockerfile").read_text(), re.M):
        args[EXTRA_CA_ARG] = host_extra_ca()
    return args


def _docker_build(spec: ImageSpec, tag: str, parent_ref: str, log: Log | None) -> None:
    lines: list[str] = []
    try:
        stream = docker_client().api.build(
            path=str(spec.folder), tag=tag, buildargs=build_args(spec, parent_ref), rm=True, forcerm=True,
            decode=True, labels={"deskbench.image": spec.name})
        for chunk in stream:
            if "error" in chunk:
                raise ImageBuildError(f"building image {spec.name!r} failed: {chunk['error'].strip()}"
                                      + _tail(lines))
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                lines.append(text)
                if log and text.startswith("Step "):
                    log(f"  {text}")
    except docker.errors.APIError as exc:
        raise ImageBuildError(f"building image {spec.name!r} failed: {exc.explanation or exc}") from None


def _tail(lines: list[str], n: int = 8) -> str:
    return ("\n  last output:\n  " + "\n  ".join(lines[-n:])) if lines else ""
