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
"""

from __future__ import annotations

from collections.abc import AsyncIterator
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


def _translated(exc: BaseException, request: httpx.Request) -> BaseException:
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


def vendor_transport(name: str, limits: httpx.Limits) -> httpx.AsyncBaseTransport | None:
    """`name` is `Settings.upstream_transport`; None means httpx's own (httpcore), which
    also reads proxies from the environment (httpx does so only for its own transport)."""
    if name == "aiohttp":
        return AiohttpPool(limits)
    if name == "httpcore":
        return None
    raise ValueError(f"unknown upstream transport {name!r}")
