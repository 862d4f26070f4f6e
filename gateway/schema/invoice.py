"""The Invoice interface and its two vendor types.

Scalar fields are copied once from the neutral invoice; nested objects resolve through the
request's dataloaders, which the vendor's own answer has usually primed already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeAlias, TypeVar

import strawberry
from aiodataloader import DataLoader
from strawberry.types import Info

from gateway.core import domain
from gateway.core.domain import Need
from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.loaders import Loader, Missing
from gateway.schema.context import Context
from gateway.schema.enums import InvoiceStatus, InvoiceVisibility, PaymentGateway, Vendor
from gateway.schema.errors import field_error
from gateway.schema.node import Node
from gateway.schema.types import (
    Discount,
    DueReminder,
    ExternalReference,
    LineItem,
    Money,
    TaxItem,
    User,
    Workspace,
    known,
)

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")
# A field's value, or an awaitable of it when it must be fetched first.
Resolved: TypeAlias = T | Awaitable[T]


async def _complete(
    info: Info[Context, None], invoice: domain.Invoice, need: Need
) -> domain.Invoice:
    """The invoice again with `need` included, for a selection the plan did not foresee."""
    loader = info.context.loaders.invoices(invoice.vendor)
    try:
        return await loader.load((invoice.vendor_id, frozenset({need})))
    except GatewayError as exc:
        raise field_error(exc) from None


@strawberry.interface(description="An invoice at either vendor, in one vocabulary.")
class Invoice(Node):
    vendor: Vendor
    vendor_id: str = strawberry.field(description="The vendor's own ID.")
    number: str | None
    title: str | None
    status: InvoiceStatus
    vendor_status: str | None
    issue_date: dt.date | None
    due_date: dt.date | None
    payment_terms_days: int | None
    currency: str | None = strawberry.field(
        description="ISO 4217; null when the vendor's answer names none (its money is then "
        "null, with an error saying so)."
    )
    notes: str | None = strawberry.field(description="Notes shown to the client.")
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    source: strawberry.Private[domain.Invoice]

    @strawberry.field(
        description="Kitchen's total_amount. Kantata has no invoice total: null there."
    )
    def total(self) -> Money | None:
        return known(self.source.total, self.source.money_unknown)

    @strawberry.field(
        description="Left to pay: Kantata's balance; Kitchen's total, or 0 once paid or void."
    )
    def balance(self) -> Money | None:
        return known(self.source.balance, self.source.money_unknown)

    # The nested fields answer at once from what the loaders already hold (usually all of
    # it: the vendor sideloaded it), and only otherwise with an awaitable (see `Loader`).
    @strawberry.field(description="The user who created the invoice.", graphql_type=User | None)
    def created_by(self, info: Info[Context, None]) -> Resolved[User | None]:
        return _user(info, self.source, self.source.created_by)

    @strawberry.field(
        description="Who receives the invoice (Kantata's recipient, Kitchen's client).",
        graphql_type=User | None,
    )
    def recipient(self, info: Info[Context, None]) -> Resolved[User | None]:
        return _user(info, self.source, self.source.recipient)

    @strawberry.field(
        description="Kantata workspaces covered; always empty for Kitchen. Null, with an "
        "error saying why, when the vendor's answer did not list them.",
        graphql_type=list[Workspace] | None,
    )
    def workspaces(self, info: Info[Context, None]) -> Resolved[list[Workspace]]:
        return _listed(
            info,
            self.source,
            Need.WORKSPACES,
            lambda invoice: invoice.workspace_ids,
            info.context.loaders.workspaces,
            Workspace.of,
        )

    @strawberry.field(
        description="Every line; null, with an error saying why, when the vendor's answer "
        "did not list them all (a partial list is never shown as the whole).",
        graphql_type=list[LineItem] | None,
    )
    def line_items(self, info: Info[Context, None]) -> Resolved[list[LineItem]]:
        return _listed(
            info,
            self.source,
            Need.LINE_ITEMS,
            lambda invoice: invoice.line_item_ids,
            info.context.loaders.line_items,
            LineItem.of,
        )


Ids = Callable[[domain.Invoice], tuple[str, ...] | None]


def _listed(
    info: Info[Context, None],
    invoice: domain.Invoice,
    need: Need,
    ids: Ids,
    loader: Callable[[domain.Vendor], Loader[str, S]],
    wrap: Callable[[S], R],
) -> Resolved[list[R]]:
    """The objects `ids` names, from what `loader` holds; else an awaitable that completes
    the invoice when the vendor's answer did not carry the IDs (`need`), then loads."""
    keys = ids(invoice)
    if keys is not None:
        held = loader(invoice.vendor).ready_many(keys)
        if not isinstance(held, Missing):
            return [wrap(value) for value in held]
    return _load_listed(info, invoice, need, ids, loader, wrap)


async def _load_listed(
    info: Info[Context, None],
    invoice: domain.Invoice,
    need: Need,
    ids: Ids,
    loader: Callable[[domain.Vendor], Loader[str, S]],
    wrap: Callable[[S], R],
) -> list[R]:
    if ids(invoice) is None:
        invoice = await _complete(info, invoice, need)
    keys = ids(invoice)
    if keys is None:
        # Asked for and still not in the vendor's answer: unknown, which is not empty.
        raise field_error(
            GatewayError.one(
                ErrorCode.UPSTREAM_UNAVAILABLE,
                f"the vendor's answer for invoice {invoice.vendor_id} left out the IDs of "
                f"its {need.value.replace('_', ' ')}",
            )
        )
    return [wrap(value) for value in await _load_all(loader(invoice.vendor), keys)]


async def _load_all(loader: DataLoader[str, T], keys: tuple[str, ...] | None) -> list[T]:
    try:
        return list(await loader.load_many(list(keys or ())))
    except GatewayError as exc:
        raise field_error(exc) from None


def _user(
    info: Info[Context, None], invoice: domain.Invoice, key: domain.UserKey | None
) -> Resolved[User | None]:
    if key is None:
        return None
    loader = info.context.loaders.users(invoice.vendor)
    held = loader.ready(key)
    if isinstance(held, Missing):
        return _load_user(loader, key)
    return User.of(held)


async def _load_user(loader: DataLoader[domain.UserKey, domain.User], key: domain.UserKey) -> User:
    try:
        user = await loader.load(key)
    except GatewayError as exc:
        raise field_error(exc) from None
    return User.of(user)


@strawberry.type(description="A Kantata OX invoice.")
class KantataInvoice(Invoice):
    draft: bool
    purchase_order: str | None
    project_code: str | None
    tax_rate: Decimal | None = strawberry.field(description="Percent; read-only at Kantata.")

    @strawberry.field
    async def external_references(self, info: Info[Context, None]) -> list[ExternalReference]:
        invoice = self.source
        details = invoice.details
        assert isinstance(details, domain.KantataDetails)
        if details.external_reference_ids is None:
            invoice = await _complete(info, invoice, Need.EXTERNAL_REFERENCES)
            details = invoice.details
            assert isinstance(details, domain.KantataDetails)
        known = info.context.loaders.external_references
        return [
            ExternalReference.of(known[ref_id])
            for ref_id in details.external_reference_ids or ()
            if ref_id in known
        ]


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

    def _money(self, pick: Callable[[domain.KitchenDetails], domain.Money | None]) -> Money | None:
        details = self.source.details
        assert isinstance(details, domain.KitchenDetails)
        return known(pick(details), self.source.money_unknown)


def _common(invoice: domain.Invoice) -> dict[str, object]:
    return {
        "id": strawberry.ID(invoice.id),
        "vendor": invoice.vendor,
        "vendor_id": invoice.vendor_id,
        "number": invoice.number,
        "title": invoice.title,
        "status": invoice.status,
        "vendor_status": invoice.vendor_status,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "payment_terms_days": invoice.payment_terms_days,
        "currency": invoice.currency,
        "notes": invoice.notes,
        "created_at": invoice.created_at,
        "updated_at": invoice.updated_at,
        "source": invoice,
    }


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value else None


def invoice_type(invoice: domain.Invoice) -> Invoice:
    details = invoice.details
    if isinstance(details, domain.KantataDetails):
        return KantataInvoice(
            **_common(invoice),  # type: ignore[arg-type]
            draft=details.draft,
            purchase_order=details.purchase_order,
            project_code=details.project_code,
            tax_rate=details.tax_rate,
        )
    reminder = details.due_reminder
    return KitchenInvoice(
        **_common(invoice),  # type: ignore[arg-type]
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
