"""Kantata OX's own GraphQL types: `KantataInvoice` and its external references.

The GraphQL layer never imports a vendor module: the invoice's `details` are read through
`_Details`, the shape this module expects (the Kantata reader builds it)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol, cast

import strawberry
from strawberry.types import Info

from gateway.core import domain
from gateway.core.domain import Need
from gateway.schema.context import Context
from gateway.schema.invoice import Invoice, complete_invoice, invoice_fields

KEY = "kantata"


class _Details(Protocol):
    draft: bool
    purchase_order: str | None
    project_code: str | None
    tax_rate: Decimal | None
    external_reference_ids: Sequence[str] | None


def _details(invoice: domain.Invoice) -> _Details:
    return cast(_Details, invoice.details)


@strawberry.type(description="A Kantata link between an invoice and a record elsewhere.")
class ExternalReference:
    id: strawberry.ID
    service_name: str | None
    service_model: str | None
    service_model_ref: str | None
    status: str | None
    external_message: str | None
    external_link: str | None
    external_status: str | None
    locked: bool | None

    @classmethod
    def of(cls, ref: domain.ExternalReference) -> ExternalReference:
        return cls(
            id=strawberry.ID(ref.id),
            service_name=ref.service_name,
            service_model=ref.service_model,
            service_model_ref=ref.service_model_ref,
            status=ref.status,
            external_message=ref.external_message,
            external_link=ref.external_link,
            external_status=ref.external_status,
            locked=ref.locked,
        )


@strawberry.type(description="A Kantata OX invoice.")
class KantataInvoice(Invoice):
    draft: bool
    purchase_order: str | None
    project_code: str | None
    tax_rate: Decimal | None = strawberry.field(description="Percent; read-only at Kantata.")

    @strawberry.field
    async def external_references(self, info: Info[Context, None]) -> list[ExternalReference]:
        invoice = self.source
        if _details(invoice).external_reference_ids is None:
            invoice = await complete_invoice(info, invoice, Need.EXTERNAL_REFERENCES)
        known = info.context.loaders.external_references
        return [
            ExternalReference.of(known[ref_id])
            for ref_id in _details(invoice).external_reference_ids or ()
            if ref_id in known
        ]


def invoice_type(invoice: domain.Invoice) -> KantataInvoice:
    details = _details(invoice)
    return KantataInvoice(
        **invoice_fields(invoice),  # type: ignore[arg-type]
        draft=details.draft,
        purchase_order=details.purchase_order,
        project_code=details.project_code,
        tax_rate=details.tax_rate,
    )


TYPES: tuple[type, ...] = (KantataInvoice,)
