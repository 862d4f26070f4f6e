"""Money is exact and in the invoice's currency; dates are calendar dates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway
from tests.gateway.queries import (
    KANTATA_DRAFT,
    KANTATA_EUR,
    KANTATA_JPY,
    KITCHEN_DRAFT,
    KITCHEN_JPY,
    KITCHEN_OPEN,
    KITCHEN_PAID,
    READ,
)


def read(gw: Gateway, invoice_id: str) -> dict[str, Any]:
    invoice: dict[str, Any] = gw.data(READ, {"id": invoice_id})["invoice"]
    return invoice


def test_kantata_cents_become_amounts_through_the_base_unit(gw: Gateway) -> None:
    usd, jpy, eur = read(gw, KANTATA_DRAFT), read(gw, KANTATA_JPY), read(gw, KANTATA_EUR)
    assert usd["balance"] == {"amount": "8186.19", "currency": "USD"}
    assert jpy["balance"] == {"amount": "492000", "currency": "JPY"}  # base unit 1: no decimals
    assert (
        eur["currency"] == "EUR" and eur["status"] == "PAID" and eur["balance"]["amount"] == "0.00"
    )
    assert usd["total"] is None  # Kantata has no invoice total


def test_kantata_line_items_by_kind(gw: Gateway) -> None:
    items = {i["kind"]: i for i in read(gw, KANTATA_DRAFT)["lineItems"]}
    time = items["TIME_ENTRY"]  # 90 minutes at 150.00 an hour
    assert (time["quantity"], time["unitPrice"]["amount"], time["amount"]["amount"]) == (
        "1.5",
        "150.00",
        "225.00",
    )
    for kind in ("EXPENSE", "FIXED_FEE", "ADDITIONAL", "BILLING_MILESTONE"):
        assert items[kind]["quantity"] == "1"
        assert items[kind]["amount"] == items[kind]["unitPrice"]
    jpy_time = next(i for i in read(gw, KANTATA_JPY)["lineItems"] if i["kind"] == "TIME_ENTRY")
    assert "." not in jpy_time["amount"]["amount"] and jpy_time["amount"]["currency"] == "JPY"


def test_kantata_hours_that_do_not_divide_evenly_round_money_to_the_cent(gw: Gateway) -> None:
    # 100 minutes at 150.00/h = 250.00 exactly; 1.6667 hours shown.
    query = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
      invoice { lineItems { id quantity amount { amount } } } userErrors { code message } } }"""
    data = gw.data(
        query,
        {
            "input": {
                "id": KANTATA_DRAFT,
                "billables": {"timeEntryIds": ["kantata:time_entry:9003"]},
            }
        },
    )
    assert data["updateInvoice"]["userErrors"] == []
    time = next(
        i
        for i in data["updateInvoice"]["invoice"]["lineItems"]
        if i["id"] == "kantata:time_entry:9003"
    )
    hours, amount = time["quantity"], time["amount"]["amount"]
    assert len(amount.split(".")[1]) == 2
    assert len(hours.split(".")[-1]) <= 4


@pytest.mark.parametrize(
    ("invoice_id", "total", "balance"),
    [
        (KITCHEN_DRAFT, "3576.54", "3576.54"),
        (KITCHEN_JPY, "270072", "270072"),
        (KITCHEN_OPEN, "3570.00", "3570.00"),
        (KITCHEN_PAID, "2547.68", "0.00"),
    ],
)
def test_kitchen_money_is_exact(gw: Gateway, invoice_id: str, total: str, balance: str) -> None:
    invoice = read(gw, invoice_id)
    assert invoice["total"]["amount"] == total
    assert invoice["balance"]["amount"] == balance
    assert invoice["total"]["currency"] == invoice["currency"]


def test_kitchen_totals_add_up(gw: Gateway) -> None:
    from decimal import Decimal

    query = """query($id: ID!) { invoice(id: $id) { total { amount } ... on KitchenInvoice {
      subtotal { amount } discountTotal { amount } taxTotal { amount } }
      lineItems { amount { amount } } } }"""
    invoice = gw.data(query, {"id": KITCHEN_DRAFT})["invoice"]
    subtotal = Decimal(invoice["subtotal"]["amount"])
    assert subtotal == sum(Decimal(i["amount"]["amount"]) for i in invoice["lineItems"])
    assert Decimal(invoice["total"]["amount"]) == (
        subtotal
        - Decimal(invoice["discountTotal"]["amount"])
        + Decimal(invoice["taxTotal"]["amount"])
    )


def test_dates_are_calendar_dates_and_timestamps_keep_their_offset(gw: Gateway) -> None:
    kitchen = read(gw, KITCHEN_DRAFT)
    assert (kitchen["issueDate"], kitchen["dueDate"]) == ("2024-07-12", "2024-07-20")
    kantata = read(gw, KANTATA_DRAFT)
    assert kantata["issueDate"] == "2025-03-03" and kantata["dueDate"] == "2025-04-02"
    for invoice in (kitchen, kantata):
        assert invoice["createdAt"].endswith("+00:00")


def test_decimals_are_strings_on_the_wire(gw: Gateway) -> None:
    invoice = read(gw, KITCHEN_DRAFT)
    assert isinstance(invoice["total"]["amount"], str)
    assert isinstance(invoice["lineItems"][0]["quantity"], str)


def test_an_amount_sent_as_a_json_number_past_64_bits_stays_exact(gw: Gateway) -> None:
    # The request body is parsed by json.loads, which keeps such an integer whole; a
    # parser that made it a float would send 98765432109876543000 or 9.876543210987654e+19.
    query = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input, dryRun: true) {
      userErrors { code message } dryRun { body } } }"""
    line = {"title": "Work", "quantity": 1, "unitPrice": 98765432109876543210}
    payload = gw.data(query, {"input": {"id": KITCHEN_DRAFT, "lineItems": [line]}})
    assert payload["updateInvoice"]["userErrors"] == []
    assert '"amount":98765432109876543210}' in payload["updateInvoice"]["dryRun"]["body"]
