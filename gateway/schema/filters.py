"""The neutral invoice list filter. Which vendor serves which filter is the vendor's table;
a filter it cannot serve is UNSUPPORTED_FIELD, never silently ignored."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import strawberry

from gateway.core.errors import GatewayError
from gateway.schema.descriptions import describe
from gateway.schema.enums import InvoiceStatus
from gateway.schema.naming import camel


@strawberry.input(
    description=(
        "Narrow a vendor's invoice list. Which vendor serves which filter: "
        'docs/vendors.md, "Filters".'
    )
)
class InvoiceFilter:
    status: InvoiceStatus | None = strawberry.field(
        default=None, description=describe("InvoiceFilter.status")
    )
    number: str | None = strawberry.field(
        default=None, description=describe("InvoiceFilter.number")
    )
    issued_after: dt.date | None = strawberry.field(default=None, description="No vendor yet.")
    issued_before: dt.date | None = strawberry.field(default=None, description="No vendor yet.")
    updated_since: dt.datetime | None = strawberry.field(
        default=None, description=describe("InvoiceFilter.updatedSince")
    )
    created_after: dt.datetime | None = strawberry.field(
        default=None, description=describe("InvoiceFilter.createdAfter")
    )
    created_before: dt.datetime | None = strawberry.field(
        default=None, description=describe("InvoiceFilter.createdBefore")
    )
    archived: bool | None = strawberry.field(
        default=None, description=describe("InvoiceFilter.archived")
    )


def filter_values(value: InvoiceFilter | None) -> dict[str, Any]:
    """The filters the caller set, by neutral name (`updated_since`)."""
    if value is None:
        return {}
    return {
        f.name: getattr(value, f.name)
        for f in dataclasses.fields(value)
        if getattr(value, f.name) is not None
    }


def filter_paths(error: GatewayError) -> GatewayError:
    """`error` with its neutral filter names as the caller sent them, inside `filter`."""
    return error.at("filter", camel)
