"""Kantata OX answers read into neutral objects.

Expected values are written by hand from the README ("Nothing lost": reading back, money,
status), `/work/shared/VENDORS.md` (the invoice, line and user fields), the documented
response-format example (`tests/contracts/fixtures/kantata_response_format_example.json`)
and `gateway/vendors/kantata/ASSUMPTIONS.md` (K…); never from the module's own tables.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytest import param

from gateway.core.domain import InvoiceStatus, LineItemKind, User, Workspace
from gateway.vendors.kantata.read import (
    bundle_from_envelope,
    invoice_from_record,
    line_item_from_record,
    single_invoice,
    status_of,
    user_from_record,
    workspace_from_record,
)

FIXTURES = Path(__file__).parents[2] / "contracts" / "fixtures"
USD = {"currency": "USD", "currency_base_unit": 100}
LISTS = ["time_entry_ids", "expense_ids", "fixed_fee_item_ids", "additional_item_ids",
         "billing_milestone_ids", "time_adjustment_ids"]  # fmt: skip
RECORD: dict[str, Any] = {  # an invoice with the fields VENDORS.md lists, every include asked
    "id": "101", "created_at": "2025-03-01T09:00:00Z", "updated_at": "2025-03-02T10:30:00-05:00",
    "invoice_date": "2025-03-10", "due_date": "2025-04-09", "title": "Invoice #00019",
    "user_invoice_number": 19, "user_invoice_title": "March retainer", "message": "Thanks!",
    "purchase_order": "PO-2025-031", "project_code": "PRJ-7", "draft": False, "status": "new",
    "balance_in_cents": 123456, "currency_symbol": "$", **USD, "payment_schedule": 30,
    "tax_rate": Decimal("8.25"), "user_id": "7", "recipient_id": "8", "workspace_ids": ["55"],
    **{key: [] for key in LISTS}, "time_entry_ids": ["9001"], "expense_ids": ["9101"],
    "billing_milestone_ids": ["9401"], "external_reference_ids": ["3"],
}  # fmt: skip


def read(**changes: Any) -> Any:
    """RECORD with `changes` (a value of ... removes the key), read."""
    record = {**RECORD, **changes}
    return invoice_from_record({k: v for k, v in record.items() if v is not ...})


def envelope(*records: dict[str, Any], **sideloads: dict[str, Any]) -> dict[str, Any]:
    return {
        "count": len(records),
        "results": [{"key": "invoices", "id": r["id"]} for r in records],
        "invoices": {r["id"]: r for r in records},
        **sideloads,
    }


# --- the invoice's fields (VENDORS.md "Invoice object"; README "Reading back") -----------

FIELDS = {
    "id": "kantata:invoice:101", "vendor_id": "101", "number": "19", "title": "March retainer",
    "vendor_status": "new", "issue_date": dt.date(2025, 3, 10), "due_date": dt.date(2025, 4, 9),
    "payment_terms_days": 30, "currency": "USD", "notes": "Thanks!",
    "total": None,  # Kantata has no invoice total
    "created_by.native_id": "7", "recipient.native_id": "8", "workspace_ids": ("55",),
    "created_at": dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC),
    "updated_at": dt.datetime(2025, 3, 2, 15, 30, tzinfo=dt.UTC),
    "details.draft": False, "details.purchase_order": "PO-2025-031",
    "details.project_code": "PRJ-7", "details.tax_rate": Decimal("8.25"),
    "details.external_reference_ids": ("kantata:external_reference:3",),
}  # fmt: skip


@pytest.mark.parametrize(("path", "expected"), FIELDS.items(), ids=list(FIELDS))
def test_invoice_field(path: str, expected: Any) -> None:
    value: Any = read()
    for name in path.split("."):
        value = getattr(value, name)
    assert value == expected


def test_no_recipient_reads_as_none() -> None:  # seed page: "or null, if no lead client"
    assert read(recipient_id=None).recipient is None


# --- status (README: draft -> DRAFT, new -> OPEN, accepted payment -> PAID, cancelled -> VOID)

STATUSES = [
    param(True, "new", InvoiceStatus.DRAFT, id="draft-flag-wins"),
    param(False, "new", InvoiceStatus.OPEN, id="new"),
    param(False, "accepted payment", InvoiceStatus.PAID, id="accepted-payment"),
    param(False, "cancelled", InvoiceStatus.VOID, id="cancelled"),
    param(False, "partially paid", InvoiceStatus.UNKNOWN, id="other-word-unknown"),  # K21
    param(False, None, InvoiceStatus.UNKNOWN, id="no-status-unknown"),
]


@pytest.mark.parametrize(("draft", "status", "expected"), STATUSES)
def test_status(draft: bool, status: str | None, expected: InvoiceStatus) -> None:
    assert status_of({"draft": draft, "status": status}) is expected
    invoice = read(draft=draft, status=status)
    assert (invoice.status, invoice.vendor_status) == (expected, status)  # the word is kept


# --- cents to decimals through currency_base_unit (K15; README "Reading back") -----------

MONEY = [
    param(123456, "USD", 100, "1234.56", id="usd-cents"),
    param(5000, "JPY", 1, "5000", id="jpy-base-unit-1-no-decimals"),
    param(12345, "BHD", 1000, "12.345", id="bhd-base-unit-1000"),
    param(12345, "ISK", 100, "123.45", id="base-unit-wins-over-iso-table"),
    param(0, "USD", 100, "0.00", id="zero"),
    param(-2500, "USD", 100, "-25.00", id="credit"),
]


@pytest.mark.parametrize(("cents", "currency", "base_unit", "amount"), MONEY)
def test_balance_in_cents(cents: int, currency: str, base_unit: int, amount: str) -> None:
    balance = read(balance_in_cents=cents, currency=currency, currency_base_unit=base_unit).balance
    assert (str(balance.amount), balance.currency) == (amount, currency)


def test_a_null_amount_stays_null() -> None:
    assert read(balance_in_cents=None).balance is None


def test_no_currency_means_no_money_and_says_why() -> None:
    invoice = read(currency=None, currency_base_unit=None)
    assert (invoice.currency, invoice.balance) == (None, None)
    assert invoice.money_unknown


@pytest.mark.parametrize(
    "changes",
    [{"currency_base_unit": 0}, {"currency_base_unit": -100}, {"balance_in_cents": Decimal("1.5")}],
    ids=["base-unit-0", "base-unit-negative", "cents-not-integer"],
)
def test_impossible_money_fails_the_read(changes: dict[str, Any]) -> None:  # K15
    with pytest.raises(ValueError):
        read(**changes)


# --- line id lists: missing means unknown, never empty (README "Nothing lost"; K5, K8) ----


def test_every_line_list_present_gives_the_lines() -> None:
    assert set(read().line_item_ids) == {
        "kantata:time_entry:9001", "kantata:expense:9101", "kantata:billing_milestone:9401",
    }  # fmt: skip


def test_every_line_list_present_and_empty_is_known_empty() -> None:
    invoice = read(**{key: [] for key in LISTS})
    assert (invoice.line_item_ids, invoice.details.unlisted) == ((), ())


@pytest.mark.parametrize("missing", LISTS)
def test_one_line_list_missing_makes_every_line_unknown(missing: str) -> None:
    invoice = read(**{missing: ...})
    assert (invoice.line_item_ids, invoice.details.unlisted) == (None, (missing,))


def test_no_line_list_at_all_is_unknown() -> None:
    invoice = read(**dict.fromkeys(LISTS, ...))
    assert invoice.line_item_ids is None and set(invoice.details.unlisted) == set(LISTS)


def test_other_missing_id_lists_are_unknown() -> None:
    invoice = read(workspace_ids=..., external_reference_ids=...)
    assert (invoice.workspace_ids, invoice.details.external_reference_ids) == (None, None)
    assert read(workspace_ids=[]).workspace_ids == ()


# --- line items: quantity, unit price, amount (README "Reading back"; schema `LineItem`) --

K = LineItemKind
LINES = [
    param(K.TIME_ENTRY, {"id": "9001", "time_in_minutes": 90, "rate_in_cents": 15000, **USD},
          "kantata:time_entry:9001", ("1.5", "150.00", "225.00"), id="time-90-min-at-150-an-hour"),
    param(K.TIME_ENTRY, {"id": "9002", "time_in_minutes": 45, "rate_in_cents": 10000, **USD},
          "kantata:time_entry:9002", ("0.75", "100.00", "75.00"), id="time-45-min"),
    param(K.TIME_ENTRY, {"id": "9003", "time_in_minutes": 600, "rate_in_cents": 12000, **USD},
          "kantata:time_entry:9003", ("10", "120.00", "1200.00"), id="time-600-min-is-10-hours"),
    param(K.TIME_ENTRY, {"id": "9004", "time_in_minutes": 60, "rate_in_cents": 5000,
                         "currency": "JPY", "currency_base_unit": 1},
          "kantata:time_entry:9004", ("1", "5000", "5000"), id="time-jpy"),
    param(K.TIME_ENTRY, {"id": "9005", "time_in_minutes": 90, "rate_in_cents": None, **USD},
          "kantata:time_entry:9005", ("1.5", None, None), id="time-null-rate-stays-null"),
    param(K.EXPENSE, {"id": "9101", "amount_in_cents": 4599, **USD},
          "kantata:expense:9101", ("1", "45.99", "45.99"), id="expense-quantity-1"),
    param(K.EXPENSE, {"id": "9102", "amount_in_cents": None, **USD},
          "kantata:expense:9102", ("1", None, None), id="expense-null-amount-stays-null"),
    param(K.FIXED_FEE, {"id": "9201", "amount_in_cents": 250000, **USD},
          "kantata:fixed_fee_item:9201", ("1", "2500.00", "2500.00"), id="fixed-fee-item"),
    param(K.ADDITIONAL, {"id": "9251", "amount_in_cents": 1999, **USD},
          "kantata:additional_item:9251", ("1", "19.99", "19.99"), id="additional-item"),
    param(K.BILLING_MILESTONE, {"id": "9401", "amount_in_cents": 100000, "currency": "JPY",
                                "currency_base_unit": 1},
          "kantata:billing_milestone:9401", ("1", "100000", "100000"), id="milestone-jpy"),
    param(K.TIME_ADJUSTMENT, {"id": "9301", "time": 30, "bill_rate_in_cents": 10000, **USD},
          "kantata:time_adjustment:9301", (None, None, None), id="time-adjustment-no-money-K9"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "record", "global_id", "expected"), LINES)
def test_line_item(
    kind: K, record: dict[str, Any], global_id: str, expected: tuple[str | None, ...]
) -> None:
    line = line_item_from_record(kind, record)
    quantity, price, amount = expected
    assert (line.id, line.kind) == (global_id, kind)
    if quantity is None:
        assert line.quantity is None
    else:  # a number of hours, never written in exponent form (`1E+1`)
        assert line.quantity == Decimal(quantity) and "E" not in str(line.quantity)
    currency = record["currency"]
    for money, text in ((line.unit_price, price), (line.amount, amount)):
        assert (None if money is None else (str(money.amount), money.currency)) == (
            None if text is None else (text, currency)
        )


# --- a line's currency: its own, else its invoice's with the base unit (README; K16) -----

FALLBACK = [
    param({"currency": "JPY", "currency_base_unit": 1}, {}, ("5000", "JPY"),
          id="no-currency-takes-the-invoice-yen-never-us-cents"),
    param({"currency": "ISK", "currency_base_unit": 100}, {"currency": "ISK"}, ("50.00", "ISK"),
          id="same-currency-takes-the-invoice-base-unit"),
    param({"currency": "JPY", "currency_base_unit": 1}, {"currency": "USD"}, ("50.00", "USD"),
          id="own-currency-wins"),
]  # fmt: skip


@pytest.mark.parametrize(("invoice", "line", "expected"), FALLBACK)
def test_line_currency(invoice: dict[str, Any], line: dict[str, Any], expected: Any) -> None:
    record = {**RECORD, **invoice, **{key: [] for key in LISTS}, "time_entry_ids": ["9001"]}
    entry = {"id": "9001", "time_in_minutes": 60, "rate_in_cents": 5000, **line}
    bundle = bundle_from_envelope(envelope(record, time_entries={"9001": entry}))
    price = bundle.line_items["kantata:time_entry:9001"].unit_price
    assert price is not None and (str(price.amount), price.currency) == expected


def test_a_line_with_no_currency_anywhere_has_no_money_and_says_why() -> None:
    line = line_item_from_record(K.EXPENSE, {"id": "9101", "amount_in_cents": 4599})
    assert (line.unit_price, line.amount) == (None, None)
    assert line.unknown


# --- users, workspaces and envelopes (K3; the documented response-format example) --------


def test_user_and_workspace() -> None:
    user = {"id": "7", "full_name": "Ann Lee", "email_address": "ann@example.com"}
    assert user_from_record(user) == User("kantata:user:7", "Ann Lee", "ann@example.com")
    workspace = {"id": "55", "title": "Website redesign"}
    assert workspace_from_record(workspace) == Workspace("kantata:workspace:55", "Website redesign")


def test_the_documented_response_format_example() -> None:
    bundle = bundle_from_envelope(
        json.loads((FIXTURES / "kantata_response_format_example.json").read_text())
    )
    assert (bundle.invoices, bundle.total) == ([], 2)
    assert bundle.workspaces == {
        "10": Workspace("kantata:workspace:10", "some project"),
        "11": Workspace("kantata:workspace:11", "another project"),
    }
    assert {key.native_id: user.name for key, user in bundle.users.items()} == {
        "2": "bob", "6": "chaz", "8": "jane",
    }  # fmt: skip


def test_envelope_keeps_the_order_of_results() -> None:
    first, second = {**RECORD, "id": "102"}, {**RECORD, "id": "101"}
    bundle = bundle_from_envelope(envelope(first, second))
    assert [i.vendor_id for i in bundle.invoices] == ["102", "101"]


def test_sideloaded_external_reference_keeps_the_seed_page_fields() -> None:
    reference = {
        "id": "3", "service_name": "jira", "service_model": "issue",
        "service_model_ref": "PRJ-123", "status": "successful", "locked": False,
    }  # fmt: skip
    bundle = bundle_from_envelope(envelope(RECORD, external_references={"3": reference}))
    read_back = bundle.external_references["kantata:external_reference:3"]
    assert (read_back.service_name, read_back.service_model_ref, read_back.status) == (
        "jira", "PRJ-123", "successful",
    )  # fmt: skip


# K3: results and maps are read together; an answer in another shape fails the read (the
# client turns these errors into UPSTREAM_UNAVAILABLE), never reads as "no invoice".
UNREADABLE = [
    param({"invoices": {}}, ValueError, id="result-without-its-record"),
    param({"invoices": []}, ValueError, id="map-not-an-object"),
    param({"results": [{"key": "invoices"}]}, KeyError, id="result-without-id"),
    param({"results": ["101"]}, AttributeError, id="result-not-an-object"),
]


@pytest.mark.parametrize(("changes", "error"), UNREADABLE)
def test_an_answer_whose_results_and_maps_disagree_fails_the_read(
    changes: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        bundle_from_envelope({**envelope(RECORD), **changes})


SINGLE = [
    param([RECORD], "101", True, id="about-the-invoice-asked"),
    param([RECORD], "102", False, id="about-another-invoice"),
    param([], "101", False, id="about-none"),
    param([RECORD, {**RECORD, "id": "102"}], "101", False, id="about-two"),
]


@pytest.mark.parametrize(("records", "asked", "accepted"), SINGLE)
def test_a_single_answer_must_be_about_the_invoice_asked(
    records: list[dict[str, Any]], asked: str, accepted: bool
) -> None:  # K1
    if accepted:
        assert single_invoice(envelope(*records), asked).invoice.vendor_id == asked
    else:
        with pytest.raises(ValueError):
            single_invoice(envelope(*records), asked)
