"""Inputs and vendor answers that once slipped past the rules (a review's findings)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest

from gateway.core.domain import LineItemKind
from gateway.vendors.kantata.read import line_item_from_record
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_DRAFT, UPDATE, UPDATE_NESTED

ERRORS_ONLY = """mutation($input: UpdateInvoiceInput!) {
  updateInvoice(input: $input) { invoice { id } userErrors { code field } } }"""


def user_errors(gw: Gateway, fields: dict[str, Any], **headers: str) -> list[dict[str, Any]]:
    data = gw.data(ERRORS_ONLY, {"input": fields}, headers=headers)
    errors: list[dict[str, Any]] = data["updateInvoice"]["userErrors"]
    return errors


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"id": "kantata:invoice:101\n", "notes": "x"}, ["input", "id"]),
        ({"id": "kitchen:invoice:in_14b07ae04d0ff853c351b3cc\n", "notes": "x"}, ["input", "id"]),
        (
            {"id": KANTATA_DRAFT, "billables": {"timeEntryIds": ["kantata:time_entry:9001\n"]}},
            ["input", "billables", "timeEntryIds", "0"],
        ),
        ({"id": KITCHEN_DRAFT, "language": "en_US\n"}, ["input", "language"]),
        ({"id": KITCHEN_DRAFT, "recipientId": "kitchen:user:u_1\n"}, ["input", "recipientId"]),
    ],
)
def test_a_trailing_newline_is_not_a_valid_id(
    gw: Gateway, fields: dict[str, Any], path: list[str]
) -> None:
    assert user_errors(gw, fields) == [{"code": "INVALID_INPUT", "field": path}]
    assert gw.requests("kantata") == [] and gw.requests("kitchen") == []


def test_a_workspace_header_alone_does_not_borrow_the_configured_key(gw: Gateway) -> None:
    errors = user_errors(gw, {"id": KITCHEN_DRAFT, "notes": "x"}, **{"X-Kitchen-Workspace": "acme"})
    assert [e["code"] for e in errors] == ["UNAUTHENTICATED"]
    assert gw.requests("kitchen") == []


@pytest.mark.parametrize("token", [b"t\xf6ken", b"two words", b"tab\tbed"])
def test_a_token_header_that_is_not_a_token_is_unauthenticated(gw: Gateway, token: bytes) -> None:
    response = gw.http.post(
        "/graphql",
        json={"query": ERRORS_ONLY, "variables": {"input": {"id": KANTATA_DRAFT, "notes": "x"}}},
        headers={"X-Kantata-Token": token},
    )
    assert response.status_code == 200
    errors = response.json()["data"]["updateInvoice"]["userErrors"]
    assert [e["code"] for e in errors] == ["UNAUTHENTICATED"]
    assert gw.requests("kantata") == []


def test_two_updates_in_one_operation_show_the_newest_answer(gw: Gateway) -> None:
    query = """mutation($id: ID!) {
      first: updateInvoice(input: {id: $id, currency: "EUR"}) {
        invoice { lineItems { amount { currency } } } userErrors { code } }
      second: updateInvoice(input: {id: $id, currency: "JPY"}) {
        invoice { currency lineItems { amount { currency } } } userErrors { code } }
    }"""
    data = gw.data(query, {"id": KITCHEN_DRAFT})
    assert {i["amount"]["currency"] for i in data["first"]["invoice"]["lineItems"]} == {"EUR"}
    second = data["second"]["invoice"]
    assert second["currency"] == "JPY"
    assert {i["amount"]["currency"] for i in second["lineItems"]} == {"JPY"}


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(90, "1.5"), (600, "10"), (1200, "20"), (100, "1.6667"), (60, "1"), (6000, "100")],
)
def test_hours_are_plain_numbers(minutes: int, hours: str) -> None:
    record = {
        "id": "1",
        "time_in_minutes": minutes,
        "rate_in_cents": 15000,
        "currency": "USD",
        "date_performed": "2025-01-02",
    }
    item = line_item_from_record(LineItemKind.TIME_ENTRY, record)
    assert str(item.quantity) == hours
    assert item.amount.amount == (Decimal(minutes) * 150 / 60).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "body",
    [
        {"errors": [{"type": "validation", "message": "bad", "field": ["x"]}]},
        {"errors": {"user_invoice_number": "bad"}},
        {"errors": "bad"},
        ["not", "an", "object"],
    ],
)
def test_odd_kantata_error_bodies_are_still_typed(gw: Gateway, body: Any) -> None:
    gw.fault("kantata", method="PUT", status=422, body=json.dumps(body))
    errors = user_errors(gw, {"id": KANTATA_DRAFT, "notes": "x"})
    assert [e["code"] for e in errors] == ["UPSTREAM_REJECTED"]


def test_an_unreadable_number_in_an_answer_is_unavailable(gw: Gateway) -> None:
    record = json.loads(
        gw.http.get(
            "/sandbox/kitchen/demo/api/invoices/in_14b07ae04d0ff853c351b3cc",
            headers={"Authorization": "Bearer sandbox-kitchen-key", "Accept": "application/json"},
        ).text
    )
    record["items"][0]["quantity"] = "n/a"
    gw.forget_requests()
    gw.fault("kitchen", method="PUT", status=200, body=json.dumps(record))
    data = gw.data(UPDATE, {"input": {"id": KITCHEN_DRAFT, "notes": "x"}})
    assert [e["code"] for e in data["updateInvoice"]["userErrors"]] == ["UPSTREAM_UNAVAILABLE"]


def test_user_ids_in_a_vendor_answer_are_checked_before_they_reach_a_url(gw: Gateway) -> None:
    gw.settings("kitchen", honour_expand=False)
    record = json.loads(
        gw.http.get(
            "/sandbox/kitchen/demo/api/invoices/in_14b07ae04d0ff853c351b3cc",
            headers={"Authorization": "Bearer sandbox-kitchen-key", "Accept": "application/json"},
        ).text
    )
    record["creator"] = "u_x/../../invoices/in_eafd84cd4ad5f7a7d00a47a6"
    gw.forget_requests()
    gw.fault(
        "kitchen", method="GET", path="^/demo/api/invoices/", status=200, body=json.dumps(record)
    )
    body = gw.post(
        "query($id: ID!) { invoice(id: $id) { createdBy { id } recipient { name } } }",
        {"id": KITCHEN_DRAFT},
    )
    assert body["data"]["invoice"]["createdBy"] is None
    assert body["errors"][0]["path"] == ["invoice", "createdBy"]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["data"]["invoice"]["recipient"]["name"]
    assert not any(
        ".." in r["path"] or "invoices/in_eafd" in r["path"] for r in gw.requests("kitchen")
    )


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        (
            {"lineItems": [{"title": "a", "unitPrice": "0.004"}]},
            ["input", "lineItems", "0", "unitPrice"],
        ),
        (
            {"currency": "JPY", "lineItems": [{"title": "a", "unitPrice": "1.5"}]},
            ["input", "lineItems", "0", "unitPrice"],
        ),
        (
            {"discounts": [{"title": "d", "amount": "1.001", "type": "FIXED"}]},
            ["input", "discounts", "0", "amount"],
        ),
    ],
)
def test_kitchen_amounts_finer_than_the_currency_are_refused(
    gw: Gateway, fields: dict[str, Any], path: list[str]
) -> None:
    assert user_errors(gw, {"id": KITCHEN_DRAFT, **fields}) == [
        {"code": "INVALID_INPUT", "field": path}
    ]
    assert gw.requests("kitchen") == []


def test_a_percentage_discount_may_have_more_places(gw: Gateway) -> None:
    fields = {"discounts": [{"title": "d", "amount": "12.345", "type": "PERCENTAGE"}]}
    assert user_errors(gw, {"id": KITCHEN_DRAFT, **fields}) == []


@pytest.mark.parametrize("value", ["2025-W10-1", "20250303", "2025-03-03T00:00:00"])
def test_dates_are_only_yyyy_mm_dd(gw: Gateway, value: str) -> None:
    body = gw.post(UPDATE, {"input": {"id": KANTATA_DRAFT, "issueDate": value}})
    assert body.get("data") is None and "YYYY-MM-DD" in body["errors"][0]["message"]
    assert gw.requests("kantata") == []


def test_tokens_never_reach_a_log_line(gw: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "caller-secret-token-4b1d"
    gw.fault("kantata", status=503)
    gw.post(
        UPDATE_NESTED,
        {"input": {"id": KANTATA_DRAFT, "notes": "x"}},
        headers={"X-Kantata-Token": secret},
    )
    gw.post(
        UPDATE_NESTED,
        {"input": {"id": KANTATA_DRAFT, "notes": "x"}},
        headers={"X-Kantata-Token": secret},
    )
    assert caplog.records, "the test should see the gateway's own log lines"
    assert secret not in caplog.text
    assert "sandbox-kantata-token" not in caplog.text
