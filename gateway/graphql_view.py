"""The GraphQL-over-HTTP endpoint: strawberry's ASGI view with our context and the
status codes callers expect (405 with `Allow` for a mutation over GET)."""

from __future__ import annotations

from collections.abc import Callable

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from gateway.context import Context


class _MethodNotAllowed(HTTPException):
    def __init__(self, reason: str, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(self, *args: object, make_context: Callable[[Request], Context], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._make_context = make_context

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        return self._make_context(request)

    async def execute_single(self, request, request_adapter, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await super().execute_single(request, request_adapter, *args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise _MethodNotAllowed(exc.reason + "; send mutations with POST", "POST") from exc
            raise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["method"] not in {"GET", "POST"}:
            response: Response = PlainTextResponse(
                "GraphQL is served over GET and POST",
                status_code=405,
                headers={"Allow": "GET, POST"},
            )
            await response(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except _MethodNotAllowed as exc:
            response = PlainTextResponse(exc.reason, status_code=405, headers={"Allow": exc.allow})
        except HTTPException as exc:
            response = PlainTextResponse(exc.reason, status_code=exc.status_code)
        await response(scope, receive, send)
