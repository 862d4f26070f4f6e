"""Kitchen list answers -> checked pages, as pure functions.

Lists use Laravel's paginator [doc]: `{"data": [...], "links": {...}, "meta":
{"current_page", "from", "last_page", "per_page", "to", "total", ...}}`. `current_page` is
the page asked for, `per_page` the size served, `last_page = max(ceil(total / per_page),
1)`, and `from`/`to` the 1-based positions of the first and last rows (null when the page
is empty). The meta must agree with itself and with the rows, and every row must show the
filters asked for (`FILTERS`). Kitchen's current docs list no paging parameters at all, so
`per_page` is asked for and never assumed honoured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gateway.core.domain import Bundle
from gateway.vendors.filters import check_rows
from gateway.vendors.kitchen.read import bundle_from_record
from gateway.vendors.kitchen.translate import FILTERS, LABEL
from gateway.vendors.paging import Page, meta_count, unavailable


def page_from_body(body: Mapping[str, Any], filters: Mapping[str, Any]) -> Page:
    """One `GET /api/invoices` answer, its meta checked, its rows checked against `filters`."""
    meta = body.get("meta")
    if not isinstance(meta, Mapping):
        raise unavailable(f"{LABEL} answered a list page without its page metadata (meta)")
    rows = body["data"]
    if not isinstance(rows, list):
        raise ValueError("data is not a list")
    total, size = meta_count(meta, "total", LABEL), meta_count(meta, "per_page", LABEL)
    number, last = meta_count(meta, "current_page", LABEL), meta_count(meta, "last_page", LABEL)
    if size and last != max(math.ceil(total / size), 1):
        raise unavailable(f"{LABEL}'s meta says {last} pages of {size} for {total} invoices")
    start = (number - 1) * size
    shown = (meta.get("from"), meta.get("to"))
    expected = (start + 1, start + len(rows)) if rows else (None, None)
    if ("from" in meta or "to" in meta) and shown != expected and len(rows) <= size:
        raise unavailable(
            f"{LABEL} answered {len(rows)} invoices as numbers {shown[0]}-{shown[1]} of its "
            f"list on page {number} of size {size}"
        )
    check_rows(rows, filters, FILTERS, LABEL)
    bundle = Bundle()
    for record in rows:
        bundle.merge(bundle_from_record(record))
    return Page(number, size, total, bundle)
