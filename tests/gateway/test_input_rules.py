"""Input the target vendor cannot take: a typed error naming each field, and no upstream call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_DRAFT, UPDATE

KANTATA_UNSUPPORTED: dict[str, Any] = {
    "footer": "x",
    "currency": "EUR",
    "recipientId": "kantata:user:8",
    "language": "en_US",
    "visibility": "SHARED",
    "paymentGateways": ["BANK"],
    "dueReminder": {"message": "m"},
    "lineItems": [{"title": "t", "unitPrice": "1"}],
    "discounts": [{"title": "d", "amount": "1", "type": "FIXED"}],
    "taxes": [{"title": "t", "rate": "1"}],
}
KITCHEN_UNSUPPORTED: dict[str, Any] = {
    "title": "x",
    "draft": False,
    "purchaseOrder": "PO",
    "projectCode": "PC",
    "billables": {"expenseIds": []},
    "externalReference": {"serviceName": "a", "serviceModel": "b", "serviceModelRef": "c"},
}
TARGETS = {
    "kantata": (KANTATA_DRAFT, KANTATA_UNSUPPORTED),
    "kitchen": (KITCHEN_DRAFT, KITCHEN_UNSUPPORTED),
}


def update_errors(gw: Gateway, fields: dict[str, Any]) -> list[dict[str, Any]]:
    data = gw.data(UPDATE, {"input": fields})
    payload = data["updateInvoice"]
    assert payload["invoice"] is None
    errors: list[dict[str, Any]] = payload["userErrors"]
    assert errors
    return errors


@pytest.mark.parametrize(
    ("vendor", "field"),
    [(v, f) for v, (_, fields) in TARGETS.items() for f in fields],
)
def test_each_unsupported_field_is_named(gw: Gateway, vendor: str, field: str) -> None:
    invoice_id, fields = TARGETS[vendor]
    errors = update_errors(gw, {"id": invoice_id, field: fields[field], "notes": "kept back"})
    assert errors == [
        {"code": "UNSUPPORTED_FIELD", "message": errors[0]["message"], "field": ["input", field]}
    ]
    assert field in errors[0]["message"]
    assert gw.requests(vendor) == []  # the supported field is not sent either


@pytest.mark.parametrize("vendor", TARGETS)
def test_every_unsupported_field_is_named_in_one_answer(gw: Gateway, vendor: str) -> None:
    invoice_id, fields = TARGETS[vendor]
    errors = update_errors(gw, {"id": invoice_id, **fields})
    assert {tuple(e["field"]) for e in errors} == {("input", f) for f in fields}
    assert {e["code"] for e in errors} == {"UNSUPPORTED_FIELD"}
    assert gw.requests(vendor) == []


def test_unsupported_fields_come_before_invalid_ones(gw: Gateway) -> None:
    errors = update_errors(gw, {"id": KANTATA_DRAFT, "footer": "x", "number": "A-1"})
    assert [(e["code"], e["field"]) for e in errors] == [
        ("UNSUPPORTED_FIELD", ["input", "footer"]),
        ("INVALID_INPUT", ["input", "number"]),
    ]


NOT_CLEARABLE = {
    "kantata": [
        "number",
        "issueDate",
        "paymentTermsDays",
        "draft",
        "billables",
        "externalReference",
    ],
    "kitchen": [
        "number",
        "currency",
        "language",
        "visibility",
        "paymentGateways",
        "lineItems",
        "discounts",
        "taxes",
    ],
}


@pytest.mark.parametrize(
    ("vendor", "field"), [(v, f) for v, fields in NOT_CLEARABLE.items() for f in fields]
)
def test_null_where_the_vendor_cannot_clear_is_invalid(
    gw: Gateway, vendor: str, field: str
) -> None:
    invoice_id = TARGETS[vendor][0]
    errors = update_errors(gw, {"id": invoice_id, field: None})
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", ["input", field])]
    assert "cannot be cleared" in errors[0]["message"]
    assert gw.requests(vendor) == []


INVALID = [
    # (invoice, input fields, the path of the error)
    (KANTATA_DRAFT, {"number": "A-12"}, ["input", "number"]),
    (KANTATA_DRAFT, {"number": "0"}, ["input", "number"]),
    (KANTATA_DRAFT, {"number": "99999999999"}, ["input", "number"]),
    (KANTATA_DRAFT, {"paymentTermsDays": -1}, ["input", "paymentTermsDays"]),
    (
        KANTATA_DRAFT,
        {"billables": {"timeEntryIds": ["kitchen:item:invi_1"]}},
        ["input", "billables", "timeEntryIds", "0"],
    ),
    (
        KANTATA_DRAFT,
        {"billables": {"expenseIds": ["kantata:time_entry:9001"]}},
        ["input", "billables", "expenseIds", "0"],
    ),
    (
        KANTATA_DRAFT,
        {"billables": {"expenseIds": ["9101"]}},
        ["input", "billables", "expenseIds", "0"],
    ),
    (
        KANTATA_DRAFT,
        {"billables": {"expenseIds": ["kantata:expense:../../users"]}},
        ["input", "billables", "expenseIds", "0"],
    ),
    (KANTATA_DRAFT, {"billables": {"timeEntryIds": None}}, ["input", "billables", "timeEntryIds"]),
    (
        KANTATA_DRAFT,
        {"externalReference": {"serviceName": "", "serviceModel": "b", "serviceModelRef": "c"}},
        ["input", "externalReference", "serviceName"],
    ),
    (
        KANTATA_DRAFT,
        {
            "externalReference": {
                "serviceName": "a",
                "serviceModel": "b",
                "serviceModelRef": "c",
                "status": "done",
            }
        },
        ["input", "externalReference", "status"],
    ),
    (KITCHEN_DRAFT, {"number": "   "}, ["input", "number"]),
    (KITCHEN_DRAFT, {"currency": "usd"}, ["input", "currency"]),
    (KITCHEN_DRAFT, {"currency": "XYZ"}, ["input", "currency"]),
    (KITCHEN_DRAFT, {"language": "english"}, ["input", "language"]),
    (KITCHEN_DRAFT, {"footer": "x" * 256}, ["input", "footer"]),
    (KITCHEN_DRAFT, {"paymentTermsDays": -5}, ["input", "paymentTermsDays"]),
    (KITCHEN_DRAFT, {"recipientId": "kantata:user:8"}, ["input", "recipientId"]),
    (KITCHEN_DRAFT, {"recipientId": "kitchen:user:evil.example.com/x"}, ["input", "recipientId"]),
    (
        KITCHEN_DRAFT,
        {"lineItems": [{"title": "a", "unitPrice": "1", "quantity": "0"}]},
        ["input", "lineItems", "0", "quantity"],
    ),
    (
        KITCHEN_DRAFT,
        {"lineItems": [{"title": "a", "unitPrice": "1"}, {"title": "b"}]},
        ["input", "lineItems", "1", "unitPrice"],
    ),
    (
        KITCHEN_DRAFT,
        {"lineItems": [{"title": " ", "unitPrice": "1"}]},
        ["input", "lineItems", "0", "title"],
    ),
    (
        KITCHEN_DRAFT,
        {"discounts": [{"title": "d", "amount": "150", "type": "PERCENTAGE"}]},
        ["input", "discounts", "0", "amount"],
    ),
    (
        KITCHEN_DRAFT,
        {"discounts": [{"title": "d", "amount": "-1", "type": "FIXED"}]},
        ["input", "discounts", "0", "amount"],
    ),
    (KITCHEN_DRAFT, {"taxes": [{"title": "t", "rate": "101"}]}, ["input", "taxes", "0", "rate"]),
    (KITCHEN_DRAFT, {"dueReminder": {"sendDays": 1000}}, ["input", "dueReminder", "sendDays"]),
    ("kantata:invoice:abc", {"notes": "x"}, ["input", "id"]),
    ("kantata:user:7", {"notes": "x"}, ["input", "id"]),
    ("invoice-101", {"notes": "x"}, ["input", "id"]),
    ("stripe:invoice:1", {"notes": "x"}, ["input", "id"]),
    ("kitchen:invoice:in_../../admin", {"notes": "x"}, ["input", "id"]),
]


@pytest.mark.parametrize(("invoice_id", "fields", "path"), INVALID)
def test_invalid_input_is_refused_before_any_call(
    gw: Gateway, invoice_id: str, fields: dict[str, Any], path: list[str]
) -> None:
    errors = update_errors(gw, {"id": invoice_id, **fields})
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", path)]
    assert gw.requests("kantata") == [] and gw.requests("kitchen") == []


def test_every_invalid_field_is_named_in_one_answer(gw: Gateway) -> None:
    errors = update_errors(
        gw, {"id": KITCHEN_DRAFT, "currency": "usd", "language": "english", "paymentTermsDays": -1}
    )
    assert sorted(tuple(e["field"]) for e in errors) == [
        ("input", "currency"),
        ("input", "language"),
        ("input", "paymentTermsDays"),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"issueDate": "2025-13-45"},
        {"lineItems": [{"title": "a", "unitPrice": "ten"}]},
        {"visibility": "PUBLIC"},
    ],
)
def test_malformed_scalars_are_graphql_errors_with_no_call(
    gw: Gateway, fields: dict[str, Any]
) -> None:
    body = gw.post(UPDATE, {"input": {"id": KITCHEN_DRAFT, **fields}})
    assert body.get("data") is None
    assert body["errors"]
    assert gw.requests("kitchen") == []
