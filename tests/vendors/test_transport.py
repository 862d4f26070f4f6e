"""The pool under the vendor clients (gateway/vendors/transport.py), against real sockets on
loopback that misbehave the ways a vendor can: both transports must fail with the same httpx
errors, because the retry policy and the error codes are read off them."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from gateway.core.domain import Vendor
from gateway.vendors.factory import http_clients
from gateway.vendors.retry import error_reason
from gateway.vendors.transport import DirectClient, UndecodableAnswer, read_capped

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
TRANSPORTS = ["aiohttp", "httpcore"]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


async def _close_silently(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.close()


async def _not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"SURPRISE\r\n\r\n")
    await writer.drain()
    writer.close()


async def _cut_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    writer.write(b'{"invoi')
    await writer.drain()
    writer.close()


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    sock = writer.get_extra_info("socket")
    # Linger 0: close() sends RST, the way a crashed peer or a middlebox drops a connection.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await asyncio.sleep(5)
    writer.close()


async def _answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, extra: bytes, body: bytes
) -> None:
    while True:
        try:
            head = await _read_request(reader)
        except asyncio.IncompleteReadError:
            return
        echoed = b"yes" if b"\r\ncookie:" in head.lower() else b"no"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + extra
            + b"X-Cookie-Seen: "
            + echoed
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        await writer.drain()


async def _sets_cookie(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _answer(reader, writer, b"Set-Cookie: session=caller-one; Path=/\r\n", b"{}")


async def _gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _answer(reader, writer, b"Content-Encoding: gzip\r\n", gzip.compress(b'{"id": "101"}'))


@contextlib.asynccontextmanager
async def _served(behaviour: Behaviour) -> AsyncIterator[str]:
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await behaviour(reader, writer)
        finally:
            writer.transport.abort()  # every connection ends with its handler

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


def _client(transport: str, seconds: float = 5) -> httpx.AsyncClient:
    vendor = Vendor("kantata", "Kantata")
    return http_clients([vendor], seconds, transport)[vendor]


# Each misbehaviour and the retry reasons it may surface as (None: not retried), named
# after the httpx error.
MISBEHAVIOURS = [
    (_close_silently, {"remote_protocol_error"}),
    (_not_http, {"remote_protocol_error"}),
    # Which of the two a cut or a reset surfaces as depends on timing; both retry.
    (_cut_body, {"remote_protocol_error", "read_error"}),
    (_reset, {"remote_protocol_error", "read_error"}),
    (_stall, {None}),  # a read timeout: the call's time is spent
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("behaviour", "reasons"), MISBEHAVIOURS)
async def test_a_misbehaving_vendor_fails_with_the_same_httpx_error_on_both_transports(
    transport: str, behaviour: Behaviour, reasons: set[str | None]
) -> None:
    async with _served(behaviour) as origin:
        client = _client(transport, seconds=0.5)
        async with client:
            with pytest.raises(httpx.TransportError) as caught:
                await client.put(f"{origin}/invoices/101", content=b'{"invoice": {}}')
    assert error_reason(caught.value) in reasons, repr(caught.value)
    if None in reasons:
        assert isinstance(caught.value, httpx.ReadTimeout), repr(caught.value)
    assert caught.value.request.url.path == "/invoices/101"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_connection_is_a_connect_error(transport: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        async with _client(transport) as client:
            with pytest.raises(httpx.ConnectError) as caught:
                await client.get(f"http://127.0.0.1:{port}/invoices")
    assert error_reason(caught.value) == "connect_error"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_cookies_a_vendor_sets_never_ride_along_with_the_next_call(transport: str) -> None:
    async with _served(_sets_cookie) as origin, _client(transport) as client:
        first = await client.get(f"{origin}/invoices")
        second = await client.get(f"{origin}/invoices")
    assert first.headers["set-cookie"].startswith("session=")
    assert second.headers["x-cookie-seen"] == "no"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_compressed_answer_is_decoded_once(transport: str) -> None:
    async with _served(_gzipped) as origin, _client(transport) as client:
        response = await client.get(f"{origin}/invoices/101")
    assert response.json() == {"id": "101"}


# --- aiohttp called past httpx (DirectClient.exchange, what Upstream uses untraced) ------


def _direct(seconds: float = 5) -> DirectClient:
    client = _client("aiohttp", seconds)
    assert isinstance(client, DirectClient)
    return client


async def _exchange(client: DirectClient, url: str, method: str = "GET") -> tuple[int, bytes]:
    content = b'{"invoice": {}}' if method == "PUT" else None
    response, body = await client.exchange(method, url, (), content, {}, 1_000_000)
    return response.status_code, body


@pytest.mark.parametrize(("behaviour", "reasons"), MISBEHAVIOURS)
async def test_past_httpx_a_misbehaving_vendor_fails_with_the_same_httpx_error(
    behaviour: Behaviour, reasons: set[str | None]
) -> None:
    async with _served(behaviour) as origin, _direct(seconds=0.5) as client:
        with pytest.raises(httpx.TransportError) as caught:
            await _exchange(client, f"{origin}/invoices/101", "PUT")
    assert error_reason(caught.value) in reasons, repr(caught.value)
    if None in reasons:
        assert isinstance(caught.value, httpx.ReadTimeout), repr(caught.value)


async def test_past_httpx_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        async with _direct() as client:
            with pytest.raises(httpx.ConnectError) as caught:
                await _exchange(client, f"http://127.0.0.1:{port}/invoices")
    assert error_reason(caught.value) == "connect_error"


async def test_past_httpx_no_cookie_rides_along_and_a_compressed_answer_is_decoded_once() -> None:
    async with _served(_sets_cookie) as origin, _direct() as client:
        await _exchange(client, f"{origin}/invoices")
        second, _ = await client.exchange("GET", f"{origin}/invoices", (), None, {}, 1000)
    assert second.headers["x-cookie-seen"] == "no"
    async with _served(_gzipped) as origin, _direct() as client:
        status, body = await _exchange(client, f"{origin}/invoices/101")
    assert (status, body) == (200, b'{"id": "101"}')


async def test_past_httpx_the_vendor_gets_the_request_httpx_would_send() -> None:
    heads: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                heads.append(await _read_request(reader))
            except asyncio.IncompleteReadError:
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()

    params = (("include", "line_items,creator"), ("q", "a b&c/\u00e9"))
    headers = {"Authorization": "Bearer t", "Accept": "application/json"}
    async with _served(record) as origin, _direct() as client:
        url = f"{origin}/invoices/1 2"
        await client.exchange("GET", url, params, None, headers, 1000)
        await client.get(url, params=params, headers=headers)
    direct, over_httpx = (_fields(head) for head in heads)
    assert direct == over_httpx


def _fields(head: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """The request line, and the headers by lower-case name."""
    line, *rest = head.rstrip(b"\r\n").split(b"\r\n")
    pairs = (field.split(b":", 1) for field in rest)
    return line, {name.strip().lower(): value.strip() for name, value in pairs}


@pytest.mark.parametrize("value", ["tok\u00e9n", "tok\u20acn"])
async def test_past_httpx_a_header_value_httpx_refuses_is_refused_the_same_way(value: str) -> None:
    async with _served(_sets_cookie) as origin, _direct() as client:
        with pytest.raises(UnicodeEncodeError):
            await client.get(f"{origin}/invoices", headers={"Authorization": value})
        with pytest.raises(UnicodeEncodeError):
            await client.exchange(
                "GET", f"{origin}/invoices", (), None, {"Authorization": value}, 9
            )


async def _gzip_named_twice(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    twice = b"Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n"
    await _answer(reader, writer, twice, gzip.compress(b"{}"))


async def test_past_httpx_headers_are_read_as_httpx_reads_them() -> None:
    # Two Content-Encoding fields are one list of two codings to httpx ("gzip, gzip"),
    # which the reader does not decode, whichever way the call went.
    async with _served(_gzip_named_twice) as origin, _direct() as client:
        with pytest.raises(UndecodableAnswer) as caught:
            await _exchange(client, f"{origin}/invoices")
        assert caught.value.response is not None
        assert caught.value.response.headers["content-encoding"] == "gzip, gzip"
        response = await client.send(client.build_request("GET", f"{origin}/invoices"), stream=True)
        with pytest.raises(UndecodableAnswer):
            await read_capped(response, 1000)
        await response.aclose()
