"""Kantata list answers -> checked pages, as pure functions.

A list envelope carries brainstem's `meta` [code: presenter_collection.rb]: `count`,
`page_count = ceil(count / page_size)` (0 when empty), `page_number` (the page asked for;
0 when the list is empty) and `page_size` (what was served: `per_page` clamped to the
endpoint's maximum). The meta must agree with itself and with the rows; every row must
show the filters asked for (`FILTERS`), and the window the order asked for (`LIST_ORDER`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.core.domain import Invoice
from gateway.vendors.filters import check_rows
from gateway.vendors.kantata.read import bundle_from_envelope, records
from gateway.vendors.kantata.translate import FILTERS, LABEL, LIST_ORDER
from gateway.vendors.paging import Page, meta_count, unavailable


def page_from_envelope(envelope: Mapping[str, Any], filters: Mapping[str, Any]) -> Page:
    """One `GET /invoices` answer, its meta checked, its rows checked against `filters`."""
    meta = envelope.get("meta")
    if not isinstance(meta, Mapping):
        raise unavailable(f"{LABEL} answered a list page without its page metadata (meta)")
    count, size = meta_count(meta, "count", LABEL), meta_count(meta, "page_size", LABEL)
    number, pages = meta_count(meta, "page_number", LABEL), meta_count(meta, "page_count", LABEL)
    if envelope.get("count", count) != count:
        raise unavailable(f"{LABEL} counted {envelope.get('count')} and {count} in one answer")
    if size and pages != math.ceil(count / size):
        raise unavailable(f"{LABEL}'s meta says {pages} pages of {size} for {count} invoices")
    rows = records(envelope, "invoices")
    check_rows(rows, filters, FILTERS, LABEL)
    return Page(number, size, count, bundle_from_envelope(envelope))


def check_order(invoices: Sequence[Invoice]) -> None:
    """The rows are newest created first, as `LIST_ORDER` asked (ties are not checked: how
    brainstem breaks them is the endpoint's)."""
    dated = [invoice for invoice in invoices if invoice.created_at is not None]
    for earlier, later in itertools.pairwise(dated):
        assert earlier.created_at is not None and later.created_at is not None
        if later.created_at > earlier.created_at:
            raise unavailable(
                f"{LABEL} ignored order={LIST_ORDER}: invoice {later.vendor_id} "
                f"(created {later.created_at.isoformat()}) came after invoice "
                f"{earlier.vendor_id} (created {earlier.created_at.isoformat()})"
            )
