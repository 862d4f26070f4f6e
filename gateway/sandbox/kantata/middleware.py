"""Plumbing around every API request: request IDs, the `.json` suffix, added latency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_SUFFIX = ".json"


class RequestIdMiddleware:
    """Every response carries `X-Request-Id`: the request's own, or a fresh UUID."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id") or str(uuid.uuid4())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class JsonSuffixMiddleware:
    """`/invoices/101.json` is routed as `/invoices/101`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith(JSON_SUFFIX):
            scope = dict(scope, path=path[: -len(JSON_SUFFIX)])
        await self.app(scope, receive, send)


class LatencyMiddleware:
    """Waits `settings["latency_ms"]` before each request (read afresh every time)."""

    def __init__(self, app: ASGIApp, settings: Mapping[str, Any]) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        delay = self.settings.get("latency_ms") or 0
        if scope["type"] == "http" and delay > 0:
            await asyncio.sleep(delay / 1000)
        await self.app(scope, receive, send)
