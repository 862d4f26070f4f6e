"""Sandbox OAuth tokens and the middleware that checks them on every API request.

A missing or unknown bearer token answers 401 (`type: oauth`); the read-only token answers
403 (`type: oauth`, as the token's scope is what is lacking) to any method but GET/HEAD,
before the route or the body is looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.sandbox.kantata.errors import ApiError, forbidden, unauthorized

SANDBOX_TOKEN = "sandbox-kantata-token"
READONLY_TOKEN = "sandbox-kantata-readonly"

SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Grant:
    """Who a token acts as, and whether it may write."""

    user_id: str
    can_write: bool


GRANTS: dict[str, Grant] = {
    SANDBOX_TOKEN: Grant(user_id="7", can_write=True),
    READONLY_TOKEN: Grant(user_id="10", can_write=False),
}


def _bearer(value: str | None) -> str | None:
    scheme, _, token = (value or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class AuthMiddleware:
    """Puts the request's `Grant` in `request.state.grant`, or answers 401/403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        grant = GRANTS.get(_bearer(Headers(scope=scope).get("authorization")) or "")
        error: ApiError | None = None
        if grant is None:
            error = unauthorized()
        elif scope["method"] not in SAFE_METHODS and not grant.can_write:
            error = forbidden()
        if error is not None:
            await JSONResponse(error.to_json(), status_code=error.status)(scope, receive, send)
            return
        scope.setdefault("state", {})["grant"] = grant
        await self.app(scope, receive, send)
