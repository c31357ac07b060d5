"""The egress allowlist and its proxy, on the host alone (no containers): parsing, decisions, forwarding,
refusals with reasons, the decision log, and a clean stop.  The same proxy inside an episode is tested
in tests/test_isolation.py."""

from __future__ import annotations

import http.client
import http.server
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.sandbox.egress import AllowRule, EgressPolicy, EgressProxy, proxy_environment

from .web_support import HelloHandler, serve


class _Hello(HelloHandler):
    """Remembers each request line with the Host header it saw and any proxy header left in it."""

    def describe(self) -> str:
        return f"{self.command} {self.path} host={self.headers.get('Host')} proxy={self.headers.get('Proxy-Connection')}"


@pytest.fixture
def origin() -> Iterator[int]:
    """A local web server on 127.0.0.1; yields its port."""
    with serve(_Hello) as port:
        yield port


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short folder: a Unix socket path must stay under ~100 bytes, pytest's tmp_path can be longer."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="egress-") as folder:
        yield Path(folder)


class _UnixHTTP(http.client.HTTPConnection):
    """An HTTP client whose "proxy" is the proxy's Unix socket (as the relay inside a desktop makes it)."""

    def __init__(self, path: Path) -> None:
        super().__init__("proxy", timeout=10)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock
        if getattr(self, "_tunnel_host", None):  # what HTTPConnection.connect does after connecting
            getattr(self, "_tunnel")()  # noqa: B009 (a private method of http.client)


def fetch(path: Path, target: str, tunnel: tuple[str, int] | None = None) -> tuple[int, str]:
    conn = _UnixHTTP(path)
    if tunnel is not None:
        conn.set_tunnel(*tunnel)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


# ------------------------------------------------------------------ the allowlist


@pytest.mark.parametrize(("text", "host", "port", "allowed"), [
    ("example.com", "example.com", 443, True),
    ("example.com", "EXAMPLE.com.", 80, True),
    ("example.com", "example.com", 22, False),  # a bare name is the web's ports only
    ("example.com", "www.example.com", 443, False),
    ("*.example.com", "www.example.com", 443, True),
    ("*.example.com", "example.com", 443, False),
    ("*.example.com", "evilexample.com", 443, False),
    ("example.com:8080", "example.com", 8080, True),
    ("example.com:8080", "example.com", 443, False),
    ("example.com:*", "example.com", 22, True),
    ("10.0.0.5:8000", "10.0.0.5", 8000, True),
    ("[::1]:8080", "::1", 8080, True),
    ("localhost:5000", "127.0.0.1", 5000, False),  # names are compared as given: an address is not its name
])
def test_rules_match_names_and_ports(text: str, host: str, port: int, allowed: bool) -> None:
    assert AllowRule.parse(text).matches(host, port) is allowed


@pytest.mark.parametrize("text", ["https://example.com", "example.com/path", "user@example.com", "", "exa mple.com",
                                  "example.com:0", "example.com:99999", "example.com:http", "bad_host!", "[::1"])
def test_entries_that_are_not_hosts_are_refused_with_the_entry_named(text: str) -> None:
    with pytest.raises(ConfigError, match="allowed host"):
        AllowRule.parse(text)


def test_policy_is_canonical_and_says_why() -> None:
    policy = EgressPolicy.of(["Example.com", "example.com", "api.test:8443", "*.cdn.test:*"])
    assert policy.hosts == ("*.cdn.test:*", "api.test:8443", "example.com")
    assert EgressPolicy.of(reversed(policy.hosts)) == policy  # order-free: a resume compares it
    assert policy.decide("example.com", 443) == (True, "allowed by example.com")
    allowed, why = policy.decide("other.test", 443)
    assert not allowed and why == ("other.test:443 is not on this run's allowlist "
                                   "(allowed: *.cdn.test:*, api.test:8443, example.com)")
    assert EgressPolicy.of([]).decide("example.com", 443)[0] is False


def test_container_environment_points_every_http_client_at_the_relay() -> None:
    env = proxy_environment()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "DESKBENCH_PROXY"):
        assert env[name] == "http://127.0.0.1:3128"
    assert env["no_proxy"] == env["NO_PROXY"] == "localhost,127.0.0.1,::1"


# ------------------------------------------------------------------ the proxy


def test_listed_host_is_forwarded_over_http_and_through_a_connect_tunnel(origin: int, short_tmp: Path) -> None:
    with EgressProxy(EgressPolicy.of([f"localhost:{origin}"]), short_tmp / "p.sock") as proxy:
        assert fetch(proxy.socket_path, f"http://localhost:{origin}/a?b=1") == (200, "hello /a?b=1")
        assert fetch(proxy.socket_path, "/tunnelled", tunnel=("localhost", origin)) == (200, "hello /tunnelled")
        decisions = proxy.decisions()
    # the origin sees an origin-form request without the proxy's headers
    assert _Hello.seen == [f"GET /a?b=1 host=localhost:{origin} proxy=None",
                           f"GET /tunnelled host=localhost:{origin} proxy=None"]
    assert [(d.method, d.host, d.port, d.allowed) for d in decisions] == [
        ("GET", "localhost", origin, True), ("CONNECT", "localhost", origin, True)]


def test_unlisted_host_is_refused_with_403_and_the_reason_logged(
        origin: int, short_tmp: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    policy = EgressPolicy.of([f"localhost:{origin}"])
    with caplog.at_level(logging.INFO, logger="deskbench.egress"), \
            EgressProxy(policy, short_tmp / "p.sock", on_decision=lambda d: seen.append(d.host)) as proxy:
        status, text = fetch(proxy.socket_path, f"http://127.0.0.1:{origin}/x")
        with pytest.raises(OSError, match="403"):
            fetch(proxy.socket_path, "/", tunnel=("example.com", 443))
        decisions = proxy.decisions()
    assert status == 403
    assert text == (f"deskbench egress proxy: 127.0.0.1:{origin} is not on this run's allowlist "
                    f"(allowed: localhost:{origin})\n")
    assert _Hello.seen == []  # nothing reached the origin
    assert [(d.method, d.host, d.port, d.allowed) for d in decisions] == [
        ("GET", "127.0.0.1", origin, False), ("CONNECT", "example.com", 443, False)]
    assert seen == ["127.0.0.1", "example.com"]
    assert [r.getMessage() for r in caplog.records] == [f"egress denied {d.method} {d.host}:{d.port}: {d.reason}"
                                                         for d in decisions]


def test_requests_a_proxy_cannot_forward_get_400(short_tmp: Path) -> None:
    with EgressProxy(EgressPolicy.of(["example.com"]), short_tmp / "p.sock") as proxy:
        assert fetch(proxy.socket_path, "/relative")[0] == 400  # not an absolute URI
        assert fetch(proxy.socket_path, "https://example.com/")[0] == 400  # https goes through CONNECT
        assert proxy.decisions() == []


def test_allowed_host_that_cannot_be_reached_gets_502_and_the_error_is_recorded(short_tmp: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with EgressProxy(EgressPolicy.of([f"localhost:{port}"]), short_tmp / "p.sock") as proxy:
        status, text = fetch(proxy.socket_path, f"http://localhost:{port}/")
        [decision] = proxy.decisions()
    assert status == 502 and "cannot reach" in text
    assert decision.allowed and decision.error is not None and "refused" in decision.error.lower()


def test_stop_closes_open_tunnels_and_removes_the_socket(origin: int, short_tmp: Path) -> None:
    proxy = EgressProxy(EgressPolicy.of([f"localhost:{origin}"]), short_tmp / "p.sock").start()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(5)
    client.connect(str(proxy.socket_path))
    client.sendall(f"CONNECT localhost:{origin} HTTP/1.1\r\n\r\n".encode())
    assert client.recv(100).startswith(b"HTTP/1.1 200")
    proxy.stop()
    assert client.recv(100) == b""  # the tunnel was cut
    client.close()
    assert not proxy.running and not proxy.socket_path.exists()


def test_connections_beyond_the_limit_are_refused_so_a_desktop_cannot_exhaust_the_host(short_tmp: Path) -> None:
    with EgressProxy(EgressPolicy.of(["example.com"]), short_tmp / "p.sock", max_clients=1) as proxy:
        holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        holder.connect(str(proxy.socket_path))  # holds the only slot: says nothing
        try:
            status, text = 0, ""
            for _ in range(50):  # the holder's thread takes its slot as soon as it runs
                status, text = fetch(proxy.socket_path, "http://unlisted.test/")
                if status == 503:
                    break
            assert (status, text) == (503, "deskbench egress proxy: too many connections\n")
        finally:
            holder.close()
