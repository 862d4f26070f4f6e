"""The request body limit: 413 for a body over `Limits.max_body_bytes`, told by its
Content-Length when it has one and by counting the bytes as they arrive either way (a
chunked body, or a Content-Length that lies)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.asgi_body import BodyTooLarge, Disconnected, read_body, replaying
from gateway.http.errors import error_response
from gateway.ops.refusals import UNCOUNTED, Refusal, RefusalCounter


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, max_body_bytes: int, refusals: RefusalCounter = UNCOUNTED
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await self._refuse(scope, receive, send)
            return
        # Read the whole body here (GraphQL needs all of it anyway) and replay it below.
        try:
            body = await read_body(receive, self.max_body_bytes)
        except Disconnected:
            return
        except BodyTooLarge:
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.refusals.refused(Refusal.BODY_TOO_LARGE)
        message = f"The request body is larger than {self.max_body_bytes} bytes"
        # Connection: close, so the server does not try to read the rest of the body.
        response = error_response(
            413, message, "PAYLOAD_TOO_LARGE", headers={"Connection": "close"}
        )
        await response(scope, receive, send)
