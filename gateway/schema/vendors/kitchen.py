"""Kitchen.co's own GraphQL types: `KitchenInvoice`, its discounts, tax items and reminder.

The GraphQL layer never imports a vendor module: the invoice's `details` are read through
`_Details`, the shape this module expects (the Kitchen reader builds it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol, cast

import strawberry

from gateway.core import domain
from gateway.schema.enums import DiscountType, InvoiceVisibility, PaymentGateway
from gateway.schema.invoice import Invoice, invoice_fields
from gateway.schema.types import Money, known

KEY = "kitchen"


class _Details(Protocol):
    footer: str | None
    language: str | None
    visibility: InvoiceVisibility | None
    payment_gateways: Sequence[PaymentGateway]
    discounts: Sequence[domain.Discount]
    tax_items: Sequence[domain.TaxItem]
    due_reminder: domain.DueReminder
    subtotal: domain.Money | None
    discount_total: domain.Money | None
    tax_total: domain.Money | None
    paid_at: dt.datetime | None
    finalized_at: dt.datetime | None


def _details(invoice: domain.Invoice) -> _Details:
    return cast(_Details, invoice.details)


@strawberry.type(description="A Kitchen discount: a percentage of the subtotal, or a fixed amount.")
class Discount:
    id: strawberry.ID | None
    title: str | None
    amount: Decimal | None
    type: DiscountType | None


@strawberry.type(description="A Kitchen tax line: a percentage applied after discounts.")
class TaxItem:
    id: strawberry.ID | None
    title: str | None
    rate: Decimal | None


@strawberry.type
class DueReminder:
    message: str | None
    send_days: int | None
    send_date: dt.date | None


@strawberry.type(description="A Kitchen.co invoice.")
class KitchenInvoice(Invoice):
    footer: str | None
    language: str | None
    visibility: InvoiceVisibility | None
    payment_gateways: list[PaymentGateway]
    discounts: list[Discount]
    tax_items: list[TaxItem]
    due_reminder: DueReminder
    paid_at: dt.datetime | None
    finalized_at: dt.datetime | None

    @strawberry.field(description="Sum of the items, before discounts and taxes.")
    def subtotal(self) -> Money | None:
        return self._money(lambda d: d.subtotal)

    @strawberry.field
    def discount_total(self) -> Money | None:
        return self._money(lambda d: d.discount_total)

    @strawberry.field
    def tax_total(self) -> Money | None:
        return self._money(lambda d: d.tax_total)

    def _money(self, pick: Callable[[_Details], domain.Money | None]) -> Money | None:
        return known(pick(_details(self.source)), self.source.money_unknown)


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value else None


def invoice_type(invoice: domain.Invoice) -> KitchenInvoice:
    details = _details(invoice)
    reminder = details.due_reminder
    return KitchenInvoice(
        **invoice_fields(invoice),  # type: ignore[arg-type]
        footer=details.footer,
        language=details.language,
        visibility=details.visibility,
        payment_gateways=list(details.payment_gateways),
        discounts=[
            Discount(id=_id(d.id), title=d.title, amount=d.amount, type=d.type)
            for d in details.discounts
        ],
        tax_items=[TaxItem(id=_id(t.id), title=t.title, rate=t.rate) for t in details.tax_items],
        due_reminder=DueReminder(
            message=reminder.message, send_days=reminder.send_days, send_date=reminder.send_date
        ),
        paid_at=details.paid_at,
        finalized_at=details.finalized_at,
    )


TYPES: tuple[type, ...] = (KitchenInvoice,)
