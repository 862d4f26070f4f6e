"""Neutral requests -> Kitchen.co requests, as pure functions (answers: `read.py`).

Quirks this module absorbs:
- PUT bodies are flat; whatever is not sent is left unchanged.
- `items`, `discounts` and `tax_items` each replace the whole list when sent.
- An item's `amount` is its unit price; the line total is quantity x amount.
- Tax items carry a percentage in `amount`, applied after discounts (the vendor's own
  example: 675.65 - 50.54% = 334.18, + 46.3% tax = 488.91).
- `expand[]=creator&expand[]=client` asks for the users inline (array syntax only).
- Laravel error keys (`items.0.amount`) map back to neutral paths here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gateway.core.currency import minor_units
from gateway.core.domain import (
    DiscountInput,
    DiscountType,
    DueReminderInput,
    FieldLimits,
    InvoiceStatus,
    InvoiceVisibility,
    LineItemInput,
    Need,
    Needs,
    PaymentGateway,
    Source,
    TaxInput,
)
from gateway.core.errors import ProblemCollector
from gateway.vendors.fields import (
    JAVA_LOCALE,
    Body,
    FieldRule,
    Invalid,
    choice,
    currency,
    date,
    field_paths,
    finite_decimal,
    integer,
    native_id,
    non_empty_text,
    text,
    translate,
)
from gateway.vendors.filters import FilterRule, RowCheck
from gateway.vendors.kitchen.identity import IDS, VENDOR

LABEL = VENDOR.label
FOOTER_MAX = 255  # the vendor's validation rejects longer footers
MAX_ITEMS = 500
MEMBER, CLIENT = "member", "client"


def _recipient(value: Any) -> Body:
    return {"client": native_id(value, "user", IDS)}


def _language(value: Any) -> Body:
    if not isinstance(value, str) or not JAVA_LOCALE.fullmatch(value):
        raise Invalid("must be a Java locale such as en_US")
    return {"language": value}


def _payment_gateways(value: Any) -> Body:
    if not isinstance(value, list) or not all(isinstance(v, PaymentGateway) for v in value):
        raise Invalid("must be a list of payment gateways")
    return {"payment_gateways": list(dict.fromkeys(v.value for v in value))}


_REMINDER_KEYS = {"message": "due_reminder_message", "send_days": "due_reminder_send_days"}


def _due_reminder(value: Any) -> Body:
    if not isinstance(value, DueReminderInput):
        raise Invalid("must be a due reminder")
    body: Body = {}
    for name, item in value.values.items():
        if name == "send_days" and item is not None and not -365 <= item <= 365:
            raise Invalid("must be between -365 and 365", (name,))
        body[_REMINDER_KEYS[name]] = item
    return body


def _list(value: Any, kind: type, max_length: int = MAX_ITEMS) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        raise Invalid("must be a list")
    if len(value) > max_length:
        raise Invalid(f"must have at most {max_length} entries")
    return value


def _line_items(value: Any) -> Body:
    items = []
    for i, item in enumerate(_list(value, LineItemInput)):
        at = (str(i),)
        if not item.title.strip():
            raise Invalid("must not be empty", (*at, "title"))
        if item.unit_price is None:
            raise Invalid("is required for Kitchen items", (*at, "unit_price"))
        price = finite_decimal(item.unit_price, (*at, "unit_price"))
        quantity = Decimal(1) if item.quantity is None else item.quantity
        if finite_decimal(quantity, (*at, "quantity")) <= 0:
            raise Invalid("must be greater than 0", (*at, "quantity"))
        entry: Body = {"title": item.title, "quantity": quantity, "amount": price}
        if item.description is not None:
            entry["description"] = item.description
        items.append(entry)
    return {"items": items}


def _discounts(value: Any) -> Body:
    discounts = []
    for i, discount in enumerate(_list(value, DiscountInput)):
        at = (str(i),)
        amount = finite_decimal(discount.amount, (*at, "amount"))
        if amount < 0:
            raise Invalid("must not be negative", (*at, "amount"))
        if discount.type is DiscountType.PERCENTAGE and amount > 100:
            raise Invalid("a percentage is at most 100", (*at, "amount"))
        discounts.append({"title": discount.title, "amount": amount, "type": discount.type.value})
    return {"discounts": discounts}


def _taxes(value: Any) -> Body:
    taxes = []
    for i, tax in enumerate(_list(value, TaxInput)):
        rate = finite_decimal(tax.rate, (str(i), "rate"))
        if not 0 <= rate <= 100:
            raise Invalid("must be a percentage between 0 and 100", (str(i), "rate"))
        taxes.append({"title": tax.title, "amount": rate})
    return {"tax_items": taxes}


def _list_rule(key: str, write: Any) -> FieldRule:
    return FieldRule((key,), write, None, FieldLimits(replaces_whole_list=True))


RULES: dict[str, FieldRule] = {
    "number": non_empty_text("number", max_length=255),
    "issue_date": date("issue_date", clearable=True),
    "payment_terms_days": integer("due_date_in_days", minimum=0, maximum=3650, clearable=True),
    "notes": text("memo"),
    "footer": text("footer_notes", max_length=FOOTER_MAX),
    "currency": currency("currency"),
    "recipient_id": FieldRule(("client",), _recipient, {"client": None}),
    "language": FieldRule(
        ("language",), _language, None, FieldLimits(format="Java locale (en_US)")
    ),
    "visibility": choice("visibility", InvoiceVisibility),
    "payment_gateways": FieldRule(
        ("payment_gateways",),
        _payment_gateways,
        None,
        FieldLimits(values=tuple(m.name for m in PaymentGateway)),
    ),
    "due_reminder": FieldRule(
        tuple(_REMINDER_KEYS.values()),
        _due_reminder,
        {key: None for key in _REMINDER_KEYS.values()},
    ),
    "line_items": _list_rule("items", _line_items),
    "discounts": _list_rule("discounts", _discounts),
    "taxes": _list_rule("tax_items", _taxes),
}
FIELD_PATHS = field_paths(RULES)
_NESTED_NAMES = {
    "items": {"amount": "unit_price"},
    "tax_items": {"amount": "rate"},
    "due_reminder_message": {},
}


def update_body(values: Mapping[str, Any]) -> Body:
    body = translate(values, RULES, LABEL)
    _check_precision(values)
    return body


def _check_precision(values: Mapping[str, Any]) -> None:
    """Kitchen rounds money to the currency's minor unit without a word; an amount finer
    than that is refused here instead. Without a `currency` in the same update the invoice's
    currency is unknown, and two places (the vendor's own examples) are the limit [guess]."""
    code = values.get("currency")
    places = minor_units(code) if isinstance(code, str) else 2
    problems = ProblemCollector()
    amounts: list[tuple[tuple[str, ...], Decimal]] = [
        (("line_items", str(i), "unit_price"), item.unit_price)
        for i, item in enumerate(values.get("line_items") or ())
        if item.unit_price is not None
    ]
    amounts += [
        (("discounts", str(i), "amount"), discount.amount)
        for i, discount in enumerate(values.get("discounts") or ())
        if discount.type is DiscountType.FIXED
    ]
    for path, amount in amounts:
        # Places from the exponent, not by quantizing: quantizing 1e30 to cents needs more
        # digits than the decimal context holds and raises.
        exponent = amount.normalize().as_tuple().exponent
        if amount.is_finite() and isinstance(exponent, int) and -exponent > places:
            problems.invalid(path, f"has more than {places} decimal places for this currency")
    problems.raise_if_any()


def vendor_field_path(key: str) -> tuple[str, ...] | None:
    """Laravel error keys (`items.0.amount`) mapped back to the neutral input path."""
    head, *rest = key.split(".")
    path = FIELD_PATHS.get(head)
    if path is None:
        return None
    if path == ("due_reminder",):
        return (*path, "message" if head == "due_reminder_message" else "send_days")
    renames = _NESTED_NAMES.get(head, {})
    return (*path, *(renames.get(part, part) for part in rest))


def expand_params(needs: Needs) -> tuple[tuple[str, str], ...]:
    params: list[tuple[str, str]] = []
    if Need.CREATED_BY in needs:
        params.append(("expand[]", "creator"))
    if Need.RECIPIENT in needs:
        params.append(("expand[]", "client"))
    return tuple(params)


def _status_filter(value: Any) -> Body:
    if not isinstance(value, InvoiceStatus) or value is InvoiceStatus.UNKNOWN:
        raise Invalid("must be a Kitchen status (DRAFT, OPEN, PAID, VOID, UNCOLLECTIBLE)")
    return {"status": value.value.lower()}


def _number_filter(value: Any) -> Body:
    if not isinstance(value, str) or not value:
        raise Invalid("must not be empty")
    return {"number": value}


def _archived_filter(value: Any) -> Body:
    return {"state": "archived" if value else "active"}


def _same_status(row: Any, wanted: Any) -> bool:
    return isinstance(wanted, InvoiceStatus) and row == wanted.value.lower()


def _same_number(row: Any, wanted: Any) -> bool:
    # Laravel's TrimStrings may have trimmed what was sent [guess]; either form matches.
    return isinstance(wanted, str) and row in (wanted, wanted.strip())


def _same_archived(archived_at: Any, wanted: Any) -> bool:
    return (archived_at is not None) is bool(wanted)


# Neutral list filter -> query parameter, how we know Kitchen serves it, and the row field
# that shows it applied (every row is checked; see gateway/vendors/filters.py). Kitchen
# documents only `state` for its list; `status` and `number` are inferred [guess], and a
# Laravel app ignores parameters it does not know. `archived_at` is on the seed page.
FILTERS: dict[str, FilterRule] = {
    "status": FilterRule(
        ("status",), _status_filter, source=Source.GUESS, check=RowCheck("status", _same_status)
    ),
    "number": FilterRule(
        ("number",), _number_filter, source=Source.GUESS, check=RowCheck("number", _same_number)
    ),
    "archived": FilterRule(
        ("state",),
        _archived_filter,
        source=Source.DOC,
        check=RowCheck("archived_at", _same_archived),
    ),
}


def filter_params(filters: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    params = translate(filters, FILTERS, LABEL, filters=True)
    # The vendor hides archived invoices unless asked; a neutral list shows them all.
    params.setdefault("state", "all")
    return tuple((key, str(value)) for key, value in params.items())
