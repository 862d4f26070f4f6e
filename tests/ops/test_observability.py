"""Request IDs forwarded to vendors, /metrics after a known workload, and the JSON log
lines, each on a gateway of its own (so every count starts at zero), over real HTTP."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.ops.logs import RequestIdFilter, handler
from gateway.ops.metrics import Observer, endpoint_template
from gateway.sandbox import SANDBOX_CREDENTIALS
from gateway.settings import Resilience, Settings
from gateway.vendors.base import VendorConfig
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KANTATA_OPEN, KITCHEN_DRAFT
from tests.server import serve, serve_gateway

# Serves the gateway (or a vendor stand-in) on loopback ports.
pytestmark = pytest.mark.e2e

API_KEY = "gw-key-do-not-log-4711"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
UPDATE = """mutation Update($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id notes } userErrors { code } } }"""
READ = "query Read($id: ID!) { invoice(id: $id) { id number } }"


@pytest.fixture
def own() -> Iterator[Gateway]:
    """A gateway of this test's own: fresh counters, fast retries, API keys on."""
    settings = Settings(
        sandbox=True,
        api_keys=(API_KEY,),
        resilience=Resilience(retry_backoff=0.01, breaker_failures=1_000_000),
    )
    with serve_gateway(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        gateway = Gateway(client)
        gateway.reset()
        yield gateway


def metrics(gw: Gateway) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of GET /metrics (no API key needed): (name, labels) -> value."""
    response = gw.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def update(gw: Gateway, notes: str, **headers: str) -> Any:
    variables = {"input": {"id": KANTATA_DRAFT, "notes": notes}}
    return gw.data(UPDATE, variables, headers={**AUTH, **headers})


def test_the_request_id_reaches_every_vendor_call(own: Gateway) -> None:
    query = "query Both($a: ID!, $b: ID!) { a: invoice(id: $a) { id } b: invoice(id: $b) { id } }"
    response = own.http.post(
        "/graphql",
        json={"query": query, "variables": {"a": KANTATA_DRAFT, "b": KITCHEN_DRAFT}},
        headers={**AUTH, "X-Request-Id": "caller-id-42"},
    )
    assert response.status_code == 200 and "errors" not in response.json()
    assert response.headers["x-request-id"] == "caller-id-42"
    for vendor in ("kantata", "kitchen"):
        recorded = own.requests(vendor)
        assert recorded, vendor
        assert {r["headers"].get("x-request-id") for r in recorded} == {"caller-id-42"}


def test_a_generated_request_id_is_forwarded_too(own: Gateway) -> None:
    response = own.http.post(
        "/graphql", json={"query": READ, "variables": {"id": KANTATA_OPEN}}, headers=AUTH
    )
    generated = response.headers["x-request-id"]
    assert [r["headers"].get("x-request-id") for r in own.requests("kantata")] == [generated]


def test_metrics_after_a_known_workload(own: Gateway) -> None:
    before = metrics(own)
    update_ok = {"root_field": "updateInvoice", "type": "mutation", "outcome": "ok"}
    assert value(before, "gateway_operations_total", **update_ok) == 0
    own.fault("kantata", method="PUT", status=503, times=1)
    update(own, "one")  # 503, retried, then 200
    update(own, "two", **{"Idempotency-Key": "k-1"})
    update(own, "two", **{"Idempotency-Key": "k-1"})  # replayed: no operation, no call
    update(own, "three")
    for invoice in (KANTATA_DRAFT, KANTATA_OPEN):
        own.data(READ, {"id": invoice}, headers=AUTH)
    own.post(UPDATE, {"input": {"id": "kantata:invoice:999999", "notes": "x"}}, headers=AUTH)

    m = metrics(own)
    ops = "gateway_operations_total"
    assert value(m, ops, **update_ok) == 3
    assert value(m, ops, root_field="updateInvoice", type="mutation", outcome="user_error") == 1
    assert value(m, ops, root_field="invoice", type="query", outcome="ok") == 2
    read = {"root_field": "invoice", "type": "query"}
    assert value(m, "gateway_operation_duration_seconds_count", **read) == 2

    calls = "gateway_upstream_requests_total"
    put = {"vendor": "kantata", "method": "PUT", "endpoint": "/invoices/{id}"}
    assert value(m, calls, **put, status="503") == 1
    assert value(m, calls, **put, status="200") == 3
    assert value(m, calls, **put, status="404") == 1
    get = {"vendor": "kantata", "method": "GET", "endpoint": "/invoices/{id}"}
    assert value(m, calls, **get, status="200") == 2
    assert value(m, "gateway_upstream_request_duration_seconds_count", **put) == 5
    # No raw ID ever becomes a label: the endpoints are templates.
    endpoints = {dict(labels).get("endpoint") for name, labels in m if name == calls}
    assert endpoints == {"/invoices/{id}"}

    assert value(m, "gateway_upstream_retries_total", vendor="kantata", reason="http_503") == 1
    assert value(m, "gateway_idempotent_replays_total") == 1
    batch = {"loader": "invoices", "vendor": "kantata"}
    assert value(m, "gateway_dataloader_batch_size_count", **batch) == 2
    assert value(m, "gateway_dataloader_batch_size_sum", **batch) == 2
    # One breaker, for the configured Kantata host, closed: a count per state.
    kantata_breakers = {
        (dict(labels)["host"], dict(labels)["state"]): v
        for (name, labels), v in m.items()
        if name == "gateway_circuit_breakers" and dict(labels)["vendor"] == "kantata"
    }
    assert kantata_breakers == {("configured", "closed"): 1.0}


def test_two_apps_in_one_process_count_apart() -> None:
    first, second = Observer(), Observer()
    first.replayed()
    assert b"gateway_idempotent_replays_total 1.0" in first.render()
    assert b"gateway_idempotent_replays_total 0.0" in second.render()


def test_operation_and_retry_log_lines(own: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    own.fault("kantata", method="PUT", status=503, times=1)
    secret_notes = "private-invoice-text-8812"
    token = SANDBOX_CREDENTIALS.kantata_token
    response = own.http.post(
        "/graphql",
        json={
            "query": UPDATE,
            "variables": {"input": {"id": KANTATA_DRAFT, "notes": secret_notes}},
        },
        headers={**AUTH, "X-Request-Id": "log-me-7", "X-Kantata-Token": token},
    )
    assert response.status_code == 200 and "errors" not in response.json()

    stream = io.StringIO()
    json_handler = handler("json", stream)
    for record in caplog.records:
        json_handler.handle(record)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [line for line in lines if line["request_id"] == "log-me-7"]

    (operation,) = [line for line in mine if line["logger"] == "gateway.operation"]
    assert operation["operation"] == "Update"
    assert operation["operation_type"] == "mutation"
    assert operation["outcome"] == "ok"
    assert operation["error_codes"] == [] and operation["user_error_codes"] == []
    assert operation["duration_ms"] > 0
    assert [
        (c["vendor"], c["method"], c["endpoint"], c["status"]) for c in operation["upstream"]
    ] == [
        ("kantata", "PUT", "/invoices/{id}", "503"),
        ("kantata", "PUT", "/invoices/{id}", "200"),
    ]
    assert all(c["duration_ms"] >= 0 for c in operation["upstream"])

    (retry,) = [line for line in mine if line["logger"] == "gateway.upstream"]
    assert retry["level"] == "WARNING"
    assert (retry["vendor"], retry["method"], retry["path"], retry["reason"]) == (
        "kantata",
        "PUT",
        "/invoices/101",
        "http_503",
    )

    text = stream.getvalue()
    for secret in (API_KEY, token, secret_notes):
        assert secret not in text
        assert secret not in caplog.text


def test_user_error_codes_are_logged(own: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="gateway.operation")
    own.post(
        UPDATE,
        {"input": {"id": "kantata:invoice:999999", "notes": "x"}},
        headers={**AUTH, "X-Request-Id": "missing-1"},
    )
    (record,) = [
        r
        for r in caplog.records
        if r.name == "gateway.operation" and getattr(r, "request_id", None) == "missing-1"
    ]
    assert vars(record)["outcome"] == "user_error"
    assert vars(record)["user_error_codes"] == ["NOT_FOUND"]


def test_the_text_format_is_one_readable_line() -> None:
    stream = io.StringIO()
    logging.getLogger("gateway.test").addHandler(out := handler("text", stream))
    try:
        logging.getLogger("gateway.test").warning("hello %s", "there")
    finally:
        logging.getLogger("gateway.test").removeHandler(out)
    assert stream.getvalue() == "WARNING gateway.test [-]: hello there\n"


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/invoices/101", "/invoices/{id}"),
        ("/invoices?only=1,2&include=users", "/invoices"),
        ("/api/x/in_14b0", "/api/{id}/{segment}"),
        ("/users/7/Secret", "/users/{id}/{segment}"),
        ("/", "/"),
    ],
)
def test_endpoint_templates_never_hold_ids(path: str, template: str) -> None:
    assert endpoint_template(path) == template


def test_one_start_up_line_says_what_is_real_and_what_is_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        sandbox=False,
        api_keys=("k1", "k2"),
        vendors={"kantata": VendorConfig("http://127.0.0.1:9/api/v1", "secret-token-7")},
    )
    with caplog.at_level(logging.INFO, logger="gateway"), serve(create_app(settings)):
        pass
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("starting:")]
    assert line == (
        "starting: vendors kantata (real, configured token), kitchen (real, callers send "
        "X-Kitchen-Token); sandbox off; API keys on (2); Redis off (state in this process); "
        "tracing off"
    )
    assert "secret-token-7" not in caplog.text
