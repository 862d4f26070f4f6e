"""OpenTelemetry tracing, optional: `pip install 'invoice-gateway[otel]'` and
GATEWAY_TRACING=true. The spans come from OpenTelemetry's own instrumentation, with its
semantic conventions:

- a SERVER span per HTTP request (opentelemetry-instrumentation-asgi), the child of the
  caller's span when the request carries a W3C `traceparent` (and `tracestate`);
- an INTERNAL span per GraphQL operation, named `mutation Update`, with
  `graphql.operation.type` and `graphql.operation.name` (never the document, never its
  variables);
- a CLIENT span per vendor request, each attempt (opentelemetry-instrumentation-httpx on the
  vendor clients, so over either pool, aiohttp or httpcore), named `PUT /invoices/{id}`
  with `url.template` and `gateway.vendor`; the vendor receives its `traceparent`.

Where the spans go: the tracer provider given to `create_app`; else the process's own when
one is installed (`opentelemetry-instrument`); else one built here, once per app at start,
shut down (flushed) when the app stops, from the standard variables: OTEL_TRACES_EXPORTER
(`otlp`, the default, over HTTP/protobuf or gRPC as OTEL_EXPORTER_OTLP_PROTOCOL says;
`console`; `none`), and those the SDK and the exporter read themselves (OTEL_SERVICE_NAME,
default `invoice-gateway`; OTEL_RESOURCE_ATTRIBUTES; OTEL_EXPORTER_OTLP_*;
OTEL_TRACES_SAMPLER; OTEL_BSP_*; OTEL_PROPAGATORS).

Never in a span: a query string, the gateway's (a GET carries the GraphQL document and its
variables there) or a vendor's (its filters come from the caller's variables); a
credential header, even when OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* asks for headers.

Off (the default), nothing from OpenTelemetry is imported and every hook does nothing. On
but unable to work (the extra missing, an exporter unknown or not installed,
OTEL_SDK_DISABLED), the same, and `problem` is the WARNING the app logs at start. Under
`opentelemetry-instrument`, instrumentation it turned on for the whole process (httpx,
aiohttp-client, starlette) is warned of too: it would span the same requests again, query
strings included.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from starlette.types import ASGIApp, Receive, Scope, Send

    from gateway.settings import Telemetry

SERVICE_NAME = "invoice-gateway"
EXPORTERS = ("otlp", "console", "none")
INSTALL = "pip install 'invoice-gateway[otel]'"
# No SERVER span for probes, scrapes and the sandbox's emulators (the gateway's vendor
# stand-ins, whose requests are the gateway's CLIENT spans already). Searched in the URL.
UNTRACED = ("/healthz$", "/readyz$", "/metrics$", "/sandbox/")
# Instrumentations `opentelemetry-instrument` may turn on for the whole process (by their
# OTEL_PYTHON_DISABLED_INSTRUMENTATIONS names) that do the gateway's own again, without its
# care for query strings and credentials.
OVERLAPPING = ("httpx", "aiohttp-client", "starlette")
# Headers whose values never reach a span, besides each vendor's credential headers.
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")
REDACTED = "[REDACTED]"
_REAL_SCOPE = "gateway.real_scope"

# Called when the operation ends: (operation name or None, operation type, outcome).
FinishOperation = Callable[[str | None, str, str], None]

# The vendor request being sent: (vendor, endpoint template), for its CLIENT span's name.
_call: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "gateway_vendor_call", default=None
)


class Tracing:
    """Tracing off: every hook does nothing. `state` is what the start-up line says;
    `problem`, when set, the WARNING logged at start (tracing was asked for but cannot
    work, or works beside process-wide instrumentation that undoes its care)."""

    enabled = False

    def __init__(self, state: str = "off", problem: str | None = None) -> None:
        self.state = state
        self.problem = problem

    def server_spans(self, app: ASGIApp) -> ASGIApp:
        """`app` with a SERVER span around each HTTP request."""
        return app

    def instrument(self, client: httpx.AsyncClient) -> None:
        """A CLIENT span around each request `client` sends, whose `traceparent` it sends."""

    @contextlib.contextmanager
    def operation(self) -> Iterator[FinishOperation]:
        yield _ignore

    @contextlib.contextmanager
    def upstream(self, vendor: str, endpoint: str) -> Iterator[None]:
        """Around one vendor request: names the CLIENT span the request gets."""
        yield

    def shutdown(self) -> None:
        """Sends the spans still buffered and stops the exporters this app started."""


def _ignore(*_: object) -> None:
    return None


NO_TRACING = Tracing()


def start_tracing(
    enabled: bool,
    telemetry: Telemetry,
    *,
    provider: Any = None,
    credential_headers: Sequence[str] = (),
) -> Tracing:
    """The app's tracing: `NO_TRACING` when off; on, OpenTelemetry's instrumentation with
    spans going to `provider`, else the process's tracer provider when one is installed,
    else one built from `telemetry` (the standard OTEL_* variables). When tracing is on but
    cannot work, a `Tracing` that does nothing and says why."""
    if not enabled:
        return NO_TRACING
    if telemetry.sdk_disabled:
        return _cannot("OTEL_SDK_DISABLED=true", "OTEL_SDK_DISABLED=true turns OpenTelemetry off")
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware  # noqa: F401
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: F401
        from opentelemetry.sdk.trace import TracerProvider  # noqa: F401
    except ImportError as exc:
        return _cannot(
            "OpenTelemetry is not installed",
            f"OpenTelemetry is not installed (no module {exc.name}; {INSTALL})",
        )
    _stable_http_conventions()
    if provider is not None:
        return OtelTracing(provider, "on", owned=False, credential_headers=credential_headers)
    installed = trace.get_tracer_provider()
    if not isinstance(installed, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        tracing = OtelTracing(
            installed,
            "on (the process's tracer provider)",
            owned=False,
            credential_headers=credential_headers,
        )
        overlapping = _process_wide_instrumentation()
        if overlapping:
            names = ",".join(overlapping)
            tracing.problem = (
                f"OpenTelemetry instruments {names} for the whole process "
                "(opentelemetry-instrument): those spans repeat the gateway's own and may "
                "record query strings (a GraphQL GET's variables, a vendor's filters); set "
                f"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS={names}"
            )
        return tracing
    built = _provider(telemetry)
    if isinstance(built, Tracing):
        return built
    return OtelTracing(
        built,
        f"on ({', '.join(dict.fromkeys(telemetry.exporters))})",
        owned=True,
        credential_headers=credential_headers,
    )


def _cannot(why: str, detail: str) -> Tracing:
    return Tracing(f"off: {why}", f"GATEWAY_TRACING is on but {detail}; tracing is off")


def _process_wide_instrumentation() -> list[str]:
    """Which of `OVERLAPPING` are on for the whole process (each is imported by then)."""
    from importlib.metadata import entry_points

    return [
        entry.name
        for entry in entry_points(group="opentelemetry_instrumentor")
        if entry.name in OVERLAPPING
        and entry.module in sys.modules
        and entry.load()().is_instrumented_by_opentelemetry
    ]


def _stable_http_conventions() -> None:
    """The instrumentation names HTTP attributes the old way (`http.method`, `http.url`)
    unless OTEL_SEMCONV_STABILITY_OPT_IN asks for the stable ones, and reads only the
    environment for that. Unless the operator chose, the gateway asks for the stable names
    (`http.request.method`, `url.full`, `http.response.status_code`), which its spans have
    always carried."""
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")


def _provider(telemetry: Telemetry) -> TracerProvider | Tracing:
    """An SDK tracer provider exporting where `telemetry` says, or the `Tracing` that says
    why it cannot be built."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    unknown = [name for name in telemetry.exporters if name not in EXPORTERS]
    if unknown:
        return _cannot(
            f"unknown OTEL_TRACES_EXPORTER {', '.join(unknown)}",
            f"OTEL_TRACES_EXPORTER names {', '.join(map(repr, unknown))}; the gateway "
            f"knows {', '.join(EXPORTERS)}",
        )
    exporters: list[SpanExporter] = []
    for name in dict.fromkeys(telemetry.exporters):
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            otlp = _otlp_exporter(telemetry.otlp_protocol)
            if isinstance(otlp, Tracing):
                return otlp
            exporters.append(otlp)
    # The SDK reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the gateway's name
    # stands in for its `unknown_service` default.
    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


_OTLP = {
    "http/protobuf": (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        "opentelemetry-exporter-otlp-proto-http",
    ),
    "grpc": (
        "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
        "opentelemetry-exporter-otlp-proto-grpc",
    ),
}


def _otlp_exporter(protocol: str) -> SpanExporter | Tracing:
    if protocol not in _OTLP:
        return _cannot(
            f"OTLP protocol {protocol} unknown",
            f"OTEL_EXPORTER_OTLP_PROTOCOL is {protocol!r}; the gateway sends OTLP over "
            f"{' or '.join(_OTLP)}",
        )
    module, package = _OTLP[protocol]
    try:
        exporter_class = importlib.import_module(module).OTLPSpanExporter
    except ImportError:
        return _cannot(
            f"{package} is not installed",
            f"OTEL_TRACES_EXPORTER=otlp over {protocol} needs {package}, which is not installed",
        )
    try:
        # It reads OTEL_EXPORTER_OTLP_* itself (endpoint, headers, timeout, certificates).
        exporter: SpanExporter = exporter_class()
        return exporter
    except Exception as exc:  # only its type: the message may hold OTEL_EXPORTER_OTLP_HEADERS
        return _cannot(
            "the OTLP exporter could not be set up",
            f"the OTLP exporter could not be set up ({type(exc).__name__})",
        )


class OtelTracing(Tracing):
    enabled = True

    def __init__(
        self, provider: Any, state: str, *, owned: bool, credential_headers: Sequence[str]
    ) -> None:
        super().__init__(state)
        from opentelemetry import trace

        self._provider = provider
        self._owned = owned
        self._trace = trace
        self._tracer = trace.get_tracer(SERVICE_NAME, tracer_provider=provider)
        secret = {*SECRET_HEADERS, *(h.lower() for h in credential_headers)}
        self._secret_headers = sorted(secret)
        # How the instrumentation names a captured request header's attribute.
        self._secret_attributes = {
            "http.request.header." + h.replace("-", "_") for h in self._secret_headers
        }

    def server_spans(self, app: ASGIApp) -> ASGIApp:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.util.http import (
            OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
            get_custom_headers,
            parse_excluded_urls,
        )

        sanitize = [
            *(f"^{re.escape(h)}$" for h in self._secret_headers),
            *get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS),
        ]

        # The middleware is handed the request without its query string (a GET carries the
        # GraphQL document and its variables there), so it records none; the app below it
        # gets the request as it came.
        async def as_it_came(scope: Scope, receive: Receive, send: Send) -> None:
            await app(scope.get(_REAL_SCOPE, scope), receive, send)

        traced = OpenTelemetryMiddleware(
            as_it_came,
            excluded_urls=parse_excluded_urls(",".join(UNTRACED)),
            tracer_provider=self._provider,
            http_capture_headers_sanitize_fields=sanitize,
            exclude_spans=["receive", "send"],
        )

        async def without_query(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                scope = {**scope, "query_string": b"", _REAL_SCOPE: scope}
            await traced(scope, receive, send)

        return without_query

    def instrument(self, client: httpx.AsyncClient) -> None:
        import httpx
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        # Under `opentelemetry-instrument`, httpx's own pool may already be instrumented
        # for the whole process, with the process's provider: when that is this app's too,
        # a second span around each request would be one too many.
        if (
            HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
            and isinstance(client._transport, httpx.AsyncHTTPTransport)
            and self._provider is self._trace.get_tracer_provider()
        ):
            return
        HTTPXClientInstrumentor.instrument_client(
            client, tracer_provider=self._provider, request_hook=self._client_span
        )

    async def _client_span(self, span: Any, request: Any) -> None:
        """The instrumentation's CLIENT span, as the gateway names it: after the endpoint
        template, without the query string, without a credential header's value."""
        if not span.is_recording():
            return
        call = _call.get()
        if call is not None:
            vendor, endpoint = call
            span.update_name(f"{request.method.decode()} {endpoint}")
            span.set_attributes({"url.template": endpoint, "gateway.vendor": vendor})
        recorded = getattr(span, "attributes", None) or {}
        for key in ("url.full", "http.url"):
            value = recorded.get(key)
            if isinstance(value, str) and "?" in value:
                span.set_attribute(key, value.split("?", 1)[0])
        for key in self._secret_attributes & set(recorded):
            span.set_attribute(key, [REDACTED])

    @contextlib.contextmanager
    def operation(self) -> Iterator[FinishOperation]:
        with self._tracer.start_as_current_span("graphql.operation") as span:

            def finish(name: str | None, kind: str, outcome: str) -> None:
                span.update_name(f"{kind} {name}" if name else kind)
                span.set_attribute("graphql.operation.type", kind)
                if name:
                    span.set_attribute("graphql.operation.name", name)
                span.set_attribute("gateway.outcome", outcome)
                if outcome == "error":
                    span.set_status(self._trace.StatusCode.ERROR)

            yield finish

    @contextlib.contextmanager
    def upstream(self, vendor: str, endpoint: str) -> Iterator[None]:
        token = _call.set((vendor, endpoint))
        try:
            yield
        finally:
            _call.reset(token)

    def shutdown(self) -> None:
        if self._owned:
            self._provider.shutdown()
        elif callable(flush := getattr(self._provider, "force_flush", None)):
            # Not this app's to stop, but its spans are sent now: uvicorn ends the process
            # by the signal it caught, so the provider's own flush at exit never runs.
            flush()
