"""The rules of the door in front of /graphql: API keys, CORS, CSRF prevention, composed
with the body limit and the request ID in one place (`guard`, gateway/http/edge.py).
/healthz and the /sandbox emulators are not behind it; the emulators keep their own
vendor auth.

CSRF follows Apollo Router and Hive Gateway: a browser sends a cross-site request without a
CORS preflight only when it is "simple" (GET or POST, a Content-Type of
application/x-www-form-urlencoded, multipart/form-data or text/plain, no custom header). So
a request that runs GraphQL must show it was preflighted: a Content-Type other than those
three, or one of PREFLIGHT_HEADERS. A GET without a `query` parameter runs nothing (it is
the GraphiQL page, or a 400), so this rule and the API key do not apply to it: a browser
navigation still gets GraphiQL, whose own requests are JSON POSTs.

`GraphQL-Require-Preflight` is the header the GraphQL-over-HTTP spec's security note
suggests; Apollo's two are accepted too. What does not count: `Accept`. A page can set any
`Accept` on a cross-site fetch without a preflight (it is a CORS-safelisted header), so a
GET asking only for `application/graphql-response+json` proves nothing about its origin
and stays refused. That is why the graphql-http audit's three GET checks (all MAYs: it
sends GETs with at most an `Accept` header) are answered `400 CSRF_BLOCKED`: the
gateway's answer to any client that cannot show a preflight. Its mutation-over-GET check
still passes (it only asks for a 4xx), and a GET that does carry a preflight header gets
the full GraphQL-over-HTTP treatment (docs/errors-and-limits.md, "GraphQL over HTTP").
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http.errors import error_response
from gateway.ops.refusals import UNCOUNTED, Refusal, RefusalCounter

SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Headers a browser never sends cross-site without a preflight, like each vendor's
# credential headers; any one, non-empty, will do.
PREFLIGHT_HEADERS = (
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "authorization",
    "idempotency-key",
    "x-request-id",
)
# What a browser caller may send and read (CORS), besides each vendor's credential headers.
ALLOWED_HEADERS = (
    "Content-Type",
    "Authorization",
    "Idempotency-Key",
    "X-Request-Id",
    "GraphQL-Require-Preflight",
    "Apollo-Require-Preflight",
    "X-Apollo-Operation-Name",
)
# What a browser's script may read of an answer: the request ID to quote, whether an
# Idempotency-Key answer was kept or replayed, and how long to wait after a 429 or 503.
EXPOSED_HEADERS = ("X-Request-Id", "Idempotent-Stored", "Idempotent-Replayed", "Retry-After")

CSRF_MESSAGE = (
    "This request has been blocked as a possible cross-site request forgery: send it with a "
    "Content-Type such as application/json (not application/x-www-form-urlencoded, "
    "multipart/form-data or text/plain), or with a non-empty GraphQL-Require-Preflight (or "
    "Apollo-Require-Preflight) header"
)


def runs_graphql(scope: Scope) -> bool:
    """Whether the request can execute an operation: a POST, or a GET with a `query` (or
    `extensions`: a persisted query's hash; or `documentId`: a persisted document's id).
    The IDE page and other query-less GETs cannot (the view answers them with the page or
    a 400), nor can other methods (405)."""
    method = scope["method"]
    if method == "GET":
        params = QueryParams(scope["query_string"])
        return "query" in params or "extensions" in params or "documentId" in params
    return bool(method == "POST")


def is_preflighted(header: Callable[[str], str], also: Sequence[str] = ()) -> bool:
    """Whether the request shows a CORS preflight; `header` reads a header's value ("" when
    absent)."""
    content_type = header("content-type").split(";")[0].strip().lower()
    if content_type and content_type not in SIMPLE_CONTENT_TYPES:
        return True
    return any(header(name).strip() for name in (*PREFLIGHT_HEADERS, *also))


def csrf_refusal() -> Response:
    return error_response(400, CSRF_MESSAGE, "CSRF_BLOCKED")


class ApiKeyMiddleware:
    """`Authorization: Bearer <key>` with one of the configured keys, compared in constant
    time against every key. The key is the gateway's own: it never reaches a vendor (vendor
    calls are built from vendor credentials only)."""

    def __init__(
        self, app: ASGIApp, keys: tuple[str, ...], refusals: RefusalCounter = UNCOUNTED
    ) -> None:
        self.app = app
        self._keys = tuple(key.encode() for key in keys)
        self.refusals = refusals

    def _authorized(self, headers: Headers) -> bool:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        # Headers are latin-1 on the wire; compare bytes, so any byte sequence is safe here.
        candidate = presented.strip().encode("latin-1")
        matches = [hmac.compare_digest(candidate, key) for key in self._keys]
        return any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not runs_graphql(scope):
            await self.app(scope, receive, send)
            return
        if not self._authorized(Headers(scope=scope)):
            self.refusals.refused(Refusal.UNAUTHENTICATED)
            response = error_response(
                401,
                "A valid API key is required: send Authorization: Bearer <key>",
                "UNAUTHENTICATED",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
