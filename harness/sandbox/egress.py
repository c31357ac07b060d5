"""Opt-in internet access for an episode: only the hosts a run names, through a proxy on the host.

By default a desktop has no network at all (``network_mode: none``).  With an
:class:`EgressPolicy` it *still* has no network interface but loopback.  The
harness runs an HTTP(S) forward proxy on the host, listening on a Unix socket
in the episode's private folder (next to the guest socket), and a small relay
inside the container (:mod:`harness.guestcode.relay`, started through the guest)
listens on ``127.0.0.1:3128`` and hands every connection to that socket.
``HTTP_PROXY``/``HTTPS_PROXY`` (and the lower-case forms) point at the relay.
The proxy tunnels ``CONNECT host:port`` (https) and forwards absolute-URI
requests (``GET http://host/...``) to listed hosts only; anything else is
answered 403 with the reason, and every decision is kept for the run's records.

Why not a Docker network?  Measured on Docker 20.10: a container on an
``internal`` bridge network still gets a default route to the host and reaches
every host service bound to 0.0.0.0 -- through the bridge's gateway and
through docker0's address alike.  Closing that hole needs host firewall rules
(root, iptables or nftables, rules that outlive a killed harness).  Through a
Unix socket there is no route to anything: the proxy is the only way out, so
the allowlist is the whole truth, and there is no network object to leak.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import socketserver
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness import guestcode
from harness.errors import ConfigError, SandboxError
from harness.sandbox.guest import GuestClient

logger = logging.getLogger("deskbench.egress")

#: the port the relay listens on inside the container (its own loopback: it conflicts with nothing)
PROXY_PORT = 3128
#: the proxy's socket in the episode's private folder
SOCKET_NAME = "egress.sock"
#: a bare host name allows the web's ports only; ``host:port`` or ``host:*`` say otherwise
WEB_PORTS = (80, 443)
MAX_HEAD = 64 * 1024
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authorization",
                        "proxy-authenticate", "te", "trailer", "upgrade"})
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class AllowRule:
    """One allowlist entry: a host name or IP (``*.name``: its subdomains, not itself) and its ports (None: any)."""

    host: str
    ports: tuple[int, ...] | None = WEB_PORTS
    subdomains: bool = False

    @classmethod
    def parse(cls, text: str) -> AllowRule:
        """``example.com`` (ports 80, 443), ``example.com:8080``, ``example.com:*``, ``*.example.com``,
        ``10.0.0.5:8000``, ``[::1]:8080``; a URL or a path is refused with a hint rather than guessed at."""
        entry = text.strip().lower()
        if not entry or "/" in entry or "@" in entry or " " in entry:
            raise ConfigError(f"allowed host {text!r} must be a host name or host:port (no scheme, path or user)")
        host, ports = _split_port(entry, text)
        subdomains = host.startswith("*.")
        if subdomains:
            host = host[2:]
        host = host.rstrip(".")
        if not _valid_host(host):
            raise ConfigError(f"allowed host {text!r}: {host!r} is not a host name or IP address")
        return cls(host, ports, subdomains)

    def matches(self, host: str, port: int) -> bool:
        name = normalize_host(host)
        if self.ports is not None and port not in self.ports:
            return False
        return name.endswith("." + self.host) if self.subdomains else name == self.host

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        host = f"*.{host}" if self.subdomains else host
        if self.ports == WEB_PORTS:
            return host
        return f"{host}:*" if self.ports is None else f"{host}:{self.ports[0]}"


def _split_port(entry: str, original: str) -> tuple[str, tuple[int, ...] | None]:
    """Host and ports of an allowlist entry; a bare IPv6 address (several colons) has no port."""
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket:
            raise ConfigError(f"allowed host {original!r}: expected [address] or [address]:port")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ConfigError(f"allowed host {original!r}: expected [address]:port")
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:
        host, port_text = entry, None
    if port_text is None:
        return host, WEB_PORTS
    if port_text == "*":
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"allowed host {original!r}: {port_text!r} is not a port (1-65535 or *)")
    return host, (int(port_text),)


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return len(host) <= 253 and all(_LABEL.match(label) for label in labels)


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, no IPv6 brackets: the form rules and requests are compared in."""
    return host.strip().lower().strip("[]").rstrip(".")


@dataclass(frozen=True)
class EgressPolicy:
    """The hosts an episode may reach; everything else is refused (an empty allowlist refuses all)."""

    rules: tuple[AllowRule, ...] = ()

    @classmethod
    def of(cls, hosts: Iterable[str]) -> EgressPolicy:
        """A policy from ``--allow-host`` style strings (duplicates collapse; order does not matter)."""
        unique = {str(rule): rule for rule in (AllowRule.parse(h) for h in hosts)}
        return cls(tuple(unique[key] for key in sorted(unique)))

    @property
    def hosts(self) -> tuple[str, ...]:
        """The canonical allowlist, sorted: what a manifest records and compares on resume."""
        return tuple(str(rule) for rule in self.rules)

    def decide(self, host: str, port: int) -> tuple[bool, str]:
        """(allowed, why), the why naming the rule that allowed it or the allowlist that did not."""
        for rule in self.rules:
            if rule.matches(host, port):
                return True, f"allowed by {rule}"
        listed = ", ".join(self.hosts) or "nothing"
        return False, f"{normalize_host(host)}:{port} is not on this run's allowlist (allowed: {listed})"


def proxy_environment() -> dict[str, str]:
    """The container's environment that sends HTTP clients to the relay (loopback stays direct)."""
    url = f"http://127.0.0.1:{PROXY_PORT}"
    direct = "localhost,127.0.0.1,::1"
    return {"DESKBENCH_PROXY": url, "HTTP_PROXY": url, "HTTPS_PROXY": url, "http_proxy": url,
            "https_proxy": url, "NO_PROXY": direct, "no_proxy": direct}


def start_relay(guest: GuestClient, proxy_socket: str, timeout: float = 20.0) -> None:
    """Start the in-container relay to ``proxy_socket`` (a path inside the container); returns once it listens."""
    result = guest.run(["python3", "-I", "-c", guestcode.source("relay"), str(PROXY_PORT), proxy_socket], shell=False,
                       timeout=timeout, as_guest=True)  # the guest's user: the desktop can neither kill nor bypass it
    if result.exit_code != 0 or result.stdout.strip() != "ready":
        raise SandboxError(f"the egress relay did not start in the desktop (exit {result.exit_code}"
                           f"{', timed out' if result.timed_out else ''}): {(result.stderr or result.stdout)[-300:]}")


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class EgressDecision:
    """What the proxy did with one request: a run records these (allowed and denied alike)."""

    at: float  # Unix time
    method: str  # CONNECT for https tunnels, else the HTTP method
    host: str
    port: int
    allowed: bool
    reason: str
    error: str | None = None  # allowed, but the host could not be reached

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- the proxy


class _Refusal(Exception):
    """A request answered with an error status instead of being forwarded."""

    def __init__(self, status: int, phrase: str, message: str) -> None:
        super().__init__(message)
        self.status, self.phrase, self.message = status, phrase, message


@dataclass
class _Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    rest: bytes  # bytes after the head (a body, or the first bytes of a tunnel)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    proxy: EgressProxy


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        server.proxy.serve_client(self.request)


class EgressProxy:
    """A threaded HTTP(S) forward proxy on a Unix socket that enforces ``policy`` and logs every decision."""

    def __init__(self, policy: EgressPolicy, socket_path: Path, *, owner_uid: int | None = None,
                 connect_timeout: float = 10.0, idle_timeout: float = 300.0, max_clients: int = 256,
                 on_decision: Callable[[EgressDecision], None] | None = None) -> None:
        self.policy = policy
        self.socket_path = socket_path
        self.owner_uid = owner_uid  # who may connect (the desktop user) when the host runs as root
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout  # a client or tunnel silent this long is closed
        self.on_decision = on_decision
        self._decisions: list[EgressDecision] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = False
        # each client is a thread on the host: a desktop opening connections without end must not exhaust it
        self._slots = threading.BoundedSemaphore(max_clients)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> EgressProxy:
        """Listen on the socket (only the desktop user and the host's user can connect) and serve in a thread."""
        server = _Server(str(self.socket_path), _Handler)
        server.proxy = self
        self._grant_access()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="egress-proxy", daemon=True)
        self._thread.start()
        return self

    def _grant_access(self) -> None:
        if self.owner_uid is not None and os.geteuid() == 0:
            os.chown(self.socket_path, self.owner_uid, self.owner_uid)
            self.socket_path.chmod(0o600)
        else:  # the folder it is in is private to the episode; the desktop's uid differs from ours
            self.socket_path.chmod(0o666)

    def stop(self) -> None:
        """Stop accepting, cut every open connection and tunnel, remove the socket (again: nothing to do)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            self._stopped = True
            for sock in list(self._open):
                _close(sock)
            self._open.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.socket_path.unlink(missing_ok=True)

    def __enter__(self) -> EgressProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def decisions(self) -> list[EgressDecision]:
        """Every decision so far, oldest first (a copy)."""
        with self._lock:
            return list(self._decisions)

    # -- one client connection (in its own thread)
    def serve_client(self, client: socket.socket) -> None:
        if not self._slots.acquire(blocking=False):
            _send_refusal(client, _Refusal(503, "Service Unavailable", "deskbench egress proxy: too many connections"))
            return
        try:
            self._track(client)
            client.settimeout(self.idle_timeout)
            request = _read_request(client)
            if request is None:
                return  # connected and went away without a request (a readiness probe)
            self._forward(client, request)
        except _Refusal as refusal:
            _send_refusal(client, refusal)
        except OSError:
            pass  # the client went away, or the proxy stopped; nothing to answer
        finally:
            self._untrack(client)
            self._slots.release()

    def _forward(self, client: socket.socket, request: _Request) -> None:
        method, host, port = _destination(request)
        allowed, reason = self.policy.decide(host, port)
        if not allowed:
            self._record(EgressDecision(time.time(), method, normalize_host(host), port, False, reason))
            raise _Refusal(403, "Forbidden", f"deskbench egress proxy: {reason}")
        try:
            upstream = socket.create_connection((host, port), timeout=self.connect_timeout)
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
            self._record(EgressDecision(time.time(), method, normalize_host(host), port, True, reason, error))
            raise _Refusal(502, "Bad Gateway", f"deskbench egress proxy: cannot reach {host}:{port} ({error})"
                           ) from None
        self._record(EgressDecision(time.time(), method, normalize_host(host), port, True, reason))
        self._track(upstream)
        try:
            upstream.settimeout(self.idle_timeout)
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                upstream.sendall(request.rest)
            else:
                upstream.sendall(_origin_form(request, host, port))
            _splice(client, upstream)
        finally:
            self._untrack(upstream)

    def _record(self, decision: EgressDecision) -> None:
        with self._lock:
            self._decisions.append(decision)
        logger.info("egress %s %s %s:%d: %s%s", "allowed" if decision.allowed else "denied", decision.method,
                    decision.host, decision.port, decision.reason, f" ({decision.error})" if decision.error else "")
        if self.on_decision is not None:
            self.on_decision(decision)

    def _track(self, sock: socket.socket) -> None:
        """Remember an open socket so that stop() can cut it; after stop() no new one may live."""
        with self._lock:
            if not self._stopped:
                self._open.add(sock)
                return
        _close(sock)
        raise OSError("the egress proxy has stopped")

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        _close(sock)


# --------------------------------------------------------------------------- HTTP plumbing


def _read_request(client: socket.socket) -> _Request | None:
    """The request line and headers (bounded); None when the client closes before sending anything."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            if not data:
                return None
            raise _Refusal(400, "Bad Request", "deskbench egress proxy: the request ended inside its head")
        data += chunk
        if len(data) > MAX_HEAD:
            raise _Refusal(431, "Request Header Fields Too Large", "deskbench egress proxy: request head too large")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _Refusal(400, "Bad Request", f"deskbench egress proxy: not an HTTP request line: {lines[0][:100]!r}")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
    return _Request(parts[0].upper(), parts[1], parts[2], headers, rest)


def _destination(request: _Request) -> tuple[str, str, int]:
    """(method, host, port) a request wants: ``CONNECT host:port`` or an absolute ``http://`` URI."""
    if request.method == "CONNECT":
        host, sep, port = request.target.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise _Refusal(400, "Bad Request", f"deskbench egress proxy: CONNECT needs host:port, got "
                                               f"{request.target[:100]!r}")
        return "CONNECT", host.strip("[]"), int(port)
    url = urllib.parse.urlsplit(request.target)
    if url.scheme != "http" or not url.hostname:
        raise _Refusal(400, "Bad Request", "deskbench egress proxy: expected an absolute http:// URI or CONNECT "
                                           f"(https), got {request.method} {request.target[:100]!r}")
    try:
        url_port = url.port or 80
    except ValueError:
        raise _Refusal(400, "Bad Request", f"deskbench egress proxy: bad port in {request.target[:100]!r}") from None
    return request.method, url.hostname, url_port


def _origin_form(request: _Request, host: str, port: int) -> bytes:
    """The request as the origin server expects it: a path, no proxy headers, one request per connection."""
    url = urllib.parse.urlsplit(request.target)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", host if port == 80 else f"{host}:{port}"))
    lines = [f"{request.method} {path} {request.version}", *(f"{k}: {v}" for k, v in headers), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1") + request.rest


def _send_refusal(client: socket.socket, refusal: _Refusal) -> None:
    body = (refusal.message + "\n").encode()
    head = (f"HTTP/1.1 {refusal.status} {refusal.phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\nX-Deskbench-Egress: refused\r\n\r\n")
    try:
        client.sendall(head.encode() + body)
    except OSError:
        pass


def _splice(client: socket.socket, upstream: socket.socket) -> None:
    """Copy both ways until the upstream side is done; the client's end-of-input is passed on as a half-close."""
    outbound = threading.Thread(target=_pump, args=(client, upstream), name="egress-out", daemon=True)
    outbound.start()
    _pump(upstream, client)
    _close(upstream)  # ends the other direction too
    _close(client)
    outbound.join(timeout=5)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
