"""The GraphQL-over-HTTP endpoint: strawberry's ASGI view with our context and the
status codes callers expect (405 with `Allow` for a mutation over GET), every refusal a
JSON body with a code, and batches (a JSON array of operations) run one after another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from gateway.context import Context
from gateway.http_errors import error_response


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

    def parse_json(self, data: str | bytes) -> Any:
        """Only an operation (an object) or a batch of them; anything else is a 400 here
        rather than an AttributeError deeper in."""
        parsed = super().parse_json(data)
        if isinstance(parsed, dict):
            return parsed
        if isinstance(parsed, list) and parsed and all(isinstance(op, dict) for op in parsed):
            batching = self.schema.config.batching_config
            if batching is not None and len(parsed) > batching["max_operations"]:
                raise HTTPException(
                    400, f"A batch may hold at most {batching['max_operations']} operations"
                )
            return parsed
        raise HTTPException(400, "The body must be a JSON object, or a non-empty array of them")

    async def execute_operation(self, request, request_adapter, request_data, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A batch runs in order, one operation at a time: a mutation sees the writes of the
        operations before it, exactly as the fields of one mutation do."""
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request, request_adapter, request_data, *args, **kwargs
            )
        return [
            await super(GatewayGraphQL, self).execute_operation(
                request, request_adapter, one, *args, **kwargs
            )
            for one in request_data
        ]

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
            response: Response = error_response(
                405,
                "GraphQL is served over GET and POST",
                "METHOD_NOT_ALLOWED",
                headers={"Allow": "GET, POST"},
            )
            await response(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except _MethodNotAllowed as exc:
            response = error_response(
                405, exc.reason, "METHOD_NOT_ALLOWED", headers={"Allow": exc.allow}
            )
        except HTTPException as exc:
            code = "NOT_FOUND" if exc.status_code == 404 else "BAD_REQUEST"
            response = error_response(exc.status_code, exc.reason, code)
        await response(scope, receive, send)
