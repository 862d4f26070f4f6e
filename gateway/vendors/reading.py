"""Reading vendor values: ISO dates and exact decimals, shared by both vendors' readers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def iso_datetime(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def iso_date(value: Any) -> dt.date | None:
    """A date, or the calendar date of a date-time in the offset the vendor wrote."""
    if not value:
        return None
    if isinstance(value, str) and len(value) == 10:
        return dt.date.fromisoformat(value)
    parsed = iso_datetime(value)
    return parsed.date() if parsed else None


def decimal(value: Any) -> Decimal | None:
    """A JSON number (already a Decimal or an int) or a numeric string, exactly; a vendor
    null stays None (an amount not given is not zero). Anything else, or a number that is
    not finite, is a ValueError (the caller's `guarded` turns it into an upstream error)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError("not a number")
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number
