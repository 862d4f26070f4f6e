"""Neutral errors as GraphQL sees them: user errors in payloads, coded errors on fields."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from gateway.core.errors import GatewayError
from gateway.schema.enums import ErrorCode


@strawberry.type(description="A problem with a mutation, typed for programs and worded for people.")
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description='Path into the input, such as ["input", "number"], when one field is at fault.'
    )
    retry_after: int | None = strawberry.field(
        default=None,
        description="Seconds the vendor asked to wait before trying again.",
    )


def user_errors(error: GatewayError) -> list[UserError]:
    return [
        UserError(
            code=p.code,
            message=p.message,
            field=list(p.field) if p.field else None,
            retry_after=p.retry_after,
        )
        for p in error.problems
    ]


def field_error(error: GatewayError) -> GraphQLError:
    """A GraphQL error for a field that could not be resolved, with its neutral code (and
    `retryAfter`, in seconds, when the vendor asked to be left alone for a while)."""
    first = error.problems[0]
    extensions: dict[str, Any] = {"code": first.code.value}
    if first.field:
        extensions["field"] = list(first.field)
    if first.retry_after is not None:
        extensions["retryAfter"] = first.retry_after
    return GraphQLError(str(error), extensions=extensions)
