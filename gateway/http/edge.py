"""The door in front of /graphql as one ASGI layer: the rules of gateway/http/security.py,
request_id.py, limits.py and stores.py, run in the order they always had, outermost first:

1. the request ID (set, echoed on the answer, and an unexpected error masked as a 500);
2. the layers only some deployments configure (CORS, API key, rate limit: `around`);
3. CSRF, the body limit (the body read here, once, and handed on), and the answer to a
   request that needed the shared store while it was down (503 STORE_UNAVAILABLE).

Why one layer: each ASGI layer is a coroutine call per request and a wrapper per message
sent, and at a few hundred requests a second the chain of four cost more CPU than any of
the rules it ran (issue 16's profile: 2-5% each). The request's headers are read once,
as raw bytes, and only the ones a rule looks at are decoded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.asgi_body import BodyTooLarge, Disconnected, read_body, replaying
from gateway.core.request_id import serving
from gateway.http.errors import error_response
from gateway.http.limits import refuse_body
from gateway.http.ratelimit import RateLimiter, RateLimitMiddleware
from gateway.http.request_id import HEADER, accepted
from gateway.http.security import (
    ALLOWED_HEADERS,
    EXPOSED_HEADERS,
    ApiKeyMiddleware,
    csrf_refusal,
    is_preflighted,
    runs_graphql,
)
from gateway.http.stores import unavailable_response
from gateway.ops.refusals import UNCOUNTED, Refusal, RefusalCounter
from gateway.settings import Settings
from gateway.store.health import StoreUnavailable

log = logging.getLogger("gateway")

# Where the exchange of the request being served is kept in its scope, for the inner half
# of the door when configured layers sit between the two halves.
_SCOPE_KEY = "gateway.edge"
_ID_HEADER = HEADER.encode()


class _Exchange:
    """One request's state at the door: its ID, its headers (first of each name, as
    Starlette's `Headers.get` reads them) and whether its answer has started."""

    __slots__ = ("_send_on", "headers", "request_id", "send", "started")

    def __init__(self, headers: dict[bytes, bytes], request_id: str, send: Send) -> None:
        self.headers = headers
        self.request_id = request_id
        self.started = False
        self._send_on = send
        self.send: Send = self._send_with_id

    async def _send_with_id(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            headers = [h for h in message.get("headers", ()) if h[0].lower() != _ID_HEADER]
            headers.append((_ID_HEADER, self.request_id.encode("latin-1")))
            message["headers"] = headers
        await self._send_on(message)

    def header(self, name: str) -> str:
        """The header's value ("" when absent), latin-1 as on the wire."""
        value = self.headers.get(name.encode("latin-1"))
        return "" if value is None else value.decode("latin-1")


class Edge:
    """`app` (the GraphQL endpoint) behind the door. `around` wraps the inner half with
    the configured layers (gateway/http/security.py `guard`); `preflight_headers` are the
    vendors' credential headers, which show a preflight like PREFLIGHT_HEADERS do."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        preflight_headers: Sequence[str] = (),
        refusals: RefusalCounter = UNCOUNTED,
        around: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.preflight_headers = tuple(h.lower() for h in preflight_headers)
        self.refusals = refusals
        self._middle: ASGIApp | None = around(self._from_scope) if around is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Reversed, so the first of a repeated header is the one kept.
        headers = dict(reversed(scope["headers"]))
        sent_id = headers.get(_ID_HEADER)
        # Decoded latin-1, so a byte outside ASCII fails `accepted` instead of raising.
        request_id = (
            accepted(sent_id.decode("latin-1")) if sent_id is not None else None
        ) or uuid.uuid4().hex
        exchange = _Exchange(headers, request_id, send)
        with serving(request_id):
            try:
                if self._middle is None:
                    await self._inner(scope, receive, exchange.send, exchange)
                else:
                    scope[_SCOPE_KEY] = exchange
                    await self._middle(scope, receive, exchange.send)
            except Exception:
                log.exception("unexpected error [request %s]", request_id)
                if exchange.started:
                    raise
                response = error_response(500, "Internal error", "INTERNAL", request_id=request_id)
                await response(scope, receive, exchange.send)

    async def _from_scope(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._inner(scope, receive, send, scope[_SCOPE_KEY])

    async def _inner(self, scope: Scope, receive: Receive, send: Send, exchange: _Exchange) -> None:
        """CSRF, the body limit, the store-outage answer, then the endpoint."""
        if runs_graphql(scope) and not is_preflighted(exchange.header, self.preflight_headers):
            self.refusals.refused(Refusal.CSRF)
            await csrf_refusal()(scope, receive, send)
            return
        length = exchange.headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await refuse_body(self.max_body_bytes, self.refusals)(scope, receive, send)
            return
        # Read the whole body here (GraphQL needs all of it anyway) and replay it below.
        try:
            body = await read_body(receive, self.max_body_bytes)
        except Disconnected:
            return
        except BodyTooLarge:
            await refuse_body(self.max_body_bytes, self.refusals)(scope, receive, send)
            return
        try:
            await self.app(scope, replaying(body, receive), send)
        except StoreUnavailable as exc:
            if exchange.started:
                raise
            self.refusals.refused(Refusal.STORE_UNAVAILABLE)
            await unavailable_response(exc)(scope, receive, send)


def guard(
    app: ASGIApp,
    settings: Settings,
    rate_limiter: RateLimiter | None = None,
    credential_headers: Sequence[str] = (),
    refusals: RefusalCounter = UNCOUNTED,
) -> ASGIApp:
    """`app` behind every rule, outermost first: request ID, CORS, API key, rate limit
    (when `settings.rate_limit_per_minute` and a limiter are given), CSRF, body size, the
    store-outage answer. `credential_headers` are the vendors' (X-Kantata-Token...): a
    caller may send them. Each refusal is told to `refusals`."""
    rate_limited = bool(settings.rate_limit_per_minute) and rate_limiter is not None

    def around(inner: ASGIApp) -> ASGIApp:
        if rate_limited:
            assert rate_limiter is not None
            inner = RateLimitMiddleware(
                inner,
                rate_limiter,
                by_api_key=bool(settings.api_keys),
                runs_graphql=runs_graphql,
                refusals=refusals,
            )
        if settings.api_keys:
            inner = ApiKeyMiddleware(inner, settings.api_keys, refusals)
        if settings.cors_origins:
            inner = CORSMiddleware(
                inner,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[*ALLOWED_HEADERS, *credential_headers],
                expose_headers=list(EXPOSED_HEADERS),
                max_age=600,
            )
        return inner

    configured = rate_limited or bool(settings.api_keys) or bool(settings.cors_origins)
    return Edge(
        app,
        max_body_bytes=settings.limits.max_body_bytes,
        preflight_headers=credential_headers,
        refusals=refusals,
        around=around if configured else None,
    )
