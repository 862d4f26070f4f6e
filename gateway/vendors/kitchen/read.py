"""Kitchen.co answers -> neutral objects, as pure functions.

Money arrives as JSON numbers written like PHP floats (`46.3`) and is read exactly; `quantity`
is a string. `creator` and `client` are ID strings unless `expand[]` replaced them with
objects. Dates are ISO 8601 date-times with an offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from gateway.core.currency import minor_units, pad, quantize
from gateway.core.domain import (
    Bundle,
    Discount,
    DiscountType,
    DueReminder,
    Invoice,
    InvoiceStatus,
    InvoiceVisibility,
    LineItem,
    LineItemKind,
    Money,
    PaymentGateway,
    TaxItem,
    User,
    UserKey,
)
from gateway.vendors.kitchen.details import KitchenDetails
from gateway.vendors.kitchen.identity import IDS, VENDOR
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


def _money(value: Any, code: str | None) -> Money | None:
    # Kitchen writes money like PHP floats (`46.3`, `1250`); callers get `46.30`, `1250.00`.
    # A null stays null [doc: "amount and totals may be null"], and without a currency an
    # amount is not money at all.
    amount = decimal(value)
    if amount is None or code is None:
        return None
    return Money(pad(amount, code), code)


def _user_ref(value: Any, role: str, bundle_users: dict[UserKey, User]) -> UserKey | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        key = UserKey(str(value["id"]), role)
        bundle_users[key] = user_from_record(value)
        return key
    return UserKey(str(value), role)


def _global(type_: str, native: Any) -> str | None:
    return IDS.format(type_, str(native)) if native else None


def user_from_record(record: Mapping[str, Any]) -> User:
    return User(
        id=IDS.format("user", str(record["id"])),
        name=record.get("name"),
        email=record.get("email"),
    )


def line_item_from_record(record: Mapping[str, Any], currency_code: str | None) -> LineItem:
    # An item's own currency, else its invoice's [the seed page shows items with one]:
    # never dollars by default.
    own = record.get("currency")
    code = str(own) if own else currency_code
    native = str(record["id"])
    quantity = decimal(record.get("quantity"))
    unit_price = _money(record.get("amount"), code)
    amount = None
    if quantity is not None and unit_price is not None:
        # [guess] `amount` is the unit price; Kitchen does not document it.
        amount = Money(
            quantize(quantity * unit_price.amount, unit_price.currency), unit_price.currency
        )
    unknown = None if code else f"Kitchen's item {native} names no currency, nor does its invoice"
    return LineItem(
        id=IDS.format("item", native),
        kind=LineItemKind.ITEM,
        title=record.get("title"),
        description=record.get("description"),
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        unknown=unknown,
    )


def _checked_totals(items: list[LineItem], subtotal: Money | None) -> list[LineItem]:
    """The items, their line totals withdrawn unless they add up to Kitchen's own subtotal.

    That an item's `amount` is its unit price (so a line is quantity x amount) is our
    reading [guess]; the invoice's `amount` is Kitchen's sum of its lines [doc: the seed
    page's example]. Lines rounded one by one may differ from the sum by half a minor unit
    each; more than that means the reading is wrong for this answer, and no line total is
    shown rather than a wrong one."""
    amounts = [item.amount for item in items]
    if subtotal is None or not items or any(a is None for a in amounts):
        return items
    total = sum((a.amount for a in amounts if a is not None), Decimal(0))
    slack = Decimal(len(items)) * Decimal(1).scaleb(-minor_units(subtotal.currency)) / 2
    if abs(total - subtotal.amount) <= slack:
        return items
    why = (
        f"Kitchen's subtotal is {subtotal.amount} but its items' quantity x amount add up to "
        f"{total}: the gateway's reading of item amounts as unit prices does not hold here"
    )
    return [replace(item, amount=None, unknown=why) for item in items]


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
    currency = record.get("currency")
    code = str(currency) if currency else None
    items = _checked_totals(
        [line_item_from_record(item, code) for item in record.get("items") or []],
        _money(record.get("amount"), code),
    )
    status = _STATUS.get(str(record.get("status")), InvoiceStatus.UNKNOWN)
    total = _money(record.get("total_amount"), code)
    gateways = tuple(
        PaymentGateway(g)
        for g in record.get("payment_gateways") or []
        if g in {p.value for p in PaymentGateway}
    )
    visibility = record.get("visibility")
    invoice = Invoice(
        id=IDS.format("invoice", str(record["id"])),
        vendor=VENDOR,
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
        money_unknown=None if code else f"Kitchen's invoice {record['id']} names no currency",
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


# What a written list's entries must read back as: the keys compared, as numbers or text.
_WRITTEN = {
    "items": (("title", False), ("quantity", True), ("amount", True)),
    "discounts": (("title", False), ("amount", True), ("type", False)),
    "tax_items": (("title", False), ("amount", True)),
}


def unapplied(sent: Mapping[str, Any], answer: Mapping[str, Any]) -> list[str]:
    """The lists of a PUT body that Kitchen's answer does not show as sent.

    That `items`, `discounts` and `tax_items` replace the whole list, with `amount` the
    unit price and `type: fixed` a fixed discount, is our reading [guess]; the answer to
    the PUT shows what Kitchen did, so each sent list is compared with it, entry by entry
    (text trimmed, as Laravel's input middleware does; numbers as numbers)."""
    wrong = []
    for key, fields in _WRITTEN.items():
        if key not in sent:
            continue
        got = answer.get(key)
        if not isinstance(got, list) or len(got) != len(sent[key]):
            wrong.append(key)
            continue
        for mine, theirs in zip(sent[key], got, strict=True):
            if not isinstance(theirs, Mapping) or any(
                not _same(mine.get(name), theirs.get(name), numeric) for name, numeric in fields
            ):
                wrong.append(key)
                break
    return wrong


def _same(mine: Any, theirs: Any, numeric: bool) -> bool:
    if mine is None:
        return True  # not sent: Kitchen's default stands
    if numeric:
        return decimal(theirs) == decimal(mine)
    return isinstance(theirs, str) and theirs.strip() == str(mine).strip()
