"""The emulator's routes, and `create_kantata_emulator()` which wraps them in the sandbox
control surface."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.sandbox.control import Control, ControlledApp
from gateway.sandbox.kantata.auth import AuthMiddleware, Grant
from gateway.sandbox.kantata.envelope import envelope, parse_include
from gateway.sandbox.kantata.errors import ApiError, ErrorItem, not_found
from gateway.sandbox.kantata.filters import apply
from gateway.sandbox.kantata.listing import MAX_PER_PAGE, SINGLE, select
from gateway.sandbox.kantata.middleware import (
    JsonSuffixMiddleware,
    LatencyMiddleware,
    RequestIdMiddleware,
)
from gateway.sandbox.kantata.models import Invoice
from gateway.sandbox.kantata.patch import decode_body, read_patch
from gateway.sandbox.kantata.resources import INDEXED, INVOICES, USERS, Resource
from gateway.sandbox.kantata.store import Clock, Store

API = "/api/v1"
DEFAULT_SETTINGS: dict[str, Any] = {
    "latency_ms": 0,
    # Quirks within what Kantata documents (see the package docstring); off by default.
    "omit_id_lists": [],
    "line_currency": True,
    "same_second_updated_at": False,
    # List quirks brainstem allows or an endpoint may have (see the package docstring).
    "per_page_max": 200,
    "ignore_per_page": False,
    "ignore_updated_after": False,
}

Endpoint = Callable[[Request], Awaitable[Response]]


def _include(request: Request) -> list[str]:
    return parse_include(request.query_params.get("include"))


def _index(store: Store, resource: Resource[Any]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        params = request.query_params
        settings = store.settings
        filters = resource.filters
        if settings.get("ignore_updated_after"):
            filters = tuple(spec for spec in filters if spec.param != "updated_after")
        ordered = apply(filters, resource.ordered(store, params.get("order")), params)
        records, meta = select(
            ordered,
            params,
            max_per_page=int(settings.get("per_page_max", MAX_PER_PAGE)),
            ignore_per_page=bool(settings.get("ignore_per_page")),
        )
        return JSONResponse(envelope(store, resource, records, _include(request), meta))

    return endpoint


def _show(store: Store, resource: Resource[Any]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        record_id = str(request.path_params["id"])
        record = resource.records(store).get(record_id)
        if record is None:
            raise not_found(f"{resource.label} {record_id}")
        return JSONResponse(envelope(store, resource, [record], _include(request), SINGLE))

    return endpoint


def _invoice_routes(store: Store) -> list[BaseRoute]:
    def answer(request: Request, invoice: Invoice) -> Response:
        return JSONResponse(envelope(store, INVOICES, [invoice], _include(request), SINGLE))

    async def create(request: Request) -> Response:
        grant: Grant = request.state.grant
        patch, errors = read_patch(decode_body(await request.body()), creating=True)
        return answer(request, store.create_invoice(patch, errors, grant.user_id))

    async def update(request: Request) -> Response:
        invoice_id = str(request.path_params["id"])
        store.invoice(invoice_id)
        patch, errors = read_patch(decode_body(await request.body()))
        return answer(request, store.update_invoice(invoice_id, patch, errors))

    async def delete(request: Request) -> Response:
        store.delete_invoice(str(request.path_params["id"]))
        return Response(status_code=204)

    async def cancel(request: Request) -> Response:
        return answer(request, store.cancel_invoice(str(request.path_params["id"])))

    return [
        Route(f"{API}/invoices", create, methods=["POST"]),
        Route(f"{API}/invoices/{{id:int}}", update, methods=["PUT"]),
        Route(f"{API}/invoices/{{id:int}}", delete, methods=["DELETE"]),
        Route(f"{API}/invoices/{{id:int}}/cancel", cancel, methods=["PUT"]),
    ]


def _me(store: Store) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        grant: Grant = request.state.grant
        user = store.data.users[grant.user_id]
        return JSONResponse(envelope(store, USERS, [user], _include(request), SINGLE))

    return endpoint


def _routes(store: Store) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route(f"{API}/users/me", _me(store), methods=["GET"])]
    for resource in INDEXED:
        base = f"{API}/{resource.key}"
        routes.append(Route(base, _index(store, resource), methods=["GET"]))
        routes.append(Route(f"{base}/{{id:int}}", _show(store, resource), methods=["GET"]))
    return routes + _invoice_routes(store)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.to_json(), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    body = {"errors": [ErrorItem("system", exc.detail).to_json()]}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def build_app(store: Store, settings: Mapping[str, Any]) -> Starlette:
    """The bare Kantata API over `store`; `settings` is read on every request."""
    return Starlette(
        routes=_routes(store),
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(JsonSuffixMiddleware),
            Middleware(LatencyMiddleware, settings=settings),
            Middleware(AuthMiddleware),
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )


def _rate_limited(wait: float) -> Response:
    """Kantata's 429: its error envelope, "retry after a small delay", and no header that
    says how long (none is documented)."""
    message = "Rate limit exceeded; please retry after a small delay"
    return JSONResponse({"errors": [ErrorItem("system", message).to_json()]}, status_code=429)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_kantata_emulator(
    *, clock: Clock = _utc_now, quirks: Mapping[str, Any] | None = None
) -> ControlledApp:
    """A fresh Kantata emulator with its own seeded state, wrapped in the control surface;
    `quirks` are settings it starts with (see the package docstring)."""
    control = Control()
    store = Store(clock, control.settings)
    return ControlledApp(
        build_app(store, control.settings),
        control,
        reset=store.reset,
        default_settings=DEFAULT_SETTINGS,
        quirks=quirks,
        rate_limited=_rate_limited,
    )
