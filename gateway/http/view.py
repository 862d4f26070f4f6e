"""The GraphQL-over-HTTP endpoint: strawberry's ASGI view with our context, the rules of
the GraphQL-over-HTTP spec (draft; audited by `graphql-http`, see
tests/http/test_graphql_over_http.py), every refusal a JSON body with a code, and batches
(a JSON array of operations) run one after another.

Response media type (`negotiate`): `application/graphql-response+json` when the `Accept`
header prefers it, else `application/json` (also for no `Accept`, `*/*` and
`application/*`, as legacy clients expect); `Accept` that allows neither is 406. Status:
with `application/json` every GraphQL response is 200, request errors included; with
`application/graphql-response+json` a request error (the document does not parse or
validate, the operation cannot be chosen, a variable does not coerce) is 400 and a
response with data (even null data) is 200. A request error never has a `data` entry.
A request that is not a GraphQL-over-HTTP request at all is 400 with either media type,
a POST body other than UTF-8 `application/json` is 415, a method other than GET and POST
is 405 with `Allow: GET, POST`, and a mutation over GET is 405 with `Allow: POST`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from gateway.http import apq, request_json
from gateway.http.apq import PersistedQueries, PersistedQueryError
from gateway.http.errors import error_response
from gateway.ops.refusals import UNCOUNTED, Refusal, RefusalCounter
from gateway.schema.context import Context

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# Listed in a 406 answer's `Accept` header (as graphql-http's reference server does).
SUPPORTED_MEDIA_TYPES = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8, {JSON}; charset=utf-8"
_UTF8 = {"utf-8", "utf8"}

# The media type negotiated for the request being served: set in `__call__`, read where
# strawberry builds the body and the response (hooks that are not handed the request).
_media_type: ContextVar[str] = ContextVar("graphql_media_type", default=JSON)

_CODES = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
# The reason counted for each code a refusal of the view carries; any other is BAD_REQUEST.
_REFUSALS = {
    "METHOD_NOT_ALLOWED": Refusal.METHOD_NOT_ALLOWED,
    "NOT_ACCEPTABLE": Refusal.NOT_ACCEPTABLE,
    "PAYLOAD_TOO_LARGE": Refusal.BODY_TOO_LARGE,
    "UNSUPPORTED_MEDIA_TYPE": Refusal.UNSUPPORTED_MEDIA_TYPE,
    "LIMIT_EXCEEDED": Refusal.VARIABLES_TOO_LARGE,
    apq.NOT_FOUND: Refusal.PERSISTED_QUERY_NOT_FOUND,
    apq.HASH_MISMATCH: Refusal.PERSISTED_QUERY_INVALID,
    apq.NOT_SUPPORTED: Refusal.PERSISTED_QUERY_INVALID,
    apq.TOO_LARGE: Refusal.PERSISTED_QUERY_TOO_LARGE,
    apq.ONLY_PERSISTED: Refusal.PERSISTED_QUERY_ONLY,
}


def _media_range(text: str) -> tuple[str, dict[str, str]] | None:
    """`type/subtype; a=b` lowercased, or None when it is not a media range."""
    kind, *params = (part.strip() for part in text.split(";"))
    kind = kind.lower()
    if kind.count("/") != 1 or not all(kind.split("/")):
        return None
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"').lower()
    return kind, parsed


# Clients send the same few Accept headers again and again; the bound keeps a caller who
# varies them from growing the cache.
@functools.lru_cache(maxsize=256)
def negotiate(accept: str | None) -> str | None:
    """The response media type for an `Accept` header, or None (406). RFC 9110 rules: the
    most specific matching range gives a type its weight, `q=0` refuses it, a range asking
    for a charset other than UTF-8 does not match. The higher weight wins; at equal weight a
    type named outright beats one matched by a wildcard, both named is
    graphql-response+json, and a wildcard alone (or no header) is application/json, the
    legacy default the spec and its audit still expect."""
    if accept is None or not accept.strip():
        return JSON
    ranges = []
    for text in accept.split(","):
        media_range = _media_range(text)
        if media_range is None:
            continue
        kind, params = media_range
        if "charset" in params and params["charset"] not in _UTF8:
            continue
        try:
            weight = float(params.get("q", "1"))
        except ValueError:
            continue
        ranges.append((kind, weight))
    best: tuple[float, int, bool] | None = None
    chosen = None
    for candidate in (GRAPHQL_RESPONSE_JSON, JSON):
        family = candidate.split("/")[0] + "/*"
        matches = [
            (specificity, weight)
            for kind, weight in ranges
            for specificity, pattern in ((2, candidate), (1, family), (0, "*/*"))
            if kind == pattern
        ]
        if not matches:
            continue
        specificity = max(s for s, _ in matches)
        weight = max(w for s, w in matches if s == specificity)
        if weight <= 0:
            continue
        named = specificity == 2
        key = (weight, specificity, (candidate == GRAPHQL_RESPONSE_JSON) == named)
        if best is None or key > best:
            best, chosen = key, candidate
    return chosen


def _is_request_error(result: ExecutionResult) -> bool:
    """Raised before execution (parse, validation, operation choice, variable coercion):
    no data at all, and no error belongs to a field (field errors have a path)."""
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


class _Refusal(HTTPException):
    def __init__(
        self,
        status: int,
        reason: str,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ):
        super().__init__(status, reason)
        self.headers = dict(headers or {})
        self.code = code


def _bad_request(reason: str) -> _Refusal:
    return _Refusal(400, reason)


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        *args: object,
        make_context: Callable[[Request], Context],
        persisted_queries: PersistedQueries | None = None,
        max_variables_bytes: int | None = None,
        refusals: RefusalCounter = UNCOUNTED,
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._make_context = make_context
        self._persisted_queries = persisted_queries
        self._max_variables_bytes = max_variables_bytes
        self._refusals = refusals

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        return self._make_context(request)

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a GET that names a persisted query (`extensions` or `documentId`
        without `query`)."""
        params = request.query_params
        if params.get("extensions") or params.get("documentId"):
            return False
        return super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL, its files served from the copy inside this package; it opens with the
        example operations (gateway/http/graphiql)."""
        from gateway.http.graphiql import ide_response

        return ide_response(request)

    # --- the request ------------------------------------------------------------------

    async def parse_http_body(self, request):  # type: ignore[no-untyped-def]
        """A GraphQL-over-HTTP request, else 400 (415 for a body that is not UTF-8 JSON):
        an operation (an object) or a batch of them, each with a string `query`, and
        `operationName`, `variables` and `extensions` of the right type or null."""
        if request.method == "GET":
            self._check_variables_size(len(request.query_params.get("variables", "")), None)
            params = self._from_query_params(request.query_params)
            return self._operation(await self._persisted(params))
        _check_content_type(request.content_type)
        body = await request.get_body()
        data = self.parse_json(body)
        self._check_variables_size(len(body), data)
        if isinstance(data, dict):
            return self._operation(await self._persisted(data))
        if isinstance(data, list) and data and all(isinstance(op, dict) for op in data):
            batching = self.schema.config.batching_config
            if batching is None:
                raise _bad_request("Batching is not enabled")
            if len(data) > batching["max_operations"]:
                raise _bad_request(
                    f"A batch may hold at most {batching['max_operations']} operations"
                )
            return [self._operation(await self._persisted(op)) for op in data]
        raise _bad_request("The body must be a JSON object, or a non-empty array of them")

    def _check_variables_size(self, size: int, data: Any) -> None:
        """413 LIMIT_EXCEEDED for variables over `Limits.max_variables_bytes`: `size` is
        the raw text's, or the body's when `data` is the parsed body (whose variables are
        measured, as compact JSON, only when the body alone could be over the limit)."""
        limit = self._max_variables_bytes
        if limit is None or size <= limit:
            return
        if data is not None:
            operations = data if isinstance(data, list) else [data]
            sizes = [
                _json_size(op["variables"])
                for op in operations
                if isinstance(op, dict) and isinstance(op.get("variables"), dict)
            ]
            size = max(sizes, default=0)
            if size <= limit:
                return
        raise _Refusal(
            413,
            f"The variables are {size:,} bytes; the limit is {limit:,} "
            "(GATEWAY_MAX_VARIABLES_BYTES): send fewer or smaller values, or split the work "
            "across requests",
            code="LIMIT_EXCEEDED",
        )

    async def _persisted(self, data: dict[str, Any]) -> dict[str, Any]:
        """Persisted queries and documents (gateway/http/apq.py): the document filled in
        from its hash or `documentId`. A refusal is a GraphQL error, answered with 200 for
        APQ's own as Apollo servers answer them, 400 for an unknown `documentId` (a batch
        with one such operation is refused as a whole)."""
        if self._persisted_queries is None:
            return data
        try:
            return await self._persisted_queries.resolve(data)
        except PersistedQueryError as exc:
            raise _Refusal(exc.status, exc.message, code=exc.code) from exc

    def encode_json(self, data: object) -> bytes:
        # orjson writes the same compact JSON faster than the standard library
        # (docs/benchmarks.md). Requests stay with json.loads (`decode_json`), which keeps an
        # integer of any size exact (orjson would make a float of one past 64 bits, and a
        # money amount with it).
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        """Strict and bounded (gateway/http/request_json.py): too deep, a huge integer, not
        UTF-8, NaN or a lone surrogate is MalformedJson, never an error of our own."""
        return request_json.loads(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except request_json.MalformedJson as exc:
            raise _bad_request(f"The body is not valid JSON: {exc}") from exc

    def _from_query_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET parameters: `variables` and `extensions` are JSON text, and an empty
        parameter is an omitted one (`operationName=` included, as the spec says)."""
        data: dict[str, Any] = {}
        for name in ("query", "documentId", "operationName", "variables", "extensions"):
            value = params.get(name)
            if not value:
                continue
            if name in ("variables", "extensions"):
                try:
                    value = self.decode_json(value)
                except request_json.MalformedJson as exc:
                    raise _bad_request(f"The `{name}` parameter is not valid JSON: {exc}") from exc
            data[name] = value
        return data

    @staticmethod
    def _operation(data: dict[str, Any]) -> GraphQLRequestData:
        query = data.get("query")
        if not isinstance(query, str):
            raise _bad_request(
                "The request has no GraphQL document: send it as the string `query`, or a "
                "persisted one's `documentId`"
                if query is None
                else "`query` must be a string"
            )
        operation_name = data.get("operationName")
        if not isinstance(operation_name, (str, type(None))):
            raise _bad_request("`operationName` must be a string or null")
        for name in ("variables", "extensions"):
            if not isinstance(data.get(name), (dict, type(None))):
                raise _bad_request(f"`{name}` must be an object or null")
        return GraphQLRequestData(
            query=query,
            variables=data.get("variables"),
            operation_name=operation_name,
            extensions=data.get("extensions"),
        )

    # --- execution --------------------------------------------------------------------

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
                raise _Refusal(
                    405, exc.reason + "; send mutations with POST", {"Allow": "POST"}
                ) from exc
            if isinstance(exc.__cause__, (CannotGetOperationTypeError, MissingQueryError)):
                # A GraphQL request error (GetOperation() failed, or an empty document),
                # answered like a parse or validation error rather than as a bad request.
                return PreExecutionError(data=None, errors=[GraphQLError(exc.reason)])
            raise

    # --- the response -----------------------------------------------------------------

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        body = await super().process_result(request, result)
        if _is_request_error(result):
            # GraphQL spec: an error raised before execution begins leaves no data entry.
            body.pop("data", None)
        return body

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = _media_type.get()
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and "data" not in response_data
        ):
            # No data entry: a 4xx or 5xx (MUST); 400 for a request error, 500 when what
            # stopped it was our own failure.
            internal = any(
                isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "INTERNAL"
                for e in response_data.get("errors") or ()
            )
            response.status_code = 500 if internal else 400
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if scope["method"] not in {"GET", "POST"}:
            self._refusals.refused(Refusal.METHOD_NOT_ALLOWED)
            response: Response = error_response(
                405,
                "GraphQL is served over GET and POST",
                "METHOD_NOT_ALLOWED",
                headers={"Allow": "GET, POST"},
            )
            await response(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            if not self.should_render_graphql_ide(self.request_adapter_class(request)):
                self._refusals.refused(Refusal.NOT_ACCEPTABLE)
                response = error_response(
                    406,
                    f"The Accept header allows none of the types GraphQL is served as: "
                    f"{GRAPHQL_RESPONSE_JSON} or {JSON}",
                    "NOT_ACCEPTABLE",
                    headers={"Accept": SUPPORTED_MEDIA_TYPES},
                )
                await response(scope, receive, send)
                return
            media_type = JSON  # the IDE page; the media type is never used
        token = _media_type.set(media_type)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            code = getattr(exc, "code", None) or _CODES.get(exc.status_code, "BAD_REQUEST")
            self._refusals.refused(_REFUSALS.get(code, Refusal.BAD_REQUEST))
            response = error_response(
                exc.status_code,
                exc.reason,
                code,
                headers=getattr(exc, "headers", None),
                media_type=f"{media_type}; charset=utf-8",
            )
        finally:
            _media_type.reset(token)
        await response(scope, receive, send)


def _json_size(value: Any) -> int:
    # The standard library's writer: orjson refuses an integer past 64 bits, which a
    # caller's variables may hold.
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def _check_content_type(content_type: str | None) -> None:
    """A POST body is UTF-8 `application/json` (no charset means UTF-8), else 415."""
    media_range = _media_range(content_type or "")
    if media_range is not None:
        kind, params = media_range
        if kind == JSON and params.get("charset", "utf-8") in _UTF8:
            return
    raise _Refusal(
        415,
        "Send the GraphQL request as JSON: Content-Type: application/json (UTF-8)",
        {"Accept-Post": f"{JSON}; charset=utf-8"},
    )
