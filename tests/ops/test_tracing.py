"""OpenTelemetry (the `otel` extra): a span per operation and per vendor request, and the
vendor receives the W3C `traceparent` of its request's span."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.ops.tracing import NO_TRACING, make_tracing
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT
from tests.server import serve_gateway

sdk = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind  # noqa: E402

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

UPDATE = """mutation Touch($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id } userErrors { code } } }"""


@pytest.fixture
def traced() -> Iterator[tuple[Gateway, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = Settings(sandbox=True, tracing=True)
    with (
        serve_gateway(settings, tracer_provider=provider) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        gateway = Gateway(client)
        gateway.reset()
        yield gateway, exporter
    provider.shutdown()


def test_spans_and_traceparent(traced: tuple[Gateway, InMemorySpanExporter]) -> None:
    gw, exporter = traced
    gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "traced"}})
    spans = exporter.get_finished_spans()
    (operation,) = [s for s in spans if s.kind is SpanKind.SERVER]
    (call,) = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert operation.name == "mutation Touch"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Touch"
    assert call.name == "PUT /invoices/{id}"
    assert call.attributes is not None
    assert call.attributes["http.response.status_code"] == 200
    assert call.attributes["gateway.vendor"] == "kantata"
    assert call.parent is not None and call.parent.span_id == operation.context.span_id
    assert call.context.trace_id == operation.context.trace_id

    (recorded,) = gw.requests("kantata")
    version, trace_id, span_id, _flags = recorded["headers"]["traceparent"].split("-")
    assert version == "00"
    assert int(trace_id, 16) == call.context.trace_id
    assert int(span_id, 16) == call.context.span_id


def test_off_by_default_and_when_disabled() -> None:
    assert make_tracing(False) is NO_TRACING
    assert Settings().tracing is False
    env = {"GATEWAY_TRACING": "true"}
    assert Settings.from_env(env).tracing is True
    assert Settings.from_env({**env, "OTEL_SDK_DISABLED": "true"}).tracing is False


def test_no_traceparent_without_tracing(gw: Gateway) -> None:
    gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "plain"}})
    (recorded,) = gw.requests("kantata")
    assert "traceparent" not in recorded["headers"]


def test_nothing_from_opentelemetry_is_imported_when_off() -> None:
    # (The app as a whole may still load it through redis, which probes for it.)
    import subprocess
    import sys

    code = (
        "import sys; import gateway.ops.metrics, gateway.schema, gateway.vendors.http;"
        "from gateway.ops.tracing import make_tracing; make_tracing(False);"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
