"""Scalars stricter than strawberry's defaults, so the schema means what docs/vendors.md says."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import re
from typing import Any

import strawberry
from graphql import FloatValueNode, GraphQLError, IntValueNode, StringValueNode, ValueNode
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from gateway.core.errors import ErrorCode

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(value: object) -> dt.date:
    # Python's fromisoformat also takes week dates (2025-W10-1) and compact forms; a
    # caller who sends those almost certainly meant something else.
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("a Date is written YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def _serialize_date(value: dt.date) -> str:
    return value.isoformat()


# Where each scalar's text form is specified (`@specifiedBy`): code generators such as
# graphql-codegen map a scalar by it, and a reader learns the JSON form without guessing.
DATE_SPEC = "https://scalars.graphql.org/andimarek/local-date.html"
DATE_TIME_SPEC = "https://scalars.graphql.org/andimarek/date-time.html"
# Python's Decimal prints by the General Decimal Arithmetic's to-scientific-string.
DECIMAL_SPEC = "https://speleotrove.com/decimal/daconvs.html"

Date = strawberry.scalar(
    name="Date",
    description='A calendar date, as JSON text "YYYY-MM-DD" ("2026-11-30").',
    specified_by_url=DATE_SPEC,
    serialize=_serialize_date,
    parse_value=_parse_date,
)

# A decimal's text is refused past this many characters before it is read at all: 30
# digits, a sign, a point and an exponent fit in far less.
_MAX_DECIMAL_TEXT = 100


def decimal_scalar(max_digits: int, max_exponent: int) -> ScalarDefinition:
    """Decimal inputs bounded before any arithmetic: at most `max_digits` significant
    digits, and a magnitude between 1e-`max_exponent` and 1e`max_exponent` (zero aside).
    `1e900000000` would otherwise cost gigabytes to write out. Literals are read from their
    text, so `12.345678901234567890` in a document keeps every digit."""

    def parse(value: Any) -> decimal.Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float | decimal.Decimal):
            raise _invalid("a Decimal is a number or a numeric string")
        text = str(value).strip()
        if len(text) > _MAX_DECIMAL_TEXT:
            raise _over(
                f"a Decimal is written in at most {_MAX_DECIMAL_TEXT} characters",
                "MAX_DECIMAL_TEXT",
                len(text),
                _MAX_DECIMAL_TEXT,
            )
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise _invalid(f"{text!r} is not a decimal number") from None
        if not number.is_finite():
            raise _invalid("a Decimal must be finite")
        digits = len(number.as_tuple().digits)
        if digits > max_digits:
            raise _over(
                f"has more than {max_digits} significant digits (GATEWAY_DECIMAL_MAX_DIGITS)",
                "GATEWAY_DECIMAL_MAX_DIGITS",
                digits,
                max_digits,
            )
        if number and abs(number.adjusted()) > max_exponent:
            raise _over(
                f"must lie between 1e-{max_exponent} and 1e{max_exponent} "
                "(GATEWAY_DECIMAL_MAX_EXPONENT)",
                "GATEWAY_DECIMAL_MAX_EXPONENT",
                abs(number.adjusted()),
                max_exponent,
            )
        return number

    def parse_literal(node: ValueNode, variables: Any = None) -> decimal.Decimal:
        if not isinstance(node, IntValueNode | FloatValueNode | StringValueNode):
            raise GraphQLError("a Decimal is a number or a numeric string", node)
        try:
            return parse(node.value)
        except GraphQLError as exc:
            # Validation reports this error as it is: give it the literal's place.
            raise GraphQLError(f"Decimal {exc.message}", node, extensions=exc.extensions) from None

    return ScalarDefinition(
        name="Decimal",
        description='An exact decimal number: answered as JSON text ("19.99"); sent as text '
        "or as a number (text keeps every digit).",
        specified_by_url=DECIMAL_SPEC,
        serialize=str,
        parse_value=parse,
        parse_literal=parse_literal,
        origin=decimal.Decimal,
    )


# graphql-core keeps a GraphQLError's extensions when it wraps it in the variable's or the
# literal's error, so a refused Decimal carries a code like every other refusal.
def _invalid(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.INVALID_INPUT.value})


def _over(message: str, limit: str, value: int, maximum: int) -> GraphQLError:
    return GraphQLError(
        message,
        extensions={
            "code": ErrorCode.LIMIT_EXCEEDED.value,
            "limit": limit,
            "value": value,
            "maximum": maximum,
        },
    )


def scalar_map(max_digits: int, max_exponent: int) -> dict[object, ScalarDefinition]:
    return {
        dt.date: Date,
        dt.datetime: DATE_TIME,
        decimal.Decimal: decimal_scalar(max_digits, max_exponent),
    }


# strawberry's own DateTime, with its text form said and specified.
DATE_TIME = dataclasses.replace(
    DateTimeDefinition,
    description="A date and time with its UTC offset, as JSON text in RFC 3339 "
    '("2026-11-30T10:00:00+00:00").',
    specified_by_url=DATE_TIME_SPEC,
)
