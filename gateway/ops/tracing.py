"""OpenTelemetry tracing, optional: `pip install 'invoice-gateway[otel]'` and
GATEWAY_TRACING=true. A span per GraphQL operation and one per vendor request (each
attempt), with W3C `traceparent` sent to the vendor.

Off (the default), or on without the extra installed, this is `NO_TRACING`: nothing from
opentelemetry is imported and every hook is a no-op. Spans go to the tracer provider given
to `create_app`, else the global one (set it up with `opentelemetry-instrument` or the SDK;
OTEL_SDK_DISABLED=true turns the SDK off as usual).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

log = logging.getLogger("gateway")

# Called when the operation ends: (operation name or None, operation type, outcome).
FinishOperation = Callable[[str | None, str, str], None]


class Tracing:
    """The no-op tracer; `OtelTracing` overrides both hooks."""

    enabled = False

    @contextlib.contextmanager
    def operation(self) -> Iterator[FinishOperation]:
        yield _ignore

    @contextlib.contextmanager
    def upstream(
        self, vendor: str, method: str, endpoint: str, headers: MutableMapping[str, str]
    ) -> Iterator[Callable[[str], None]]:
        """Around one vendor request: may add trace headers; call the yielded function with
        the status (`"200"`, `"timeout"`, ...)."""
        yield _ignore


def _ignore(*_: object) -> None:
    return None


NO_TRACING = Tracing()


def make_tracing(enabled: bool, provider: Any = None) -> Tracing:
    """OpenTelemetry tracing when `enabled` and the extra is installed, else `NO_TRACING`."""
    if not enabled:
        return NO_TRACING
    try:
        from opentelemetry import trace
    except ImportError:
        log.warning(
            "GATEWAY_TRACING is on but OpenTelemetry is not installed "
            "(pip install 'invoice-gateway[otel]'); tracing is off"
        )
        return NO_TRACING
    return OtelTracing(trace.get_tracer("invoice-gateway", tracer_provider=provider))


class OtelTracing(Tracing):
    enabled = True

    def __init__(self, tracer: Any) -> None:
        from opentelemetry import propagate, trace

        self._tracer = tracer
        self._trace = trace
        self._propagate = propagate

    @contextlib.contextmanager
    def operation(self) -> Iterator[FinishOperation]:
        with self._tracer.start_as_current_span(
            "graphql.operation", kind=self._trace.SpanKind.SERVER
        ) as span:

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
    def upstream(
        self, vendor: str, method: str, endpoint: str, headers: MutableMapping[str, str]
    ) -> Iterator[Callable[[str], None]]:
        attributes = {
            "http.request.method": method,
            "url.template": endpoint,
            "gateway.vendor": vendor,
        }
        with self._tracer.start_as_current_span(
            f"{method} {endpoint}", kind=self._trace.SpanKind.CLIENT, attributes=attributes
        ) as span:
            self._propagate.inject(headers)

            def done(status: str) -> None:
                if status.isdigit():
                    span.set_attribute("http.response.status_code", int(status))
                    failed = int(status) >= 500
                else:
                    span.set_attribute("error.type", status)
                    failed = True
                if failed:
                    span.set_status(self._trace.StatusCode.ERROR)

            yield done
