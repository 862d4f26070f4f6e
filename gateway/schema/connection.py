"""A Relay connection over a vendor's invoice list, with offset cursors.

Cursors are opaque to callers: base64 of `<vendor>:<position>:<vendor ID>`, the position
and ID of the invoice they point at. Positions follow the vendor's order (newest created
first: Kantata as asked with `order=created_at:desc`, Kitchen by default), so walking
`after: endCursor` visits every invoice once while the list does not change underneath.

When it does change, offsets shift: an invoice created in front of the cursor pushes every
later one down a place. So the next page is read from the cursor's own position, one row
more, and that row must be the cursor's invoice. If it moved down (invoices were added in
front), the page resumes right after it, a little shorter; if it cannot be found (removed,
or moved up) the caller gets CONFLICT on `after` and starts again, never a repeated or a
skipped invoice. Cursors without an ID (older ones) are taken as plain positions.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

import strawberry

from gateway.core import domain
from gateway.core.domain import Vendor
from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.ids import IdShapes
from gateway.schema.invoice import Invoice
from gateway.schema.vendors import invoice_type

MAX_FIRST = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class InvoiceEdge:
    cursor: str
    node: Invoice


@strawberry.type(description="A page of a vendor's invoices, in the vendor's own order.")
class InvoiceConnection:
    edges: list[InvoiceEdge]
    nodes: list[Invoice] = strawberry.field(description="The edges' nodes, for brevity.")
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        description="How many invoices match, on every page; null while a filter is in effect "
        "that the vendor does not document (its count may not reflect the filter)."
    )


def encode_cursor(vendor: Vendor, position: int, native_id: str) -> str:
    raw = f"{vendor.key}:{position}:{native_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(ids: IdShapes, cursor: str) -> tuple[int, str | None]:
    """The position after which the next page starts, and the vendor ID of the invoice the
    cursor saw there (None for a cursor without one); INVALID_INPUT on a foreign cursor."""
    shown = cursor if len(cursor) <= 60 else f"{cursor[:60]}…"  # never echo a huge input
    problem = GatewayError.one(
        ErrorCode.INVALID_INPUT, f"{shown!r} is not a cursor of this list", ("after",)
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise problem from None
    name, _, rest = raw.partition(":")
    position, colon, anchor = rest.partition(":")
    # isdigit() alone accepts "²", which int() refuses: only ASCII digits are a position.
    if (
        name != ids.vendor.key
        or not (position.isascii() and position.isdigit())
        or len(position) > 9
    ):
        raise problem
    if colon and not ids.is_native("invoice", anchor):
        raise problem
    return int(position), anchor if colon else None


@dataclass(frozen=True)
class Window:
    """`limit` invoices from position `offset`; `anchor` is the vendor ID the cursor saw at
    `offset - 1`."""

    offset: int
    limit: int
    anchor: str | None = None

    @property
    def fetch(self) -> tuple[int, int]:
        """(offset, limit) to ask the vendor for: from the anchor's row, when there is one."""
        if self.anchor is None or self.limit == 0:
            return self.offset, self.limit
        return self.offset - 1, self.limit + 1


def window(ids: IdShapes, first: int, after: str | None) -> Window:
    """The window of `first` invoices after the `after` cursor."""
    if not 0 <= first <= MAX_FIRST:
        raise GatewayError.one(
            ErrorCode.INVALID_INPUT, f"first must be between 0 and {MAX_FIRST}", ("first",)
        )
    if after is None:
        return Window(0, first)
    position, anchor = decode_cursor(ids, after)
    return Window(position + 1, first, anchor)


def resume(
    window: Window, fetched: Sequence[domain.Invoice], has_next: bool
) -> tuple[list[domain.Invoice], int]:
    """The invoices after the cursor's, and the position of the first of them. `fetched`
    starts at `window.fetch`'s offset: with an anchor, its first row should be the anchor;
    further down, invoices were added in front of it and the page resumes after it."""
    start, _ = window.fetch
    if window.anchor is None or window.limit == 0:
        return list(fetched), start
    found = [i for i, invoice in enumerate(fetched) if invoice.vendor_id == window.anchor]
    if found and (found[0] + 1 < len(fetched) or not has_next):
        return list(fetched[found[0] + 1 :]), start + found[0] + 1
    raise GatewayError.one(
        ErrorCode.CONFLICT,
        f"the list changed since this cursor was made: invoice {window.anchor} is no longer "
        f"at position {start + 1} or just below it; start again without after",
        ("after",),
    )


def connection(
    vendor: Vendor,
    invoices: Sequence[domain.Invoice],
    offset: int,
    total: int | None,
    has_next: bool,
) -> InvoiceConnection:
    nodes = [invoice_type(invoice) for invoice in invoices]
    edges = [
        InvoiceEdge(cursor=encode_cursor(vendor, offset + i, invoice.vendor_id), node=node)
        for i, (invoice, node) in enumerate(zip(invoices, nodes, strict=True))
    ]
    return InvoiceConnection(
        edges=edges,
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
