"""A Relay connection over a vendor's invoice list, with offset cursors.

Cursors are opaque to callers: base64 of `<vendor>:<position>`. Positions follow the
vendor's own order (Kantata: newest invoice date first; Kitchen: newest first), so walking
`after: endCursor` visits every invoice once while the list does not change underneath.
"""

from __future__ import annotations

import base64
import binascii

import strawberry

from gateway.domain import Vendor
from gateway.errors import ErrorCode, GatewayError
from gateway.schema.invoice import Invoice

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
    total_count: int = strawberry.field(description="How many invoices match, on every page.")


def encode_cursor(vendor: Vendor, position: int) -> str:
    raw = f"{vendor.value.lower()}:{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(vendor: Vendor, cursor: str) -> int:
    """The position after which the next page starts; INVALID_INPUT on a foreign cursor."""
    problem = GatewayError.one(
        ErrorCode.INVALID_INPUT, f"{cursor!r} is not a cursor of this list", ("after",)
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise problem from None
    name, _, position = raw.partition(":")
    if name != vendor.value.lower() or not position.isdigit() or len(position) > 9:
        raise problem
    return int(position)


def window(vendor: Vendor, first: int, after: str | None) -> tuple[int, int]:
    """(offset, limit) for `first` invoices after the `after` cursor."""
    if not 0 <= first <= MAX_FIRST:
        raise GatewayError.one(
            ErrorCode.INVALID_INPUT, f"first must be between 0 and {MAX_FIRST}", ("first",)
        )
    offset = 0 if after is None else decode_cursor(vendor, after) + 1
    return offset, first


def connection(
    vendor: Vendor, invoices: list[Invoice], offset: int, total: int
) -> InvoiceConnection:
    edges = [
        InvoiceEdge(cursor=encode_cursor(vendor, offset + i), node=invoice)
        for i, invoice in enumerate(invoices)
    ]
    return InvoiceConnection(
        edges=edges,
        nodes=invoices,
        page_info=PageInfo(
            has_next_page=offset + len(edges) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
