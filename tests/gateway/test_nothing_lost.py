"""No lost updates: stale writes are refused, billable changes are computed from the
invoice as it is, and an update that would empty an invoice never reaches Kantata."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Gateway
from tests.gateway.queries import KANTATA_DRAFT, KITCHEN_DRAFT

UPDATE = """mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) {
  invoice { id updatedAt lineItems { id } } userErrors { code message field } } }"""


def update(gw: Gateway, fields: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = gw.data(UPDATE, {"input": fields})["updateInvoice"]
    return payload


def updated_at(gw: Gateway, invoice_id: str) -> str:
    stamp: str = gw.data("query($id: ID!) { invoice(id: $id) { updatedAt } }", {"id": invoice_id})[
        "invoice"
    ]["updatedAt"]
    gw.forget_requests()
    return stamp


def puts(gw: Gateway, vendor: str) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in gw.requests(vendor) if r["method"] == "PUT"]


@pytest.mark.parametrize(
    ("vendor", "invoice_id"), [("kantata", KANTATA_DRAFT), ("kitchen", KITCHEN_DRAFT)]
)
def test_an_update_based_on_what_the_caller_saw_goes_through(
    gw: Gateway, vendor: str, invoice_id: str
) -> None:
    seen = updated_at(gw, invoice_id)
    payload = update(gw, {"id": invoice_id, "notes": "checked", "expectedUpdatedAt": seen})
    assert payload["userErrors"] == []
    assert payload["invoice"]["updatedAt"] != seen
    assert [r["method"] for r in gw.requests(vendor)] == ["GET", "PUT"]


@pytest.mark.parametrize(
    ("vendor", "invoice_id"), [("kantata", KANTATA_DRAFT), ("kitchen", KITCHEN_DRAFT)]
)
def test_a_stale_update_is_a_conflict_and_writes_nothing(
    gw: Gateway, vendor: str, invoice_id: str
) -> None:
    seen = updated_at(gw, invoice_id)
    assert update(gw, {"id": invoice_id, "notes": "someone else"})["userErrors"] == []
    now = updated_at(gw, invoice_id)
    payload = update(gw, {"id": invoice_id, "notes": "mine", "expectedUpdatedAt": seen})
    assert payload["invoice"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("CONFLICT", ["input", "expectedUpdatedAt"])
    assert now in error["message"]  # the current updatedAt, to read again
    assert puts(gw, vendor) == []


def test_add_and_remove_billables_send_the_whole_lists(gw: Gateway) -> None:
    payload = update(
        gw,
        {
            "id": KANTATA_DRAFT,
            "addBillables": {
                "timeEntryIds": ["kantata:time_entry:9002"],
                "expenseIds": ["kantata:expense:9102"],
            },
            "removeBillables": {"billingMilestoneIds": ["kantata:billing_milestone:9401"]},
        },
    )
    assert payload["userErrors"] == []
    assert puts(gw, "kantata") == [
        {
            "invoice": {
                "time_entry_ids": ["9001", "9002"],
                "expense_ids": ["9101", "9102"],
                "billing_milestone_ids": [],
            }
        }
    ]
    ids = {item["id"] for item in payload["invoice"]["lineItems"]}
    assert {"kantata:time_entry:9002", "kantata:expense:9102"} <= ids
    assert "kantata:billing_milestone:9401" not in ids


def test_adding_what_is_there_and_removing_what_is_not_change_nothing(gw: Gateway) -> None:
    payload = update(
        gw,
        {
            "id": KANTATA_DRAFT,
            "addBillables": {"timeEntryIds": ["kantata:time_entry:9001"]},
            "removeBillables": {"expenseIds": ["kantata:expense:9102"]},
        },
    )
    assert payload["userErrors"] == []
    assert puts(gw, "kantata") == [
        {"invoice": {"time_entry_ids": ["9001"], "expense_ids": ["9101"]}}
    ]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        (
            {
                "billables": {"expenseIds": []},
                "addBillables": {"expenseIds": ["kantata:expense:9102"]},
            },
            ["input", "addBillables", "expenseIds"],
        ),
        (
            {
                "addBillables": {"expenseIds": ["kantata:expense:9102"]},
                "removeBillables": {"expenseIds": ["kantata:expense:9102"]},
            },
            ["input", "removeBillables", "expenseIds"],
        ),
    ],
)
def test_contradicting_billable_changes_are_refused(
    gw: Gateway, fields: dict[str, Any], path: list[str]
) -> None:
    payload = update(gw, {"id": KANTATA_DRAFT, **fields})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_INPUT", path)]
    assert puts(gw, "kantata") == []


@pytest.mark.parametrize(
    "fields",
    [
        {
            "removeBillables": {
                "timeEntryIds": ["kantata:time_entry:9010"],
                "expenseIds": ["kantata:expense:9110"],
            }
        },
        {"billables": {"timeEntryIds": [], "expenseIds": [], "billingMilestoneIds": []}},
        {
            "billables": {"timeEntryIds": []},
            "removeBillables": {"expenseIds": ["kantata:expense:9110"]},
        },
    ],
)
def test_an_update_that_would_leave_no_line_item_never_reaches_kantata(
    gw: Gateway, fields: dict[str, Any]
) -> None:
    payload = update(gw, {"id": "kantata:invoice:102", **fields})
    [error] = payload["userErrors"]
    assert error["code"] == "INVALID_INPUT" and "no line item" in error["message"]
    assert puts(gw, "kantata") == []


def test_emptying_the_billables_is_fine_while_fixed_fees_remain(gw: Gateway) -> None:
    payload = update(
        gw,
        {
            "id": KANTATA_DRAFT,
            "billables": {"timeEntryIds": [], "expenseIds": [], "billingMilestoneIds": []},
        },
    )
    assert payload["userErrors"] == []
    assert {item["id"].split(":")[1] for item in payload["invoice"]["lineItems"]} == {
        "fixed_fee_item",
        "additional_item",
    }


def test_kitchen_has_no_billables(gw: Gateway) -> None:
    payload = update(gw, {"id": KITCHEN_DRAFT, "addBillables": {"expenseIds": []}})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("UNSUPPORTED_FIELD", ["input", "addBillables"])
    ]
    assert gw.requests("kitchen") == []
