"""What the vendor answers, as the caller sees it: a typed code, HTTP 200, no stack trace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import Gateway
from tests.gateway.queries import (
    KANTATA_CANCELLED,
    KANTATA_DRAFT,
    KITCHEN_DRAFT,
    KITCHEN_PAID,
    UPDATE,
)
from tests.server import dead_vendors, serve, serve_gateway

TARGETS = {"kantata": KANTATA_DRAFT, "kitchen": KITCHEN_DRAFT}

STATUS_CODES = [
    (400, "UPSTREAM_REJECTED"),
    (401, "UNAUTHENTICATED"),
    (403, "FORBIDDEN"),
    (404, "NOT_FOUND"),
    (409, "CONFLICT"),
    (422, "UPSTREAM_REJECTED"),
    (429, "RATE_LIMITED"),
    (500, "UPSTREAM_UNAVAILABLE"),
    (502, "UPSTREAM_UNAVAILABLE"),
    (503, "UPSTREAM_UNAVAILABLE"),
    (504, "UPSTREAM_UNAVAILABLE"),
]


def update(gw: Gateway, invoice_id: str, **headers: str) -> dict[str, Any]:
    response = gw.http.post(
        "/graphql",
        json={"query": UPDATE, "variables": {"input": {"id": invoice_id, "notes": "n"}}},
        headers=headers,
    )
    assert response.status_code == 200
    assert "Traceback" not in response.text
    payload: dict[str, Any] = response.json()["data"]["updateInvoice"]
    return payload


@pytest.mark.parametrize("vendor", TARGETS)
@pytest.mark.parametrize(("status", "code"), STATUS_CODES)
def test_vendor_status_becomes_a_neutral_code(
    gw: Gateway, vendor: str, status: int, code: str
) -> None:
    # For ever: 429, 502, 503 and 504 are retried (test_resilience.py), so the vendor keeps
    # answering so.
    gw.fault(vendor, method="PUT", status=status, body="{}", times=None)
    payload = update(gw, TARGETS[vendor])
    assert payload["invoice"] is None
    assert [e["code"] for e in payload["userErrors"]] == [code]


@pytest.mark.parametrize("vendor", TARGETS)
@pytest.mark.parametrize("body", ["<html>Bad gateway</html>", "", '{"results": 3}', "[]"])
def test_unreadable_success_is_unavailable(gw: Gateway, vendor: str, body: str) -> None:
    gw.fault(vendor, method="PUT", status=200, body=body)
    payload = update(gw, TARGETS[vendor])
    assert [e["code"] for e in payload["userErrors"]] == ["UPSTREAM_UNAVAILABLE"]


def test_kantata_validation_messages_are_carried_with_neutral_fields(gw: Gateway) -> None:
    body = {
        "errors": [
            {"type": "validation", "message": "must be an integer", "field": "user_invoice_number"},
            {"type": "validation", "message": "is not a valid date", "field": "invoice_date"},
            {"type": "validation", "message": "needs a line", "field": "base"},
        ]
    }
    gw.fault("kantata", method="PUT", status=422, body=json.dumps(body))
    errors = update(gw, KANTATA_DRAFT)["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("UPSTREAM_REJECTED", ["input", "number"]),
        ("UPSTREAM_REJECTED", ["input", "issueDate"]),
        ("UPSTREAM_REJECTED", None),
    ]
    assert "must be an integer" in errors[0]["message"]


def test_kitchen_validation_messages_are_carried_with_neutral_fields(gw: Gateway) -> None:
    body = {
        "message": "The given data was invalid.",
        "errors": {
            "footer_notes": ["The footer notes field must not be greater than 255 characters."],
            "items.1.amount": ["The items.1.amount field must be a number."],
        },
    }
    gw.fault("kitchen", method="PUT", status=422, body=json.dumps(body))
    errors = update(gw, KITCHEN_DRAFT)["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("UPSTREAM_REJECTED", ["input", "footer"]),
        ("UPSTREAM_REJECTED", ["input", "lineItems", "1", "unitPrice"]),
    ]
    assert "255 characters" in errors[0]["message"]


def test_the_vendor_rejects_what_slips_past_us(gw: Gateway) -> None:
    # Billables that exist but belong to another invoice: only Kantata knows.
    query = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
        invoice { id } userErrors { code message field } } }"""
    billables = {"timeEntryIds": ["kantata:time_entry:9010"]}  # on invoice 102
    data = gw.data(query, {"input": {"id": KANTATA_DRAFT, "billables": billables}})
    errors = data["updateInvoice"]["userErrors"]
    assert errors and {e["code"] for e in errors} == {"UPSTREAM_REJECTED"}
    assert errors[0]["field"] == ["input", "billables"]


def test_a_real_kantata_rejection_of_a_cancelled_invoice(gw: Gateway) -> None:
    errors = update(gw, KANTATA_CANCELLED)["userErrors"]
    assert [e["code"] for e in errors] == ["UPSTREAM_REJECTED"]
    assert "cancel" in errors[0]["message"]


def test_a_real_kitchen_rejection_duplicate_number(gw: Gateway) -> None:
    query = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
        invoice { id } userErrors { code message field } } }"""
    data = gw.data(query, {"input": {"id": KITCHEN_DRAFT, "number": "FP-00017"}})
    errors = data["updateInvoice"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("UPSTREAM_REJECTED", ["input", "number"])]
    assert "taken" in errors[0]["message"]


def test_a_real_kitchen_rejection_of_a_paid_invoice(gw: Gateway) -> None:
    errors = update(gw, KITCHEN_PAID)["userErrors"]
    assert [e["code"] for e in errors] == ["UPSTREAM_REJECTED"]


def test_missing_invoice_is_not_found(gw: Gateway) -> None:
    assert [e["code"] for e in update(gw, "kantata:invoice:999999")["userErrors"]] == ["NOT_FOUND"]
    missing = "kitchen:invoice:in_000000000000000000000000"
    assert [e["code"] for e in update(gw, missing)["userErrors"]] == ["NOT_FOUND"]
    read = gw.post('query { invoice(id: "kantata:invoice:999999") { id } }')
    assert read == {"data": {"invoice": None}}


@pytest.mark.parametrize(
    ("invoice_id", "headers"),
    [
        (KANTATA_DRAFT, {"X-Kantata-Token": "not-a-real-token-5f2b"}),
        (KITCHEN_DRAFT, {"X-Kitchen-Token": "not-a-real-token-5f2b"}),
    ],
)
def test_a_caller_token_the_vendor_refuses_is_unauthenticated(
    gw: Gateway, invoice_id: str, headers: dict[str, str]
) -> None:
    response = gw.http.post(
        "/graphql",
        json={"query": UPDATE, "variables": {"input": {"id": invoice_id, "notes": "n"}}},
        headers=headers,
    )
    assert response.json()["data"]["updateInvoice"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    assert "not-a-real-token-5f2b" not in response.text


@pytest.mark.parametrize(
    ("invoice_id", "headers"),
    [
        (KANTATA_DRAFT, {"X-Kantata-Token": "sandbox-kantata-readonly"}),
        (KITCHEN_DRAFT, {"X-Kitchen-Token": "sandbox-kitchen-readonly"}),
    ],
)
def test_a_read_only_token_is_forbidden_to_write(
    gw: Gateway, invoice_id: str, headers: dict[str, str]
) -> None:
    assert [e["code"] for e in update(gw, invoice_id, **headers)["userErrors"]] == ["FORBIDDEN"]


def test_a_bad_workspace_header_never_reaches_a_url(gw: Gateway) -> None:
    headers = {"X-Kitchen-Workspace": "evil.example.com/x", "X-Kitchen-Token": "k"}
    payload = update(gw, KITCHEN_DRAFT, **headers)
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_INPUT"]
    assert gw.requests("kitchen") == []


def test_the_workspace_header_selects_another_workspace(gw: Gateway) -> None:
    from gateway.sandbox.kitchen import seed

    query = "query($id: ID!) { invoice(id: $id) { number } }"
    variables = {"id": f"kitchen:invoice:{seed.ACME_INVOICE}"}
    headers = {"X-Kitchen-Workspace": seed.ACME_WORKSPACE, "X-Kitchen-Token": seed.ACME_API_KEY}
    assert gw.data(query, variables, headers=headers) == {"invoice": {"number": "ACME-0001"}}
    assert gw.data(query, variables) == {"invoice": None}  # not in the default workspace


@pytest.fixture
def impatient_gateway() -> Iterator[httpx.Client]:
    """A gateway that waits at most half a second for a vendor."""
    settings = Settings(sandbox=True, upstream_timeout=0.5)
    with serve_gateway(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_slow_vendor_is_a_timeout(impatient_gateway: httpx.Client, vendor: str) -> None:
    gw = Gateway(impatient_gateway)
    gw.fault(vendor, method="PUT", delay_ms=1500)
    assert [e["code"] for e in update(gw, TARGETS[vendor])["userErrors"]] == ["UPSTREAM_TIMEOUT"]


@pytest.fixture
def unreachable_gateway() -> Iterator[httpx.Client]:
    """A gateway whose vendors are at a loopback port nobody listens on."""
    with serve(create_app(dead_vendors())) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("vendor", TARGETS)
def test_a_refused_connection_is_unavailable(
    unreachable_gateway: httpx.Client, vendor: str
) -> None:
    payload = update(Gateway(unreachable_gateway), TARGETS[vendor])
    assert [e["code"] for e in payload["userErrors"]] == ["UPSTREAM_UNAVAILABLE"]


def test_query_errors_carry_the_code_in_extensions(gw: Gateway) -> None:
    gw.fault("kantata", method="GET", status=503, times=None)  # for ever: 503 is retried
    body = gw.post('query { invoice(id: "kantata:invoice:101") { id } }')
    assert body["data"] == {"invoice": None}
    assert body["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    bad = gw.post('query { invoice(id: "kantata:invoice:x") { id } }')
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": ["id"]}
