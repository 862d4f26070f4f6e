"""Kantata OX <-> neutral, as pure functions.

Quirks this module absorbs:
- Writes are wrapped in the singular resource name (`{"invoice": {...}}`).
- `user_invoice_number` is an integer; the neutral `number` is a string of digits here.
- Billable lists (`time_entry_ids`, ...) overwrite the whole set on every PUT.
- Money is integer minor units; `currency_base_unit` (1 for JPY) turns it into an amount.
- `*_ids` arrays appear only for associations named in `include`; a missing array means
  "not asked", never "empty".
- There is no invoice total; `balance_in_cents` is what is left to pay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from gateway.currency import from_minor, quantize
from gateway.domain import (
    BillablesInput,
    Bundle,
    ExternalReference,
    ExternalReferenceInput,
    Invoice,
    InvoiceStatus,
    KantataDetails,
    LineItem,
    LineItemKind,
    Money,
    Need,
    Needs,
    User,
    UserKey,
    Vendor,
    Workspace,
)
from gateway.ids import format_id
from gateway.vendors.fields import (
    Body,
    FieldRule,
    Invalid,
    boolean,
    date,
    field_paths,
    integer,
    native_id,
    text,
    translate,
)

LABEL = "Kantata"
MAX_NUMBER = 2_147_483_647  # user_invoice_number is a 32-bit integer column

# Billable list input name -> (vendor key, global ID type)
BILLABLE_LISTS: dict[str, tuple[str, str]] = {
    "timeEntryIds": ("time_entry_ids", "time_entry"),
    "expenseIds": ("expense_ids", "expense"),
    "billingMilestoneIds": ("billing_milestone_ids", "billing_milestone"),
}

EXTERNAL_REFERENCE_FIELDS: dict[str, str] = {
    "serviceName": "service_name",
    "serviceModel": "service_model",
    "serviceModelRef": "service_model_ref",
    "status": "status",
    "externalMessage": "external_message",
    "externalLink": "external_link",
    "externalStatus": "external_status",
    "locked": "locked",
}
EXTERNAL_REFERENCE_REQUIRED = ("serviceName", "serviceModel", "serviceModelRef")
EXTERNAL_REFERENCE_STATUSES = ("successful", "pending", "failed")


def _number(value: Any) -> Body:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise Invalid("Kantata invoice numbers are whole numbers (digits only)")
    number = int(value)
    if not 0 < number <= MAX_NUMBER:
        raise Invalid(f"must be between 1 and {MAX_NUMBER}")
    return {"user_invoice_number": number}


def _billables(value: Any) -> Body:
    if not isinstance(value, BillablesInput):
        raise Invalid("must be an object of ID lists")
    body: Body = {}
    for name, ids in value.lists.items():
        key, id_type = BILLABLE_LISTS[name]
        if ids is None:
            raise Invalid("cannot be null: send [] to remove every record", (name,))
        natives = [
            native_id(v, id_type, Vendor.KANTATA.value, (name, str(i))) for i, v in enumerate(ids)
        ]
        if len(set(natives)) != len(natives):
            raise Invalid("lists an ID twice", (name,))
        body[key] = natives
    return body


def _external_reference(value: Any) -> Body:
    if not isinstance(value, ExternalReferenceInput):
        raise Invalid("must be an external reference")
    values = value.values
    for name in EXTERNAL_REFERENCE_REQUIRED:
        if not values.get(name):
            raise Invalid("is required", (name,))
    status = values.get("status")
    if status is not None and status not in EXTERNAL_REFERENCE_STATUSES:
        raise Invalid(f"must be one of {', '.join(EXTERNAL_REFERENCE_STATUSES)}", ("status",))
    reference = {EXTERNAL_REFERENCE_FIELDS[k]: v for k, v in values.items()}
    return {"external_reference": reference}


RULES: dict[str, FieldRule] = {
    "number": FieldRule(("user_invoice_number",), _number, None, {"integerOnly": True}),
    "title": text("user_invoice_title"),
    "issueDate": date("invoice_date", clearable=False),
    "paymentTermsDays": integer("payment_schedule", minimum=0, maximum=3650, clearable=False),
    "notes": text("message"),
    "draft": boolean("draft"),
    "purchaseOrder": text("purchase_order"),
    "projectCode": text("project_code"),
    "billables": FieldRule(tuple(k for k, _ in BILLABLE_LISTS.values()), _billables),
    "externalReference": FieldRule(("external_reference",), _external_reference),
}
FIELD_PATHS = field_paths(RULES)


def update_body(values: Mapping[str, Any]) -> Body:
    """The PUT body for a neutral patch; raises GatewayError naming every bad field."""
    return {"invoice": translate(values, RULES, LABEL)}


def vendor_field_path(key: str) -> tuple[str, ...] | None:
    """Kantata error fields (`user_invoice_number`, `external_reference.service_name`)
    mapped back to the neutral input path; `base` (the whole record) maps to none."""
    head, _, rest = key.partition(".")
    path = FIELD_PATHS.get(head)
    if path is None:
        return None
    names = {vendor: neutral for neutral, vendor in EXTERNAL_REFERENCE_FIELDS.items()}
    if head == "external_reference" and rest in names:
        return (*path, names[rest])
    return path


LINE_ITEM_INCLUDES: dict[LineItemKind, tuple[str, str, str]] = {
    # kind -> (include name and top-level key, *_ids key on the invoice, global ID type)
    LineItemKind.TIME_ENTRY: ("time_entries", "time_entry_ids", "time_entry"),
    LineItemKind.EXPENSE: ("expenses", "expense_ids", "expense"),
    LineItemKind.FIXED_FEE: ("fixed_fee_items", "fixed_fee_item_ids", "fixed_fee_item"),
    LineItemKind.ADDITIONAL: ("additional_items", "additional_item_ids", "additional_item"),
    LineItemKind.BILLING_MILESTONE: (
        "billing_milestones",
        "billing_milestone_ids",
        "billing_milestone",
    ),
}
KIND_BY_TYPE = {id_type: kind for kind, (_, _, id_type) in LINE_ITEM_INCLUDES.items()}
INDEX_PATH_BY_TYPE = {
    "time_entry": "/time_entries",
    "expense": "/expenses",
    "billing_milestone": "/billing_milestones",
}


def includes_for(needs: Needs) -> list[str]:
    names: list[str] = []
    if Need.CREATED_BY in needs:
        names.append("user")
    if Need.RECIPIENT in needs:
        names.append("recipient")
    if Need.WORKSPACES in needs:
        names.append("workspaces")
    if Need.LINE_ITEMS in needs:
        names.extend(include for include, _, _ in LINE_ITEM_INCLUDES.values())
    if Need.EXTERNAL_REFERENCES in needs:
        names.append("external_references")
    return names


def include_params(needs: Needs) -> tuple[tuple[str, str], ...]:
    names = includes_for(needs)
    return (("include", ",".join(names)),) if names else ()


# --- vendor answer -> neutral ---------------------------------------------------------------

_STATUS = {
    "new": InvoiceStatus.OPEN,
    "accepted payment": InvoiceStatus.PAID,
    "cancelled": InvoiceStatus.VOID,
}


def status_of(record: Mapping[str, Any]) -> InvoiceStatus:
    if record.get("draft"):
        return InvoiceStatus.DRAFT
    return _STATUS.get(str(record.get("status")), InvoiceStatus.UNKNOWN)


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _datetime(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _ids(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(v) for v in value)


def _money(cents: Any, currency: str, base_unit: int | None) -> Money | None:
    if cents is None:
        return None
    return Money(from_minor(int(cents), currency, base_unit), currency)


def invoice_from_record(record: Mapping[str, Any]) -> Invoice:
    native = str(record["id"])
    currency = str(record.get("currency") or "USD")
    base_unit = record.get("currency_base_unit")
    line_item_ids: tuple[str, ...] | None = None
    if all(ids_key in record for _, ids_key, _ in LINE_ITEM_INCLUDES.values()):
        line_item_ids = tuple(
            format_id(Vendor.KANTATA, id_type, str(v))
            for _, ids_key, id_type in LINE_ITEM_INCLUDES.values()
            for v in record[ids_key]
        )
    number = record.get("user_invoice_number")
    recipient = record.get("recipient_id")
    tax_rate = record.get("tax_rate")
    return Invoice(
        id=format_id(Vendor.KANTATA, "invoice", native),
        vendor=Vendor.KANTATA,
        vendor_id=native,
        number=None if number is None else str(number),
        title=record.get("user_invoice_title"),
        status=status_of(record),
        vendor_status=record.get("status"),
        issue_date=_date(record.get("invoice_date")),
        due_date=_date(record.get("due_date")),
        payment_terms_days=record.get("payment_schedule"),
        currency=currency,
        notes=record.get("message"),
        total=None,
        balance=_money(record.get("balance_in_cents"), currency, base_unit),
        created_by=UserKey(str(record["user_id"])) if record.get("user_id") else None,
        recipient=UserKey(str(recipient)) if recipient else None,
        workspace_ids=_ids(record.get("workspace_ids")),
        line_item_ids=line_item_ids,
        created_at=_datetime(record.get("created_at")),
        updated_at=_datetime(record.get("updated_at")),
        details=KantataDetails(
            draft=bool(record.get("draft")),
            purchase_order=record.get("purchase_order"),
            project_code=record.get("project_code"),
            tax_rate=None if tax_rate is None else Decimal(str(tax_rate)),
            external_reference_ids=_ids(record.get("external_reference_ids")),
        ),
    )


def user_from_record(record: Mapping[str, Any]) -> User:
    return User(
        id=format_id(Vendor.KANTATA, "user", str(record["id"])),
        name=record.get("full_name"),
        email=record.get("email_address"),
    )


def workspace_from_record(record: Mapping[str, Any]) -> Workspace:
    return Workspace(
        id=format_id(Vendor.KANTATA, "workspace", str(record["id"])),
        title=record.get("title"),
    )


def line_item_from_record(kind: LineItemKind, record: Mapping[str, Any]) -> LineItem:
    _, _, id_type = LINE_ITEM_INCLUDES[kind]
    currency = str(record.get("currency") or "USD")
    base_unit = record.get("currency_base_unit")
    if kind is LineItemKind.TIME_ENTRY:
        minutes = Decimal(int(record.get("time_in_minutes") or 0))
        rate = from_minor(int(record.get("rate_in_cents") or 0), currency, base_unit)
        quantity = (minutes / 60).quantize(Decimal("0.0001")).normalize()
        amount = quantize(minutes * rate / 60, currency)
        notes = record.get("notes")
        title = notes or f"Time on {record.get('date_performed')}"
        return LineItem(
            id=format_id(Vendor.KANTATA, id_type, str(record["id"])),
            kind=kind,
            title=title,
            description=notes,
            quantity=quantity,
            unit_price=Money(rate, currency),
            amount=Money(amount, currency),
        )
    price = from_minor(int(record.get("amount_in_cents") or 0), currency, base_unit)
    if kind is LineItemKind.BILLING_MILESTONE:
        title, description = record.get("title"), None
    elif kind is LineItemKind.EXPENSE:
        title, description = record.get("category"), record.get("notes")
    else:
        title, description = record.get("notes"), record.get("notes")
    return LineItem(
        id=format_id(Vendor.KANTATA, id_type, str(record["id"])),
        kind=kind,
        title=title,
        description=description,
        quantity=Decimal(1),
        unit_price=Money(price, currency),
        amount=Money(price, currency),
    )


def external_reference_from_record(record: Mapping[str, Any]) -> ExternalReference:
    return ExternalReference(
        id=format_id(Vendor.KANTATA, "external_reference", str(record["id"])),
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
    """The top-level hits of an envelope, in the vendor's order."""
    table = envelope.get(key) or {}
    return [
        table[str(hit["id"])]
        for hit in envelope.get("results") or []
        if hit.get("key") == key and str(hit["id"]) in table
    ]


def _sideloaded(envelope: Mapping[str, Any], key: str) -> Iterable[Mapping[str, Any]]:
    table = envelope.get(key) or {}
    return table.values() if isinstance(table, Mapping) else ()


def bundle_from_envelope(envelope: Mapping[str, Any], native_id: str) -> Bundle:
    invoices = envelope.get("invoices") or {}
    record = invoices.get(native_id)
    if record is None:
        raise KeyError(native_id)
    bundle = Bundle(invoice_from_record(record))
    add_sideloads(bundle, envelope)
    return bundle


def add_sideloads(bundle: Bundle, envelope: Mapping[str, Any]) -> None:
    for user in _sideloaded(envelope, "users"):
        bundle.users[UserKey(str(user["id"]))] = user_from_record(user)
    for workspace in _sideloaded(envelope, "workspaces"):
        converted = workspace_from_record(workspace)
        bundle.workspaces[str(workspace["id"])] = converted
    for kind, (key, _, _) in LINE_ITEM_INCLUDES.items():
        for item in _sideloaded(envelope, key):
            converted_item = line_item_from_record(kind, item)
            bundle.line_items[converted_item.id] = converted_item
    for reference in _sideloaded(envelope, "external_references"):
        converted_ref = external_reference_from_record(reference)
        bundle.external_references[converted_ref.id] = converted_ref


def error_messages(body: Any) -> list[tuple[str, str | None]]:
    """Kantata error bodies: `{"errors": [{"type", "message", "field"?}]}`."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [
        (str(e.get("message") or e.get("type") or "error"), e.get("field"))
        for e in errors
        if isinstance(e, Mapping)
    ]
