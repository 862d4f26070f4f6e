"""Neutral requests -> Kantata OX requests, as pure functions (answers: `read.py`).

Quirks this module absorbs:
- Writes are wrapped in the singular resource name (`{"invoice": {...}}`).
- `user_invoice_number` is an integer; the neutral `number` is a string of digits here.
- Billable lists (`time_entry_ids`, ...) overwrite the whole set on every PUT.
- `include=` names the associations a selection will read, so one call carries them;
  fixed fee and additional items have no endpoint and arrive only that way.
- Vendor error fields (`external_reference.service_name`) map back to neutral paths here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from gateway.domain import (
    BillablesInput,
    ExternalReferenceInput,
    LineItemKind,
    Need,
    Needs,
    Vendor,
)
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


def _after(key: str) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, dt.datetime):
            raise Invalid("must be a date-time")
        return {key: value.isoformat()}

    return FieldRule((key,), write)


# Neutral list filter -> query parameter. `created_after`/`created_before` are documented;
# `updated_after` is inferred from them [guess] (see the sandbox's docstring).
FILTERS: dict[str, FieldRule] = {
    "createdAfter": _after("created_after"),
    "createdBefore": _after("created_before"),
    "updatedSince": _after("updated_after"),
}


def filter_params(filters: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(translate(filters, FILTERS, LABEL, root="filter").items())
