"""Kantata OX requests from neutral values: update bodies, list filters, includes.

Expected values are written by hand from the seed page "Updating an existing Invoice"
(`tests/contracts/fixtures/kantata_put_invoice_request.json` holds its fields with values),
the README ("Mapping", "Nothing lost", "Lists and lookups", "Errors") and
`gateway/vendors/kantata/ASSUMPTIONS.md` (K…); never from the module's own tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pytest import param

from gateway.core import domain
from gateway.core.domain import BillablesInput, ExternalReferenceInput, Invoice, Need
from gateway.core.errors import GatewayError
from gateway.vendors.kantata.read import invoice_from_record
from gateway.vendors.kantata.translate import (
    LIST_ORDER,
    filter_params,
    include_params,
    update_body,
    vendor_field_path,
)

B, REF = BillablesInput, ExternalReferenceInput
TE1, TE2, EX = "kantata:time_entry:9001", "kantata:time_entry:9002", "kantata:expense:9101"
MS, FEE = "kantata:billing_milestone:9401", "kantata:fixed_fee_item:9201"
ADJUSTMENT = "kantata:time_adjustment:9301"
REQUIRED = {"service_name": "jira", "service_model": "issue", "service_model_ref": "PRJ-123"}
JIRA = {
    **REQUIRED, "status": "successful", "external_message": "Synced from Jira",
    "external_link": "https://example.atlassian.net/browse/PRJ-123", "external_status": "Done",
    "locked": False,
}  # fmt: skip
JIRA_SENT = {  # the fixture's `external_reference`, as the seed page names its fields
    "service_name": "jira", "service_model": "issue", "service_model_ref": "PRJ-123",
    "status": "successful", "external_message": "Synced from Jira",
    "external_link": "https://example.atlassian.net/browse/PRJ-123", "external_status": "Done",
    "locked": False,
}  # fmt: skip
ID_LISTS = {  # README "Nothing lost": the six line lists a read-modify-write needs
    "time_entry": "time_entry_ids", "expense": "expense_ids",
    "fixed_fee_item": "fixed_fee_item_ids", "additional_item": "additional_item_ids",
    "billing_milestone": "billing_milestone_ids", "time_adjustment": "time_adjustment_ids",
}  # fmt: skip


def sent(values: dict[str, Any], current: Invoice | None = None) -> dict[str, Any]:
    body = update_body(values, current)
    assert list(body) == ["invoice"]  # K4: the body is wrapped in the resource name
    inner: dict[str, Any] = body["invoice"]
    return inner


def problems(call: Callable[[], object]) -> set[tuple[str, tuple[str, ...] | None]]:
    with pytest.raises(GatewayError) as info:
        call()
    return {(p.code.value, p.field) for p in info.value.problems}


def invoice(*lines: str, unlisted: tuple[str, ...] = ()) -> Invoice:
    """The invoice as Kantata answers it with every line include: its six `*_ids` lists
    (K5, K8), less the `unlisted` ones an account's answer may leave out."""
    lists: dict[str, list[str]] = {key: [] for key in ID_LISTS.values()}
    for line in lines:
        _, type_, native = line.split(":")
        lists[ID_LISTS[type_]].append(native)
    record = {"id": "101", "currency": "USD", "currency_base_unit": 100, **lists}
    return invoice_from_record({k: v for k, v in record.items() if k not in unlisted})


# --- each field: neutral value -> the seed page's request field -----------------------------

MAPPING = [
    param("number", "19", {"user_invoice_number": 19}, id="number-as-integer"),
    param("title", "March retainer", {"user_invoice_title": "March retainer"}, id="title"),
    param("issue_date", dt.date(2025, 3, 10), {"invoice_date": "2025-03-10"}, id="iso-date"),
    param("payment_terms_days", 30, {"payment_schedule": 30}, id="net-30"),
    param("notes", "Thanks!", {"message": "Thanks!"}, id="notes-to-message"),
    param("draft", True, {"draft": True}, id="draft-true"),
    param("draft", False, {"draft": False}, id="draft-false"),
    param("purchase_order", "PO-2025-031", {"purchase_order": "PO-2025-031"}, id="po"),
    param("project_code", "PRJ-7", {"project_code": "PRJ-7"}, id="project-code"),
    param("billables",
          B({"time_entry_ids": [TE1, TE2], "expense_ids": [EX], "billing_milestone_ids": [MS]}),
          {"time_entry_ids": ["9001", "9002"], "expense_ids": ["9101"],
           "billing_milestone_ids": ["9401"]}, id="billables-native-ids"),
    param("billables", B({"expense_ids": [EX]}), {"expense_ids": ["9101"]}, id="only-lists-sent"),
    param("billables", B({"time_entry_ids": []}), {"time_entry_ids": []}, id="empty-removes-all"),
    param("external_reference", REF(JIRA), {"external_reference": JIRA_SENT}, id="reference"),
    param("external_reference", REF(REQUIRED), {"external_reference": {
        "service_name": "jira", "service_model": "issue", "service_model_ref": "PRJ-123"}},
          id="reference-required-only"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "expected"), MAPPING)
def test_each_field_becomes_its_request_field(field: str, value: Any, expected: Any) -> None:
    assert sent({field: value}) == expected


# --- null: sent where the field can be cleared, else INVALID_INPUT naming it ----------------

CLEARABLE = {"title": "user_invoice_title", "notes": "message",
             "purchase_order": "purchase_order", "project_code": "project_code"}  # fmt: skip
NOT_CLEARABLE = [
    "number", "issue_date", "payment_terms_days", "draft", "billables", "add_billables",
    "remove_billables", "external_reference",
]  # fmt: skip


@pytest.mark.parametrize(("field", "key"), CLEARABLE.items())
def test_null_clears_a_clearable_field(field: str, key: str) -> None:
    assert sent({field: None}) == {key: None}


@pytest.mark.parametrize("field", NOT_CLEARABLE)
def test_null_on_a_field_kantata_cannot_clear_is_invalid(field: str) -> None:
    assert problems(lambda: update_body({field: None})) == {("INVALID_INPUT", (field,))}


# --- fields Kantata cannot store: UNSUPPORTED_FIELD, with a value or null ----------------

UNSUPPORTED: dict[str, Any] = {
    "footer": "Thank you",
    "currency": "EUR",  # read-only at Kantata
    "recipient_id": "kantata:user:7",  # read-only at Kantata
    "language": "en_US",
    "visibility": domain.InvoiceVisibility.SHARED,
    "payment_gateways": [domain.PaymentGateway.BANK],
    "due_reminder": domain.DueReminderInput({"send_days": 2}),
    "line_items": [domain.LineItemInput("Design", unit_price=Decimal("10"))],
    "discounts": [domain.DiscountInput("d", Decimal(5), domain.DiscountType.FIXED)],
    "taxes": [domain.TaxInput("VAT", Decimal(20))],
}


@pytest.mark.parametrize(("field", "value"), UNSUPPORTED.items(), ids=list(UNSUPPORTED))
@pytest.mark.parametrize("null", [False, True], ids=["value", "null"])
def test_a_field_kantata_cannot_store_is_unsupported(field: str, value: Any, null: bool) -> None:
    values = {field: None if null else value}
    assert problems(lambda: update_body(values)) == {("UNSUPPORTED_FIELD", (field,))}


def test_every_problem_is_named_in_one_answer() -> None:
    values = {"footer": "x", "language": "en_US", "number": "12a", "payment_terms_days": -1}
    assert problems(lambda: update_body(values)) == {
        ("UNSUPPORTED_FIELD", ("footer",)),
        ("UNSUPPORTED_FIELD", ("language",)),
        ("INVALID_INPUT", ("number",)),
        ("INVALID_INPUT", ("payment_terms_days",)),
    }


# --- limits (edges min, max, max+1) and shapes; `None` sent means INVALID_INPUT at the path -

LIMITS = [
    param({"number": "1"}, {"user_invoice_number": 1}, None, id="number-min"),
    param({"number": "2147483647"}, {"user_invoice_number": 2147483647}, None, id="number-max"),
    param({"number": "2147483648"}, None, ("number",), id="number-max+1"),
    param({"number": "0"}, None, ("number",), id="number-min-1"),
    param({"number": "-5"}, None, ("number",), id="number-negative"),
    param({"number": "12a"}, None, ("number",), id="number-with-letters"),
    param({"number": "1.5"}, None, ("number",), id="number-with-decimals"),
    param({"number": ""}, None, ("number",), id="number-empty"),
    param({"payment_terms_days": 0}, {"payment_schedule": 0}, None, id="terms-min"),
    param({"payment_terms_days": 3650}, {"payment_schedule": 3650}, None, id="terms-max"),
    param({"payment_terms_days": 3651}, None, ("payment_terms_days",), id="terms-max+1"),
    param({"payment_terms_days": -1}, None, ("payment_terms_days",), id="terms-negative"),
    param({"billables": B({"time_entry_ids": [EX]})}, None,
          ("billables", "time_entry_ids", "0"), id="id-of-another-type"),
    param({"billables": B({"expense_ids": [EX, "kitchen:item:invi_1"]})}, None,
          ("billables", "expense_ids", "1"), id="kitchen-id-named-at-its-index"),
    param({"billables": B({"billing_milestone_ids": ["9401"]})}, None,
          ("billables", "billing_milestone_ids", "0"), id="native-id-not-global"),
    param({"billables": B({"time_entry_ids": None})}, None,  # type: ignore[dict-item]
          ("billables", "time_entry_ids"), id="null-list-send-empty-instead"),
    param({"add_billables": B({"time_entry_ids": ["bad"]})}, None,
          ("add_billables", "time_entry_ids", "0"), id="add-validated-without-a-read"),
    param({"remove_billables": B({"expense_ids": [TE1]})}, None,
          ("remove_billables", "expense_ids", "0"), id="remove-validated-without-a-read"),
    param({"external_reference": REF({**JIRA, "status": "done"})}, None,
          ("external_reference", "status"), id="reference-status-not-an-option"),
    *(param({"external_reference": REF({k: v for k, v in REQUIRED.items() if k != name})}, None,
            ("external_reference", name), id=f"reference-without-{name}") for name in REQUIRED),
]  # fmt: skip


@pytest.mark.parametrize(("values", "expected", "invalid_at"), LIMITS)
def test_limits(values: dict[str, Any], expected: Any, invalid_at: tuple[str, ...] | None) -> None:
    if invalid_at is None:
        assert sent(values) == expected
    else:
        assert problems(lambda: update_body(values)) == {("INVALID_INPUT", (*invalid_at,))}


# --- billable changes against the invoice as it is (README "Nothing lost", K5-K8) ----------

RESOLVED = [
    param((TE1,), {"add_billables": B({"time_entry_ids": [TE2]})},
          {"time_entry_ids": ["9001", "9002"]}, id="add-keeps-the-rest"),
    param((TE1, TE2), {"remove_billables": B({"time_entry_ids": [TE2]})},
          {"time_entry_ids": ["9001"]}, id="remove-keeps-the-rest"),
    param((TE1,), {"add_billables": B({"time_entry_ids": [TE1]})},
          {"time_entry_ids": ["9001"]}, id="adding-what-is-there-changes-nothing"),
    param((TE1,), {"remove_billables": B({"time_entry_ids": [TE2]})},
          {"time_entry_ids": ["9001"]}, id="removing-what-is-not-changes-nothing"),
    param((TE1,), {"add_billables": B({"billing_milestone_ids": [MS]})},
          {"billing_milestone_ids": ["9401"]}, id="add-to-an-empty-list"),
    param((TE1, EX), {"remove_billables": B({"time_entry_ids": [TE1]})},
          {"time_entry_ids": []}, id="an-expense-remains"),
    param((TE1, FEE), {"remove_billables": B({"time_entry_ids": [TE1]})},
          {"time_entry_ids": []}, id="a-fixed-fee-item-remains"),
    param((TE1, ADJUSTMENT), {"remove_billables": B({"time_entry_ids": [TE1]})},
          {"time_entry_ids": []}, id="a-time-adjustment-remains"),
    param((TE1, EX), {"add_billables": B({"time_entry_ids": [TE2]}),
                      "remove_billables": B({"expense_ids": [EX]})},
          {"time_entry_ids": ["9001", "9002"], "expense_ids": []}, id="add-and-remove"),
    param((TE1,), {"billables": B({"expense_ids": [EX]}),
                   "add_billables": B({"time_entry_ids": [TE2]})},
          {"expense_ids": ["9101"], "time_entry_ids": ["9001", "9002"]},
          id="billables-and-add-on-other-lists"),
]  # fmt: skip
REFUSED = [
    param((TE1,), {"remove_billables": B({"time_entry_ids": [TE1]})},
          ("remove_billables",), id="removing-the-last-line"),
    param((TE1, EX), {"billables": B({"time_entry_ids": [], "expense_ids": []})},
          ("billables",), id="billables-emptying-every-line"),
    param((TE1,), {"billables": B({"time_entry_ids": [TE2]}),
                   "add_billables": B({"time_entry_ids": [TE1]})},
          ("add_billables", "time_entry_ids"), id="billables-and-add-on-one-list"),
    param((TE1,), {"billables": B({"time_entry_ids": [TE2]}),
                   "remove_billables": B({"time_entry_ids": [TE1]})},
          ("remove_billables", "time_entry_ids"), id="billables-and-remove-on-one-list"),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "values", "expected"), RESOLVED)
def test_billable_changes_send_whole_lists(lines: Any, values: Any, expected: Any) -> None:
    body = sent(values, invoice(*lines))
    assert {key: sorted(ids) for key, ids in body.items()} == expected


@pytest.mark.parametrize(("lines", "values", "invalid_at"), REFUSED)
def test_billable_changes_refused_before_the_put(lines: Any, values: Any, invalid_at: Any) -> None:
    current = invoice(*lines)
    refused = problems(lambda: update_body(values, current))
    assert refused == {("INVALID_INPUT", (*invalid_at,))}


@pytest.mark.parametrize("field", ["billables", "add_billables", "remove_billables"])
@pytest.mark.parametrize("missing", ["time_adjustment_ids", "expense_ids"])
def test_a_line_list_missing_from_the_answer_is_unknown_not_empty(field: str, missing: str) -> None:
    with pytest.raises(GatewayError) as info:
        update_body({field: B({"time_entry_ids": [TE1]})}, invoice(TE2, EX, unlisted=(missing,)))
    [problem] = info.value.problems
    assert (problem.code.value, problem.field) == ("UPSTREAM_UNAVAILABLE", (field,))
    assert missing in problem.message


# --- vendor error fields back to neutral paths (README "Errors") -----------------------------

FIELD_PATHS = {  # vendor error `field` -> neutral field path; None: no input field
    "user_invoice_number": ("number",), "user_invoice_title": ("title",),
    "invoice_date": ("issue_date",), "payment_schedule": ("payment_terms_days",),
    "message": ("notes",), "draft": ("draft",), "purchase_order": ("purchase_order",),
    "project_code": ("project_code",), "time_entry_ids": ("billables",),
    "expense_ids": ("billables",), "billing_milestone_ids": ("billables",),
    "external_reference": ("external_reference",),
    "external_reference.service_name": ("external_reference", "service_name"),
    "external_reference.service_model_ref": ("external_reference", "service_model_ref"),
    "external_reference.locked": ("external_reference", "locked"),
    "base": None, "status": None, "due_date": None,  # the whole record; read-only fields
}  # fmt: skip


@pytest.mark.parametrize(("key", "path"), FIELD_PATHS.items(), ids=list(FIELD_PATHS))
def test_vendor_error_fields_map_back_to_the_input(key: str, path: tuple[str, ...] | None) -> None:
    assert vendor_field_path(key) == (None if path is None else (*path,))


# --- list filters (README "Lists and lookups": K13, K14) and order (K12) ---------------------

AT = dt.datetime(2025, 3, 10, 9, 30, 15, tzinfo=dt.UTC)
FILTERS = {"created_after": "created_after", "created_before": "created_before",
           "updated_since": "updated_after"}  # fmt: skip
NOT_SERVED: dict[str, Any] = {
    "status": domain.InvoiceStatus.OPEN, "number": "19", "issued_after": dt.date(2025, 1, 1),
    "issued_before": dt.date(2025, 1, 1), "archived": True,
}  # fmt: skip


@pytest.mark.parametrize(("name", "key"), FILTERS.items())
def test_filter_becomes_its_query_parameter_as_an_iso_instant(name: str, key: str) -> None:
    [(sent_key, value)] = filter_params({name: AT})
    assert sent_key == key
    assert dt.datetime.fromisoformat(value) == AT


@pytest.mark.parametrize(("name", "value"), NOT_SERVED.items(), ids=list(NOT_SERVED))
def test_a_filter_kantata_cannot_serve_is_unsupported(name: str, value: Any) -> None:
    refused = problems(lambda: filter_params({name: value}))
    assert refused == {("UNSUPPORTED_FIELD", (name,))}


def test_no_filter_no_parameter_and_the_documented_order() -> None:
    assert filter_params({}) == ()
    assert LIST_ORDER == "created_at:desc"


# --- include= names what the selection reads (seed page "include"; K8) -----------------------

LINES = ["time_entries", "expenses", "fixed_fee_items", "additional_items", "billing_milestones",
         "time_adjustments"]  # fmt: skip
INCLUDES = [
    param({Need.CREATED_BY}, ["user"], id="created-by"),
    param({Need.RECIPIENT}, ["recipient"], id="recipient"),
    param({Need.WORKSPACES}, ["workspaces"], id="workspaces"),
    param({Need.LINE_ITEMS}, LINES, id="line-items-all-six-kinds"),
    param({Need.EXTERNAL_REFERENCES}, ["external_references"], id="external-references"),
    param({Need.CREATED_BY, Need.RECIPIENT}, ["recipient", "user"], id="both-users"),
    param(set(), [], id="nothing"),
]


@pytest.mark.parametrize(("needs", "names"), INCLUDES)
def test_include_names_the_associations_read(needs: set[Need], names: list[str]) -> None:
    params = include_params(frozenset(needs))
    if not names:
        assert params == ()  # no include= at all
        return
    [(key, value)] = params
    assert key == "include"
    assert sorted(value.split(",")) == sorted(names)
