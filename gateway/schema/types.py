"""Small object types shared by both vendors' invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from gateway.core import domain
from gateway.core.errors import ErrorCode, GatewayError
from gateway.schema.enums import DiscountType, LineItemKind
from gateway.schema.errors import field_error
from gateway.schema.node import Node


@strawberry.type(description="An exact amount of money (the amount is a decimal string).")
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def exactly(cls, money: domain.Money) -> Money:
        return cls(amount=money.amount, currency=money.currency)

    @classmethod
    def of(cls, money: domain.Money | None) -> Money | None:
        return None if money is None else cls.exactly(money)


@strawberry.type
class User(Node):
    name: str | None
    email: str | None

    @classmethod
    def of(cls, user: domain.User) -> User:
        return cls(id=strawberry.ID(user.id), name=user.name, email=user.email)


@strawberry.type(description="A Kantata project (workspace) an invoice covers.")
class Workspace(Node):
    title: str | None

    @classmethod
    def of(cls, workspace: domain.Workspace) -> Workspace:
        return cls(id=strawberry.ID(workspace.id), title=workspace.title)


@strawberry.type(
    description="One billed line. Kantata time entries: quantity is hours, unitPrice the "
    "hourly rate. Other Kantata kinds have quantity 1. "
    "Kantata time adjustments: quantity, unitPrice and amount are null (Kantata does not "
    "document their units). Kitchen items: amount = quantity x unitPrice. A money field "
    "the vendor's answer does not give (null there, or no currency anywhere) is null; when "
    "it cannot be known, with an error on that field saying why."
)
class LineItem(Node):
    kind: LineItemKind
    title: str | None
    description: str | None
    quantity: Decimal | None
    source: strawberry.Private[domain.LineItem]

    @strawberry.field
    def unit_price(self) -> Money | None:
        return known(self.source.unit_price, self.source.unknown)

    @strawberry.field
    def amount(self) -> Money | None:
        return known(self.source.amount, self.source.unknown)

    @classmethod
    def of(cls, item: domain.LineItem) -> LineItem:
        return cls(
            id=strawberry.ID(item.id),
            kind=item.kind,
            title=item.title,
            description=item.description,
            quantity=item.quantity,
            source=item,
        )


def known(money: domain.Money | None, unknown: str | None) -> Money | None:
    """`money` for GraphQL; when it is missing for a reason, null with that as the error."""
    if money is None and unknown is not None:
        raise field_error(GatewayError.one(ErrorCode.UPSTREAM_UNAVAILABLE, unknown))
    return Money.of(money)


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
