"""One fresh desktop container per episode, removed at the end whatever happens.

The container has no network, no new privileges, a read-only root file
system with size-limited memory-backed mounts for the places a desktop writes
(home, temporary folders: the memory limit bounds them too, so a desktop
cannot fill the host's disk), and CPU, memory and pids limits.  The desktop
and every agent command run as uid 1000 without capabilities; the guest runs
as its own user (uid 999) and keeps four capabilities (see the image's
``guest/privileges.py``).  The host reaches the guest through a Unix socket
in a private per-episode folder (the guest's, mode 0700) that is
bind-mounted at ``/run/deskbench``.  Readiness is the guest answering and a
first screenshot succeeding -- never a fixed sleep.

An :class:`~harness.sandbox.egress.EgressPolicy` opts an episode into reaching
the hosts it names: the container still has no network, and its HTTP clients
go through an allowlisting proxy on the host, over a second socket in the same
private folder (see :mod:`harness.sandbox.egress`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors
import requests.exceptions
from docker.models.containers import Container

from harness.errors import ConfigError, GuestError, SandboxError
from harness.sandbox.egress import SOCKET_NAME, EgressPolicy, EgressProxy, proxy_environment, start_relay
from harness.sandbox.engine import docker_client, engine_answers
from harness.sandbox.guest import GUEST_UID, GuestClient
from harness.sandbox.images import resolve_image
from harness.sandbox.ownership import current_owner, owned_folder_prefix
from harness.sandbox.removal import remove_tree

logger = logging.getLogger(__name__)

LABEL = "deskbench"
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with the final NUL
FOLDER_LABEL = f"{LABEL}.folder"  # the run folder an episode writes to (housekeeping reads it)
GUEST_MOUNT = "/run/deskbench"
DESKTOP_UID = 1000


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one episode's container."""

    cpus: float = 1.0
    memory: str = "2g"
    pids: int = 1024
    shm: str = "256m"
    home: str = "1g"  # /home/user, memory-backed: counted in ``memory`` too
    tmp: str = "512m"  # /tmp; /var/tmp and the session's runtime folder get a little each


@dataclass
class Sandbox:
    """A running desktop: the container, its guest client and timings."""

    container: Container
    guest: GuestClient
    image: str
    folder: Path
    screen: tuple[int, int]
    start_seconds: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)
    egress: EgressProxy | None = None  # the allowlisting proxy, when the episode may reach some hosts

    def is_running(self) -> bool:
        try:
            self.container.reload()
        except docker.errors.NotFound:
            return False
        return str(self.container.status) == "running"


def _private_folder() -> Path:
    """A 0700 folder for the guest socket, the guest's own: the desktop user cannot enter, rename or replace it."""
    parent = os.environ.get("DESKBENCH_SOCKET_DIR") or None
    folder = Path(tempfile.mkdtemp(prefix=owned_folder_prefix("sock"), dir=parent))
    if len(os.fsencode(folder / "guest.sock")) > SOCKET_PATH_MAX:
        folder.rmdir()
        raise ConfigError(f"the guest socket's path {folder / 'guest.sock'} is longer than Unix sockets allow "
                          f"({SOCKET_PATH_MAX} bytes); set DESKBENCH_SOCKET_DIR (or TMPDIR) to a shorter folder")
    if os.geteuid() == 0:
        os.chown(folder, GUEST_UID, GUEST_UID)
        folder.chmod(0o700)
    else:  # an unprivileged host cannot give the folder away: anyone may create in it, only owners remove (sticky)
        folder.chmod(0o1777)
    return folder


def container_kwargs(image: str, labels: dict[str, str], folder: Path, screen: tuple[int, int],
                     limits: SandboxLimits, egress: bool = False, privileged_user: bool = False) -> dict[str, Any]:
    """Everything ``docker run`` gets: isolation and limits live here, in one place.

    ``egress`` adds only the proxy variables: the network stays ``none``
    whatever the policy, because the proxy is reached through the mounted folder.
    ``privileged_user`` (OSWorld's user model, opted into per task) lets the
    desktop user's ``sudo`` work; see :func:`privilege_options`.
    """
    environment = {"DESKBENCH_SCREEN": f"{screen[0]}x{screen[1]}", **(proxy_environment() if egress else {})}
    return {**_kwargs(image, labels, folder, limits, environment, egress), **privilege_options(privileged_user)}


def _kwargs(image: str, labels: dict[str, str], folder: Path, limits: SandboxLimits, environment: dict[str, str],
            egress: bool) -> dict[str, Any]:
    return {
        "image": image,
        "detach": True,
        "name": f"deskbench-{uuid.uuid4().hex[:12]}",
        "labels": {LABEL: "1", **current_owner().labels(), **labels,
                   **({f"{LABEL}.egress": "allowlist"} if egress else {})},
        "environment": environment,
        "volumes": {str(folder): {"bind": GUEST_MOUNT, "mode": "rw"}},
        "network_mode": "none",
        "user": "0:0",  # only for the image's start script, which drops to the guest's user at once
        "cap_drop": ["ALL"],
        "cap_add": list(GUEST_CAPABILITIES),
        "security_opt": ["no-new-privileges"],
        "read_only": True,
        "tmpfs": writable_mounts(limits),
        "nano_cpus": int(limits.cpus * 1e9),
        "mem_limit": limits.memory,
        "pids_limit": limits.pids,
        "shm_size": limits.shm,
        "init": True,
    }


#: what the guest keeps, and why: envs/desktop/guest/privileges.py
GUEST_CAPABILITIES = ("SETUID", "SETGID", "KILL", "DAC_READ_SEARCH")
#: what root needs beyond those, in an episode whose user may sudo: AUDIT_WRITE for sudo's and su's PAM
#: audit record; CHOWN, DAC_OVERRIDE, FOWNER, FSETID for dpkg unpacking packages and for root's chmod/chown/
#: useradd on files it does not own.  Nothing else (no NET_*, SYS_*, MKNOD): no mounts, no raw sockets, no modules.
SUDO_CAPABILITIES = ("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID")


def privilege_options(privileged_user: bool) -> dict[str, Any]:
    """The ``docker run`` options that differ when the desktop user may become root through ``sudo``.

    By default none: ``no-new-privileges`` makes sudo refuse to run at all.
    With OSWorld's user model, setuid programs work (no ``no-new-privileges``),
    root gets the capabilities above on top of the guest's, and the root file
    system is writable so ``apt-get install`` can write ``/usr`` and ``/var``
    (in the container's own layer, removed with it).  The network is still
    ``none`` unless the run allows hosts; the container is labelled so
    ``docker ps`` shows which desktops run privileged.
    """
    if not privileged_user:
        return {}
    return {"security_opt": [], "cap_add": [*GUEST_CAPABILITIES, *SUDO_CAPABILITIES], "read_only": False}


def writable_mounts(limits: SandboxLimits) -> dict[str, str]:
    """The only places a desktop can write (the root file system is read-only), each with a size limit."""
    user = f"uid={DESKTOP_UID},gid={DESKTOP_UID}"
    # exec: programs and scripts the desktop writes must run, as on any desktop (Docker's default is noexec)
    return {"/home/user": f"size={limits.home},{user},mode=0755,exec",
            "/tmp": f"size={limits.tmp},mode=1777,exec",
            "/var/tmp": "size=64m,mode=1777,exec",
            f"/run/user/{DESKTOP_UID}": f"size=16m,{user},mode=0700"}


def _socket_owner() -> int | None:
    """Whose the guest's socket must be: the guest's user, whoever runs the host (the desktop cannot make one)."""
    return GUEST_UID


def _wait_ready(container: Container, guest: GuestClient, socket_path: Path, timeout: float) -> None:
    """Poll (every few ms, bounded) for the socket, then check health and take a first screenshot."""
    deadline = time.monotonic() + timeout
    checks = 0
    while not os.path.lexists(socket_path):
        if time.monotonic() > deadline:
            raise SandboxError(f"desktop in {container.name} not ready after {timeout:.0f} s{_logs(container)}")
        checks += 1
        if checks % 50 == 0:  # every ~0.25 s, make sure the container has not died
            container.reload()
            if container.status not in ("created", "running"):
                raise SandboxError(f"container {container.name} exited during start-up{_logs(container)}")
        time.sleep(0.005)
    guest.health()
    guest.screenshot()
    guest.seal()


def _logs(container: Container) -> str:
    try:
        text = container.logs(tail=10).decode(errors="replace").strip()
    except docker.errors.APIError:
        return ""
    return f"; its last output: {text}" if text else ""


def remove_container(container: Container) -> None:
    """Force-remove, tolerating a container that is already gone."""
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise


def _remove_despite_interrupts(client: Any, container: Container | None, name: str, attempts: int = 3) -> None:
    """Remove the episode's container even when Ctrl-C is pressed again while it is being removed.

    An impatient second Ctrl-C would otherwise abort the removal and leak a
    running desktop.  Each interrupt restarts the removal (up to ``attempts``
    times) and is re-raised once the container is gone.  A container whose
    creation was interrupted before the engine answered is found by its name.
    """
    interrupted: KeyboardInterrupt | None = None
    for _ in range(attempts):
        try:
            target = container if container is not None else _find(client, name)
            if target is not None:
                remove_container(target)
            break
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


def _remove_or_leave(client: Any, container: Container | None, name: str) -> None:
    """Remove the episode's container; when the engine itself is gone, leave it and say so instead of failing.

    The episode's outcome is already decided when its container is removed (it
    was scored through the guest, which does not need the engine), so an engine
    that crashed in the meantime must not turn that outcome into an error.  The
    container then outlives the episode: the run removes the containers of its
    folder once the engine is back (``harness.runner.run``), and ``deskbench
    gc`` removes any deskbench container.  An engine that answers but refuses
    the removal is still an error: that container would stay with nobody to
    notice.
    """
    try:
        _remove_despite_interrupts(client, container, name)
        return
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        failure = exc
    if engine_answers():  # back already (a quick restart): once more, on a fresh client and a fresh handle
        _remove_despite_interrupts(docker_client(), None, name)
        return
    logger.warning("container %s not removed: the Docker engine does not answer (%s: %s); it is removed when the "
                   "engine is back (by this run, or by `deskbench gc`)", name, type(failure).__name__, failure)


def _diagnosis(container: Container) -> str:
    """What became of the container, for an error about its guest not answering: dead, gone, or alive and mute.

    A guest that stops answering is the symptom of several faults (the
    container was killed, its main process died, it ran out of memory, the
    engine went away); the record should say which.
    """
    deadline = time.monotonic() + 1.0  # the engine learns of a death a moment after the socket does
    while True:
        try:
            container.reload()
        except docker.errors.NotFound:
            return f"container {container.name} no longer exists"
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return f"the Docker engine does not answer about container {container.name} either"
        if str(container.status) != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    state = container.attrs.get("State") or {}
    if str(container.status) == "running":
        return f"container {container.name} is running, but its guest server stopped answering"
    code = state.get("ExitCode")
    why = ("out of memory" if state.get("OOMKilled")
           else "SIGKILL: the container or its guest server was killed" if code == 137
           else "its guest server, the main process, ended")
    now = "has exited" if container.status == "exited" else f"is {container.status}"
    return f"container {container.name} {now} with code {code} ({why})"


def _find(client: Any, name: str) -> Container | None:
    """The container named ``name``, or None when there is none (or the engine cannot tell: nothing to remove)."""
    try:
        found: Container = client.containers.get(name)
    except (docker.errors.DockerException, requests.exceptions.RequestException):
        return None
    return found


def _remove_folder(folder: Path) -> None:
    """Remove the episode's host folder, whatever the desktop left in it; a failure is logged, never raised.

    The episode is decided by now: a tree the desktop built to break the
    clean-up must not turn its verdict into an error.  What stays is removed
    by ``deskbench gc`` (the folder's name records its owner).
    """
    try:
        remove_tree(folder)
    except OSError as exc:
        logger.warning("episode folder %s not removed (%s); `deskbench gc` removes it", folder, exc)


def _egress_proxy(policy: EgressPolicy | None, folder: Path) -> EgressProxy | None:
    """The episode's proxy, listening before the container starts (None: no network at all, the default).

    Its socket is the guest's: the relay inside runs as the guest's user, out of the desktop user's reach.
    """
    if policy is None:
        return None
    return EgressProxy(policy, folder / SOCKET_NAME, owner_uid=GUEST_UID).start()


@contextmanager
def start_sandbox(image: str, *, labels: dict[str, str] | None = None, screen: tuple[int, int] = (1280, 800),
                  limits: SandboxLimits = SandboxLimits(), ready_timeout: float = 60.0,
                  egress: EgressPolicy | None = None, privileged_user: bool = False) -> Iterator[Sandbox]:
    """Start a fresh desktop from image name ``image`` and yield it; the container is always removed.

    ``egress`` names the hosts the desktop's HTTP(S) clients may reach through
    the proxy; None (the default) leaves the desktop without any network.
    ``privileged_user`` lets the desktop user ``sudo`` (an image that has it:
    ``osworld``); False (the default) keeps every privilege out of its reach.
    """
    tag = resolve_image(image)
    client = docker_client()
    folder = _private_folder()
    labels = dict(labels or {})
    started = time.monotonic()
    container: Container | None = None
    guest: GuestClient | None = None
    proxy: EgressProxy | None = None
    if privileged_user:
        labels[f"{LABEL}.privileged_user"] = "1"
    kwargs = container_kwargs(tag, labels, folder, screen, limits, egress=egress is not None,
                              privileged_user=privileged_user)
    try:
        proxy = _egress_proxy(egress, folder)
        try:
            container = client.containers.run(**kwargs)
        except docker.errors.APIError as exc:
            raise SandboxError(f"cannot start a container from {tag}: {exc.explanation or exc}") from None
        guest = GuestClient(str(folder / "guest.sock"), owner=_socket_owner())
        _wait_ready(container, guest, folder / "guest.sock", ready_timeout)
        if proxy is not None:
            start_relay(guest, f"{GUEST_MOUNT}/{SOCKET_NAME}")
        box = Sandbox(container, guest, tag, folder, screen, time.monotonic() - started, labels, proxy)
        try:
            yield box
        except SandboxError as exc:
            if isinstance(exc, GuestError):  # the guest answered: it knows what went wrong, and said it
                raise
            raise SandboxError(f"{exc}; {_diagnosis(container)}") from None
    finally:
        if guest is not None:
            guest.close_connection()
        _remove_or_leave(client, container, str(kwargs["name"]))
        if proxy is not None:
            proxy.stop()
        _remove_folder(folder)
