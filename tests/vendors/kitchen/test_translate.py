"""Kitchen.co requests from neutral values: update bodies, list filters, expand.

Expected values are written by hand from the seed page "Update an invoice" (its parameters,
and `tests/contracts/fixtures/kitchen_put_invoice_request.json` with the page's values), the
README ("Mapping", "Lists and lookups", "Errors"), `/work/shared/VENDORS.md` and
`gateway/vendors/kitchen/ASSUMPTIONS.md` (C…); never from the module's own tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pytest import param

from gateway.core import domain
from gateway.core.domain import DiscountType, InvoiceStatus, InvoiceVisibility, Need
from gateway.core.errors import GatewayError
from gateway.vendors.kitchen.translate import (
    expand_params,
    filter_params,
    update_body,
    vendor_field_path,
)

D = Decimal
PCT, FIXED = DiscountType.PERCENTAGE, DiscountType.FIXED
CLIENT = "kitchen:user:u_62988d0392da49247a831d35"


def item(price: str | None = "675.65", quantity: str | None = None, title: str = "T") -> Any:
    amount = None if price is None else D(price)
    return domain.LineItemInput(title, None, None if quantity is None else D(quantity), amount)


def discount(amount: str, kind: DiscountType = PCT) -> Any:
    return domain.DiscountInput("The discount item title", D(amount), kind)


def tax(rate: str) -> Any:
    return domain.TaxInput("The tax item title", D(rate))


def reminder(**values: Any) -> Any:
    return domain.DueReminderInput(values)


def problems(call: Callable[[], object]) -> set[tuple[str, tuple[str, ...] | None]]:
    with pytest.raises(GatewayError) as info:
        call()
    return {(p.code.value, p.field) for p in info.value.problems}


# --- each field: neutral value -> the seed page's parameter (a flat body, C3) ---------------

SEED_ITEM = domain.LineItemInput(
    "The invoice item title", "The invoice item description", D("1.00"), D("675.65")
)
MAPPING = [
    param("number", "PREFIX-00018", {"number": "PREFIX-00018"}, id="number"),
    param("issue_date", dt.date(2024, 7, 12), {"issue_date": "2024-07-12"}, id="issue-date"),
    param("payment_terms_days", 8, {"due_date_in_days": 8}, id="terms-to-due-date-in-days"),
    param("notes", "Memo", {"memo": "Memo"}, id="notes-to-memo"),
    param("footer", "Thank you", {"footer_notes": "Thank you"}, id="footer-to-footer-notes"),
    param("currency", "USD", {"currency": "USD"}, id="currency"),
    param("recipient_id", CLIENT, {"client": "u_62988d0392da49247a831d35"}, id="recipient"),
    param("language", "en_US", {"language": "en_US"}, id="java-locale"),
    param("visibility", InvoiceVisibility.PRIVATE, {"visibility": "private"}, id="private"),
    param("visibility", InvoiceVisibility.INTERNAL, {"visibility": "internal"}, id="internal"),
    param("visibility", InvoiceVisibility.SHARED, {"visibility": "shared"}, id="shared"),
    param("payment_gateways", list(domain.PaymentGateway),
          {"payment_gateways": ["credit_card", "stripe_ach", "paypal", "bank"]}, id="gateways"),
    param("payment_gateways", [], {"payment_gateways": []}, id="no-gateways"),
    param("due_reminder", reminder(message="The reminder message", send_days=2),
          {"due_reminder_message": "The reminder message", "due_reminder_send_days": 2},
          id="due-reminder"),
    param("due_reminder", reminder(send_days=-3), {"due_reminder_send_days": -3},
          id="due-reminder-only-what-was-sent"),
    param("line_items", [SEED_ITEM], {"items": [{
        "title": "The invoice item title", "description": "The invoice item description",
        "quantity": D("1.00"), "amount": D("675.65")}]}, id="item-unit-price-is-amount"),
    param("line_items", [], {"items": []}, id="no-items-replaces-the-list"),
    param("discounts", [discount("50.54")], {"discounts": [
        {"title": "The discount item title", "amount": D("50.54"), "type": "percentage"}]},
          id="discount-percentage"),
    param("discounts", [discount("10.00", FIXED)], {"discounts": [
        {"title": "The discount item title", "amount": D("10.00"), "type": "fixed"}]},
          id="discount-fixed"),
    param("taxes", [tax("46.3")],
          {"tax_items": [{"title": "The tax item title", "amount": D("46.3")}]},
          id="tax-rate-is-amount"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "expected"), MAPPING)
def test_each_field_becomes_its_parameter(field: str, value: Any, expected: Any) -> None:
    assert update_body({field: value}) == expected


def test_quantity_defaults_to_1() -> None:  # README: "quantity defaults to 1"
    [sent] = update_body({"line_items": [item("19.99", None, "Design")]})["items"]
    assert (sent["title"], sent["quantity"], sent["amount"]) == ("Design", 1, D("19.99"))
    assert sent.get("description") is None


# --- null: sent where the field can be cleared, else INVALID_INPUT naming it ----------------

CLEARABLE = {
    "issue_date": {"issue_date": None}, "payment_terms_days": {"due_date_in_days": None},
    "notes": {"memo": None}, "footer": {"footer_notes": None}, "recipient_id": {"client": None},
    "due_reminder": {"due_reminder_message": None, "due_reminder_send_days": None},
}  # fmt: skip
NOT_CLEARABLE = ["number", "currency", "language", "visibility", "payment_gateways", "line_items",
                 "discounts", "taxes"]  # fmt: skip


@pytest.mark.parametrize(("field", "expected"), CLEARABLE.items(), ids=list(CLEARABLE))
def test_null_clears_a_clearable_field(field: str, expected: dict[str, Any]) -> None:
    assert update_body({field: None}) == expected


@pytest.mark.parametrize("field", NOT_CLEARABLE)
def test_null_on_a_field_kitchen_cannot_clear_is_invalid(field: str) -> None:
    assert problems(lambda: update_body({field: None})) == {("INVALID_INPUT", (field,))}


@pytest.mark.parametrize(
    ("sent", "expected"),
    [({"message": None}, {"due_reminder_message": None}),
     ({"send_days": None}, {"due_reminder_send_days": None})],
    ids=["message", "send_days"],
)  # fmt: skip
def test_each_due_reminder_part_is_nullable(sent: dict[str, Any], expected: Any) -> None:
    assert update_body({"due_reminder": reminder(**sent)}) == expected  # seed: "nullable"


# --- fields Kitchen cannot store: UNSUPPORTED_FIELD, with a value or null ------------------

UNSUPPORTED: dict[str, Any] = {
    "title": "March retainer", "draft": False, "purchase_order": "PO-1", "project_code": "PRJ-7",
    "billables": domain.BillablesInput({"time_entry_ids": []}),
    "add_billables": domain.BillablesInput({"time_entry_ids": []}),
    "remove_billables": domain.BillablesInput({"time_entry_ids": []}),
    "external_reference": domain.ExternalReferenceInput({"service_name": "jira"}),
}  # fmt: skip


@pytest.mark.parametrize(("field", "value"), UNSUPPORTED.items(), ids=list(UNSUPPORTED))
@pytest.mark.parametrize("null", [False, True], ids=["value", "null"])
def test_a_field_kitchen_cannot_store_is_unsupported(field: str, value: Any, null: bool) -> None:
    values = {field: None if null else value}
    assert problems(lambda: update_body(values)) == {("UNSUPPORTED_FIELD", (field,))}


def test_every_problem_is_named_in_one_answer() -> None:
    values = {"title": "x", "draft": True, "number": "", "footer": "x" * 256, "language": "en"}
    assert problems(lambda: update_body(values)) == {
        ("UNSUPPORTED_FIELD", ("title",)),
        ("UNSUPPORTED_FIELD", ("draft",)),
        ("INVALID_INPUT", ("number",)),
        ("INVALID_INPUT", ("footer",)),
    }


# --- limits and shapes (edges min, max, max+1); `None` sent means INVALID_INPUT at the path -

LIMITS = [
    param({"number": "x" * 255}, {"number": "x" * 255}, None, id="number-255"),
    param({"number": "x" * 256}, None, ("number",), id="number-256"),
    param({"number": ""}, None, ("number",), id="number-empty"),
    param({"footer": "x" * 255}, {"footer_notes": "x" * 255}, None, id="footer-255"),
    param({"footer": "x" * 256}, None, ("footer",), id="footer-256"),
    param({"payment_terms_days": 0}, {"due_date_in_days": 0}, None, id="terms-min"),
    param({"payment_terms_days": 3650}, {"due_date_in_days": 3650}, None, id="terms-max"),
    param({"payment_terms_days": 3651}, None, ("payment_terms_days",), id="terms-max+1"),
    param({"payment_terms_days": -1}, None, ("payment_terms_days",), id="terms-negative"),
    param({"due_reminder": reminder(send_days=-365)}, {"due_reminder_send_days": -365}, None,
          id="send-days-min"),
    param({"due_reminder": reminder(send_days=365)}, {"due_reminder_send_days": 365}, None,
          id="send-days-max"),
    param({"due_reminder": reminder(send_days=366)}, None, ("due_reminder", "send_days"),
          id="send-days-max+1"),
    param({"due_reminder": reminder(send_days=-366)}, None, ("due_reminder", "send_days"),
          id="send-days-min-1"),
    param({"currency": "JPY"}, {"currency": "JPY"}, None, id="currency-iso-4217"),
    param({"currency": "ABC"}, None, ("currency",), id="currency-unknown"),
    param({"currency": "usd"}, None, ("currency",), id="currency-lower-case"),
    param({"language": "de_DE"}, {"language": "de_DE"}, None, id="language-java-locale"),
    param({"language": "en-US"}, None, ("language",), id="language-bcp47-not-java"),
    param({"recipient_id": "kantata:user:7"}, None, ("recipient_id",), id="recipient-kantata-id"),
    param({"recipient_id": "kitchen:invoice:in_31d435a7f94fd8d87c36ecfd"}, None,
          ("recipient_id",), id="recipient-not-a-user"),
    param({"recipient_id": "u_62988d0392da49247a831d35"}, None, ("recipient_id",),
          id="recipient-native-not-global"),
    param({"discounts": [discount("0")]}, "ok", None, id="percentage-min"),
    param({"discounts": [discount("100")]}, "ok", None, id="percentage-max"),
    param({"discounts": [discount("100.01")]}, None, ("discounts", "0", "amount"),
          id="percentage-max+"),
    param({"discounts": [discount("5"), discount("-0.01")]}, None, ("discounts", "1", "amount"),
          id="percentage-negative-at-its-index"),
    param({"discounts": [discount("150.00", FIXED)]}, "ok", None, id="fixed-not-capped-at-100"),
    # Not documented by Kitchen: the gateway's own shape rules for lines (schema inputs).
    param({"line_items": [item(None)]}, None, ("line_items", "0", "unit_price"), id="no-price"),
    param({"line_items": [item(quantity="0")]}, None, ("line_items", "0", "quantity"),
          id="quantity-0"),
    param({"line_items": [item(title=" ")]}, None, ("line_items", "0", "title"), id="blank-title"),
    param({"taxes": [tax("0"), tax("100")]}, "ok", None, id="tax-rate-0-and-100"),
    param({"taxes": [tax("100.01")]}, None, ("taxes", "0", "rate"), id="tax-rate-over-100"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "expected", "invalid_at"), LIMITS)
def test_limits(values: dict[str, Any], expected: Any, invalid_at: tuple[str, ...] | None) -> None:
    if invalid_at is not None:
        refused = problems(lambda: update_body(values))
        assert refused == {("INVALID_INPUT", (*invalid_at,))}
    elif expected == "ok":
        update_body(values)
    else:
        assert update_body(values) == expected


# --- money no finer than the currency's minor unit (README: sent alongside, else 2) -------

PRECISION = [
    param(None, "19.99", True, id="two-places-by-default"),
    param(None, "19.999", False, id="three-places-by-default"),
    param(None, "19.990", True, id="trailing-zero-is-not-finer"),
    param("USD", "0.01", True, id="usd-cent"),
    param("USD", "0.001", False, id="usd-below-a-cent"),
    param("JPY", "1250", True, id="jpy-whole"),
    param("JPY", "1250.00", True, id="jpy-whole-written-with-zeros"),
    param("JPY", "1250.5", False, id="jpy-no-decimals"),
    param("BHD", "1.234", True, id="bhd-three-places"),
    param("BHD", "1.2345", False, id="bhd-four-places"),
]


@pytest.mark.parametrize(("currency", "price", "accepted"), PRECISION)
@pytest.mark.parametrize("where", ["unit_price", "fixed-discount"])
def test_money_precision(currency: str | None, price: str, accepted: bool, where: str) -> None:
    if where == "unit_price":
        values: dict[str, Any] = {"line_items": [item(price)]}
        key, path = "items", ("line_items", "0", "unit_price")
    else:
        values = {"discounts": [discount(price, FIXED)]}
        key, path = "discounts", ("discounts", "0", "amount")
    if currency is not None:
        values["currency"] = currency
    if accepted:
        [entry] = update_body(values)[key]
        assert str(entry["amount"]) == price  # sent as given, never rounded
    else:
        assert problems(lambda: update_body(values)) == {("INVALID_INPUT", path)}


@pytest.mark.parametrize("percent", ["12.345", "33.3333"])
def test_percentages_are_not_money(percent: str) -> None:
    body = update_body({"discounts": [discount(percent)], "taxes": [tax(percent)]})
    assert body["discounts"][0]["amount"] == body["tax_items"][0]["amount"] == D(percent)


# --- Laravel error keys back to neutral paths (README "Errors") ------------------------------

FIELD_PATHS = {  # vendor error key -> neutral field path; None: no input field
    "number": ("number",), "issue_date": ("issue_date",),
    "due_date_in_days": ("payment_terms_days",),
    "memo": ("notes",), "footer_notes": ("footer",), "currency": ("currency",),
    "client": ("recipient_id",), "language": ("language",), "visibility": ("visibility",),
    "payment_gateways": ("payment_gateways",), "items": ("line_items",),
    "items.1.amount": ("line_items", "1", "unit_price"),
    "items.0.title": ("line_items", "0", "title"),
    "items.0.quantity": ("line_items", "0", "quantity"),
    "discounts.0.amount": ("discounts", "0", "amount"),
    "discounts.2.type": ("discounts", "2", "type"),
    "tax_items.0.amount": ("taxes", "0", "rate"), "tax_items.1.title": ("taxes", "1", "title"),
    "due_reminder_message": ("due_reminder", "message"),
    "due_reminder_send_days": ("due_reminder", "send_days"),
    "folder": None, "grand_total": None, "status": None,
}  # fmt: skip


@pytest.mark.parametrize(("key", "path"), FIELD_PATHS.items(), ids=list(FIELD_PATHS))
def test_vendor_error_keys_map_back_to_the_input(key: str, path: tuple[str, ...] | None) -> None:
    assert vendor_field_path(key) == (None if path is None else (*path,))


# --- list filters (README "Lists and lookups": C15, C16) -----------------------------------

FILTERS = [
    param({}, {"state": "all"}, id="archived-shown-by-default"),
    param({"archived": True}, {"state": "archived"}, id="archived-only"),
    param({"archived": False}, {"state": "active"}, id="active-only"),
    param({"number": "PREFIX-00018"}, {"number": "PREFIX-00018", "state": "all"}, id="number"),
    *(param({"status": s}, {"status": s.value.lower(), "state": "all"}, id=f"status-{s.name}")
      for s in InvoiceStatus if s is not InvoiceStatus.UNKNOWN),
]  # fmt: skip
NOT_SERVED: dict[str, Any] = {
    "created_after": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    "created_before": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    "updated_since": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    "issued_after": dt.date(2025, 1, 1), "issued_before": dt.date(2025, 1, 1),
}  # fmt: skip


@pytest.mark.parametrize(("filters", "expected"), FILTERS)
def test_filter_query_parameters(filters: dict[str, Any], expected: dict[str, str]) -> None:
    params = filter_params(filters)
    assert dict(params) == expected and len(params) == len(expected)


@pytest.mark.parametrize(("name", "value"), NOT_SERVED.items(), ids=list(NOT_SERVED))
def test_a_filter_kitchen_cannot_serve_is_unsupported(name: str, value: Any) -> None:
    assert problems(lambda: filter_params({name: value})) == {("UNSUPPORTED_FIELD", (name,))}


def test_unknown_is_not_a_kitchen_status() -> None:  # C21: five statuses
    refused = problems(lambda: filter_params({"status": InvoiceStatus.UNKNOWN}))
    assert refused == {("INVALID_INPUT", ("status",))}


# --- expand[] brings users inline, array syntax only (VENDORS.md; C10) ----------------------

EXPANDS = [
    param({Need.CREATED_BY}, [("expand[]", "creator")], id="creator"),
    param({Need.RECIPIENT}, [("expand[]", "client")], id="client"),
    param({Need.CREATED_BY, Need.RECIPIENT}, [("expand[]", "client"), ("expand[]", "creator")],
          id="both"),
    param({Need.LINE_ITEMS, Need.WORKSPACES, Need.EXTERNAL_REFERENCES}, [],
          id="items-come-inline-nothing-else"),
]  # fmt: skip


@pytest.mark.parametrize(("needs", "expected"), EXPANDS)
def test_expand(needs: set[Need], expected: list[tuple[str, str]]) -> None:
    assert sorted(expand_params(frozenset(needs))) == expected
