"""One route served without Starlette's generic machinery: /graphql, the one path that
carries load. A request for it goes straight to its app; everything else (the other
routes, the lifespan) goes through Starlette as before.

What is skipped, and why nothing is lost: Starlette's error middleware (the door of
/graphql already masks an unexpected error as a 500 with the request ID,
gateway/http/edge.py), its exception middleware (nothing on that path raises Starlette's
HTTPException), and the router's walk over every route and its regular expressions.
Together about a tenth of a request's CPU in issue 16's profile. A method the route does
not take, a root path, or a middleware of the app's own (the tracing server span) sends
the request the ordinary way, so its answer is the one Starlette gives.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send


class DirectRouteApp(Starlette):
    """Starlette, with `path` answered by `endpoint` directly for `methods` (HEAD with
    GET, as Starlette's Route adds it) while the app has no middleware of its own."""

    def __init__(
        self, *, path: str, endpoint: ASGIApp, methods: Collection[str], **options: Any
    ) -> None:
        super().__init__(**options)
        self._path = path
        self._endpoint = endpoint
        upper = {method.upper() for method in methods}
        self._methods = frozenset(upper | {"HEAD"} if "GET" in upper else upper)
        self._direct = not self.user_middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self._direct
            and scope["type"] == "http"
            and scope["path"] == self._path
            and scope["method"] in self._methods
            and not scope.get("root_path")
        ):
            scope["app"] = self  # as Starlette sets it: the view reads the app's state
            await self._endpoint(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
