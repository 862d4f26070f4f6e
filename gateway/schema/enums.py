"""The neutral enums, registered with GraphQL under their member names.

strawberry.enum marks the domain classes in place, so resolvers and the domain share one
set of enum types and nothing converts between them.
"""

from __future__ import annotations

import strawberry

from gateway.core.domain import (
    DiscountType,
    InvoiceStatus,
    InvoiceVisibility,
    LineItemKind,
    PaymentGateway,
    Source,
    Vendor,
)
from gateway.core.errors import ErrorCode

strawberry.enum(Vendor, description="The invoicing service holding an invoice.")
strawberry.enum(
    InvoiceStatus, description="The neutral lifecycle; the vendor's own word is in `vendorStatus`."
)
strawberry.enum(InvoiceVisibility)
strawberry.enum(PaymentGateway)
strawberry.enum(DiscountType)
strawberry.enum(
    LineItemKind,
    description="Kantata bills records (time, expenses, fees, milestones); Kitchen has items.",
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
]
