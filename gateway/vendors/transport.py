"""The connection pool under every vendor's httpx client.

httpx stays the client API (timeouts, `MockTransport` in unit tests, the same request and
response objects everywhere). Underneath, the default is aiohttp's connector through
`httpx-aiohttp`: httpcore's pool walks every pooled connection, asking each socket whether
it is readable, on every request and every release, so at 64 concurrent calls it spent
about a third of the proxy's CPU (issue 5's profile); aiohttp keeps idle connections in a
queue per host and parses with its C parser. `httpcore` stays selectable
(`GATEWAY_UPSTREAM_TRANSPORT`) for environments that need what only it has here: proxies
read from the environment.

Failures are translated into the httpx errors the retry policy reads (vendors/retry.py): a
refused connection is a `ConnectError`, a connection closed before any answer a
`RemoteProtocolError`, a reset or a cut-off body a `ReadError`. `httpx-aiohttp`'s own table
folds most of these into `ConnectTimeout`, which would report a reset as a timeout.

Untraced, `Upstream` calls that aiohttp pool past httpx (`DirectClient.exchange`): the same
session, URL, headers, timeouts, caps and errors, without httpx's request, response and
stream objects, which cost about as much CPU as the rest of a vendor call (issue 16).
A traced app keeps httpx in between: its instrumentation makes the CLIENT spans.

Bodies are read by `read_capped`, the same way over either pool: neither decodes (aiohttp
is asked not to, `auto_decompress=False` in httpx-aiohttp, and httpx's decoders are never
run: `Upstream` reads raw bytes), so the cap holds on the bytes received *and* on the bytes
they inflate to, counted as they come. A gzip bomb is inflated only as far as the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# First match wins, so the narrower aiohttp errors come before their bases.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unknown host
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),  # closed, no answer
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # an answer that is not HTTP
    (aiohttp.ClientPayloadError, httpx.ReadError),  # the body was cut short
    (aiohttp.ClientConnectionResetError, httpx.WriteError),
    (aiohttp.ClientOSError, httpx.ReadError),  # reset by the peer
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientConnectionError, httpx.NetworkError),
    (aiohttp.ClientError, httpx.TransportError),
)


def _translated(exc: BaseException, request: httpx.Request | None) -> BaseException:
    # httpx-aiohttp raises its own mapping `from` the aiohttp error; read the original.
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    if not isinstance(cause, aiohttp.ClientError):
        return exc
    for source, target in _ERRORS:
        if isinstance(cause, source):
            return target(f"{type(cause).__name__}: {cause}", request=request)
    return exc  # unreachable: aiohttp.ClientError is the last row


class _Body(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _translated(exc, self._request) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


class AiohttpPool(httpx.AsyncBaseTransport):
    """aiohttp's pool behind httpx, with a cookie jar that keeps nothing: one pool serves
    every caller's credentials, so a cookie a vendor sets for one must never ride along
    with another's request."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._ssl = httpx.create_ssl_context()
        self._inner = AiohttpTransport(limits=limits, client=self._session)

    def session(self) -> aiohttp.ClientSession:
        """The pool's session, made on first use (inside the running loop), the same one
        httpx's requests go through."""
        session = self._inner.client
        if not isinstance(session, aiohttp.ClientSession):
            session = self._inner.client = self._inner.get_client()
        return session

    def _session(self) -> aiohttp.ClientSession:
        # Called once, lazily, inside the running loop (aiohttp binds a session to it).
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry or 0,
            ssl=self._ssl,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise _translated(exc, request) from exc
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Body(response.stream, request)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _KeepNothing(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        """Nothing a vendor sets is kept (see `CookielessClient`)."""


class CookielessClient(httpx.AsyncClient):
    """httpx's client without a cookie jar, for the same reason as `AiohttpPool`'s. (httpx
    would also rebuild a urllib request and an email message from every answer just to look
    for Set-Cookie: about 5% of a gateway request's CPU in the profile.)"""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._keep_nothing = _KeepNothing()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._keep_nothing

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise TypeError("vendor clients keep no cookies")


class DirectClient(CookielessClient):
    """A vendor client over `AiohttpPool` that `Upstream` can also call past httpx
    (`exchange`): aiohttp's session straight away, without httpx's request and response
    models and its transport and stream wrappers in between (about half the CPU of a
    vendor call: issue 16). Used while nothing instruments httpx (tracing off: its CLIENT
    spans and `traceparent` come from httpx's instrumentation, so a traced app's calls
    keep going through httpx, gateway/app.py).

    What the vendor gets is what the httpx path sends: the URL as httpx writes it (query
    encoding included), the client's default headers under the call's own, no cookie, no
    redirect followed, no decoding by aiohttp (the body is read by the same capped reader,
    `_capped`), the same timeouts, and failures as the same httpx errors."""

    def __init__(self, *, transport: AiohttpPool, **options: Any) -> None:
        super().__init__(transport=transport, **options)
        self._direct_pool = transport
        # Lower-case names, as httpx hands them to aiohttp (`Headers.items`).
        self._direct_defaults = dict(self.headers.items())
        timeout = self.timeout
        self._direct_timeout = aiohttp.ClientTimeout(
            sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool
        )

    async def exchange(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]],
        content: bytes | None,
        headers: Mapping[str, str],
        limit: int,
    ) -> tuple[httpx.Response, bytes]:
        """The answer's status and headers, and its body read by `_capped` within `limit`.
        AnswerTooLarge and UndecodableAnswer carry the status and headers; the connection
        is then closed, not pooled."""
        sent = dict(self._direct_defaults)
        for name, value in headers.items():
            if not value.isascii():
                # As httpx refuses it (a caller's credential header may hold any latin-1
                # byte): UnicodeEncodeError, where aiohttp would send UTF-8.
                value.encode("ascii")
            sent[name.lower()] = value
        try:
            async with self._direct_pool.session().request(
                method,
                _wire_url(url, tuple(params)),
                headers=sent,
                data=content,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=self._direct_timeout,
            ) as answer:
                response = httpx.Response(
                    answer.status, headers=answer.raw_headers, stream=_READ_ELSEWHERE
                )
                try:
                    body = await _capped(response.headers, answer.content.iter_any(), limit)
                except _Unread as exc:
                    answer.close()  # half read: never back in the pool
                    exc.response = response
                    raise
        except aiohttp.ClientError as exc:
            raise _translated(exc, None) from exc
        return response, body


class _ReadElsewhere(httpx.AsyncByteStream):
    """The stream of a response whose body `exchange` returns on its own: given a stream
    of its own, httpx does not read an empty body through its decoders on construction
    (8 us of a vendor call)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        return
        yield b""  # an async generator that yields nothing


_READ_ELSEWHERE = _ReadElsewhere()


@lru_cache(maxsize=1024)
def _wire_url(url: str, params: tuple[tuple[str, str], ...]) -> str:
    """`url` with `params`, as httpx writes it on the wire (`build_request`): parsed and
    encoded by httpx once per distinct call, not on every one."""
    return str(httpx.URL(url).copy_merge_params(list(params)))


def vendor_transport(name: str, limits: httpx.Limits) -> httpx.AsyncBaseTransport | None:
    """`name` is `Settings.upstream_transport`; None means httpx's own (httpcore), which
    also reads proxies from the environment (httpx does so only for its own transport)."""
    if name == "aiohttp":
        return AiohttpPool(limits)
    if name == "httpcore":
        return None
    raise ValueError(f"unknown upstream transport {name!r}")


# What the vendor clients accept, and exactly what `read_capped` decodes.
ACCEPT_ENCODING = "gzip, deflate"


class _Unread(Exception):
    # The answer's status and headers, when the exception comes from `DirectClient`
    # (over httpx, the caller holds the response already).
    response: httpx.Response | None = None


class AnswerTooLarge(_Unread):
    """An answer over the cap (declared, received or decoded); nothing more was read."""


class UndecodableAnswer(_Unread):
    """An answer in an encoding not asked for, or one that does not inflate."""


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body of a streamed `response`, at most `limit` bytes as received and as
    decoded. More raises AnswerTooLarge at once: the caller then closes the response, which
    closes its connection (a half-read body is never put back in the pool). A
    Content-Length over `limit` is refused before any byte is read."""
    try:
        content = response.content  # built in memory (httpx.MockTransport): already decoded
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > limit:
            raise AnswerTooLarge
        return content
    return await _capped(response.headers, response.aiter_raw(), limit)


async def _capped(headers: Mapping[str, str], raw: AsyncIterator[bytes], limit: int) -> bytes:
    """`raw`, the body as received, decoded as `headers` say, within `limit` both ways."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge
    inflater = _inflater(headers.get("content-encoding"))
    chunks: list[bytes] = []
    received = 0
    decoded = 0
    async for chunk in raw:
        received += len(chunk)
        if received > limit:
            raise AnswerTooLarge
        if inflater is None:
            chunks.append(chunk)
        else:
            decoded = inflater.inflate(chunk, chunks, decoded, limit)
    return b"".join(chunks)


def _inflater(header: str | None) -> _Inflater | None:
    if not header:
        return None
    codings = [c for c in (p.strip().lower() for p in header.split(",")) if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return _Inflater(codings[0])
    raise UndecodableAnswer(f"content encoding {header[:40]!r}")


_PIECE = 1 << 16


class _Inflater:
    """zlib with a budget: it never inflates more than one byte past what the cap leaves,
    so memory stays within the cap whatever the compression ratio."""

    def __init__(self, coding: str) -> None:
        gzip = coding != "deflate"
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        # "deflate" should be zlib-wrapped (RFC 9110), but some servers send it raw.
        self._may_be_raw = not gzip

    def inflate(self, data: bytes, out: list[bytes], decoded: int, limit: int) -> int:
        """Inflates `data` into `out`; answers the bytes decoded so far."""
        while True:
            # At least 1 (0 would mean unbounded), at most one byte past the cap, and in
            # pieces: what is kept stays within the cap, plus one piece.
            most = min(limit - decoded + 1, _PIECE)
            piece = self._decompress(data, most)
            decoded += len(piece)
            if decoded > limit:
                raise AnswerTooLarge
            out.append(piece)
            data = self._zlib.unconsumed_tail
            if not data and len(piece) < most:  # a full piece: zlib may hold more
                return decoded

    def _decompress(self, data: bytes, most: int) -> bytes:
        try:
            try:
                return self._zlib.decompress(data, most)
            except zlib.error:
                if not self._may_be_raw:
                    raise
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._zlib.decompress(data, most)
            finally:
                self._may_be_raw = False
        except zlib.error as exc:
            raise UndecodableAnswer(str(exc)) from None
