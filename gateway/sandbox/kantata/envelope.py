"""The one response envelope every successful Kantata call answers with.

```
{"count": 1, "meta": {"count", "page_count", "page_number", "page_size"},
 "results": [{"key": "invoices", "id": "101"}],
 "invoices": {"101": {...}}, "users": {...}, ...}
```
Every requested include gets its top-level map (`{}` when empty); unknown names are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from gateway.sandbox.kantata.listing import Meta
from gateway.sandbox.kantata.models import JSON, Identified
from gateway.sandbox.kantata.resources import Resource
from gateway.sandbox.kantata.store import Store

T = TypeVar("T", bound=Identified)


def parse_include(value: str | None) -> list[str]:
    """The names in `include=a,b`, stripped, without blanks or repeats, in order."""
    names: list[str] = []
    for name in (value or "").split(","):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return names


def envelope(
    store: Store, resource: Resource[T], records: Sequence[T], include: list[str], meta: Meta
) -> JSON:
    body: JSON = {
        "count": meta.count,
        "meta": {
            "count": meta.count,
            "page_count": meta.page_count,
            "page_number": meta.page_number,
            "page_size": meta.page_size,
        },
        "results": [{"key": resource.key, "id": r.id} for r in records],
        resource.key: {},
    }
    includes = [resource.includes[name] for name in include if name in resource.includes]
    for spec in includes:
        body.setdefault(spec.key, {})
    for record in records:
        shown = resource.to_json(store, record)
        for spec in includes:
            related = spec.related(store, record)
            if spec.ids_field is not None:
                shown[spec.ids_field] = [r.id for r in related]
            for other in related:
                body[spec.key][other.id] = other.to_json()
        for omitted in store.settings.get("omit_id_lists", ()):
            shown.pop(omitted, None)
        body[resource.key][record.id] = shown
    if not store.settings.get("line_currency", True):
        for key in LINE_KEYS:
            for shown in (body.get(key) or {}).values():
                for name in CURRENCY_FIELDS:
                    shown.pop(name, None)
    return body


# The `line_currency: false` quirk: billable records answered without their currency, as
# an account or API version may (the seed page shows none of these records).
LINE_KEYS = (
    "time_entries",
    "expenses",
    "fixed_fee_items",
    "additional_items",
    "billing_milestones",
    "time_adjustments",
)
CURRENCY_FIELDS = ("currency", "currency_symbol", "currency_base_unit")
