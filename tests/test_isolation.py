"""Isolation by default, proven from inside real desktops: no network at all, an unprivileged user that
cannot become root, no capabilities, resource limits in force (a fork bomb stays inside), a private
guest-socket folder per episode -- and the opt-in allowlist, where the only way out is the host's
egress proxy, which forwards listed hosts, refuses the rest with a reason and logs every decision.

Every probe runs in the desktop as its user does (through the guest), so it sees what an agent sees.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from harness.sandbox import Sandbox, SandboxLimits, start_sandbox
from harness.sandbox.container import DESKTOP_UID, GUEST_CAPABILITIES, GUEST_MOUNT
from harness.sandbox.egress import PROXY_PORT, EgressPolicy
from harness.sandbox.engine import docker_client
from harness.sandbox.guest import GUEST_UID

from .web_support import HelloHandler, serve

pytestmark = pytest.mark.docker

RUN_LABELS = {"deskbench.run": "pytest-isolation"}

CONNECT_PY = r'''
"""Try a TCP connection to each host:port argument (2 s each); print what happened, as JSON."""
import json, socket, sys
out = {}
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        out[target] = "connected"
    except OSError as exc:
        out[target] = f"{type(exc).__name__}: {exc}"
try:
    out["dns"] = socket.getaddrinfo("example.com", 443)[0][4][0]
except OSError as exc:
    out["dns"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
'''

FORK_BOMB_PY = r'''
"""Fork sleeping children until the kernel refuses; report how many, then kill them all (bounded, quick)."""
import errno, json, os, signal, time
children, error = [], None
for _ in range(5000):
    try:
        pid = os.fork()
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.kill(pid, signal.SIGKILL)
for pid in children:
    os.waitpid(pid, 0)
print(json.dumps({"forked": len(children), "error": error}))
'''

PROXY_PY = r'''
"""HTTP through the relay at 127.0.0.1:PORT, plain (absolute URI) and tunnelled (CONNECT); JSON out."""
import http.client, json, sys
relay, origin = int(sys.argv[1]), int(sys.argv[2])
def get(target, tunnel=None):
    conn = http.client.HTTPConnection("127.0.0.1", relay, timeout=10)
    if tunnel:
        conn.set_tunnel(*tunnel)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return [response.status, response.read().decode()]
    except OSError as exc:
        return [0, str(exc)]
print(json.dumps({
    "listed": get(f"http://localhost:{origin}/listed"),
    "listed_tunnel": get("/tunnelled", ("localhost", origin)),
    "unlisted": get(f"http://127.0.0.1:{origin}/unlisted"),
    "unlisted_tunnel": get("/", ("example.com", 443)),
}))
'''


# ------------------------------------------------------------------ helpers


def run_py(box: Sandbox, source: str, *args: str, timeout: float = 60) -> Any:
    """Run a Python probe in the desktop as its user and return the JSON it printed."""
    result = box.guest.run(["python3", "-c", source, *args], shell=False, timeout=timeout)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def sh(box: Sandbox, command: str, as_guest: bool | None = None) -> str:
    result = box.guest.run(command, timeout=30, as_guest=as_guest)
    assert result.exit_code == 0, f"{command}: {result.stderr}"
    return result.stdout


def status_fields(box: Sandbox) -> dict[str, str]:
    """/proc/self/status of a process the desktop user starts."""
    text = sh(box, "cat /proc/self/status")
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def cgroup_value(box: Sandbox, v2: str, v1: str) -> str:
    """A cgroup file read inside the container, cgroup v2 or v1 (whichever the host runs)."""
    return sh(box, f"cat /sys/fs/cgroup/{v2} 2>/dev/null || cat /sys/fs/cgroup/{v1}").strip()


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge: what a container with a network reaches the host by."""
    config = docker_client().networks.get("bridge").attrs["IPAM"]["Config"][0]
    return str(config.get("Gateway") or next(ipaddress.ip_network(config["Subnet"]).hosts()))


def host_addresses() -> set[str]:
    """The host's own non-loopback IPv4 addresses that can be found without extra tools."""
    found = {bridge_gateway()}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
            found.add(udp.getsockname()[0])
        except OSError:
            pass
    return {a for a in found if not a.startswith("127.")}


class _Hello(HelloHandler):
    """Remembers the paths it served."""


@pytest.fixture
def host_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A web server on the host bound to ``request.param`` (0.0.0.0 by default); yields its port."""
    with serve(_Hello, getattr(request, "param", "0.0.0.0")) as port:
        yield port


@pytest.fixture(scope="module")
def box(desktop_image: str) -> Iterator[Sandbox]:
    """One desktop with the default limits, for the read-only probes."""
    with start_sandbox(desktop_image, labels=RUN_LABELS) as sandbox:
        yield sandbox


def deskbench_networks() -> set[str]:
    return {str(n.name) for n in docker_client().networks.list() if "deskbench" in str(n.name)
            or any(k.startswith("deskbench") for k in (n.attrs.get("Labels") or {}))}


# ------------------------------------------------------------------ no network


def test_desktop_has_only_loopback_and_no_route(box: Sandbox) -> None:
    assert sh(box, "ls /sys/class/net").split() == ["lo"]
    routes = sh(box, "cat /proc/net/route").splitlines()
    assert len(routes) == 1 and routes[0].startswith("Iface"), routes  # the header, no route
    inspected = box.container.attrs
    assert inspected["HostConfig"]["NetworkMode"] == "none"
    assert set(inspected["NetworkSettings"]["Networks"]) == {"none"}


def test_desktop_cannot_reach_the_host_the_bridge_or_the_internet(box: Sandbox, host_server: int) -> None:
    targets = sorted(f"{address}:{host_server}" for address in host_addresses())
    for address in host_addresses():  # the server does answer there -- for anyone with a route to it
        with socket.create_connection((address, host_server), timeout=5):
            pass
    public = ["1.1.1.1:443", "8.8.8.8:53", f"{bridge_gateway()}:2375"]
    result = run_py(box, CONNECT_PY, *targets, *public)
    failed = {target: outcome for target, outcome in result.items() if target != "dns"}
    assert set(failed) == set(targets + public)
    assert not [t for t, outcome in failed.items() if outcome == "connected"], failed
    assert all("unreachable" in outcome.lower() for outcome in failed.values()), failed  # refused at once, no route
    assert result["dns"].startswith("gaierror"), result["dns"]
    assert _Hello.seen == []


# ------------------------------------------------------------------ privileges


#: CAP_KILL (5), CAP_SETGID (6), CAP_SETUID (7), CAP_DAC_READ_SEARCH (2): the guest's four, see privileges.py
GUEST_CAPS_MASK = (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7)


def test_desktop_user_is_uid_1000_without_capabilities_or_new_privileges(box: Sandbox) -> None:
    assert sh(box, "id -u; id -g; id -G").split() == ["1000", "1000", "1000"]
    assert box.guest.health()["uid"] == GUEST_UID  # the guest is a different user
    fields = status_fields(box)
    assert fields["NoNewPrivs"] == "1"
    for capability_set in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(fields[capability_set], 16) == 0, (capability_set, fields[capability_set])
    # the bounding set is the guest's four: with nothing permitted and no new privileges, none can be regained
    assert int(fields["CapBnd"], 16) == GUEST_CAPS_MASK
    assert fields["Seccomp"] == "2"  # Docker's default syscall filter is on too
    host_config = box.container.attrs["HostConfig"]
    assert host_config["CapDrop"] == ["ALL"] and sorted(host_config["CapAdd"]) == sorted(GUEST_CAPABILITIES)
    assert "no-new-privileges" in host_config["SecurityOpt"]
    assert host_config["Privileged"] is False and host_config["ReadonlyRootfs"] is True
    # Root only for the init (PID 1, which the desktop user cannot signal); the guest is uid 999, the rest 1000
    owners = dict(line.split() for line in sh(box, "ps -eo pid=,uid=").splitlines())
    assert owners.pop("1") == "0"
    assert set(owners.values()) == {str(GUEST_UID), str(DESKTOP_UID)}


def test_the_guest_keeps_only_its_four_capabilities_and_passes_none_on(box: Sandbox) -> None:
    guest_pid = sh(box, f"pgrep -u {GUEST_UID} -o python3").strip()
    guest = dict(line.split(":\t", 1) for line in sh(box, f"cat /proc/{guest_pid}/status", as_guest=True)
                 .splitlines() if ":\t" in line)
    assert int(guest["CapEff"], 16) == int(guest["CapPrm"], 16) == GUEST_CAPS_MASK
    # only CAP_DAC_READ_SEARCH passes on, to the guest's own (checker) commands: they read, never change
    assert int(guest["CapInh"], 16) == int(guest["CapAmb"], 16) == 1 << 2
    assert guest["NoNewPrivs"].strip() == "1"
    with box.guest.checkers():  # a checker's command: its own user (998), which can read, and only read
        child = {k: v.strip() for k, _, v in (line.partition(":") for line in
                                               sh(box, "cat /proc/self/status").splitlines())}
        assert child["Uid"].split()[0] == "998"
        for capability_set in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            assert int(child[capability_set], 16) == 1 << 2, capability_set
        sh_user = box.guest.run("mkdir -m 700 -p ~/.ssh && echo key > ~/.ssh/id && chmod 000 ~/.ssh/id",
                                as_guest=False)
        assert sh_user.exit_code == 0, sh_user.stderr
        assert sh(box, "cat /home/user/.ssh/id") == "key\n"  # the final state as it is, whatever its modes
        assert box.guest.run("touch /home/user/.ssh/x").exit_code != 0  # never changed
        assert "Operation not permitted" in box.guest.run(f"kill -0 {guest_pid}").stderr  # nor the guest signalled
    # the desktop user can neither signal nor trace the guest
    assert "Operation not permitted" in box.guest.run(f"kill -0 {guest_pid}").stderr
    assert box.guest.run(f"cat /proc/{guest_pid}/environ").exit_code != 0


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a setuid-root program needs root on the host")
def test_a_setuid_root_program_does_not_make_the_desktop_user_root(box: Sandbox, desktop_image: str) -> None:
    planted = box.folder / "id-setuid"
    planted.write_bytes(box.guest.read_file("/usr/bin/id"))  # the image's own id(1)
    os.chown(planted, 0, 0)
    planted.chmod(0o4755)
    box.folder.chmod(0o711)  # for this probe only: the desktop user may reach the planted program
    try:
        inside = f"{GUEST_MOUNT}/id-setuid"
        assert sh(box, f"{inside} -u").strip() == "1000"  # no-new-privileges: the setuid bit is ignored
        su = box.guest.run("su -c 'id -u' root </dev/null", timeout=30)
        assert su.exit_code != 0 and su.stdout.strip() != "0"
        # the control: the same program in a container of the same image *without* no-new-privileges is root
        control = docker_client().containers.run(
            desktop_image, ["-u"], entrypoint="/x/id-setuid", user="1000:1000", network_mode="none",
            volumes={str(box.folder): {"bind": "/x", "mode": "ro"}}, labels=RUN_LABELS, remove=True)
        assert control.decode().strip() == "0"
    finally:
        planted.unlink()
        box.folder.chmod(0o700)


# ------------------------------------------------------------------ limits


def test_cpu_memory_and_pids_limits_are_in_force(box: Sandbox) -> None:
    limits = SandboxLimits()
    host_config = box.container.attrs["HostConfig"]
    assert host_config["NanoCpus"] == int(limits.cpus * 1e9)
    assert host_config["Memory"] == 2 * 1024**3
    assert host_config["PidsLimit"] == limits.pids
    assert cgroup_value(box, "pids.max", "pids/pids.max") == str(limits.pids)
    assert cgroup_value(box, "memory.max", "memory/memory.limit_in_bytes") == str(2 * 1024**3)
    cpu = cgroup_value(box, "cpu.max", "cpu/cpu.cfs_quota_us").split()
    period = int(cpu[1]) if len(cpu) == 2 else int(cgroup_value(box, "cpu.max", "cpu/cpu.cfs_period_us"))
    assert int(cpu[0]) / period == limits.cpus


def test_fork_bomb_is_bounded_by_the_pids_limit_and_the_desktop_survives(desktop_image: str) -> None:
    with start_sandbox(desktop_image, labels=RUN_LABELS, limits=SandboxLimits(pids=128)) as bombed:
        already = int(cgroup_value(bombed, "pids.current", "pids/pids.current"))
        report = run_py(bombed, FORK_BOMB_PY, timeout=60)
        assert report["error"] == "EAGAIN"  # the kernel said no ...
        assert 128 - already - 10 <= report["forked"] <= 128 - already  # ... at the container's limit
        assert bombed.guest.health()["uid"] == GUEST_UID  # the guest still answers
        assert bombed.guest.screenshot().width == 1280
        assert int(cgroup_value(bombed, "pids.current", "pids/pids.current")) < 128 - 50  # all reaped
    assert subprocess.run(["true"], timeout=10).returncode == 0  # the host forks as ever


# ------------------------------------------------------------------ the guest socket's folder


def test_guest_socket_folder_is_private_to_each_episode(box: Sandbox, desktop_image: str) -> None:
    with start_sandbox(desktop_image, labels=RUN_LABELS) as other:
        folders = [box.folder, other.folder]
        assert folders[0] != folders[1]
        for sandbox in (box, other):
            info = sandbox.folder.stat()
            assert stat.S_IMODE(info.st_mode) == (0o700 if os.geteuid() == 0 else 0o1777)
            if os.geteuid() == 0:  # the guest's: the desktop user cannot enter it, rename or replace the socket
                assert (info.st_uid, info.st_gid) == (GUEST_UID, GUEST_UID)
                assert sandbox.guest.run(f"ls -A {GUEST_MOUNT}").exit_code != 0
            [mount] = [m for m in sandbox.container.attrs["Mounts"] if m["Destination"] == GUEST_MOUNT]
            assert Path(mount["Source"]) == sandbox.folder  # each desktop sees only its own folder
            assert sh(sandbox, f"ls -A {GUEST_MOUNT}", as_guest=True).split() == ["guest.sock"]
    assert not other.folder.exists()  # removed with its episode
    assert box.folder.exists()


# ------------------------------------------------------------------ the opt-in allowlist


@pytest.mark.parametrize("host_server", ["127.0.0.1"], indirect=True)
def test_allowlist_reaches_listed_hosts_only_through_the_proxy(
        desktop_image: str, host_server: int, caplog: pytest.LogCaptureFixture) -> None:
    networks_before = deskbench_networks()
    policy = EgressPolicy.of([f"localhost:{host_server}"])
    with caplog.at_level("INFO", logger="deskbench.egress"), \
            start_sandbox(desktop_image, labels=RUN_LABELS, egress=policy) as box:
        assert box.egress is not None and box.egress.running
        proxy, folder, container = box.egress, box.folder, box.container
        answers = run_py(box, PROXY_PY, str(PROXY_PORT), str(host_server))
        direct = run_py(box, CONNECT_PY, f"127.0.0.1:{host_server}", f"{bridge_gateway()}:{host_server}",
                        "1.1.1.1:443")
        env = dict(line.split("=", 1) for line in sh(box, "env").splitlines() if "=" in line)
        interfaces = sh(box, "ls /sys/class/net").split()
        decisions = proxy.decisions()
    assert answers["listed"] == [200, "hello /listed"]
    assert answers["listed_tunnel"] == [200, "hello /tunnelled"]
    assert answers["unlisted"] == [403, f"deskbench egress proxy: 127.0.0.1:{host_server} is not on this run's "
                                        f"allowlist (allowed: localhost:{host_server})\n"]
    assert answers["unlisted_tunnel"][0] == 0 and "403" in answers["unlisted_tunnel"][1]
    assert _Hello.seen == ["/listed", "/tunnelled"]  # only what the allowlist let through
    # going around the proxy gets nowhere: the container's own loopback, the host's bridge address, the internet
    assert "ConnectionRefusedError" in direct[f"127.0.0.1:{host_server}"]
    assert "unreachable" in direct[f"{bridge_gateway()}:{host_server}"].lower()
    assert "unreachable" in direct["1.1.1.1:443"].lower()
    assert interfaces == ["lo"]
    assert env["HTTPS_PROXY"] == env["http_proxy"] == f"http://127.0.0.1:{PROXY_PORT}"
    # every decision is kept (and logged) for the run's records
    assert [(d.method, d.host, d.port, d.allowed) for d in decisions] == [
        ("GET", "localhost", host_server, True), ("CONNECT", "localhost", host_server, True),
        ("GET", "127.0.0.1", host_server, False), ("CONNECT", "example.com", 443, False)]
    assert sum("egress denied" in r.getMessage() for r in caplog.records) == 2
    # and everything is gone afterwards: proxy, socket, folder, container; no network was ever made
    assert not proxy.running and not proxy.socket_path.exists() and not folder.exists()
    with pytest.raises(docker.errors.NotFound):
        docker_client().containers.get(str(container.id))
    assert deskbench_networks() == networks_before


def test_default_sandbox_has_no_proxy_and_no_proxy_variables(box: Sandbox) -> None:
    assert box.egress is None
    assert "proxy" not in sh(box, "env").lower()
