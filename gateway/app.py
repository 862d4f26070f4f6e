"""The application: routes, the per-request context, and the lifespan that owns the
pooled HTTP clients. This is the composition root: the one place that wires vendors in."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gateway.core.budget import CallBudget
from gateway.core.domain import Vendor, VendorClient
from gateway.core.service import Writers
from gateway.http import persisted_documents
from gateway.http.apq import PersistedQueries, document_problems, validates
from gateway.http.direct import DirectRouteApp
from gateway.http.edge import guard
from gateway.http.graphiql import GraphiQLIde
from gateway.http.graphiql.assets import SHIPPED
from gateway.http.idempotency import IdempotencyMiddleware
from gateway.http.stores import stores_for
from gateway.http.view import GatewayGraphQL
from gateway.ops.metrics import Observer
from gateway.ops.multiprocess import SharedMetrics
from gateway.ops.readiness import Readiness
from gateway.ops.refusals import STATE_KEY as REFUSALS_STATE_KEY
from gateway.ops.tracing import start_tracing
from gateway.schema import GatewaySchema, build_schema
from gateway.schema.context import Context
from gateway.settings import Settings
from gateway.vendors.base import ClientOptions
from gateway.vendors.breaker import Breakers
from gateway.vendors.factory import http_clients, vendor_client
from gateway.vendors.inflight import SharedCalls
from gateway.vendors.pacing import Pacer
from gateway.vendors.registry import Registry, default_registry
from gateway.vendors.retry import RetryStats

log = logging.getLogger("gateway")

DEFAULT_ORIGIN = "http://127.0.0.1:8000"


def create_app(
    settings: Settings,
    *,
    sandbox_origin: str = DEFAULT_ORIGIN,
    tracer_provider: Any = None,
    registry: Registry | None = None,
    graphiql_assets: Path = SHIPPED,
    shared_metrics: SharedMetrics | None = None,
    workers: int = 1,
) -> Starlette:
    """The gateway over `registry`'s vendors (default: Kantata OX and Kitchen.co). With the
    sandbox on, the emulators are mounted under /sandbox and the gateway calls them over
    HTTP at `sandbox_origin`, exactly as it would call a vendor. With `settings.tracing`,
    spans go to `tracer_provider`; without one, to the process's tracer provider when one is
    installed (`opentelemetry-instrument`), else to one this app builds from the OTEL_*
    variables and shuts down when it stops (gateway/ops/tracing.py). GraphiQL's files
    come from `graphiql_assets` (default: the copy inside this package; tests name a broken
    one). With `shared_metrics`, the app is one of several worker processes and /metrics
    adds up the values of all of them (gateway/ops/multiprocess.py); `workers` is how many
    there are, and each paces its vendor calls at its share of each `<PREFIX>_MAX_RATE`."""
    registry = registry or default_registry()
    routes: list[BaseRoute] = []
    if settings.sandbox_enabled:
        from gateway.sandbox import create_sandbox_app, sandboxed

        settings = sandboxed(settings, sandbox_origin)
        routes.append(Mount("/sandbox", app=create_sandbox_app(settings.sandbox_quirks)))

    http: dict[Vendor, httpx.AsyncClient] = {}
    credential_headers = registry.credential_headers()
    # Set up here, when the app is made (each worker of `serve --workers N` makes its own),
    # never at import; the lifespan says how at start and shuts it down at the end.
    tracing = start_tracing(
        settings.tracing,
        settings.telemetry,
        provider=tracer_provider,
        credential_headers=credential_headers,
    )
    # Metrics (a registry of this app's own, or the workers'), the operation log line and
    # tracing hooks.
    observer = Observer(tracing, upstream_timeout=settings.upstream_timeout, shared=shared_metrics)
    # App-lifetime, shared by every request: a breaker per vendor host, retry counters.
    breakers = Breakers(settings.resilience, watch=observer)
    retry_stats = RetryStats(watch=observer)
    # App-lifetime too: the vendor reads in flight (shared by identical ones) and the
    # schedules of each vendor's rate per credential.
    shared_calls = SharedCalls(watch=observer) if settings.upstream_dedup else None
    rates = {vendor.key: settings.vendor(vendor.key).max_rate for vendor in registry.vendors}
    pacer = Pacer(rates, share=workers) if any(rates.values()) else None

    # Shared state (idempotency, persisted queries, rate limits): in this process, or in
    # Redis when configured, through one client the lifespan opens and closes.
    stores = stores_for(settings)
    capabilities = {adapter.vendor: adapter.capabilities for adapter in registry}
    # One writer per invoice: a writer waits for another at most the vendor's deadline; a
    # lock outlives a holder that died by a read and a write, each within it, and a margin.
    writers = Writers(
        stores.locks, wait=settings.upstream_timeout, ttl=2 * settings.upstream_timeout + 5
    )

    def make_context(request: Request) -> Context:
        budget = CallBudget(settings.limits.max_vendor_calls)
        options = ClientOptions(
            deadline=settings.upstream_timeout,
            resilience=settings.resilience,
            max_bytes=settings.upstream_max_bytes,
            breakers=breakers,
            stats=retry_stats,
            observer=observer,
            budget=budget,
            shared=shared_calls,
            pacer=pacer,
        )

        def client_for(vendor: Vendor) -> VendorClient:
            adapter = registry.adapter(vendor)
            config = settings.vendor(vendor.key)
            return vendor_client(adapter, config, http, request.headers, options)

        return Context(
            client_for=client_for,
            ids=registry.ids,
            capabilities=capabilities,
            on_batch=observer.batch,
            writers=writers,
            limits=settings.limits,
            budget=budget,
        )

    schema = build_schema(
        settings.limits,
        vendors=registry.vendors,
        introspection=settings.introspection,
        observer=observer,
        compiled=settings.compiled_operations,
    )
    # Persisted documents are stored only when they pass the schema's own checks; the
    # manifests' are checked the same way, here, before anything starts.
    manifests = load_persisted_documents(settings, schema)
    persisted = PersistedQueries(
        stores.queries,
        persisted_only=settings.persisted_queries_only,
        max_bytes=settings.limits.apq_max_bytes,
        check=validates(schema),
        documents=manifests,
    )
    view = GatewayGraphQL(
        schema,
        make_context=make_context,
        persisted_queries=persisted,
        max_variables_bytes=settings.limits.max_variables_bytes,
        refusals=observer,
    )
    # Idempotency sits inside the guard: only requests that passed the key, CSRF and size
    # checks are remembered, and a replay carries the new request's ID. A duplicate waits
    # for the first at most the upstream timeout. A request that needs the shared store
    # while it is down is answered 503 STORE_UNAVAILABLE.
    idempotency = IdempotencyMiddleware(
        view,
        stores.idempotency,
        on_replay=observer.replayed,
        wait=settings.upstream_timeout,
        max_answer_bytes=settings.limits.idempotency_max_answer_bytes,
        documents=persisted.document,
        max_tokens=settings.limits.max_tokens,
        caller_headers=credential_headers,
        refusals=observer,
    )
    # Every refusal at the door is counted by its reason (gateway/ops/refusals.py).
    graphql = guard(
        idempotency,
        settings,
        stores.rate_limiter,
        credential_headers=credential_headers,
        refusals=observer,
    )
    readiness = Readiness(settings, registry, stores.redis.ping if stores.redis else None)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "sandbox": bool(settings.sandbox)})

    async def metrics(request: Request) -> Response:
        # Not behind the API key, like /healthz: scrape it on an internal port
        # (docs/operations.md, "Metrics").
        return Response(observer.render(), media_type=CONTENT_TYPE_LATEST)

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql")

    # GraphiQL's own files (shipped inside this package) and the favicon.
    graphiql_ide = GraphiQLIde.from_settings(settings, registry, graphiql_assets)
    routes += graphiql_ide.routes()

    graphql_methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes += [
        Route("/graphql", graphql, methods=graphql_methods),
        Route("/healthz", healthz),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/readyz", readiness.endpoint),
        Route("/", home),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        log.info(
            "starting: %s",
            startup_summary(settings, registry, tracing=tracing.state),
            extra={"sandbox": bool(settings.sandbox), "redis": stores.redis is not None},
        )
        if settings.sandbox:
            log.warning(
                "SANDBOX MODE: no vendor is called; the gateway talks to the built-in "
                "emulators at %s/sandbox with demo data. Configure %s "
                "(or GATEWAY_SANDBOX=false) to reach the real vendors.",
                sandbox_origin,
                " or ".join(f"{adapter.setting_prefix}_TOKEN" for adapter in registry),
            )
        if tracing.problem is not None:
            log.warning(tracing.problem)
        if pacer is not None:
            log.info("vendor rates: %s", pacing_summary(pacer, registry, workers))
        if manifests is not None:
            log.info(
                "persisted documents: %d ids, %d documents, from %s",
                manifests.ids,
                len(manifests.by_sha256),
                ", ".join(settings.persisted_documents),
            )
        if settings.persisted_queries_only and stores.redis is None and manifests is None:
            log.warning(
                "GATEWAY_PERSISTED_QUERIES_ONLY without GATEWAY_REDIS_URL: no operation can be "
                "registered, so every GraphQL request will be refused"
            )
        if stores.redis is not None:
            await stores.redis.open()
        # Traced, every vendor call goes through httpx, whose instrumentation makes its
        # CLIENT span and sends its traceparent; else aiohttp is called past httpx.
        http.update(
            http_clients(
                registry.vendors,
                settings.upstream_timeout,
                settings.upstream_transport,
                direct=not tracing.enabled,
            )
        )
        for client in http.values():
            tracing.instrument(client)
        app.state.breakers, app.state.retry_stats = breakers, retry_stats
        try:
            # /readyz answers from checks this task keeps fresh (gateway/ops/readiness.py).
            async with readiness.running():
                # The server counts its own refusals (gateway/http/serving.py) here too.
                yield {REFUSALS_STATE_KEY: observer}
        finally:
            for client in http.values():
                await client.aclose()
            http.clear()
            if stores.redis is not None:
                await stores.redis.close()
            tracing.shutdown()  # the spans still buffered are sent

    # Outermost but for Starlette's error handler: the SERVER span holds the whole request.
    middleware = [Middleware(tracing.server_spans)] if tracing.enabled else []
    # /graphql is also served straight from the app, past Starlette's router (the route
    # above stays for the ordinary path: see gateway/http/direct.py).
    app = DirectRouteApp(
        path="/graphql",
        endpoint=graphql,
        methods=graphql_methods,
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.graphiql = graphiql_ide  # read by GatewayGraphQL.render_graphql_ide
    app.state.shared_calls, app.state.pacer = shared_calls, pacer  # for tests to look into
    return app


def load_persisted_documents(
    settings: Settings, schema: GatewaySchema | None = None, registry: Registry | None = None
) -> persisted_documents.PersistedDocuments | None:
    """The documents of the manifests `settings.persisted_documents` names (None when it
    names none), each checked as the view checks an operation against `schema` (by
    default the one the settings give). ManifestError, a SettingsError, tells every
    problem: the gateway does not start with any."""
    if not settings.persisted_documents:
        return None
    if schema is None:
        schema = build_schema(
            settings.limits,
            vendors=(registry or default_registry()).vendors,
            introspection=settings.introspection,
        )
    return persisted_documents.load(settings.persisted_documents, document_problems(schema))


def export_schema(registry: Registry | None = None) -> str:
    """The SDL of the schema the gateway serves over `registry`'s vendors."""
    vendors = (registry or default_registry()).vendors
    return build_schema(vendors=vendors).as_str() + "\n"


def pacing_summary(pacer: Pacer, registry: Registry, workers: int) -> str:
    """Which vendors are paced, at what rate per credential, in this process."""
    parts = []
    for adapter in registry:
        rate = pacer.rate(adapter.vendor.key)
        if rate is None:
            parts.append(f"{adapter.vendor.key} unpaced")
            continue
        share = f" (each of {workers} workers: {rate:g})" if workers > 1 else ""
        parts.append(
            f"{adapter.vendor.key} at most {rate * workers:g} requests a second per "
            f"credential{share}"
        )
    return "; ".join(parts)


def startup_summary(settings: Settings, registry: Registry, *, tracing: str) -> str:
    """One line an operator reads at start: which vendors are real, and whether the
    sandbox, the API keys, Redis and tracing are on (no secret, no URL). `tracing` is the
    app's tracing state: `on (otlp)`, `off`, `off: <why>`."""
    vendors = []
    for adapter in registry:
        if settings.sandbox:
            state = "sandbox"
        elif settings.vendor(adapter.vendor.key).token:
            state = "real, configured token"
        else:
            state = f"real, callers send {adapter.token_header}"
        vendors.append(f"{adapter.vendor.key} ({state})")
    keys = len(settings.api_keys)
    return "; ".join(
        [
            "vendors " + ", ".join(vendors),
            f"sandbox {'on' if settings.sandbox else 'off'}",
            f"API keys {'on (' + str(keys) + ')' if keys else 'off: anyone who reaches the port'}",
            f"Redis {'on' if settings.redis_url else 'off (state in this process)'}",
            f"tracing {tracing}",
        ]
    )
