"""Small object types shared by both vendors' invoices."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.core import domain
from gateway.core.errors import ErrorCode, GatewayError
from gateway.schema.descriptions import describe
from gateway.schema.enums import LineItemKind
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


@strawberry.type(description=describe("Workspace"))
class Workspace(Node):
    title: str | None

    @classmethod
    def of(cls, workspace: domain.Workspace) -> Workspace:
        return cls(id=strawberry.ID(workspace.id), title=workspace.title)


@strawberry.type(description=describe("LineItem"))
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
