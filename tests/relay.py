"""A relay between a loopback TCP port and a Unix socket, either way round: the way into a
process in a network namespace of its own (`unshare -rn`). Such a process has a loopback
of its own that no one outside reaches, but it shares the filesystem, so a socket's path.

    python tests/relay.py tcp-to-unix PORT PATH   # outside: 127.0.0.1:PORT → PATH
    python tests/relay.py unix-to-tcp PATH PORT   # inside:  PATH → 127.0.0.1:PORT

Standard library only: the inside end runs where nothing else may be importable."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

Connect = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


def _forwarder(
    connect: Connect,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            far_reader, far_writer = await connect()
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, far_writer), _pipe(far_reader, writer))

    return forward


async def _main(mode: str, source: str, target: str) -> None:
    if mode == "tcp-to-unix":
        server = await asyncio.start_server(
            _forwarder(lambda: asyncio.open_unix_connection(target)), "127.0.0.1", int(source)
        )
    elif mode == "unix-to-tcp":
        server = await asyncio.start_unix_server(
            _forwarder(lambda: asyncio.open_connection("127.0.0.1", int(target))), source
        )
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main(*sys.argv[1:4]))
