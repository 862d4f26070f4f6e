"""What a Kitchen invoice has beyond the neutral fields (`Invoice.details`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.core.domain import (
    Discount,
    DueReminder,
    InvoiceVisibility,
    Money,
    PaymentGateway,
    TaxItem,
)


@dataclass(frozen=True)
class KitchenDetails:
    footer: str | None
    language: str | None
    visibility: InvoiceVisibility | None
    payment_gateways: tuple[PaymentGateway, ...]
    discounts: tuple[Discount, ...]
    tax_items: tuple[TaxItem, ...]
    due_reminder: DueReminder
    subtotal: Money | None
    discount_total: Money | None
    tax_total: Money | None
    paid_at: dt.datetime | None
    finalized_at: dt.datetime | None
