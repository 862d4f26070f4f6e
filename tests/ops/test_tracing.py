"""OpenTelemetry (the `otel` extra), over real HTTP on loopback: the caller's W3C trace is
continued through the gateway to the vendor (the sandbox's emulators record the headers
they receive), by OpenTelemetry's own ASGI and httpx instrumentation over either pool; log
lines carry the trace; tracing set up from the OTEL_* variables exports by itself (OTLP to
a collector on loopback, the console); tracing that cannot work says so at start."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.ops.logs import RequestIdFilter, handler
from gateway.ops.tracing import NO_TRACING, start_tracing
from gateway.sandbox import SANDBOX_CREDENTIALS
from gateway.settings import Resilience, Settings, Telemetry
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT
from tests.server import free_port, gateway_app, serve, serve_gateway

sdk = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace import ReadableSpan  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind  # noqa: E402

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

# The caller's trace, as a W3C traceparent: version, trace ID, the caller's span, sampled.
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"

UPDATE = """mutation Touch($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id } userErrors { code } } }"""
SECRET_NOTES = "private-notes-5521"
FAST = Resilience(retry_backoff=0.01, breaker_failures=1_000_000)


def touch(gw: Gateway, notes: str = SECRET_NOTES, **headers: str) -> httpx.Response:
    variables = {"input": {"id": KANTATA_DRAFT, "notes": notes}}
    response = gw.http.post(
        "/graphql", json={"query": UPDATE, "variables": variables}, headers=headers
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response


def sent_traceparent(gw: Gateway, vendor: str = "kantata") -> list[str | None]:
    """The `traceparent` of each request the vendor's emulator received."""
    return [r["headers"].get("traceparent") for r in gw.requests(vendor)]


def parts(traceparent: str) -> tuple[str, str, str, str]:
    version, trace_id, span_id, flags = traceparent.split("-")
    return version, trace_id, span_id, flags


@contextmanager
def in_memory(settings: Settings) -> Iterator[tuple[Gateway, InMemorySpanExporter]]:
    """A gateway whose spans go to a provider given to it, kept in memory."""
    exporter = InMemorySpanExporter()
    provider = sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with (
        serve_gateway(settings, tracer_provider=provider) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        gateway = Gateway(client)
        gateway.reset()
        exporter.clear()
        yield gateway, exporter
    provider.shutdown()


@pytest.fixture
def traced() -> Iterator[tuple[Gateway, InMemorySpanExporter]]:
    with in_memory(Settings(sandbox=True, tracing=True)) as traced:
        yield traced


def of_kind(spans: tuple[ReadableSpan, ...], kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in spans if s.kind is kind]


def test_spans_continue_the_callers_trace_with_the_semantic_conventions(
    traced: tuple[Gateway, InMemorySpanExporter],
) -> None:
    gw, exporter = traced
    touch(gw, traceparent=TRACEPARENT)
    spans = exporter.get_finished_spans()
    (server,) = of_kind(spans, SpanKind.SERVER)
    (operation,) = of_kind(spans, SpanKind.INTERNAL)
    (call,) = of_kind(spans, SpanKind.CLIENT)

    # The SERVER span (ASGI instrumentation) is the child of the caller's span.
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CALLER_SPAN
    assert server.name == "POST /graphql"
    assert server.attributes is not None
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["url.path"] == "/graphql"
    assert server.attributes["http.response.status_code"] == 200

    # The operation's span, then the vendor request's (httpx instrumentation) below it.
    assert operation.name == "mutation Touch"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "mutation"
    assert operation.attributes["graphql.operation.name"] == "Touch"
    assert operation.parent is not None and operation.parent.span_id == server.context.span_id
    assert call.name == "PUT /invoices/{id}"
    assert call.parent is not None and call.parent.span_id == operation.context.span_id
    assert call.context.trace_id == server.context.trace_id
    assert call.attributes is not None
    assert call.attributes["http.request.method"] == "PUT"
    assert call.attributes["http.response.status_code"] == 200
    assert call.attributes["url.template"] == "/invoices/{id}"
    assert call.attributes["gateway.vendor"] == "kantata"
    assert str(call.attributes["url.full"]).endswith("/sandbox/kantata/api/v1/invoices/101")

    # The vendor received the caller's trace, with the CLIENT span as its parent.
    (traceparent,) = sent_traceparent(gw)
    assert traceparent is not None
    version, trace_id, parent, flags = parts(traceparent)
    assert (version, trace_id, flags) == ("00", CALLER_TRACE, "01")
    assert parent == f"{call.context.span_id:016x}" != CALLER_SPAN

    # Neither the variables nor a credential reach a span.
    recorded = json.dumps([dict(s.attributes or {}) for s in spans])
    assert SECRET_NOTES not in recorded
    assert "sandbox-kantata-token" not in recorded


def test_no_query_string_reaches_a_span(traced: tuple[Gateway, InMemorySpanExporter]) -> None:
    gw, exporter = traced
    # A GET carries the document and its variables in the query string; the vendor's
    # query string carries the caller's filter.
    query = "query Find($f: InvoiceFilter) { invoices(vendor: KITCHEN, first: 5, filter: $f) {"
    query += " totalCount } }"
    response = gw.http.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"f": {"number": "FP-00017"}})},
        headers={"Accept": "application/json", "GraphQL-Require-Preflight": "1"},
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    spans = exporter.get_finished_spans()
    (server,) = of_kind(spans, SpanKind.SERVER)
    calls = of_kind(spans, SpanKind.CLIENT)
    assert calls and all(c.attributes and "url.full" in c.attributes for c in calls)
    assert server.attributes is not None and "url.query" not in server.attributes
    recorded = json.dumps([dict(s.attributes or {}) for s in spans])
    assert "FP-00017" not in recorded and "?" not in recorded
    assert [r["query"] for r in gw.requests("kitchen") if r["query"]], "the vendor had a query"


def test_captured_headers_never_show_a_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when the operator asks the instrumentation to record every header (read by it
    from the environment), a credential's value never reaches a span."""
    for which in ("SERVER_REQUEST", "CLIENT_REQUEST"):
        monkeypatch.setenv(f"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_{which}", ".*")
    api_key = "gw-key-never-traced-3141"
    token = SANDBOX_CREDENTIALS.kantata_token
    with in_memory(Settings(sandbox=True, tracing=True, api_keys=(api_key,))) as (gw, exporter):
        touch(gw, Authorization=f"Bearer {api_key}", **{"X-Kantata-Token": token})
    spans = exporter.get_finished_spans()
    (server,) = of_kind(spans, SpanKind.SERVER)
    (call,) = of_kind(spans, SpanKind.CLIENT)
    assert server.attributes is not None and call.attributes is not None
    # Headers were captured, the credentials' redacted.
    assert server.attributes["http.request.header.content_type"] == ("application/json",)
    assert server.attributes["http.request.header.authorization"] == ("[REDACTED]",)
    assert server.attributes["http.request.header.x_kantata_token"] == ("[REDACTED]",)
    assert call.attributes["http.request.header.content_type"] == ("application/json",)
    assert call.attributes["http.request.header.authorization"] == ("[REDACTED]",)
    recorded = json.dumps([dict(s.attributes or {}) for s in spans])
    assert api_key not in recorded and token not in recorded


@pytest.mark.parametrize("transport", ["aiohttp", "httpcore"])
def test_the_vendor_receives_the_callers_trace_over_either_pool(
    transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Tracing set up from the settings alone (OTEL_TRACES_EXPORTER=none: no provider given
    or installed), on each pool under the vendor clients; every log line of the request,
    the operation's and the retry's included, carries the caller's trace."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    settings = Settings(
        sandbox=True,
        tracing=True,
        telemetry=Telemetry(exporters=("none",)),
        upstream_transport=transport,
        resilience=FAST,
    )
    with serve_gateway(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        gw = Gateway(client)
        gw.reset()
        gw.fault("kantata", method="PUT", status=503, times=1)
        touch(gw, traceparent=TRACEPARENT, **{"X-Request-Id": f"traced-{transport}"})
        sent = sent_traceparent(gw)

    assert len(sent) == 2  # the 503, then the retry
    parents = set()
    for traceparent in sent:
        assert traceparent is not None
        _, trace_id, parent, _ = parts(traceparent)
        assert trace_id == CALLER_TRACE
        parents.add(parent)
    assert CALLER_SPAN not in parents and len(parents) == 2  # a CLIENT span per attempt

    started = [r.getMessage() for r in caplog.records if r.getMessage().startswith("starting:")]
    assert started and started[0].endswith("; tracing on (none)")

    for log_format in ("json", "text"):
        stream = io.StringIO()
        out = handler(log_format, stream)
        for record in caplog.records:
            if getattr(record, "request_id", None) == f"traced-{transport}":
                out.handle(record)
        lines = stream.getvalue().splitlines()
        assert len(lines) >= 2, lines  # the retry and the operation at least
        if log_format == "json":
            entries = [json.loads(line) for line in lines]
            assert {e["trace_id"] for e in entries} == {CALLER_TRACE}
            assert all(len(e["span_id"]) == 16 and e["span_id"] != CALLER_SPAN for e in entries)
            loggers = {e["logger"] for e in entries}
            assert {"gateway.upstream", "gateway.operation"} <= loggers
        else:
            assert all(f" trace_id={CALLER_TRACE} span_id=" in line for line in lines), lines


def test_no_trace_is_sent_or_logged_without_tracing(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="gateway.operation")
    touch(gw, "plain", traceparent=TRACEPARENT, **{"X-Request-Id": "untraced-1"})
    assert sent_traceparent(gw) == [None]
    (record,) = [r for r in caplog.records if getattr(r, "request_id", None) == "untraced-1"]
    stream = io.StringIO()
    handler("json", stream).handle(record)
    assert "trace_id" not in json.loads(stream.getvalue())


def test_an_unknown_exporter_is_a_warning_and_tracing_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        sandbox=True, tracing=True, telemetry=Telemetry(exporters=("otlp", "jaeger"))
    )
    with (
        caplog.at_level(logging.INFO, logger="gateway"),
        serve_gateway(settings) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        gw = Gateway(client)
        gw.reset()
        touch(gw, traceparent=TRACEPARENT)
        assert sent_traceparent(gw) == [None]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING and "OTEL" in r.msg]
    assert warning.getMessage() == (
        "GATEWAY_TRACING is on but OTEL_TRACES_EXPORTER names 'jaeger'; the gateway knows "
        "otlp, console, none; tracing is off"
    )
    (started,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("starting")]
    assert started.endswith("; tracing off: unknown OTEL_TRACES_EXPORTER jaeger")


@pytest.mark.parametrize(
    ("telemetry", "state", "problem"),
    [
        (
            Telemetry(sdk_disabled=True),
            "off: OTEL_SDK_DISABLED=true",
            "OTEL_SDK_DISABLED=true turns OpenTelemetry off",
        ),
        (
            Telemetry(otlp_protocol="http/json"),
            "off: OTLP protocol http/json unknown",
            "OTEL_EXPORTER_OTLP_PROTOCOL is 'http/json'",
        ),
    ],
)
def test_tracing_that_cannot_work_says_why(telemetry: Telemetry, state: str, problem: str) -> None:
    tracing = start_tracing(True, telemetry)
    assert not tracing.enabled
    assert tracing.state == state
    assert tracing.problem is not None and problem in tracing.problem
    assert tracing.problem.startswith("GATEWAY_TRACING is on but ")


def python(code: str, **env: str) -> str:
    """`code` run by this interpreter in a process of its own; its output."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env or None
    )
    return done.stdout.strip()


def test_without_the_extra_tracing_is_off_with_a_warning() -> None:
    # A process in which opentelemetry's SDK cannot be imported, as without the extra.
    code = (
        "import sys; sys.modules['opentelemetry.sdk'] = None\n"
        "from gateway.ops.tracing import start_tracing; from gateway.settings import Telemetry\n"
        "t = start_tracing(True, Telemetry()); print(t.state); print(t.problem)"
    )
    state, problem = python(code).splitlines()
    assert state == "off: OpenTelemetry is not installed"
    assert "pip install 'invoice-gateway[otel]'" in problem


def test_a_missing_grpc_exporter_is_named() -> None:
    if python("import importlib.util as u; print(u.find_spec('grpc') is None)") != "True":
        pytest.skip("gRPC is installed here")
    tracing = start_tracing(True, Telemetry(otlp_protocol="grpc"))
    assert tracing.state == "off: opentelemetry-exporter-otlp-proto-grpc is not installed"


def test_a_tracer_provider_already_installed_is_used() -> None:
    # As under `opentelemetry-instrument`: the process's provider, not a second one; httpx
    # instrumented for the whole process is told (its spans would record query strings).
    code = (
        "from opentelemetry import trace; from opentelemetry.sdk.trace import TracerProvider\n"
        "trace.set_tracer_provider(TracerProvider())\n"
        "from gateway.ops.tracing import start_tracing; from gateway.settings import Telemetry\n"
        "t = start_tracing(True, Telemetry(exporters=('jaeger',))); print(t.state, t.problem)\n"
        "from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor\n"
        "HTTPXClientInstrumentor().instrument()\n"
        "print(start_tracing(True, Telemetry()).problem)"
    )
    alone, with_httpx = python(code).splitlines()
    assert alone == "on (the process's tracer provider) None"
    assert with_httpx.startswith("OpenTelemetry instruments httpx for the whole process")
    assert with_httpx.endswith("set OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=httpx")


def test_off_by_default() -> None:
    assert start_tracing(False, Telemetry(sdk_disabled=True)) is NO_TRACING
    assert Settings().tracing is False
    env = {"GATEWAY_TRACING": "true"}
    assert Settings.from_env(env).tracing is True
    assert Settings.from_env(env).telemetry == Telemetry()
    read = Settings.from_env(
        {
            **env,
            "OTEL_SDK_DISABLED": "TRUE",
            "OTEL_TRACES_EXPORTER": "Console, none",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        }
    ).telemetry
    assert read == Telemetry(sdk_disabled=True, exporters=("console", "none"), otlp_protocol="grpc")
    traces_first = {
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "x",
    }
    assert Settings.from_env(traces_first).telemetry.otlp_protocol == "grpc"


def test_nothing_from_opentelemetry_is_imported_when_off() -> None:
    # (The app as a whole may still load it through redis, which probes for it.)
    code = (
        "import sys, logging, io\n"
        "import gateway.ops.metrics, gateway.schema, gateway.vendors.http\n"
        "from gateway.ops.tracing import start_tracing; from gateway.settings import Telemetry\n"
        "from gateway.ops.logs import handler\n"
        "start_tracing(False, Telemetry())\n"
        "logging.getLogger('x').addHandler(handler('json', io.StringIO()))\n"
        "logging.getLogger('x').warning('a line')\n"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    assert python(code) == "False"


# --- exported by itself: OTLP (the default) and the console ----------------------------------


@pytest.fixture
def collector() -> Iterator[tuple[str, list[bytes]]]:
    """An OTLP/HTTP collector on loopback: the bodies posted to /v1/traces."""
    received: list[bytes] = []

    async def traces(request: Request) -> Response:
        received.append(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    with serve(Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])) as url:
        yield url, received


def test_otlp_is_the_default_exporter(
    collector: tuple[str, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    url, received = collector
    # Read by the exporter and the SDK themselves.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    settings = Settings.from_env({"GATEWAY_TRACING": "true", "GATEWAY_SANDBOX": "true"})
    app, port = gateway_app(settings)
    with serve(app, port=port) as base, httpx.Client(base_url=base, timeout=30) as client:
        gw = Gateway(client)
        gw.reset()
        touch(gw, traceparent=TRACEPARENT)
    # The app's provider was shut down with it: what it had buffered was sent.
    assert received
    resources = [
        resource_spans
        for body in received
        for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans
    ]
    names = {
        a.value.string_value
        for r in resources
        for a in r.resource.attributes
        if a.key == "service.name"
    }
    assert names == {"invoice-gateway"}
    spans = [s for r in resources for scope in r.scope_spans for s in scope.spans]
    assert {s.trace_id.hex() for s in spans} == {CALLER_TRACE}
    assert {s.name for s in spans} >= {"POST /graphql", "mutation Touch", "PUT /invoices/{id}"}


def test_serve_prints_spans_to_the_console_by_itself(tmp_path: Any) -> None:
    """`invoice-gateway serve` as a real process, configured only by the environment."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GATEWAY_TRACING": "true",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_SERVICE_NAME": "gateway-under-test",
        "GATEWAY_LOG_FORMAT": "json",
    }
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--workers", "1", "--port", str(port)],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=30) as client:
            touch(Gateway(client), traceparent=TRACEPARENT, **{"X-Request-Id": "console-1"})
            (sent,) = sent_traceparent(Gateway(client))
    finally:
        process.terminate()  # uvicorn stops the app: its provider flushes
        process.wait(timeout=20)
    assert sent is not None and parts(sent)[1] == CALLER_TRACE

    spans = _json_objects(out.read_text())
    by_name = {span["name"]: span for span in spans}
    server, call = by_name["POST /graphql"], by_name["PUT /invoices/{id}"]
    assert server["kind"] == "SpanKind.SERVER" and call["kind"] == "SpanKind.CLIENT"
    assert server["parent_id"] == f"0x{CALLER_SPAN}"
    assert {s["context"]["trace_id"] for s in spans} == {f"0x{CALLER_TRACE}"}
    assert server["attributes"]["http.request.method"] == "POST"
    assert server["attributes"]["http.response.status_code"] == 200
    assert call["attributes"]["http.request.method"] == "PUT"
    assert call["attributes"]["http.response.status_code"] == 200
    assert call["attributes"]["server.address"] == "127.0.0.1"
    assert call["resource"]["attributes"]["service.name"] == "gateway-under-test"

    lines = [json.loads(line) for line in err.read_text().splitlines() if line.startswith("{")]
    (started,) = [line for line in lines if line["message"].startswith("starting:")]
    assert started["message"].endswith("; tracing on (console)")
    assert "trace_id" not in started
    mine = [line for line in lines if line["request_id"] == "console-1"]
    assert {line["trace_id"] for line in mine} == {CALLER_TRACE}
    assert {"gateway.operation", "uvicorn.access"} <= {line["logger"] for line in mine}


def _json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects one after another in `text` (the console exporter's output)."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while (start := text.find("{", at)) != -1:
        value, at = decoder.raw_decode(text, start)
        found.append(value)
    return found


# A caller's traceparent at its worst: each is ignored, and the vendor gets a trace of the
# gateway's own (W3C Trace Context: an invalid header restarts the trace).
BAD_TRACEPARENTS = [
    "garbage",
    f"00-{'0' * 32}-{CALLER_SPAN}-01",  # an all-zero trace id is invalid
    f"00-{CALLER_TRACE}-{'0' * 16}-01",  # so is an all-zero parent id
    f"ff-{CALLER_TRACE}-{CALLER_SPAN}-01",  # version ff is forbidden
    f"00-{CALLER_TRACE.upper()}-{CALLER_SPAN}-01",  # upper-case hex is not hex here
    f"00-{CALLER_TRACE}-{CALLER_SPAN}-01-" + "x" * 30_000,  # huge, within the 64 KiB head
]


def test_a_malformed_traceparent_starts_a_trace_of_our_own() -> None:
    settings = Settings(sandbox=True, tracing=True, telemetry=Telemetry(exporters=("none",)))
    with serve_gateway(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        gw = Gateway(client)
        for bad in BAD_TRACEPARENTS:
            gw.reset()
            touch(gw, traceparent=bad)
            [sent] = sent_traceparent(gw)
            assert sent is not None and sent != bad
            version, trace_id, span_id, _ = parts(sent)
            assert version == "00" and len(trace_id) == 32 and len(span_id) == 16
            assert trace_id not in (CALLER_TRACE, CALLER_TRACE.upper(), "0" * 32), bad
