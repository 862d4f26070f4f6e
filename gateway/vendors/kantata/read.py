"""Kantata OX answers -> neutral objects, as pure functions.

Every answer is one envelope: `results` lists the hits in order, each type sits in its own
map keyed by string ID, and sideloads (`include=`) add their maps and `*_ids` arrays.
Money is integer minor units; `currency_base_unit` (1 for JPY) makes it an amount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from gateway.core.currency import from_minor, plain, quantize
from gateway.core.domain import (
    Bundle,
    ExternalReference,
    Invoice,
    InvoiceStatus,
    LineItem,
    LineItemKind,
    Money,
    User,
    UserKey,
    Workspace,
)
from gateway.vendors.kantata.details import KantataDetails
from gateway.vendors.kantata.identity import IDS, VENDOR
from gateway.vendors.kantata.translate import LINE_ITEM_INCLUDES
from gateway.vendors.reading import iso_date, iso_datetime

_STATUS = {
    "new": InvoiceStatus.OPEN,
    "accepted payment": InvoiceStatus.PAID,
    "cancelled": InvoiceStatus.VOID,
}


def status_of(record: Mapping[str, Any]) -> InvoiceStatus:
    if record.get("draft"):
        return InvoiceStatus.DRAFT
    return _STATUS.get(str(record.get("status")), InvoiceStatus.UNKNOWN)


def _ids(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(v) for v in value)


def _global_ids(type_: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(IDS.format(type_, str(v)) for v in value)


def _money(cents: Any, currency: str | None, base_unit: Any) -> Money | None:
    # A vendor null stays null: an amount the answer does not give is not zero.
    if cents is None or currency is None:
        return None
    return Money(from_minor(_int(cents), currency, _base_unit(base_unit)), currency)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("an amount in cents is an integer")
    return int(value)


def _base_unit(value: Any) -> int | None:
    if value is None:
        return None
    unit = _int(value)
    if unit < 1:
        raise ValueError("currency_base_unit is a positive integer")
    return unit


class _Pricing(NamedTuple):
    """The currency a record's `*_in_cents` are in, and how many of them make one unit."""

    currency: str | None
    base_unit: Any


def _pricing(record: Mapping[str, Any], fallback: _Pricing | None) -> _Pricing:
    """A line's own currency, else its invoice's (with the invoice's base unit when the
    two agree). The gem lists `currency` on every line kind but `currency_base_unit` only
    on some; an answer may carry neither [code]: never US cents by default."""
    currency = record.get("currency")
    if currency is None:
        return fallback or _Pricing(None, None)
    base_unit = record.get("currency_base_unit")
    if base_unit is None and fallback is not None and fallback.currency == currency:
        base_unit = fallback.base_unit
    return _Pricing(str(currency), base_unit)


def _unlisted(record: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(key for _, key, _ in LINE_ITEM_INCLUDES.values() if key not in record)


def invoice_from_record(record: Mapping[str, Any]) -> Invoice:
    native = str(record["id"])
    currency = record.get("currency")
    code = None if currency is None else str(currency)
    base_unit = record.get("currency_base_unit")
    unlisted = _unlisted(record)
    line_item_ids: tuple[str, ...] | None = None
    # Every list or none: an answer may carry some `*_ids` and not others (an association
    # restricted for the account), and a partial list must never read as the whole.
    if not unlisted:
        line_item_ids = tuple(
            IDS.format(id_type, str(v))
            for _, ids_key, id_type in LINE_ITEM_INCLUDES.values()
            for v in record[ids_key]
        )
    number = record.get("user_invoice_number")
    recipient = record.get("recipient_id")
    tax_rate = record.get("tax_rate")
    return Invoice(
        id=IDS.format("invoice", native),
        vendor=VENDOR,
        vendor_id=native,
        number=None if number is None else str(number),
        title=record.get("user_invoice_title"),
        status=status_of(record),
        vendor_status=record.get("status"),
        issue_date=iso_date(record.get("invoice_date")),
        due_date=iso_date(record.get("due_date")),
        payment_terms_days=record.get("payment_schedule"),
        currency=code,
        notes=record.get("message"),
        total=None,
        balance=_money(record.get("balance_in_cents"), code, base_unit),
        created_by=UserKey(str(record["user_id"])) if record.get("user_id") else None,
        recipient=UserKey(str(recipient)) if recipient else None,
        workspace_ids=_ids(record.get("workspace_ids")),
        line_item_ids=line_item_ids,
        created_at=iso_datetime(record.get("created_at")),
        updated_at=iso_datetime(record.get("updated_at")),
        details=KantataDetails(
            draft=bool(record.get("draft")),
            purchase_order=record.get("purchase_order"),
            project_code=record.get("project_code"),
            tax_rate=None if tax_rate is None else Decimal(str(tax_rate)),
            external_reference_ids=_global_ids(
                "external_reference", record.get("external_reference_ids")
            ),
            unlisted=unlisted,
        ),
        money_unknown=None if code else f"Kantata's invoice {native} names no currency",
    )


def user_from_record(record: Mapping[str, Any]) -> User:
    return User(
        id=IDS.format("user", str(record["id"])),
        name=record.get("full_name"),
        email=record.get("email_address"),
    )


def workspace_from_record(record: Mapping[str, Any]) -> Workspace:
    return Workspace(
        id=IDS.format("workspace", str(record["id"])),
        title=record.get("title"),
    )


def line_item_from_record(
    kind: LineItemKind, record: Mapping[str, Any], invoice: _Pricing | None = None
) -> LineItem:
    """One billed record; `invoice` is the currency of the invoice listing it, when the
    same answer carried that invoice."""
    _, _, id_type = LINE_ITEM_INCLUDES[kind]
    native = str(record["id"])
    pricing = _pricing(record, invoice)
    unknown = None
    if pricing.currency is None:
        unknown = f"Kantata's {kind.value} {native} names no currency, nor does its invoice"
    global_id = IDS.format(id_type, native)
    if kind is LineItemKind.TIME_ADJUSTMENT:
        # The gem lists `time` and `bill_rate_in_cents` but not their units: no amount is
        # worked out of them on a guess (null, as the schema describes; not an error).
        return LineItem(
            id=global_id,
            kind=kind,
            title=record.get("notes"),
            description=record.get("notes"),
            quantity=None,
            unit_price=None,
            amount=None,
        )
    if kind is LineItemKind.TIME_ENTRY:
        minutes = record.get("time_in_minutes")
        rate = _money(record.get("rate_in_cents"), pricing.currency, pricing.base_unit)
        quantity = None if minutes is None else plain(Decimal(_int(minutes)) / 60, places=4)
        amount = None
        if minutes is not None and rate is not None:
            total = quantize(Decimal(_int(minutes)) * rate.amount / 60, rate.currency)
            amount = Money(total, rate.currency)
        notes = record.get("notes")
        return LineItem(
            id=global_id,
            kind=kind,
            title=notes or f"Time on {record.get('date_performed')}",
            description=notes,
            quantity=quantity,
            unit_price=rate,
            amount=amount,
            unknown=unknown,
        )
    price = _money(record.get("amount_in_cents"), pricing.currency, pricing.base_unit)
    if kind is LineItemKind.BILLING_MILESTONE:
        title, description = record.get("title"), None
    elif kind is LineItemKind.EXPENSE:
        title, description = record.get("category"), record.get("notes")
    else:
        title, description = record.get("notes"), record.get("notes")
    return LineItem(
        id=global_id,
        kind=kind,
        title=title,
        description=description,
        quantity=Decimal(1),
        unit_price=price,
        amount=price,
        unknown=unknown,
    )


def external_reference_from_record(record: Mapping[str, Any]) -> ExternalReference:
    return ExternalReference(
        id=IDS.format("external_reference", str(record["id"])),
        service_name=record.get("service_name"),
        service_model=record.get("service_model"),
        service_model_ref=record.get("service_model_ref"),
        status=record.get("status"),
        external_message=record.get("external_message"),
        external_link=record.get("external_link"),
        external_status=record.get("external_status"),
        locked=record.get("locked"),
    )


def records(envelope: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The top-level hits of an envelope, in the vendor's order. Results and maps are read
    together (K3): a hit whose record the map lacks fails the read, never reads as a
    missing invoice."""
    table = envelope.get(key) or {}
    hits = [hit for hit in envelope.get("results") or [] if hit.get("key") == key]
    missing = [str(hit["id"]) for hit in hits if str(hit["id"]) not in table]
    if missing:
        raise ValueError(f"the answer lists {key} {', '.join(missing[:5])} without its record")
    return [table[str(hit["id"])] for hit in hits]


def _sideloaded(envelope: Mapping[str, Any], key: str) -> Iterable[Mapping[str, Any]]:
    table = envelope.get(key) or {}
    return table.values() if isinstance(table, Mapping) else ()


def _line_pricing(invoices: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], _Pricing]:
    """(`*_ids` key, line ID) -> the pricing of the invoice whose list names that line."""
    found: dict[tuple[str, str], _Pricing] = {}
    for record in invoices:
        currency = record.get("currency")
        pricing = _Pricing(
            None if currency is None else str(currency), record.get("currency_base_unit")
        )
        for _, ids_key, _ in LINE_ITEM_INCLUDES.values():
            for native in record.get(ids_key) or ():
                found[(ids_key, str(native))] = pricing
    return found


def bundle_from_envelope(envelope: Mapping[str, Any]) -> Bundle:
    """Every invoice an envelope lists, in the vendor's order, with what it sideloaded."""
    bundle = Bundle([invoice_from_record(r) for r in records(envelope, "invoices")])
    count = envelope.get("count")
    bundle.total = int(count) if count is not None else None
    for user in _sideloaded(envelope, "users"):
        bundle.users[UserKey(str(user["id"]))] = user_from_record(user)
    for workspace in _sideloaded(envelope, "workspaces"):
        bundle.workspaces[str(workspace["id"])] = workspace_from_record(workspace)
    pricing = _line_pricing(records(envelope, "invoices"))
    for kind, (key, ids_key, _) in LINE_ITEM_INCLUDES.items():
        for item in _sideloaded(envelope, key):
            invoice = pricing.get((ids_key, str(item["id"])))
            converted_item = line_item_from_record(kind, item, invoice)
            bundle.line_items[converted_item.id] = converted_item
    for reference in _sideloaded(envelope, "external_references"):
        converted_ref = external_reference_from_record(reference)
        bundle.external_references[converted_ref.id] = converted_ref
    return bundle


def single_invoice(envelope: Mapping[str, Any], native_id: str) -> Bundle:
    """The answer to a single GET or PUT, which must be about `native_id`."""
    bundle = bundle_from_envelope(envelope)
    if [invoice.vendor_id for invoice in bundle.invoices] != [native_id]:
        raise ValueError("the answer is about another invoice")
    return bundle
