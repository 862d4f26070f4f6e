"""Kitchen.co <-> neutral, as pure functions.

Quirks this module absorbs:
- PUT bodies are flat; whatever is not sent is left unchanged.
- `items`, `discounts` and `tax_items` each replace the whole list when sent.
- An item's `amount` is its unit price; the line total is quantity x amount. `quantity`
  arrives as a string ("1.00"), money as JSON numbers read into exact decimals.
- Tax items carry a percentage in `amount`, applied after discounts (the vendor's own
  example: 675.65 - 50.54% = 334.18, + 46.3% tax = 488.91).
- `creator` and `client` are ID strings unless `expand[]` replaced them with objects; we
  ask for the expansion but cope with plain strings.
- Dates are ISO 8601 date-times with an offset; the neutral date is the calendar date in
  the offset the vendor wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gateway.currency import pad, quantize
from gateway.domain import (
    Bundle,
    Discount,
    DiscountInput,
    DiscountType,
    DueReminder,
    DueReminderInput,
    Invoice,
    InvoiceStatus,
    InvoiceVisibility,
    KitchenDetails,
    LineItem,
    LineItemInput,
    LineItemKind,
    Money,
    Need,
    Needs,
    PaymentGateway,
    TaxInput,
    TaxItem,
    User,
    UserKey,
    Vendor,
)
from gateway.ids import format_id
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

LABEL = "Kitchen"
FOOTER_MAX = 255  # the vendor's validation rejects longer footers
MAX_ITEMS = 500
MEMBER, CLIENT = "member", "client"


def _recipient(value: Any) -> Body:
    return {"client": native_id(value, "user", Vendor.KITCHEN.value)}


def _language(value: Any) -> Body:
    if not isinstance(value, str) or not JAVA_LOCALE.match(value):
        raise Invalid("must be a Java locale such as en_US")
    return {"language": value}


def _payment_gateways(value: Any) -> Body:
    if not isinstance(value, list) or not all(isinstance(v, PaymentGateway) for v in value):
        raise Invalid("must be a list of payment gateways")
    return {"payment_gateways": list(dict.fromkeys(v.value for v in value))}


_REMINDER_KEYS = {"message": "due_reminder_message", "sendDays": "due_reminder_send_days"}


def _due_reminder(value: Any) -> Body:
    if not isinstance(value, DueReminderInput):
        raise Invalid("must be a due reminder")
    body: Body = {}
    for name, item in value.values.items():
        if name == "sendDays" and item is not None and not -365 <= item <= 365:
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
            raise Invalid("is required for Kitchen items", (*at, "unitPrice"))
        price = finite_decimal(item.unit_price, (*at, "unitPrice"))
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
    return FieldRule((key,), write, None, {"replacesWholeList": True})


RULES: dict[str, FieldRule] = {
    "number": non_empty_text("number", max_length=255),
    "issueDate": date("issue_date", clearable=True),
    "paymentTermsDays": integer("due_date_in_days", minimum=0, maximum=3650, clearable=True),
    "notes": text("memo"),
    "footer": text("footer_notes", max_length=FOOTER_MAX),
    "currency": currency("currency"),
    "recipientId": FieldRule(("client",), _recipient, {"client": None}),
    "language": FieldRule(("language",), _language, None, {"format": "Java locale (en_US)"}),
    "visibility": choice("visibility", InvoiceVisibility),
    "paymentGateways": FieldRule(
        ("payment_gateways",), _payment_gateways, None, {"values": [m.name for m in PaymentGateway]}
    ),
    "dueReminder": FieldRule(
        tuple(_REMINDER_KEYS.values()),
        _due_reminder,
        {key: None for key in _REMINDER_KEYS.values()},
    ),
    "lineItems": _list_rule("items", _line_items),
    "discounts": _list_rule("discounts", _discounts),
    "taxes": _list_rule("tax_items", _taxes),
}
FIELD_PATHS = field_paths(RULES)
_NESTED_NAMES = {
    "items": {"amount": "unitPrice"},
    "tax_items": {"amount": "rate"},
    "due_reminder_message": {},
}


def update_body(values: Mapping[str, Any]) -> Body:
    return translate(values, RULES, LABEL)


def vendor_field_path(key: str) -> tuple[str, ...] | None:
    """Laravel error keys (`items.0.amount`) mapped back to the neutral input path."""
    head, *rest = key.split(".")
    path = FIELD_PATHS.get(head)
    if path is None:
        return None
    if path == ("input", "dueReminder"):
        return (*path, "message" if head == "due_reminder_message" else "sendDays")
    renames = _NESTED_NAMES.get(head, {})
    return (*path, *(renames.get(part, part) for part in rest))


def expand_params(needs: Needs) -> tuple[tuple[str, str], ...]:
    params: list[tuple[str, str]] = []
    if Need.CREATED_BY in needs:
        params.append(("expand[]", "creator"))
    if Need.RECIPIENT in needs:
        params.append(("expand[]", "client"))
    return tuple(params)


# --- vendor answer -> neutral ---------------------------------------------------------------

_STATUS = {
    "draft": InvoiceStatus.DRAFT,
    "open": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "void": InvoiceStatus.VOID,
    "uncollectible": InvoiceStatus.UNCOLLECTIBLE,
}
# What is left to pay: nothing once paid or voided, else the total.
_SETTLED = {InvoiceStatus.PAID, InvoiceStatus.VOID}


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _money(value: Any, code: str) -> Money:
    # Kitchen writes money like PHP floats (`46.3`, `1250`); callers get `46.30`, `1250.00`.
    return Money(pad(_decimal(value), code), code)


def _datetime(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _date(value: Any) -> dt.date | None:
    parsed = _datetime(value)
    return parsed.date() if parsed else None


def _user_ref(value: Any, role: str, bundle_users: dict[UserKey, User]) -> UserKey | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        key = UserKey(str(value["id"]), role)
        bundle_users[key] = user_from_record(value)
        return key
    return UserKey(str(value), role)


def user_from_record(record: Mapping[str, Any]) -> User:
    return User(
        id=format_id(Vendor.KITCHEN, "user", str(record["id"])),
        name=record.get("name"),
        email=record.get("email"),
    )


def line_item_from_record(record: Mapping[str, Any], currency_code: str) -> LineItem:
    code = str(record.get("currency") or currency_code)
    quantity = _decimal(record.get("quantity"))
    unit_price = pad(_decimal(record.get("amount")), code)
    return LineItem(
        id=format_id(Vendor.KITCHEN, "item", str(record["id"])),
        kind=LineItemKind.ITEM,
        title=record.get("title"),
        description=record.get("description"),
        quantity=quantity,
        unit_price=Money(unit_price, code),
        amount=Money(quantize(quantity * unit_price, code), code),
    )


def _discount(record: Mapping[str, Any]) -> Discount:
    kind = record.get("type")
    return Discount(
        id=record.get("id"),
        title=record.get("title"),
        amount=_decimal(record.get("amount")),
        type=DiscountType(kind) if kind in {t.value for t in DiscountType} else None,
    )


def bundle_from_record(record: Mapping[str, Any]) -> Bundle:
    users: dict[UserKey, User] = {}
    code = str(record.get("currency") or "USD")
    items = [line_item_from_record(item, code) for item in record.get("items") or []]
    status = _STATUS.get(str(record.get("status")), InvoiceStatus.UNKNOWN)
    total = _money(record.get("total_amount"), code)
    gateways = tuple(
        PaymentGateway(g)
        for g in record.get("payment_gateways") or []
        if g in {p.value for p in PaymentGateway}
    )
    visibility = record.get("visibility")
    invoice = Invoice(
        id=format_id(Vendor.KITCHEN, "invoice", str(record["id"])),
        vendor=Vendor.KITCHEN,
        vendor_id=str(record["id"]),
        number=record.get("number"),
        title=None,
        status=status,
        vendor_status=record.get("status"),
        issue_date=_date(record.get("issue_date")),
        due_date=_date(record.get("due_date")),
        payment_terms_days=record.get("due_date_in_days"),
        currency=code,
        notes=record.get("memo"),
        total=total,
        balance=_money(0, code) if status in _SETTLED else total,
        created_by=_user_ref(record.get("creator"), MEMBER, users),
        recipient=_user_ref(record.get("client"), CLIENT, users),
        workspace_ids=(),
        line_item_ids=tuple(item.id for item in items),
        created_at=_datetime(record.get("created_at")),
        updated_at=_datetime(record.get("updated_at")),
        details=KitchenDetails(
            footer=record.get("footer_notes"),
            language=record.get("language"),
            visibility=InvoiceVisibility(visibility)
            if visibility in {v.value for v in InvoiceVisibility}
            else None,
            payment_gateways=gateways,
            discounts=tuple(_discount(d) for d in record.get("discounts") or []),
            tax_items=tuple(
                TaxItem(t.get("id"), t.get("title"), _decimal(t.get("amount")))
                for t in record.get("tax_items") or []
            ),
            due_reminder=DueReminder(
                message=record.get("due_reminder_message"),
                send_days=record.get("due_reminder_send_days"),
                send_date=_date(record.get("due_reminder_send_date")),
            ),
            subtotal=_money(record.get("amount"), code),
            discount_total=_money(record.get("discount_amount"), code),
            tax_total=_money(record.get("tax_amount"), code),
            paid_at=_datetime(record.get("paid_at")),
            finalized_at=_datetime(record.get("finalized_at")),
        ),
    )
    return Bundle(invoice, users=users, line_items={item.id: item for item in items})


def error_messages(body: Any) -> list[tuple[str, str | None]]:
    """Laravel bodies: `{"message": "...", "errors": {"field": ["...", ...]}}`."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if isinstance(errors, Mapping) and errors:
        return [
            (str(message), str(key))
            for key, messages in errors.items()
            for message in (messages if isinstance(messages, list) else [messages])
        ]
    message = body.get("message")
    return [(str(message), None)] if message else []
