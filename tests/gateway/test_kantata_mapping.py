"""Every neutral field Kantata can store: what the gateway sends, and what it answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, UPDATE, UPDATE_NESTED


def sent_body(gw: Gateway) -> dict[str, Any]:
    puts = [r for r in gw.requests("kantata") if r["method"] == "PUT"]
    assert len(puts) == 1, puts
    body: dict[str, Any] = json.loads(puts[0]["body"])
    return body


MAPPED = [
    # (neutral input, what Kantata receives inside {"invoice": ...}, what the answer shows)
    ({"number": "42"}, {"user_invoice_number": 42}, {"number": "42"}),
    (
        {"title": "Spring retainer"},
        {"user_invoice_title": "Spring retainer"},
        {"title": "Spring retainer"},
    ),
    (
        {"issueDate": "2025-05-01"},
        {"invoice_date": "2025-05-01"},
        {"issueDate": "2025-05-01", "dueDate": "2025-05-31"},
    ),
    (
        {"paymentTermsDays": 45},
        {"payment_schedule": 45},
        {"paymentTermsDays": 45, "dueDate": "2025-04-17"},
    ),
    ({"notes": "Thank you!"}, {"message": "Thank you!"}, {"notes": "Thank you!"}),
    ({"draft": False}, {"draft": False}, {"draft": False, "status": "OPEN"}),
    ({"purchaseOrder": "PO-7781"}, {"purchase_order": "PO-7781"}, {"purchaseOrder": "PO-7781"}),
    ({"projectCode": "BW-2025"}, {"project_code": "BW-2025"}, {"projectCode": "BW-2025"}),
]


@pytest.mark.parametrize(("given", "sent", "shown"), MAPPED, ids=[next(iter(m[0])) for m in MAPPED])
def test_each_mapped_field_is_sent_alone_and_read_back(
    gw: Gateway, given: dict[str, Any], sent: dict[str, Any], shown: dict[str, Any]
) -> None:
    data = gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, **given}})
    payload = data["updateInvoice"]
    assert payload["userErrors"] == []
    assert sent_body(gw) == {"invoice": sent}  # omitted fields are not sent
    invoice = payload["invoice"]
    for key, value in shown.items():
        assert invoice[key] == value


def test_several_fields_in_one_put(gw: Gateway) -> None:
    gw.data(
        UPDATE,
        {"input": {"id": KANTATA_DRAFT, "number": "7", "notes": "n", "paymentTermsDays": 10}},
    )
    assert sent_body(gw) == {
        "invoice": {"user_invoice_number": 7, "message": "n", "payment_schedule": 10}
    }


CLEARABLE = [
    ("title", "user_invoice_title"),
    ("notes", "message"),
    ("purchaseOrder", "purchase_order"),
    ("projectCode", "project_code"),
]


@pytest.mark.parametrize(("field", "key"), CLEARABLE)
def test_explicit_null_clears_where_kantata_can(gw: Gateway, field: str, key: str) -> None:
    data = gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, field: None}})
    assert data["updateInvoice"]["userErrors"] == []
    assert sent_body(gw) == {"invoice": {key: None}}
    assert data["updateInvoice"]["invoice"][field] is None


def test_billables_overwrite_each_list_sent_and_keep_the_others(gw: Gateway) -> None:
    data = gw.data(
        UPDATE_NESTED,
        {
            "input": {
                "id": KANTATA_DRAFT,
                "billables": {
                    "timeEntryIds": ["kantata:time_entry:9001", "kantata:time_entry:9002"],
                    "expenseIds": [],
                },
            }
        },
    )
    payload = data["updateInvoice"]
    assert payload["userErrors"] == []
    assert sent_body(gw) == {"invoice": {"time_entry_ids": ["9001", "9002"], "expense_ids": []}}
    ids = [item["id"] for item in payload["invoice"]["lineItems"]]
    assert ids == [
        "kantata:time_entry:9001",
        "kantata:time_entry:9002",
        "kantata:fixed_fee_item:9201",
        "kantata:additional_item:9301",
        "kantata:billing_milestone:9401",
    ]


def test_external_reference_is_sent_in_vendor_shape(gw: Gateway) -> None:
    query = """
    mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
      invoice { ... on KantataInvoice {
        externalReferences { serviceName serviceModel serviceModelRef status locked } } }
      userErrors { code field } } }
    """
    reference = {
        "serviceName": "jira",
        "serviceModel": "issue",
        "serviceModelRef": "BW-12",
        "status": "pending",
        "locked": True,
    }
    data = gw.data(query, {"input": {"id": KANTATA_DRAFT, "externalReference": reference}})
    assert data["updateInvoice"]["userErrors"] == []
    assert sent_body(gw)["invoice"]["external_reference"] == {
        "service_name": "jira",
        "service_model": "issue",
        "service_model_ref": "BW-12",
        "status": "pending",
        "locked": True,
    }
    refs = data["updateInvoice"]["invoice"]["externalReferences"]
    assert {
        "serviceName": "jira",
        "serviceModel": "issue",
        "serviceModelRef": "BW-12",
        "status": "pending",
        "locked": True,
    } in refs


def test_an_update_is_kept_by_the_vendor(gw: Gateway) -> None:
    gw.data(UPDATE, {"input": {"id": KANTATA_DRAFT, "notes": "kept"}})
    read = gw.data("query($id: ID!) { invoice(id: $id) { notes } }", {"id": KANTATA_DRAFT})
    assert read["invoice"]["notes"] == "kept"
