"""A stand-in for the file hosts OSWorld tasks download from, served on loopback.

It speaks plain HTTP/1.1 the way the real hosts do, with the misbehaviour
the downloader must survive, chosen by path:

- ``/files/NAME?size=N&delay=MS``: N deterministic bytes after MS ms (a distant host's latency); honours ``Range``.
- ``/redirect/K/NAME?size=N``: K redirects (302), then the file.
- ``/uc?id=NAME&export=download&size=N``: Google Drive's large-file warning page, whose
  ``download-form`` leads to ``/download?id=NAME&export=download&confirm=t&uuid=...``.
- ``/flaky/NAME?size=N&fail=F``: 503 (with ``Retry-After: 0``) F times, then the file.
- ``/cut/NAME?size=N``: the first answer promises N bytes and closes halfway; resumes honour ``Range``.
- ``/changing/NAME?size=N``: like ``cut``, but the file changes on the server after the first answer
  (a new ETag): a resume with the old ``If-Range`` gets the new version whole.
- ``/html/NAME``: a 200 sign-in page in HTML.
- anything else: 404.

``FileHost.requests`` keeps each request's path and Range header, so tests
can tell a resume from a restart.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

HOST_PREFIX = "https://files.deskbench.test"  # the "real" URL prefix tasks name; mapped to loopback


def content(name: str, size: int) -> bytes:
    """Deterministic text for a file (a name's hash in hex, repeated): tests and the server agree on it."""
    seed = hashlib.sha256(name.encode()).hexdigest().encode()
    return (seed * (size // len(seed) + 1))[:size]


def etag(name: str) -> str:
    """The version tag the stand-in gives a file (a strong ETag)."""
    return '"' + hashlib.sha256(name.encode()).hexdigest()[:16] + '"'


@dataclass
class FileHost:
    port: int = 0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mirrors(self) -> str:
        """The ``DESKBENCH_MIRRORS`` value that sends the task URLs here."""
        return f"{HOST_PREFIX}={self.base}"

    def count(self, key: str) -> int:
        """How many times ``key`` was asked for before this time."""
        with self.lock:
            seen = self.counters.get(key, 0)
            self.counters[key] = seen + 1
            return seen


def _handler(host: FileHost) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with host.lock:
                host.requests.append((self.path, self.headers.get("Range")))
            words = parts.path.strip("/").split("/")
            size = int(query.get("size", "1024"))
            route = words[0]
            if route == "files" and len(words) == 2:
                time.sleep(int(query.get("delay", "0")) / 1000)
                self._file(words[1], size)
            elif route == "redirect" and len(words) == 3:
                left = int(words[1])
                target = f"/redirect/{left - 1}/{words[2]}" if left > 1 else f"/files/{words[2]}"
                self._redirect(f"{target}?size={size}")
            elif route == "uc":
                self._drive_warning(query["id"], size)
            elif route == "download" and query.get("confirm") == "t" and query.get("uuid") == "u-1":
                self._file(query["id"], size)
            elif route == "flaky" and len(words) == 2:
                if host.count(self.path) < int(query.get("fail", "1")):
                    self._send(503, b"busy", "text/plain", {"Retry-After": "0"})
                else:
                    self._file(words[1], size)
            elif route == "cut" and len(words) == 2:
                if host.count(parts.path) == 0:
                    self._cut(words[1], size)
                else:
                    self._file(words[1], size)
            elif route == "changing" and len(words) == 2:
                if host.count(parts.path) == 0:
                    self._cut(words[1] + "-v1", size)
                else:
                    self._file(words[1] + "-v2", size)
            elif route == "html":
                self._send(200, b"<!DOCTYPE html><html><head><title>Sign in - Files</title></head>"
                                b"<body>Please sign in</body></html>", "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _file(self, name: str, size: int) -> None:
            data = content(name, size)
            wanted = self.headers.get("Range")
            unchanged = self.headers.get("If-Range") in (None, etag(name))
            if wanted and wanted.startswith("bytes=") and wanted.endswith("-") and unchanged:
                start = int(wanted[6:-1])
                if start >= len(data):
                    self._send(416, b"", "text/plain", {"Content-Range": f"bytes */{len(data)}"})
                    return
                self._send(206, data[start:], "application/octet-stream",
                           {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}", "Accept-Ranges": "bytes",
                            "ETag": etag(name)})
                return
            self._send(200, data, "application/octet-stream", {"Accept-Ranges": "bytes", "ETag": etag(name)})

        def _cut(self, name: str, size: int) -> None:
            data = content(name, size)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag(name))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True

        def _drive_warning(self, file_id: str, size: int) -> None:
            page = ("<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>"
                    "<p>Google Drive can't scan this file for viruses.</p>"
                    '<form id="download-form" action="/download" method="get">'
                    '<input type="submit" value="Download anyway">'
                    f'<input type="hidden" name="id" value="{file_id}">'
                    '<input type="hidden" name="export" value="download">'
                    '<input type="hidden" name="confirm" value="t">'
                    '<input type="hidden" name="uuid" value="u-1">'
                    f'<input type="hidden" name="size" value="{size}">'
                    "</form></body></html>").encode()
            self._send(200, page, "text/html; charset=utf-8")

    return Handler


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client closing a kept-alive connection, or the cut route's own close: expected here


@contextmanager
def serve_files() -> Iterator[FileHost]:
    """Run the stand-in on a free loopback port in a thread; yields it."""
    host = FileHost()
    server = _QuietServer(("127.0.0.1", 0), _handler(host))
    host.port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
