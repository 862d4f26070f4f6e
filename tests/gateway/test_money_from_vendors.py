"""Money read from a vendor is what the vendor said: a line without a currency takes its
invoice's (and Kantata's base unit with it), an amount nobody can place is null with an
error on that field, and a vendor null stays null.

Expected values come from the sandbox's seed and the vendors' docs: Kantata money is
integer minor units with `currency_base_unit` (1 for JPY) [doc]; Kitchen money is JSON
numbers and "amount and totals may be null" [doc].
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from gateway.sandbox.kantata import SANDBOX_TOKEN
from gateway.sandbox.kitchen import SANDBOX_API_KEY
from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KANTATA_JPY, KITCHEN_DRAFT

LINES = """query($id: ID!) { invoice(id: $id) { currency balance { amount currency }
  lineItems { id kind quantity unitPrice { amount currency } amount { amount currency } } } }"""


def kantata_answer(gw: Gateway, path: str, include: str = "") -> dict[str, Any]:
    response = gw.http.get(
        f"/sandbox/kantata/api/v1{path}",
        params={"include": include} if include else {},
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def kitchen_answer(gw: Gateway, native: str) -> dict[str, Any]:
    response = gw.http.get(
        f"/sandbox/kitchen/demo/api/invoices/{native}",
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}", "Accept": "application/json"},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def answer_with(gw: Gateway, vendor: str, path: str, body: dict[str, Any]) -> None:
    """The vendor answers GETs of `path` with `body` (a 200 the test wrote)."""
    gw.fault(vendor, method="GET", path=path, status=200, body=json.dumps(body), times=None)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_kantata_lines_without_currency_take_the_invoices_yen(gw: Gateway) -> None:
    gw.settings("kantata", line_currency=False)
    body = gw.post(LINES, {"id": KANTATA_JPY})
    assert "errors" not in body, body
    lines = by_id(body["data"]["invoice"]["lineItems"])
    # Seed: time entry 9030, 60 min at 12000 minor units an hour; JPY's base unit is 1.
    assert lines["kantata:time_entry:9030"]["unitPrice"] == {"amount": "12000", "currency": "JPY"}
    assert lines["kantata:time_entry:9030"]["amount"] == {"amount": "12000", "currency": "JPY"}
    # Seed: fixed fee item 9230, 480000 minor units of JPY.
    assert lines["kantata:fixed_fee_item:9230"]["amount"] == {
        "amount": "480000",
        "currency": "JPY",
    }


def test_a_kantata_line_read_alone_without_currency_is_null_with_an_error(gw: Gateway) -> None:
    gw.settings("kantata", line_currency=False)
    body = gw.post(
        """query { node(id: "kantata:time_entry:9030") {
             ... on LineItem { id quantity amount { amount } } } }"""
    )
    assert body["data"]["node"]["amount"] is None
    assert body["data"]["node"]["quantity"] == "1"  # what is known is still shown
    [error] = body["errors"]
    assert error["path"] == ["node", "amount"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert "currency" in error["message"]


def test_a_kantata_null_amount_stays_null(gw: Gateway) -> None:
    answer = kantata_answer(gw, "/invoices/101", "expenses,time_entries,fixed_fee_items,"
                            "additional_items,billing_milestones,time_adjustments")  # fmt: skip
    answer["expenses"]["9101"]["amount_in_cents"] = None
    answer_with(gw, "kantata", r"^/api/v1/invoices/101", answer)
    body = gw.post(LINES, {"id": KANTATA_DRAFT})
    assert "errors" not in body, body
    expense = by_id(body["data"]["invoice"]["lineItems"])["kantata:expense:9101"]
    assert expense["amount"] is None and expense["unitPrice"] is None


def test_a_kantata_invoice_without_currency_has_no_balance_and_says_why(gw: Gateway) -> None:
    answer = kantata_answer(gw, "/invoices/101")
    for key in ("currency", "currency_symbol", "currency_base_unit"):
        del answer["invoices"]["101"][key]
    answer_with(gw, "kantata", r"^/api/v1/invoices/101", answer)
    body = gw.post('query { invoice(id: "kantata:invoice:101") { currency balance { amount } } }')
    assert body["data"]["invoice"] == {"currency": None, "balance": None}
    [error] = body["errors"]
    assert error["path"] == ["invoice", "balance"]


def test_kitchen_items_without_currency_take_the_invoices(gw: Gateway) -> None:
    native = KITCHEN_DRAFT.rsplit(":", 1)[1]
    expected = kitchen_answer(gw, native)["currency"]
    gw.settings("kitchen", line_currency=False)
    body = gw.post(LINES, {"id": KITCHEN_DRAFT})
    assert "errors" not in body, body
    for line in body["data"]["invoice"]["lineItems"]:
        assert line["amount"]["currency"] == expected


def test_kitchen_nulls_stay_null_and_no_currency_means_no_money(gw: Gateway) -> None:
    native = KITCHEN_DRAFT.rsplit(":", 1)[1]
    answer = kitchen_answer(gw, native)
    answer["total_amount"] = None
    answer["items"][0]["amount"] = None
    answer_with(gw, "kitchen", rf"^/demo/api/invoices/{native}", answer)
    body = gw.post(
        """query($id: ID!) { invoice(id: $id) { total { amount }
             lineItems { unitPrice { amount } amount { amount } } } }""",
        {"id": KITCHEN_DRAFT},
    )
    assert "errors" not in body, body
    invoice = body["data"]["invoice"]
    assert invoice["total"] is None
    assert invoice["lineItems"][0] == {"unitPrice": None, "amount": None}

    del answer["currency"]
    for item in answer["items"]:
        item.pop("currency", None)
    gw.http.delete("/sandbox/kitchen/_control/faults").raise_for_status()
    answer_with(gw, "kitchen", rf"^/demo/api/invoices/{native}", answer)
    body = gw.post(
        "query($id: ID!) { invoice(id: $id) { currency lineItems { amount { amount } } } }",
        {"id": KITCHEN_DRAFT},
    )
    assert body["data"]["invoice"]["currency"] is None
    assert all(line["amount"] is None for line in body["data"]["invoice"]["lineItems"])
    assert {tuple(e["path"][-1:]) for e in body["errors"]} == {("amount",)}


def test_kitchen_line_totals_that_do_not_add_up_are_withdrawn(gw: Gateway) -> None:
    # If Kitchen's item `amount` were the line total (not the unit price we read it as),
    # quantity x amount would not add up to the invoice's own `amount` (its subtotal).
    native = KITCHEN_DRAFT.rsplit(":", 1)[1]
    answer = kitchen_answer(gw, native)
    answer["items"][0]["quantity"] = "3.00"
    answer_with(gw, "kitchen", rf"^/demo/api/invoices/{native}", answer)
    body = gw.post(
        """query($id: ID!) { invoice(id: $id) {
             lineItems { unitPrice { amount } amount { amount } } } }""",
        {"id": KITCHEN_DRAFT},
    )
    lines = body["data"]["invoice"]["lineItems"]
    assert all(line["amount"] is None for line in lines)
    assert all(line["unitPrice"] is not None for line in lines)  # what was said stays
    assert {e["path"][-1] for e in body["errors"]} == {"amount"}
    assert "subtotal" in body["errors"][0]["message"]


def test_kitchen_line_totals_that_add_up_are_shown(gw: Gateway) -> None:
    body = gw.post(
        """query($id: ID!) { invoice(id: $id) { ... on KitchenInvoice { subtotal { amount } }
             lineItems { amount { amount } } } }""",
        {"id": KITCHEN_DRAFT},
    )
    assert "errors" not in body, body
    invoice = body["data"]["invoice"]
    lines = sum(Decimal(line["amount"]["amount"]) for line in invoice["lineItems"])
    assert lines == Decimal(invoice["subtotal"]["amount"])


UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id } userErrors { code message field } } }"""


def test_a_kitchen_answer_that_does_not_show_the_items_sent_is_an_error(gw: Gateway) -> None:
    # Replacing the whole list is our reading [guess]; a Kitchen that appended instead
    # would answer the old items and the new one.
    native = KITCHEN_DRAFT.rsplit(":", 1)[1]
    answer = kitchen_answer(gw, native)
    sent = {"title": "Design review", "quantity": "2.00", "amount": 150, "currency": "USD",
            "description": None, "id": "invi_0000000000000000000000aa"}  # fmt: skip
    answer["items"] = [*answer["items"], sent]
    gw.fault("kitchen", method="PUT", path=rf"^/demo/api/invoices/{native}", status=200,
             body=json.dumps(answer))  # fmt: skip
    items = [{"title": "Design review", "quantity": "2", "unitPrice": "150.00"}]
    payload = gw.data(UPDATE, {"input": {"id": KITCHEN_DRAFT, "lineItems": items}})
    [error] = payload["updateInvoice"]["userErrors"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "items" in error["message"]


def test_a_kitchen_answer_showing_the_items_sent_is_accepted(gw: Gateway) -> None:
    items = [{"title": "  Design review ", "quantity": "2", "unitPrice": "150.00"}]
    payload = gw.data(UPDATE, {"input": {"id": KITCHEN_DRAFT, "lineItems": items}})
    assert payload["updateInvoice"]["userErrors"] == []
