"""Field rules: how one neutral input field becomes part of a vendor's request body.

Each vendor keeps one table of rules; the table is the single source for what the vendor
accepts. A neutral field with no rule is unsupported by that vendor, and is named as such.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.core.currency import is_currency
from gateway.core.domain import FieldCapability, FieldLimits
from gateway.core.errors import ErrorCode, Path, ProblemCollector
from gateway.core.ids import IdShapes, InvalidId


class Invalid(ValueError):
    """A value a vendor cannot take; `at` extends the field's path (list index, sub-field)."""

    def __init__(self, message: str, at: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.at = tuple(at)


Body = dict[str, Any]


@dataclass(frozen=True)
class FieldRule:
    """`write` turns a present, non-null value into body entries (or raises Invalid).
    `clear` is what an explicit null sends; None means the vendor cannot clear the field."""

    vendor_keys: tuple[str, ...]
    write: Callable[[Any], Body]
    clear: Body | None = None
    limits: FieldLimits = field(default_factory=FieldLimits)


def translate(
    values: Mapping[str, Any],
    rules: Mapping[str, FieldRule],
    vendor_label: str,
    *,
    filters: bool = False,
) -> Body:
    """Every field the caller sent, translated; every problem named at once, at the neutral
    field's path (`("line_items", "0", "unit_price")`). `filters`: the values narrow a list
    rather than change an invoice."""
    problems = ProblemCollector()
    body: Body = {}
    for name, value in values.items():
        path: Path = (name,)
        rule = rules.get(name)
        if rule is None:
            what = "cannot filter invoices by" if filters else "invoices have no"
            problems.add(ErrorCode.UNSUPPORTED_FIELD, f"{vendor_label} {what} {name}", path)
            continue
        if value is None:
            if rule.clear is None:
                problems.invalid(path, f"{name} cannot be cleared on {vendor_label}")
            else:
                body.update(rule.clear)
            continue
        try:
            body.update(rule.write(value))
        except Invalid as exc:
            problems.invalid(path + exc.at, exc.message)
    problems.raise_if_any()
    return body


def capabilities(rules: Mapping[str, FieldRule]) -> tuple[FieldCapability, ...]:
    """What a vendor's table accepts, for callers building forms (vendorCapabilities)."""
    return tuple(
        FieldCapability(name, rule.vendor_keys, rule.clear is not None, rule.limits)
        for name, rule in rules.items()
    )


def field_paths(rules: Mapping[str, FieldRule]) -> dict[str, Path]:
    """Vendor key -> neutral field path, for mapping vendor validation errors back."""
    return {key: (name,) for name, rule in rules.items() for key in rule.vendor_keys}


# --- rules shared by the vendors ----------------------------------------------------------


def text(key: str, *, max_length: int | None = None, clearable: bool = True) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        if max_length is not None and len(value) > max_length:
            raise Invalid(f"must be at most {max_length} characters (got {len(value)})")
        return {key: value}

    limits = FieldLimits(max_length=max_length)
    return FieldRule((key,), write, {key: None} if clearable else None, limits)


def non_empty_text(key: str, *, max_length: int) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, str) or not value.strip():
            raise Invalid("must not be empty")
        if len(value) > max_length:
            raise Invalid(f"must be at most {max_length} characters (got {len(value)})")
        return {key: value}

    return FieldRule((key,), write, None, FieldLimits(max_length=max_length))


def date(key: str, *, clearable: bool) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise Invalid("must be a date (YYYY-MM-DD)")
        return {key: value.isoformat()}

    return FieldRule((key,), write, {key: None} if clearable else None)


def integer(key: str, *, minimum: int, maximum: int, clearable: bool) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, int) or isinstance(value, bool):
            raise Invalid("must be an integer")
        if not minimum <= value <= maximum:
            raise Invalid(f"must be between {minimum} and {maximum}")
        return {key: value}

    limits = FieldLimits(minimum=minimum, maximum=maximum)
    return FieldRule((key,), write, {key: None} if clearable else None, limits)


def boolean(key: str) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, bool):
            raise Invalid("must be true or false")
        return {key: value}

    return FieldRule((key,), write)


def choice(key: str, enum_type: type[enum.Enum]) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, enum_type):
            raise Invalid(f"must be one of {', '.join(m.name for m in enum_type)}")
        return {key: value.value}

    return FieldRule((key,), write, None, FieldLimits(values=tuple(m.name for m in enum_type)))


def currency(key: str) -> FieldRule:
    def write(value: Any) -> Body:
        if not isinstance(value, str) or not is_currency(value):
            raise Invalid(f"{value!r} is not an ISO 4217 currency code")
        return {key: value}

    return FieldRule((key,), write, None, FieldLimits(format="ISO 4217"))


JAVA_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


def native_id(value: Any, expected_type: str, ids: IdShapes, at: Sequence[str] = ()) -> str:
    """The native part of a global ID, checked for the vendor and type."""
    if not isinstance(value, str):
        raise Invalid("must be an ID", at)
    try:
        return ids.parse(value, expected_type).native
    except InvalidId as exc:
        raise Invalid(str(exc), at) from None


def finite_decimal(value: Any, at: Sequence[str]) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise Invalid("must be a finite decimal number", at)
    return value
