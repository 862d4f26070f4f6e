"""Kitchen.co answers -> neutral objects, as pure functions.

Money arrives as JSON numbers written like PHP floats (`46.3`) and is read exactly; `quantity`
is a string. `creator` and `client` are ID strings unless `expand[]` replaced them with
objects. Dates are ISO 8601 date-times with an offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.currency import pad, quantize
from gateway.domain import (
    Bundle,
    Discount,
    DiscountType,
    DueReminder,
    Invoice,
    InvoiceStatus,
    InvoiceVisibility,
    KitchenDetails,
    LineItem,
    LineItemKind,
    Money,
    PaymentGateway,
    TaxItem,
    User,
    UserKey,
    Vendor,
)
from gateway.ids import format_id
from gateway.vendors.kitchen.translate import CLIENT, MEMBER
from gateway.vendors.reading import decimal, iso_date, iso_datetime

_STATUS = {
    "draft": InvoiceStatus.DRAFT,
    "open": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "void": InvoiceStatus.VOID,
    "uncollectible": InvoiceStatus.UNCOLLECTIBLE,
}
# What is left to pay: nothing once paid or voided, else the total.
_SETTLED = {InvoiceStatus.PAID, InvoiceStatus.VOID}


def _money(value: Any, code: str) -> Money:
    # Kitchen writes money like PHP floats (`46.3`, `1250`); callers get `46.30`, `1250.00`.
    return Money(pad(decimal(value), code), code)


def _user_ref(value: Any, role: str, bundle_users: dict[UserKey, User]) -> UserKey | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        key = UserKey(str(value["id"]), role)
        bundle_users[key] = user_from_record(value)
        return key
    return UserKey(str(value), role)


def _global(type_: str, native: Any) -> str | None:
    return format_id(Vendor.KITCHEN, type_, str(native)) if native else None


def user_from_record(record: Mapping[str, Any]) -> User:
    return User(
        id=format_id(Vendor.KITCHEN, "user", str(record["id"])),
        name=record.get("name"),
        email=record.get("email"),
    )


def line_item_from_record(record: Mapping[str, Any], currency_code: str) -> LineItem:
    code = str(record.get("currency") or currency_code)
    quantity = decimal(record.get("quantity"))
    unit_price = pad(decimal(record.get("amount")), code)
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
        id=_global("discount", record.get("id")),
        title=record.get("title"),
        amount=decimal(record.get("amount")),
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
        issue_date=iso_date(record.get("issue_date")),
        due_date=iso_date(record.get("due_date")),
        payment_terms_days=record.get("due_date_in_days"),
        currency=code,
        notes=record.get("memo"),
        total=total,
        balance=_money(0, code) if status in _SETTLED else total,
        created_by=_user_ref(record.get("creator"), MEMBER, users),
        recipient=_user_ref(record.get("client"), CLIENT, users),
        workspace_ids=(),
        line_item_ids=tuple(item.id for item in items),
        created_at=iso_datetime(record.get("created_at")),
        updated_at=iso_datetime(record.get("updated_at")),
        details=KitchenDetails(
            footer=record.get("footer_notes"),
            language=record.get("language"),
            visibility=InvoiceVisibility(visibility)
            if visibility in {v.value for v in InvoiceVisibility}
            else None,
            payment_gateways=gateways,
            discounts=tuple(_discount(d) for d in record.get("discounts") or []),
            tax_items=tuple(
                TaxItem(_global("tax_item", t.get("id")), t.get("title"), decimal(t.get("amount")))
                for t in record.get("tax_items") or []
            ),
            due_reminder=DueReminder(
                message=record.get("due_reminder_message"),
                send_days=record.get("due_reminder_send_days"),
                send_date=iso_date(record.get("due_reminder_send_date")),
            ),
            subtotal=_money(record.get("amount"), code),
            discount_total=_money(record.get("discount_amount"), code),
            tax_total=_money(record.get("tax_amount"), code),
            paid_at=iso_datetime(record.get("paid_at")),
            finalized_at=iso_datetime(record.get("finalized_at")),
        ),
    )
    return Bundle([invoice], users=users, line_items={item.id: item for item in items})


def bundle_from_page(body: Mapping[str, Any]) -> Bundle:
    """A Laravel paginator page: `{"data": [...], "meta": {"total", ...}, "links": {...}}`."""
    bundle = Bundle(total=int(body["meta"]["total"]))
    for record in body["data"]:
        bundle.merge(bundle_from_record(record))
    return bundle
