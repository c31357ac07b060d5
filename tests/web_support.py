"""A tiny web server on the host for the network tests: answers every GET with ``hello <path>``."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar


class HelloHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with its path; remembers what ``describe`` says of each request in ``seen``.

    Subclasses choose what to remember (the path, or also the headers a proxy forwarded) and get a
    ``seen`` list of their own.
    """

    seen: ClassVar[list[str]] = []

    def describe(self) -> str:
        return self.path

    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        self.seen.append(self.describe())
        body = f"hello {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@contextmanager
def serve(handler: type[HelloHandler], host: str = "127.0.0.1") -> Iterator[int]:
    """Serve ``handler`` on ``host`` (a free port) in a thread, its ``seen`` emptied; yields the port."""
    handler.seen = []
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
