"""Scalars stricter than strawberry's defaults, so the schema means what the README says."""

from __future__ import annotations

import datetime as dt
import re

import strawberry
from strawberry.types.scalar import ScalarDefinition

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(value: object) -> dt.date:
    # Python's fromisoformat also takes week dates (2025-W10-1) and compact forms; a
    # caller who sends those almost certainly meant something else.
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("a Date is written YYYY-MM-DD")
    return dt.date.fromisoformat(value)


def _serialize_date(value: dt.date) -> str:
    return value.isoformat()


Date = strawberry.scalar(
    name="Date",
    description="A calendar date, YYYY-MM-DD.",
    serialize=_serialize_date,
    parse_value=_parse_date,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {dt.date: Date}
