"""A request ID on every GraphQL response: the caller's `X-Request-Id` when it is a sane
one, else a fresh uuid4. Logs and masked errors carry it, so a caller's report can be
matched with the log line that holds the real exception."""

from __future__ import annotations

import logging
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.core.request_id import serving
from gateway.http.errors import error_response

log = logging.getLogger("gateway")

HEADER = "x-request-id"
MAX_LENGTH = 200


def accepted(value: str | None) -> str | None:
    """The caller's ID if it is 1-200 printable ASCII characters without spaces at the ends."""
    if not value or len(value) > MAX_LENGTH or value != value.strip():
        return None
    if not all(" " <= ch <= "~" for ch in value):
        return None
    return value


class RequestIdMiddleware:
    """Outermost on /graphql: sets the ID, echoes it on the response, and turns anything
    that escapes the layers below into a masked 500 (logged with the ID, never shown)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Headers decodes latin-1, so a byte outside ASCII fails `accepted` instead of raising.
        request_id = accepted(Headers(scope=scope).get(HEADER)) or uuid.uuid4().hex
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        with serving(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unexpected error [request %s]", request_id)
                if started:
                    raise
                response = error_response(500, "Internal error", "INTERNAL", request_id=request_id)
                await response(scope, receive, send_with_id)
