"""The neutral enums, registered with GraphQL under their member names.

strawberry.enum marks the domain classes in place, so resolvers and the domain share one
set of enum types and nothing converts between them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLEnumType, GraphQLEnumValue, GraphQLSchema

from gateway.core.domain import (
    DiscountType,
    InvoiceStatus,
    InvoiceVisibility,
    LineItemKind,
    PaymentGateway,
    Source,
)
from gateway.core.domain import Vendor as DomainVendor
from gateway.core.errors import ErrorCode
from gateway.schema.descriptions import describe


class _Vendors(enum.Enum):
    """Stands in for the vendors until a schema is built over a registry's (`use_vendors`)."""

    NONE = None


if TYPE_CHECKING:
    # What a resolver receives and returns: the registry's own Vendor values.
    Vendor = DomainVendor
else:
    Vendor = strawberry.enum(
        _Vendors, name="Vendor", description="The invoicing service holding an invoice."
    )


class _AsIs:
    """The enum's values are the registry's Vendor objects, passed through as they are."""

    def __new__(cls, value: Any) -> Any:
        return value


def use_vendors(schema: GraphQLSchema, vendors: Iterable[DomainVendor]) -> None:
    """The schema's Vendor enum lists `vendors` (in order), each valued by its Vendor: a
    resolver receives the Vendor itself, and an answer's Vendor is shown by its name. Done
    once, right after the schema is built and before it serves anything."""
    vendor_enum = schema.type_map["Vendor"]
    assert isinstance(vendor_enum, GraphQLEnumType)
    vendor_enum.values = {vendor.name: GraphQLEnumValue(vendor) for vendor in vendors}
    vendor_enum.wrapped_cls = _AsIs  # type: ignore[attr-defined]


strawberry.enum(
    InvoiceStatus, description="The neutral lifecycle; the vendor's own word is in `vendorStatus`."
)
strawberry.enum(InvoiceVisibility)
strawberry.enum(PaymentGateway)
strawberry.enum(DiscountType)
strawberry.enum(
    LineItemKind,
    description=describe("LineItemKind"),
)
strawberry.enum(ErrorCode, description="What went wrong, for programs to branch on.")
strawberry.enum(
    Source,
    description="How we know a vendor serves something: DOC its documentation, CODE its own "
    "code or client libraries, GUESS our inference.",
)

__all__ = [
    "DiscountType",
    "ErrorCode",
    "InvoiceStatus",
    "InvoiceVisibility",
    "LineItemKind",
    "PaymentGateway",
    "Source",
    "Vendor",
    "use_vendors",
]
