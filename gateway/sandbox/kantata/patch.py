"""Reading an `{"invoice": {...}}` write body into a checked `InvoicePatch`.

Only the fields of Kantata's "Updating an existing Invoice" page are read; every other key
is ignored, as Rails strong parameters do. Each field is checked on its own here (type,
range, format); whether the IDs exist and may go on the invoice is the store's business.
A field that fails is left out of the patch and reported, so all errors come back at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gateway.sandbox.kantata.errors import ErrorItem, bad_request, invalid

BILLABLE_ID_FIELDS = ("time_entry_ids", "expense_ids", "billing_milestone_ids")
EXTERNAL_REFERENCE_REQUIRED = ("service_name", "service_model", "service_model_ref")
EXTERNAL_REFERENCE_STATUSES = ("successful", "pending", "failed")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGITS = re.compile(r"\d+")


def _integer(value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    if value < minimum:
        raise ValueError(f"must be greater than or equal to {minimum}")
    return value


def _payment_schedule(value: Any) -> int:
    return _integer(value, 0)


def _invoice_number(value: Any) -> int:
    return _integer(value, 1)


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a valid date") from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("must be a string or null")
    return value


SCALAR_FIELDS: dict[str, Callable[[Any], object]] = {
    "payment_schedule": _payment_schedule,
    "invoice_date": _iso_date,
    "user_invoice_number": _invoice_number,
    "draft": _boolean,
    "message": _text,
    "user_invoice_title": _text,
    "purchase_order": _text,
    "project_code": _text,
}


def _id_list(value: Any) -> list[str]:
    """IDs as JSON integers or digit strings; duplicates dropped, order kept."""
    if not isinstance(value, list):
        raise ValueError("must be an array of IDs")
    ids: list[str] = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool) and item > 0:
            token = str(item)
        elif isinstance(item, str) and _DIGITS.fullmatch(item):
            token = str(int(item))
        else:
            raise ValueError(f"contains {json.dumps(item)}, which is not an ID")
        if token not in ids:
            ids.append(token)
    return ids


@dataclass
class ExternalReferencePatch:
    service_name: str
    service_model: str
    service_model_ref: str
    optional: dict[str, object] = field(default_factory=dict)


@dataclass
class InvoicePatch:
    scalars: dict[str, object] = field(default_factory=dict)
    billables: dict[str, list[str]] = field(default_factory=dict)
    workspace_ids: list[str] | None = None
    external_reference: ExternalReferencePatch | None = None


def decode_body(raw: bytes) -> dict[str, Any]:
    """The `invoice` object of a write body; 400 when the JSON or the wrapper is wrong."""
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The request body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("invoice"), dict):
        raise bad_request("param is missing or the value is empty: invoice")
    fields: dict[str, Any] = body["invoice"]
    return fields


def _external_reference(value: Any) -> tuple[ExternalReferencePatch | None, list[ErrorItem]]:
    prefix = "external_reference"
    if not isinstance(value, dict):
        return None, [invalid(prefix, "must be an object")]
    errors: list[ErrorItem] = []
    required: list[str] = []
    for name in EXTERNAL_REFERENCE_REQUIRED:
        given = value.get(name)
        if given is None or given == "":
            errors.append(invalid(f"{prefix}.{name}", "can't be blank"))
        elif not isinstance(given, str):
            errors.append(invalid(f"{prefix}.{name}", "must be a string"))
        else:
            required.append(given)
    optional: dict[str, object] = {}
    for name in ("status", "external_message", "external_link", "external_status"):
        if name in value:
            given = value[name]
            if given is not None and not isinstance(given, str):
                errors.append(invalid(f"{prefix}.{name}", "must be a string or null"))
            elif name == "status" and given not in (None, *EXTERNAL_REFERENCE_STATUSES):
                errors.append(
                    invalid(f"{prefix}.status", "must be one of successful, pending, failed")
                )
            else:
                optional[name] = given
    if "locked" in value:
        if isinstance(value["locked"], bool):
            optional["locked"] = value["locked"]
        else:
            errors.append(invalid(f"{prefix}.locked", "must be true or false"))
    if errors:
        return None, errors
    service_name, service_model, service_model_ref = required
    patch = ExternalReferencePatch(service_name, service_model, service_model_ref, optional)
    return patch, []


def read_patch(
    fields: dict[str, Any], *, creating: bool = False
) -> tuple[InvoicePatch, list[ErrorItem]]:
    """Check each known field of `fields`; `creating` also reads `workspace_ids`."""
    patch = InvoicePatch()
    errors: list[ErrorItem] = []
    for name, parse in SCALAR_FIELDS.items():
        if name in fields:
            try:
                patch.scalars[name] = parse(fields[name])
            except ValueError as exc:
                errors.append(invalid(name, str(exc)))
    id_fields = (*BILLABLE_ID_FIELDS, "workspace_ids") if creating else BILLABLE_ID_FIELDS
    for name in id_fields:
        if name in fields:
            try:
                ids = _id_list(fields[name])
            except ValueError as exc:
                errors.append(invalid(name, str(exc)))
                continue
            if name == "workspace_ids":
                patch.workspace_ids = ids
            else:
                patch.billables[name] = ids
    if "external_reference" in fields:
        patch.external_reference, problems = _external_reference(fields["external_reference"])
        errors.extend(problems)
    return patch, errors
