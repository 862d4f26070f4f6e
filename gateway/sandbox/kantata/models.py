"""The records the Kantata emulator keeps, and the JSON shape of each.

Money is integer cents in the record's currency (`Currency.base_unit` says how many of
them make one unit: 100 for USD, 1 for JPY). Dates are `date` objects; timestamps are
timezone-aware `datetime`s. IDs are strings, as in every Kantata response.

Fields that Kantata does not show (which invoice a billable record sits on, a workspace's
client lead) are plain attributes left out of `to_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

JSON = dict[str, Any]


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str
    base_unit: int


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("USD", "$", 100),
        Currency("EUR", "€", 100),
        Currency("GBP", "£", 100),
        Currency("JPY", "¥", 1),
    )
}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


class Identified(Protocol):
    @property
    def id(self) -> str: ...


class Record(Identified, Protocol):
    """Anything that can appear in a response's type map."""

    def to_json(self) -> JSON: ...


class Billable(Record, Protocol):
    """A record an invoice can hold; it sits on at most one invoice."""

    invoice_id: str | None

    @property
    def workspace_id(self) -> str: ...

    @property
    def currency(self) -> str: ...

    @property
    def chargeable(self) -> bool: ...

    def amount(self) -> int: ...


@dataclass
class User:
    id: str
    full_name: str
    email_address: str
    headline: str
    photo_path: str | None
    account_id: str

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "full_name": self.full_name,
            "email_address": self.email_address,
            "headline": self.headline,
            "photo_path": self.photo_path,
            "account_id": self.account_id,
        }


@dataclass
class Workspace:
    id: str
    title: str
    description: str
    currency: str
    price_in_cents: int
    archived: bool
    start_date: date | None
    due_date: date | None
    creator_id: str
    client_lead_id: str | None = None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "currency": self.currency,
            "currency_base_unit": CURRENCIES[self.currency].base_unit,
            "price_in_cents": self.price_in_cents,
            "archived": self.archived,
            "start_date": _day(self.start_date),
            "due_date": _day(self.due_date),
            "creator_id": self.creator_id,
        }


@dataclass
class TimeEntry:
    id: str
    date_performed: date
    time_in_minutes: int
    rate_in_cents: int
    billable: bool
    notes: str
    currency: str
    user_id: str
    workspace_id: str
    story_id: str | None = None
    invoice_id: str | None = None

    @property
    def chargeable(self) -> bool:
        return self.billable

    def amount(self) -> int:
        """Minutes times the hourly rate, rounded half up to a whole cent."""
        return (self.time_in_minutes * self.rate_in_cents + 30) // 60

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "date_performed": self.date_performed.isoformat(),
            "time_in_minutes": self.time_in_minutes,
            "rate_in_cents": self.rate_in_cents,
            "billable": self.billable,
            "notes": self.notes,
            "currency": self.currency,
            "user_id": self.user_id,
            "workspace_id": self.workspace_id,
            "story_id": self.story_id,
        }


@dataclass
class Expense:
    id: str
    date: date
    category: str
    amount_in_cents: int
    currency: str
    notes: str
    is_billable: bool
    user_id: str
    workspace_id: str
    invoice_id: str | None = None

    @property
    def chargeable(self) -> bool:
        return self.is_billable

    def amount(self) -> int:
        return self.amount_in_cents

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "category": self.category,
            "amount_in_cents": self.amount_in_cents,
            "currency": self.currency,
            "notes": self.notes,
            "is_billable": self.is_billable,
            "user_id": self.user_id,
            "workspace_id": self.workspace_id,
        }


@dataclass
class TimeAdjustment:
    """Kantata's sixth billable kind [code: the client gem's field list]. `time` is taken
    as minutes and `bill_rate_in_cents` as per hour here [guess]; the gateway shows no
    amount for them. PUT never changes which adjustments sit on an invoice."""

    id: str
    original_date: date
    posted_on_date: date
    time: int
    bill_rate_in_cents: int
    billable: bool
    notes: str
    currency: str
    user_id: str
    workspace_id: str
    invoice_id: str | None = None

    def amount(self) -> int:
        return (self.time * self.bill_rate_in_cents + 30) // 60

    def to_json(self) -> JSON:
        currency = CURRENCIES[self.currency]
        return {
            "id": self.id,
            "original_date": self.original_date.isoformat(),
            "posted_on_date": self.posted_on_date.isoformat(),
            "time": self.time,
            "bill_rate_in_cents": self.bill_rate_in_cents,
            "billable": self.billable,
            "notes": self.notes,
            "currency": currency.code,
            "currency_symbol": currency.symbol,
            "currency_base_unit": currency.base_unit,
            "is_invoiced": self.invoice_id is not None,
            "user_id": self.user_id,
            "workspace_id": self.workspace_id,
        }


@dataclass
class InvoiceItem:
    """A fixed fee item or an additional item: it exists only on its invoice."""

    id: str
    amount_in_cents: int
    currency: str
    notes: str
    taxable: bool
    workspace_id: str
    invoice_id: str

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "amount_in_cents": self.amount_in_cents,
            "currency": self.currency,
            "notes": self.notes,
            "taxable": self.taxable,
            "workspace_id": self.workspace_id,
        }


@dataclass
class BillingMilestone:
    id: str
    title: str
    amount_in_cents: int
    billing_type: str
    date_to_invoice: date | None
    currency: str
    workspace_id: str
    invoice_id: str | None = None

    @property
    def chargeable(self) -> bool:
        return True

    def amount(self) -> int:
        return self.amount_in_cents

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "title": self.title,
            "amount_in_cents": self.amount_in_cents,
            "billing_type": self.billing_type,
            "date_to_invoice": _day(self.date_to_invoice),
            "currency": self.currency,
            "workspace_id": self.workspace_id,
        }


@dataclass
class ExternalReference:
    id: str
    subject_type: str
    subject_id: str
    service_name: str
    service_model: str
    service_model_ref: str
    status: str | None
    external_message: str | None
    external_link: str | None
    external_status: str | None
    locked: bool
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "service_name": self.service_name,
            "service_model": self.service_model,
            "service_model_ref": self.service_model_ref,
            "status": self.status,
            "external_message": self.external_message,
            "external_link": self.external_link,
            "external_status": self.external_status,
            "locked": self.locked,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass
class Invoice:
    id: str
    created_at: datetime
    updated_at: datetime
    invoice_date: date
    payment_schedule: int
    user_invoice_number: int
    draft: bool
    status: str
    currency: str
    tax_rate: Decimal
    user_id: str
    recipient_id: str | None
    workspace_ids: list[str] = field(default_factory=list)
    user_invoice_title: str | None = None
    message: str | None = None
    purchase_order: str | None = None
    project_code: str | None = None

    @property
    def due_date(self) -> date:
        return self.invoice_date + timedelta(days=self.payment_schedule)

    @property
    def title(self) -> str:
        prefix = "Draft Invoice" if self.draft else "Invoice"
        return f"{prefix} #{self.user_invoice_number:05d}"

    def tax_on(self, taxable_cents: int) -> int:
        """`tax_rate` percent of `taxable_cents`, rounded half up to a whole cent."""
        tax = Decimal(taxable_cents) * self.tax_rate / 100
        return int(tax.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def to_json(self, balance_in_cents: int) -> JSON:
        currency = CURRENCIES[self.currency]
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "title": self.title,
            "user_invoice_number": self.user_invoice_number,
            "user_invoice_title": self.user_invoice_title,
            "message": self.message,
            "purchase_order": self.purchase_order,
            "project_code": self.project_code,
            "draft": self.draft,
            "status": self.status,
            "balance_in_cents": balance_in_cents,
            "currency": currency.code,
            "currency_symbol": currency.symbol,
            "currency_base_unit": currency.base_unit,
            "payment_schedule": self.payment_schedule,
            "tax_rate": float(self.tax_rate),
            "user_id": self.user_id,
            "recipient_id": self.recipient_id,
        }


@dataclass
class Dataset:
    """Every record of one emulator instance, each type keyed by ID."""

    users: dict[str, User]
    workspaces: dict[str, Workspace]
    time_entries: dict[str, TimeEntry]
    expenses: dict[str, Expense]
    fixed_fee_items: dict[str, InvoiceItem]
    additional_items: dict[str, InvoiceItem]
    billing_milestones: dict[str, BillingMilestone]
    external_references: dict[str, ExternalReference]
    invoices: dict[str, Invoice]
    time_adjustments: dict[str, TimeAdjustment] = field(default_factory=dict)
