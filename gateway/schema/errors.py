"""Neutral errors as GraphQL sees them: user errors in payloads, coded errors on fields."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from gateway.errors import GatewayError
from gateway.schema.enums import ErrorCode


@strawberry.type(description="A problem with a mutation, typed for programs and worded for people.")
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description='Path into the input, such as ["input", "number"], when one field is at fault.'
    )


def user_errors(error: GatewayError) -> list[UserError]:
    return [
        UserError(code=p.code, message=p.message, field=list(p.field) if p.field else None)
        for p in error.problems
    ]


def field_error(error: GatewayError) -> GraphQLError:
    """A GraphQL error for a field that could not be resolved, with its neutral code."""
    first = error.problems[0]
    extensions = {"code": first.code.value}
    if first.field:
        extensions["field"] = list(first.field)  # type: ignore[assignment]
    return GraphQLError(str(error), extensions=extensions)
