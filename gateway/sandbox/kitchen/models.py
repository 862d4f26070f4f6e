"""The emulator's stored records: what Kitchen keeps, not what it derives.

Money totals, due dates and the currency of line items are derived when an invoice is
rendered (see `money.py` and `serialize.py`), so they can never go stale after an update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

Group = Literal["client", "manager"]
DiscountType = Literal["percentage", "fixed"]
Status = Literal["draft", "open", "paid", "void", "uncollectible"]


@dataclass
class User:
    id: str
    name: str
    email: str
    username: str
    phone: str | None
    title: str | None
    language: str
    timezone: str
    group: Group
    role: str
    created_at: datetime
    updated_at: datetime


@dataclass
class BillingProfile:
    id: str
    name: str
    company_name: str
    email: str
    address: str
    tax_number: str | None
    created_at: datetime
    updated_at: datetime


@dataclass
class Item:
    id: str
    title: str
    description: str | None
    quantity: Decimal
    amount: Decimal  # the unit price; the line total is quantity x amount


@dataclass
class Discount:
    id: str
    title: str
    amount: Decimal  # a percent for "percentage", money for "fixed"
    type: DiscountType


@dataclass
class TaxItem:
    id: str
    title: str
    amount: Decimal  # a percent of (amount - discount_amount)


@dataclass
class Invoice:
    id: str
    number: str
    status: Status
    currency: str
    client: str | None
    creator: str
    billing_profile: str | None
    created_at: datetime
    updated_at: datetime
    items: list[Item] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)
    tax_items: list[TaxItem] = field(default_factory=list)
    issue_date: datetime | None = None
    due_date_in_days: int | None = None
    due_reminder_message: str | None = None
    due_reminder_send_days: int | None = None
    due_reminder_sent_at: datetime | None = None
    footer_notes: str | None = None
    memo: str | None = None
    language: str = "en_US"
    payment_gateways: list[str] = field(default_factory=list)
    visibility: str = "shared"
    is_external: bool = False
    grand_total: Decimal | None = None  # only meaningful when is_external
    charge_automatically: bool = False
    archived_at: datetime | None = None
    finalized_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    marked_uncollectible_at: datetime | None = None


@dataclass
class Workspace:
    slug: str
    api_key: str
    readonly_key: str | None
    number_prefix: str
    default_currency: str
    owner: str  # the member recorded as creator of invoices made through the API
    billing_profile: str | None
    users: dict[str, User] = field(default_factory=dict)
    billing_profiles: dict[str, BillingProfile] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)

    def newest_first(self) -> list[Invoice]:
        return sorted(self.invoices.values(), key=lambda i: (i.created_at, i.id), reverse=True)
