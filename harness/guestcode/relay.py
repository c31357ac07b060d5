"""The in-container half of the egress proxy: ``127.0.0.1:PORT`` relayed to the proxy's Unix socket.

This file is not imported inside the container: its source is sent through
the guest and run by the image's own ``python3 -c`` (standard library only,
Python 3.9+), so no image has to ship it.  It binds first, then detaches
(its own session, output discarded) and tells its parent, which prints
``ready`` and exits: one guest command both starts it and proves it listens.
It passes bytes and nothing else -- the allowlist is enforced on the host, so
a desktop user who kills or replaces the relay gains nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Bytes one way until end of input, which is passed on as a half-close."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def _relay(target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One client connection joined to one connection to the proxy's socket."""
    try:
        up_reader, up_writer = await asyncio.open_unix_connection(target)
    except OSError:
        writer.close()
        return
    try:
        await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
    finally:
        for end in (writer, up_writer):
            end.close()


async def _serve(listener: socket.socket, target: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _relay(target, reader, writer)

    server = await asyncio.start_server(handle, sock=listener)
    async with server:
        await server.serve_forever()


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    return listener


def _detach() -> None:
    """Leave the guest command's session and pipes, so the command returns while the relay runs on."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: list[str]) -> None:
    """``relay.py PORT SOCKET``: listen on 127.0.0.1:PORT, then run in the background until killed."""
    port, target = int(argv[1]), argv[2]
    listener = _listen(port)
    ready_read, ready_write = os.pipe()
    if os.fork() > 0:  # the parent waits until the child has let go of the command's pipes
        os.close(ready_write)
        os.read(ready_read, 1)
        print("ready", flush=True)
        os._exit(0)
    os.close(ready_read)
    _detach()
    os.write(ready_write, b"1")
    os.close(ready_write)
    asyncio.run(_serve(listener, target))


if __name__ == "__main__":
    main(sys.argv)
