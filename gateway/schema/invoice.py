"""The Invoice interface and its two vendor types.

Scalar fields are copied once from the neutral invoice; nested objects resolve through the
request's dataloaders, which the vendor's own answer has usually primed already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeAlias, TypeVar

import strawberry
from aiodataloader import DataLoader
from strawberry.types import Info

from gateway.core import domain
from gateway.core.domain import Need
from gateway.core.errors import ErrorCode, GatewayError
from gateway.core.loaders import Loader, Missing
from gateway.schema.context import Context
from gateway.schema.descriptions import describe
from gateway.schema.enums import InvoiceStatus, Vendor
from gateway.schema.errors import field_error
from gateway.schema.node import Node
from gateway.schema.types import (
    LineItem,
    Money,
    User,
    Workspace,
    known,
)

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")
# A field's value, or an awaitable of it when it must be fetched first.
Resolved: TypeAlias = T | Awaitable[T]


async def complete_invoice(
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

    @strawberry.field(description=describe("Invoice.total"))
    def total(self) -> Money | None:
        return known(self.source.total, self.source.money_unknown)

    @strawberry.field(description=describe("Invoice.balance"))
    def balance(self) -> Money | None:
        return known(self.source.balance, self.source.money_unknown)

    # The nested fields answer at once from what the loaders already hold (usually all of
    # it: the vendor sideloaded it), and only otherwise with an awaitable (see `Loader`).
    @strawberry.field(description="The user who created the invoice.", graphql_type=User | None)
    def created_by(self, info: Info[Context, None]) -> Resolved[User | None]:
        return _user(info, self.source, self.source.created_by)

    @strawberry.field(
        description=describe("Invoice.recipient"),
        graphql_type=User | None,
    )
    def recipient(self, info: Info[Context, None]) -> Resolved[User | None]:
        return _user(info, self.source, self.source.recipient)

    @strawberry.field(
        description=describe("Invoice.workspaces"),
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
        invoice = await complete_invoice(info, invoice, need)
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


@strawberry.type(description="An invoice at a vendor with no GraphQL type of its own.")
class VendorInvoice(Invoice):
    @classmethod
    def of(cls, invoice: domain.Invoice) -> VendorInvoice:
        return cls(**invoice_fields(invoice))  # type: ignore[arg-type]


def invoice_fields(invoice: domain.Invoice) -> dict[str, object]:
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
