"""The shared HTTP plumbing, against a fake transport (the one place a fake belongs)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import tracemalloc
import urllib.parse
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from gateway.core.domain import UserKey, VendorClient
from gateway.core.errors import ErrorCode, GatewayError, Problem
from gateway.settings import Resilience
from gateway.vendors.base import ClientOptions, Credentials, VendorAdapter, VendorConfig
from gateway.vendors.factory import http_clients
from gateway.vendors.http import OutOfRange, Upstream, decode_json, encode_json
from gateway.vendors.kantata import errors as kantata_errors
from gateway.vendors.registry import default_registry

KANTATA = default_registry().adapter("kantata")
KITCHEN = default_registry().adapter("kitchen")


def client_of(
    adapter: VendorAdapter, http: httpx.AsyncClient, credentials: Credentials
) -> VendorClient:
    """The adapter's client with its default configuration (the real vendor's URL)."""
    return adapter.client(http, VendorConfig(), credentials, ClientOptions())


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"amount": Decimal("19.99")}, b'{"amount":19.99}'),
        ({"amount": Decimal("1250.50")}, b'{"amount":1250.50}'),
        ({"q": Decimal("0.1") + Decimal("0.2")}, b'{"q":0.3}'),
        ({"list": [1, None, True, "\u00e9"]}, b'{"list":[1,null,true,"\\u00e9"]}'),
    ],
)
def test_decimals_are_sent_as_their_exact_text(value: object, text: bytes) -> None:
    assert encode_json(value) == text


def test_non_finite_decimals_are_never_sent() -> None:
    with pytest.raises(ValueError):
        encode_json({"amount": Decimal("NaN")})


def test_numbers_are_read_as_exact_decimals() -> None:
    assert decode_json(b'{"a": 675.65, "b": 3}') == {"a": Decimal("675.65"), "b": 3}


async def test_kitchen_requests_carry_the_documented_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "u_1", "name": "A", "email": "a@example.com"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = client_of(KITCHEN, http, Credentials("kitchen-key", {"workspace": "acme"}))
        users = await client.fetch_users([UserKey("u_1", "member")])
    assert [u.name for u in users.values()] == ["A"]
    request = seen[0]
    assert str(request.url) == "https://acme.kitchen.co/api/members/u_1"
    assert request.headers["authorization"] == "Bearer kitchen-key"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-requested-with"] == "XMLHttpRequest"


async def test_error_messages_never_carry_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = client_of(KANTATA, http, Credentials("tok-secret-9"))
        with pytest.raises(GatewayError) as caught:
            await client.fetch_workspaces(["55"])
    assert caught.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "tok-secret-9" not in str(caught.value) and "tok-secret-9" not in repr(caught.value)


@pytest.mark.parametrize(
    ("adapter", "credentials", "code"),
    [
        (KANTATA, Credentials(None), ErrorCode.UNAUTHENTICATED),
        (KITCHEN, Credentials("k"), ErrorCode.UNAUTHENTICATED),
        (KITCHEN, Credentials(None, {"workspace": "demo"}), ErrorCode.UNAUTHENTICATED),
        (KITCHEN, Credentials("k", {"workspace": "Not.A.Slug"}), ErrorCode.INVALID_INPUT),
        (KITCHEN, Credentials("k", {"workspace": "demo\n"}), ErrorCode.INVALID_INPUT),
        (KANTATA, Credentials("t\u00f6ken"), ErrorCode.UNAUTHENTICATED),
    ],
)
async def test_missing_or_bad_credentials_fail_before_any_call(
    adapter: VendorAdapter, credentials: Credentials, code: ErrorCode
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no call may be made")

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(GatewayError) as caught:
            client_of(adapter, http, credentials)
    assert caught.value.code is code


# Numbers a vendor may send that no invoice holds


@pytest.mark.parametrize(
    "number",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e999999",
        "-1e999999",
        "1e99999999999999999999999",  # past what Decimal holds at all
        "1e31",
        "1e-31",
        "1" * 400,
        "-" + "9" * 31,
        "1." + "2" * 40,  # 41 significant digits
        "12345678901234567890123456789012.5",  # 1.2e31
    ],
)
def test_numbers_out_of_range_are_refused(number: str) -> None:
    with pytest.raises(OutOfRange):
        decode_json(f'{{"invoice": {{"amount": {number}}}}}'.encode())


@pytest.mark.parametrize(
    ("number", "value"),
    [
        ("1e30", Decimal("1e30")),
        ("1e-30", Decimal("1e-30")),
        ("9" * 30, int("9" * 30)),
        ("-" + "9" * 30, -int("9" * 30)),
        ("1." + "2" * 39, Decimal("1." + "2" * 39)),  # 40 significant digits
        ("0.0", Decimal("0.0")),
        ("0e-99", Decimal("0e-99")),  # zero is zero, whatever its exponent
        ("675.65", Decimal("675.65")),
    ],
)
def test_numbers_in_range_are_read_exactly(number: str, value: object) -> None:
    data = decode_json(f'{{"a": {number}, "id": "{"7" * 40}"}}'.encode())
    assert data == {"a": value, "id": "7" * 40}  # long digit runs in strings are fine
    assert type(data["a"]) is type(value)


# Upstream over a fake transport

TOKEN = "tok-3f9a/secret+key=="


def upstream(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    token: str = TOKEN,
    max_bytes: int = 4_000_000,
    **options: Any,
) -> Upstream:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return Upstream(
        http,
        vendor_label="Kantata",
        base_url="https://api.example.com/api/v1",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        read_errors=kantata_errors.error_messages,
        max_bytes=max_bytes,
        resilience=Resilience(retry_backoff=0.01, retry_after_cap=10),
        **options,
    )


class Stream(httpx.AsyncByteStream):
    """A body that arrives chunk by chunk, as from a socket; counts what was taken."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.taken = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            self.taken += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def gzip_bomb(megabytes: int) -> Iterator[bytes]:
    """`megabytes` MB of zeros, gzipped as it goes (about 1 KB per MB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    for _ in range(megabytes):
        if out := compressor.compress(zeros):
            yield out
    yield compressor.flush()


async def refusal(call: Awaitable[Any]) -> Problem:
    with pytest.raises(GatewayError) as caught:
        await call
    [problem] = caught.value.problems
    return problem


async def test_a_gzip_bomb_is_inflated_no_further_than_the_cap() -> None:
    seen: list[Stream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(Stream(gzip_bomb(200)))
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=seen[-1])

    tracemalloc.start()
    try:
        problem = await refusal(upstream(handler).request("GET", "/invoices/101"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert (
        problem.message == "Kantata answered more than 4000000 bytes; the gateway read no further"
    )
    assert peak < 40_000_000  # the cap is 4 MB; the bomb is 200 MB
    assert len(seen) == 1  # a GET, yet not retried
    assert seen[0].closed and seen[0].taken < 100_000  # ~1 KB of gzip per MB


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
async def test_a_compressed_answer_within_the_cap_is_decoded(coding: str) -> None:
    body = b'{"count": 1, "amount": 675.65, "notes": "' + b"n" * 200_000 + b'"}'
    wbits = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS, "raw-deflate": -15}[coding]
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = compressor.compress(body) + compressor.flush()
    chunks = [packed[i : i + 100] for i in range(0, len(packed), 100)]
    encoding = "deflate" if coding == "raw-deflate" else coding

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept-encoding"] == "gzip, deflate"
        headers = {"Content-Encoding": encoding}
        return httpx.Response(200, headers=headers, stream=Stream(chunks))

    data = await upstream(handler, max_bytes=len(body)).request("GET", "/invoices/101")
    assert data["amount"] == Decimal("675.65") and len(data["notes"]) == 200_000


@pytest.mark.parametrize(
    ("headers", "chunks"),
    [
        ({}, (b"x" * 1000 for _ in range(100_000))),  # no length given: counted as it comes
        ({"Content-Length": "100000000"}, (b"x" * 1000 for _ in range(100_000))),
        ({"Content-Encoding": "gzip"}, gzip_bomb(50)),
    ],
)
async def test_an_answer_over_the_cap_is_refused_unread_and_not_retried(
    headers: dict[str, str], chunks: Iterator[bytes]
) -> None:
    seen: list[Stream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(Stream(chunks))
        return httpx.Response(503, headers=headers, stream=seen[-1])  # even a retryable status

    problem = await refusal(upstream(handler, max_bytes=10_000).request("GET", "/users"))
    assert problem.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "more than 10000 bytes" in problem.message
    assert len(seen) == 1 and seen[0].closed
    limit = 0 if "Content-Length" in headers else 11_000  # a declared length: nothing read
    assert seen[0].taken <= limit


async def test_an_encoding_not_asked_for_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "br"}, stream=Stream([b"\x1b"]))

    problem = await refusal(upstream(handler).request("GET", "/users"))
    assert problem.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "could not decode" in problem.message


async def test_a_number_out_of_range_is_unavailable_not_a_shape_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"count": 1, "balance_in_cents": NaN}')

    problem = await refusal(upstream(handler).request("GET", "/invoices/101"))
    assert (problem.code, problem.message) == (
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "Kantata answered a number out of range",
    )


# What a vendor writes back is scrubbed of the credential


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 429])
async def test_vendor_messages_are_scrubbed_of_the_credential(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    encoded = urllib.parse.quote(TOKEN, safe="")
    messages = [
        f"Invalid OAuth 2 Access Token: Bearer {TOKEN}",  # as sent
        f"token={encoded}",  # URL-encoded
        f"token={re.sub('%..', lambda m: m.group().lower(), encoded)}",  # ... lower case hex
        f"got {urllib.parse.quote_plus(TOKEN)}",  # form-encoded
        "header was bearer 8fJ2kL0pQ9-other.token",  # any bearer token, another one too
        f"{TOKEN}",
    ]
    body = {"errors": [{"type": "oauth", "message": m, "field": "base"} for m in messages]}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    with pytest.raises(GatewayError) as caught:
        await upstream(handler).request("POST", "/invoices", body={})
    shown = [p.message for p in caught.value.problems]
    assert len(shown) == len(messages)
    text = " ".join([*shown, str(caught.value), repr(caught.value), caplog.text]).lower()
    for secret in (TOKEN, encoded, "8fj2kl0pq9-other.token", "secret", "3f9a"):
        assert secret.lower() not in text, secret
    assert shown[0] == "Kantata: Invalid OAuth 2 Access Token: [redacted]"
    assert shown[4] == "Kantata: header was Bearer [redacted]"
    assert all("[redacted]" in message for message in shown)


async def test_a_per_request_token_is_scrubbed_and_plain_words_are_kept() -> None:
    caller = "caller-token-77Qz"
    said = f"user has no access (token {caller}); the bearer of a token must be an admin"

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {caller}"
        return httpx.Response(403, json={"errors": [{"type": "oauth", "message": said}]})

    problem = await refusal(upstream(handler, token=caller).request("GET", "/users/7"))
    assert problem.code is ErrorCode.FORBIDDEN
    assert problem.message == (
        "Kantata: user has no access (token [redacted]); the bearer of a token must be an admin"
    )


# Retry-After


@pytest.mark.parametrize(
    ("status", "header", "code", "seconds"),
    [
        (429, "120", ErrorCode.RATE_LIMITED, 120),
        (429, "10.2", ErrorCode.RATE_LIMITED, 11),  # past the cap (10 s), rounded up
        (503, "3600", ErrorCode.UPSTREAM_UNAVAILABLE, 3600),
    ],
)
async def test_a_retry_after_past_the_cap_is_answered_at_once(
    status: int, header: str, code: ErrorCode, seconds: int
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, headers={"Retry-After": header}, json={})

    began = time.monotonic()
    problem = await refusal(upstream(handler).request("GET", "/invoices/101"))
    assert time.monotonic() - began < 1
    assert (problem.code, problem.retry_after, len(calls)) == (code, seconds, 1)
    assert f"asked to wait {seconds} s" in problem.message


async def test_a_retry_after_past_the_deadline_is_answered_at_once() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"errors": [{"type": "system", "message": "slow down"}]}
        return httpx.Response(429, headers={"Retry-After": "5"}, json=body)

    problem = await refusal(upstream(handler, deadline=2.0).request("GET", "/invoices/101"))
    assert (problem.code, problem.retry_after, len(calls)) == (ErrorCode.RATE_LIMITED, 5, 1)
    assert problem.message == "Kantata: slow down"


async def test_a_retry_after_within_the_cap_is_waited_then_retried() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "0.2"}), httpx.Response(200, json={})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    began = time.monotonic()
    assert await upstream(handler).request("GET", "/invoices/101") == {}
    assert time.monotonic() - began >= 0.2 and answers == []


# The cap on real sockets, with both pools


async def _endless(writer: asyncio.StreamWriter, gzipped: bool) -> int:
    """Writes a chunked answer that never ends (256 MB of JSON at most, before any gzip);
    answers the bytes written if the client never hung up."""
    headers = b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
    if gzipped:
        headers += b"Content-Encoding: gzip\r\n"
    writer.write(b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n")
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    sent = 0
    while sent < 256 << 20:
        noise = os.urandom(32768).hex().encode()  # gzip halves it: it fills the socket
        piece = b'{"padding": "' + noise if sent == 0 else noise
        data = (
            compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH) if gzipped else piece
        )
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await writer.drain()
        sent += len(piece)
    return sent


@pytest.mark.parametrize("gzipped", [False, True], ids=["identity", "gzip"])
@pytest.mark.parametrize("transport", ["aiohttp", "httpcore"])
async def test_over_the_cap_the_connection_is_closed(transport: str, gzipped: bool) -> None:
    hung_up = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            sent = await _endless(writer, gzipped)
        except ConnectionError:
            hung_up.set_result(True)
        else:
            hung_up.set_result(sent)
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    origin = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    clients = http_clients([KANTATA.vendor], 10, transport)
    try:
        client = Upstream(
            clients[KANTATA.vendor],
            vendor_label="Kantata",
            base_url=origin,
            headers={"Authorization": "Bearer t"},
            read_errors=kantata_errors.error_messages,
            max_bytes=1_000_000,
        )
        problem = await refusal(client.request("GET", "/invoices"))
        assert "more than 1000000 bytes" in problem.message
        # The server finds the connection gone, long before it sent everything.
        assert await asyncio.wait_for(hung_up, 10) is True
    finally:
        for http in clients.values():
            await http.aclose()
        server.close()
        await server.wait_closed()
