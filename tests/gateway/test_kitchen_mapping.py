"""Every neutral field Kitchen can store: what the gateway sends, and what it answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Gateway
from tests.gateway.queries import KITCHEN_CLIENT, KITCHEN_DRAFT, UPDATE, UPDATE_NESTED


def sent(gw: Gateway) -> tuple[dict[str, Any], str]:
    puts = [r for r in gw.requests("kitchen") if r["method"] == "PUT"]
    assert len(puts) == 1, puts
    return json.loads(puts[0]["body"]), puts[0]["body"]


MAPPED = [
    # (neutral input, the flat Kitchen body, what the answer shows)
    ({"number": "FP-2025-001"}, {"number": "FP-2025-001"}, {"number": "FP-2025-001"}),
    (
        {"issueDate": "2024-08-01"},
        {"issue_date": "2024-08-01"},
        {"issueDate": "2024-08-01", "dueDate": "2024-08-09"},
    ),
    (
        {"paymentTermsDays": 30},
        {"due_date_in_days": 30},
        {"paymentTermsDays": 30, "dueDate": "2024-08-11"},
    ),
    (
        {"notes": "Thanks for your business"},
        {"memo": "Thanks for your business"},
        {"notes": "Thanks for your business"},
    ),
    (
        {"footer": "IBAN DE89 3704"},
        {"footer_notes": "IBAN DE89 3704"},
        {"footer": "IBAN DE89 3704"},
    ),
    ({"currency": "EUR"}, {"currency": "EUR"}, {"currency": "EUR"}),
    ({"language": "de_DE"}, {"language": "de_DE"}, {"language": "de_DE"}),
    ({"visibility": "INTERNAL"}, {"visibility": "internal"}, {"visibility": "INTERNAL"}),
    (
        {"paymentGateways": ["STRIPE_ACH", "BANK"]},
        {"payment_gateways": ["stripe_ach", "bank"]},
        {"paymentGateways": ["STRIPE_ACH", "BANK"]},
    ),
    (
        {"dueReminder": {"message": "Friendly reminder", "sendDays": -2}},
        {"due_reminder_message": "Friendly reminder", "due_reminder_send_days": -2},
        {"dueReminder": {"message": "Friendly reminder", "sendDays": -2, "sendDate": "2024-07-18"}},
    ),
    (
        {"discounts": [{"title": "Loyalty", "amount": "5", "type": "PERCENTAGE"}]},
        {"discounts": [{"title": "Loyalty", "amount": 5, "type": "percentage"}]},
        {"discountTotal": {"amount": "182.50"}},
    ),
    (
        {"taxes": [{"title": "VAT", "rate": "20"}]},
        {"tax_items": [{"title": "VAT", "amount": 20}]},
        {"taxItems": [{"title": "VAT", "rate": "20"}]},
    ),
]


def _shown_matches(invoice: dict[str, Any], shown: dict[str, Any]) -> None:
    for key, value in shown.items():
        if isinstance(value, dict) and isinstance(invoice[key], dict):
            for sub, subvalue in value.items():
                assert invoice[key][sub] == subvalue, (key, sub)
        elif key == "taxItems":
            assert [{k: t[k] for k in ("title", "rate")} for t in invoice[key]] == value
        else:
            assert invoice[key] == value, key


@pytest.mark.parametrize(("given", "body", "shown"), MAPPED, ids=[next(iter(m[0])) for m in MAPPED])
def test_each_mapped_field_is_sent_alone_and_read_back(
    gw: Gateway, given: dict[str, Any], body: dict[str, Any], shown: dict[str, Any]
) -> None:
    data = gw.data(UPDATE, {"input": {"id": KITCHEN_DRAFT, **given}})
    payload = data["updateInvoice"]
    assert payload["userErrors"] == []
    assert sent(gw)[0] == body  # flat, and nothing that was omitted
    _shown_matches(payload["invoice"], shown)


def test_recipient_is_sent_as_the_client_id(gw: Gateway) -> None:
    data = gw.data(UPDATE_NESTED, {"input": {"id": KITCHEN_DRAFT, "recipientId": KITCHEN_CLIENT}})
    assert data["updateInvoice"]["userErrors"] == []
    assert sent(gw)[0] == {"client": KITCHEN_CLIENT.split(":")[2]}
    assert data["updateInvoice"]["invoice"]["recipient"]["id"] == KITCHEN_CLIENT


def test_line_items_replace_the_list_with_exact_money(gw: Gateway) -> None:
    items = [
        {
            "title": "Design sprint",
            "description": "Two days",
            "quantity": "2",
            "unitPrice": "1250.50",
        },
        {"title": "Icon set", "unitPrice": "19.99"},
    ]
    data = gw.data(UPDATE_NESTED, {"input": {"id": KITCHEN_DRAFT, "lineItems": items}})
    payload = data["updateInvoice"]
    assert payload["userErrors"] == []
    body, raw = sent(gw)
    assert body == {
        "items": [
            {"title": "Design sprint", "quantity": 2, "amount": 1250.50, "description": "Two days"},
            {"title": "Icon set", "quantity": 1, "amount": 19.99},
        ]
    }
    assert (
        '"amount":1250.50' in raw and '"amount":19.99' in raw
    )  # exact decimal text, no float noise
    lines = payload["invoice"]["lineItems"]
    assert [
        (i["kind"], i["title"], i["quantity"], i["unitPrice"]["amount"], i["amount"]["amount"])
        for i in lines
    ] == [
        ("ITEM", "Design sprint", "2.00", "1250.50", "2501.00"),
        ("ITEM", "Icon set", "1.00", "19.99", "19.99"),
    ]
    assert payload["invoice"]["subtotal"]["amount"] == "2520.99"


CLEARABLE = [
    ("issueDate", {"issue_date": None}),
    ("paymentTermsDays", {"due_date_in_days": None}),
    ("notes", {"memo": None}),
    ("footer", {"footer_notes": None}),
    ("recipientId", {"client": None}),
    ("dueReminder", {"due_reminder_message": None, "due_reminder_send_days": None}),
]


@pytest.mark.parametrize(("field", "body"), CLEARABLE, ids=[c[0] for c in CLEARABLE])
def test_explicit_null_clears_where_kitchen_can(
    gw: Gateway, field: str, body: dict[str, Any]
) -> None:
    data = gw.data(UPDATE_NESTED, {"input": {"id": KITCHEN_DRAFT, field: None}})
    assert data["updateInvoice"]["userErrors"] == []
    assert sent(gw)[0] == body


def test_part_of_a_due_reminder_sends_only_that_part(gw: Gateway) -> None:
    gw.data(UPDATE, {"input": {"id": KITCHEN_DRAFT, "dueReminder": {"sendDays": 3}}})
    assert sent(gw)[0] == {"due_reminder_send_days": 3}


def test_empty_lists_clear_discounts_and_taxes(gw: Gateway) -> None:
    data = gw.data(UPDATE, {"input": {"id": KITCHEN_DRAFT, "discounts": [], "taxes": []}})
    invoice = data["updateInvoice"]["invoice"]
    assert sent(gw)[0] == {"discounts": [], "tax_items": []}
    assert invoice["discounts"] == [] and invoice["taxItems"] == []
    assert invoice["total"]["amount"] == invoice["subtotal"]["amount"]
