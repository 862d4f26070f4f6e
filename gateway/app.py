"""The application: routes, the per-request context, and the lifespan that owns the
pooled HTTP clients. This is the composition root: the one place that wires vendors in."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gateway.context import Context
from gateway.credentials import credentials_for
from gateway.domain import Vendor, VendorClient
from gateway.graphql_view import GatewayGraphQL
from gateway.schema import build_schema
from gateway.settings import Settings
from gateway.vendors.factory import http_clients, vendor_client

log = logging.getLogger("gateway")

DEFAULT_ORIGIN = "http://127.0.0.1:8000"


def create_app(settings: Settings, *, sandbox_origin: str = DEFAULT_ORIGIN) -> Starlette:
    """The gateway. With the sandbox on, the emulators are mounted under /sandbox and the
    gateway calls them over HTTP at `sandbox_origin`, exactly as it would call a vendor."""
    routes: list[BaseRoute] = []
    if settings.sandbox_enabled:
        from gateway.sandbox import SANDBOX_CREDENTIALS as DEMO
        from gateway.sandbox import create_sandbox_app

        settings = settings.with_sandbox(
            sandbox_origin, DEMO.kantata_token, DEMO.kitchen_token, DEMO.kitchen_workspace
        )
        routes.append(Mount("/sandbox", app=create_sandbox_app()))

    http: dict[Vendor, httpx.AsyncClient] = {}

    def make_context(request: Request) -> Context:
        credentials = credentials_for(settings, request.headers)

        def client_for(vendor: Vendor) -> VendorClient:
            return vendor_client(vendor, settings, http, credentials)

        return Context(client_for=client_for)

    graphql = GatewayGraphQL(build_schema(), make_context=make_context)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "sandbox": bool(settings.sandbox)})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    routes += [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        Route("/healthz", healthz),
        Route("/", home),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.sandbox:
            log.warning(
                "SANDBOX MODE: no vendor is called; the gateway talks to the built-in "
                "emulators at %s/sandbox with demo data. Configure KANTATA_TOKEN or "
                "KITCHEN_TOKEN (or GATEWAY_SANDBOX=false) to reach the real vendors.",
                sandbox_origin,
            )
        http.update(http_clients(settings))
        try:
            yield
        finally:
            for client in http.values():
                await client.aclose()
            http.clear()

    return Starlette(routes=routes, lifespan=lifespan)
