"""The Kitchen routes, relative to the emulator root: `/{workspace}/api/...`.

Every request goes: workspace (404) -> bearer key (401) -> read-only key on a write (403)
-> the resource (404) -> validation (422). Unknown routes answer Laravel's 404 before any
authentication, as route middleware never runs for them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import cast, get_args

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.sandbox.control import Control
from gateway.sandbox.kitchen import errors, serialize
from gateway.sandbox.kitchen.errors import ApiError
from gateway.sandbox.kitchen.laravel import error_response, read_input
from gateway.sandbox.kitchen.listing import MAX_PER_PAGE, PageRequest, paginate
from gateway.sandbox.kitchen.models import Group, Invoice, Status, Workspace
from gateway.sandbox.kitchen.serialize import JsonResponse
from gateway.sandbox.kitchen.store import KitchenStore, State

Handler = Callable[[Request, Workspace], Awaitable[Response]]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_EXPAND_KEY = re.compile(r"^expand\[\d*\]$")
STATES: dict[str, State] = {"all": "all", "active": "active", "archived": "archived"}
STATUSES: tuple[str, ...] = get_args(Status)
_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def create_app(store: KitchenStore, control: Control) -> Starlette:
    def guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            slug = request.path_params["workspace"]
            try:
                ws = _authenticate(store, request)
                return await handler(request, ws)
            except ApiError as error:
                return error_response(request, error, slug)

        return endpoint

    def expand(request: Request) -> set[str]:
        """`expand[]=client` (array syntax only; `expand=client` is a plain string)."""
        if not control.settings.get("honour_expand", True):
            return set()
        return {v for k, v in request.query_params.multi_items() if _EXPAND_KEY.match(k)}

    def page_request(request: Request) -> PageRequest:
        path = str(request.url.replace(query=""))
        settings = control.settings
        return PageRequest.parse(
            path,
            request.query_params.multi_items(),
            max_per_page=int(settings.get("per_page_max", MAX_PER_PAGE)),
            ignore_per_page=bool(settings.get("ignore_per_page", False)),
        )

    def render(invoice: Invoice, ws: Workspace, request: Request) -> serialize.Json:
        shown = serialize.invoice(invoice, ws, expand(request))
        if not control.settings.get("line_currency", True) and isinstance(shown, dict):
            for key in ("items", "discounts", "tax_items"):
                for line in cast(list[dict[str, object]], shown.get(key) or []):
                    line.pop("currency", None)
        return shown

    async def list_invoices(request: Request, ws: Workspace) -> Response:
        params = request.query_params
        state = STATES.get(params.get("state", "active"))
        # [guess] `status` and `number` (undocumented): trimmed, empty means absent
        # (Laravel's TrimStrings, ConvertEmptyStringsToNull and a `nullable` rule). The
        # `ignore_unknown_list_params` quirk: a Laravel app that does not know them.
        known = not control.settings.get("ignore_unknown_list_params", False)
        status = _query_text(params.get("status")) if known else None
        number = _query_text(params.get("number")) if known else None
        invalid: dict[str, list[str]] = {}
        if state is None:
            invalid["state"] = ["The selected state is invalid."]
        if status is not None and status not in STATUSES:
            invalid["status"] = ["The selected status is invalid."]
        if invalid or state is None:
            raise errors.invalid(invalid)
        found = store.invoices(ws, state, status=status, number=number)
        return JsonResponse(
            paginate(found, page_request(request), lambda i: render(i, ws, request))
        )

    async def create_invoice(request: Request, ws: Workspace) -> Response:
        invoice = store.create(ws, await read_input(request))
        return JsonResponse(render(invoice, ws, request), status_code=201)

    async def show_invoice(request: Request, ws: Workspace) -> Response:
        invoice = store.invoice(ws, request.path_params["id"])
        return JsonResponse(render(invoice, ws, request))

    async def update_invoice(request: Request, ws: Workspace) -> Response:
        invoice = store.invoice(ws, request.path_params["id"])
        store.update(ws, invoice, await read_input(request))
        return JsonResponse(render(invoice, ws, request))

    async def archive_invoice(request: Request, ws: Workspace) -> Response:
        invoice = store.archive(ws, store.invoice(ws, request.path_params["id"]))
        return JsonResponse(render(invoice, ws, request))

    async def delete_invoice(request: Request, ws: Workspace) -> Response:
        store.delete(ws, store.invoice(ws, request.path_params["id"]))
        return Response(status_code=204)

    def users(group: Group) -> tuple[Handler, Handler]:
        async def index(request: Request, ws: Workspace) -> Response:
            params = request.query_params
            found = store.users(ws, group, params.get("name"), params.get("email"))
            return JsonResponse(paginate(found, page_request(request), serialize.user))

        async def show(request: Request, ws: Workspace) -> Response:
            return JsonResponse(serialize.user(store.user(ws, request.path_params["id"], group)))

        return index, show

    clients, client = users("client")
    members, member = users("manager")
    base = "/{workspace}/api"
    routes = [
        Route(f"{base}/invoices", guarded(list_invoices), methods=["GET"]),
        Route(f"{base}/invoices", guarded(create_invoice), methods=["POST"]),
        Route(f"{base}/invoices/{{id}}", guarded(show_invoice), methods=["GET"]),
        Route(f"{base}/invoices/{{id}}", guarded(update_invoice), methods=["PUT", "PATCH"]),
        Route(f"{base}/invoices/{{id}}", guarded(delete_invoice), methods=["DELETE"]),
        Route(f"{base}/invoices/{{id}}/archive", guarded(archive_invoice), methods=["POST"]),
        Route(f"{base}/clients", guarded(clients), methods=["GET"]),
        Route(f"{base}/clients/{{id}}", guarded(client), methods=["GET"]),
        Route(f"{base}/members", guarded(members), methods=["GET"]),
        Route(f"{base}/members/{{id}}", guarded(member), methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _routing_error(store, request, exc, routes)

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


def _query_text(value: str | None) -> str | None:
    """A query parameter as Laravel's input middleware leaves it: trimmed, "" as null."""
    if value is None:
        return None
    return value.strip() or None


def _authenticate(store: KitchenStore, request: Request) -> Workspace:
    slug = request.path_params["workspace"]
    ws = store.workspaces.get(slug)
    if ws is None:
        raise errors.workspace_not_found(slug)
    header = request.headers.get("authorization", "")
    token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
    if token and secrets.compare_digest(token, ws.api_key):
        return ws
    if token and ws.readonly_key and secrets.compare_digest(token, ws.readonly_key):
        if request.method in WRITES:
            raise errors.unauthorized()
        return ws
    raise errors.unauthenticated()


def _routing_error(
    store: KitchenStore, request: Request, exc: Exception, routes: list[Route]
) -> Response:
    """Starlette's 404/405 as Laravel words them (an unknown workspace wins)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    slug, _, rest = path.lstrip("/").partition("/")
    if slug not in store.workspaces:
        return error_response(request, errors.workspace_not_found(slug), None)
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        allowed: set[str] = set()
        for route in routes:
            match, _scope = route.matches(request.scope)
            if match.value and route.methods:
                allowed |= route.methods
        methods = [m for m in _METHOD_ORDER if m in allowed]
        error = errors.method_not_allowed(request.method, rest, methods)
    else:
        error = errors.route_not_found(rest)
    return error_response(request, error, slug)
