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
from collections.abc import Callable, Mapping
from typing import Any

from gateway.core.domain import (
    BillablesInput,
    ExternalReferenceInput,
    FieldLimits,
    Invoice,
    LineItemKind,
    Need,
    Needs,
    Source,
)
from gateway.core.errors import ErrorCode, GatewayError, ProblemCollector
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
from gateway.vendors.filters import FilterRule, RowCheck, after, before
from gateway.vendors.kantata.details import KantataDetails
from gateway.vendors.kantata.identity import IDS, VENDOR

LABEL = VENDOR.label
MAX_NUMBER = 2_147_483_647  # user_invoice_number is a 32-bit integer column

# Billable list input name -> (vendor key, global ID type)
BILLABLE_LISTS: dict[str, tuple[str, str]] = {
    "time_entry_ids": ("time_entry_ids", "time_entry"),
    "expense_ids": ("expense_ids", "expense"),
    "billing_milestone_ids": ("billing_milestone_ids", "billing_milestone"),
}

BILLABLE_FIELDS = ("billables", "add_billables", "remove_billables")

EXTERNAL_REFERENCE_FIELDS: dict[str, str] = {
    "service_name": "service_name",
    "service_model": "service_model",
    "service_model_ref": "service_model_ref",
    "status": "status",
    "external_message": "external_message",
    "external_link": "external_link",
    "external_status": "external_status",
    "locked": "locked",
}
EXTERNAL_REFERENCE_REQUIRED = ("service_name", "service_model", "service_model_ref")
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
        natives = [native_id(v, id_type, IDS, (name, str(i))) for i, v in enumerate(ids)]
        if len(set(natives)) != len(natives):
            raise Invalid("lists an ID twice", (name,))
        body[key] = natives
    return body


def _validated(write: Callable[[Any], Body]) -> Callable[[Any], Body]:
    def check(value: Any) -> Body:
        write(value)
        return {}

    return check


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
    "number": FieldRule(
        ("user_invoice_number",),
        _number,
        None,
        FieldLimits(integer_only=True, minimum=1, maximum=MAX_NUMBER),
    ),
    "title": text("user_invoice_title"),
    "issue_date": date("invoice_date", clearable=False),
    "payment_terms_days": integer("payment_schedule", minimum=0, maximum=3650, clearable=False),
    "notes": text("message"),
    "draft": boolean("draft"),
    "purchase_order": text("purchase_order"),
    "project_code": text("project_code"),
    "billables": FieldRule(tuple(k for k, _ in BILLABLE_LISTS.values()), _billables),
    # Resolved against the invoice's current lists in update_body; validated here.
    "add_billables": FieldRule((), _validated(_billables)),
    "remove_billables": FieldRule((), _validated(_billables)),
    "external_reference": FieldRule(("external_reference",), _external_reference),
}
FIELD_PATHS = field_paths(RULES)


def update_body(values: Mapping[str, Any], current: Invoice | None = None) -> Body:
    """The PUT body for a neutral patch; raises GatewayError naming every bad field.

    Billable changes are resolved against `current` (the invoice as it is now) into the
    whole lists Kantata overwrites; without it they are only validated."""
    body = translate(values, RULES, LABEL)
    if current is not None and any(name in values for name in BILLABLE_FIELDS):
        body.update(_resolve_billables(values, body, current))
    return {"invoice": body}


def _current_lists(current: Invoice) -> tuple[dict[str, list[str]], int]:
    """The invoice's billable lists by vendor key, and how many other lines it has."""
    lists: dict[str, list[str]] = {key: [] for key, _ in BILLABLE_LISTS.values()}
    key_by_type = {id_type: key for key, id_type in BILLABLE_LISTS.values()}
    others = 0
    for global_id in current.line_item_ids or ():
        gid = IDS.parse(global_id)
        if gid.type in key_by_type:
            lists[key_by_type[gid.type]].append(gid.native)
        else:
            others += 1  # fixed fee and additional items, time adjustments: PUT keeps them
    return lists, others


def _resolve_billables(values: Mapping[str, Any], body: Body, current: Invoice) -> Body:
    if current.line_item_ids is None:
        # Kantata answers `*_ids` only for includes it honours for this account; a list
        # missing from the answer is unknown, never empty (sending the new set would drop
        # what is on the invoice).
        details = current.details
        missing = details.unlisted if isinstance(details, KantataDetails) else ()
        field = next(name for name in BILLABLE_FIELDS if name in values)
        raise GatewayError.one(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            f"Kantata's answer left out {', '.join(missing) or 'the line item ids'} although "
            "they were asked for, so the invoice's current lines are unknown; nothing was sent",
            (field,),
        )
    lists, others = _current_lists(current)
    problems = ProblemCollector()
    added = _billables(values["add_billables"]) if values.get("add_billables") else {}
    removed = _billables(values["remove_billables"]) if values.get("remove_billables") else {}
    names = {key: name for name, (key, _) in BILLABLE_LISTS.items()}
    resolved: Body = {}
    for key, ids in lists.items():
        if key in body:
            for delta, field in ((added, "add_billables"), (removed, "remove_billables")):
                if key in delta:
                    problems.invalid(
                        (field, names[key]),
                        f"cannot be combined with billables.{names[key]} in one update",
                    )
            continue
        if key not in added and key not in removed:
            continue
        both = set(added.get(key, ())) & set(removed.get(key, ()))
        if both:
            problems.invalid(
                ("remove_billables", names[key]),
                f"adds and removes the same records: {', '.join(sorted(both))}",
            )
        # Set semantics: adding what is there, or removing what is not, changes nothing,
        # so a retried update gives the same result.
        kept = [i for i in ids if i not in removed.get(key, ())]
        resolved[key] = kept + [i for i in added.get(key, ()) if i not in kept]
    problems.raise_if_any()
    after: dict[str, list[str]] = {**lists, **{k: body[k] for k in lists if k in body}, **resolved}
    remaining = others + sum(len(ids) for ids in after.values())
    if remaining == 0:
        field = next(name for name in BILLABLE_FIELDS if name in values)
        problems.invalid(
            (field,),
            "would leave the invoice with no line item; Kantata keeps at least one",
        )
        problems.raise_if_any()
    return resolved


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
    # Not on the seed page; Kantata's own client gem lists the include and the id list
    # [code]. PUT never sends `time_adjustment_ids`: they are read and counted only.
    LineItemKind.TIME_ADJUSTMENT: ("time_adjustments", "time_adjustment_ids", "time_adjustment"),
}
KIND_BY_TYPE = {id_type: kind for kind, (_, _, id_type) in LINE_ITEM_INCLUDES.items()}
INDEX_PATH_BY_TYPE = {
    "time_entry": "/time_entries",
    "expense": "/expenses",
    "billing_milestone": "/billing_milestones",
    "time_adjustment": "/time_adjustments",
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


def _instant(key: str, source: Source, check: RowCheck) -> FilterRule:
    def write(value: Any) -> Body:
        if not isinstance(value, dt.datetime):
            raise Invalid("must be a date-time")
        return {key: value.isoformat()}

    return FilterRule((key,), write, source=source, check=check)


# Neutral list filter -> query parameter, how we know Kantata serves it, and the row field
# that shows it applied (every row is checked; see gateway/vendors/filters.py).
FILTERS: dict[str, FilterRule] = {
    "created_after": _instant("created_after", Source.DOC, after("created_at")),
    "created_before": _instant("created_before", Source.DOC, before("created_at")),
    # Not in the invoice docs; Kantata's own Workato connector sends it [code].
    "updated_since": _instant("updated_after", Source.CODE, after("updated_at")),
}

# The list order asked for: brainstem's `order=<sort name>:<direction>` [doc: "Ordering",
# whose own example is `created_at:desc`], newest created first, as Kitchen lists [doc].
# Brainstem falls back to the endpoint's default for a name it does not offer [code], so
# the rows are checked to be in this order (pages.check_order). Brainstem appends the
# primary key, ascending, to every order [code: presenter.rb], so ties are broken by ID
# and the order is total.
LIST_ORDER = "created_at:desc"


def filter_params(filters: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(translate(filters, FILTERS, LABEL, filters=True).items())
