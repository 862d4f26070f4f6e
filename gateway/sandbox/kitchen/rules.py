"""Laravel's validation rules and messages, the few the invoice parameters need.

Each rule takes the error key (`items.0.title`) and the value, and returns the value
converted or raises `Invalid` with `{key: message}`. Labels read underscores as spaces, as
Laravel's do ("The footer notes field ..."). Input is first cleaned as by Laravel's
TrimStrings and ConvertEmptyStringsToNull middleware (`clean`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
INTEGER = re.compile(r"^[+-]?\d+$")
LIMIT = 10**12  # [guess] the database column's range; keeps the decimals exact


class Invalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def fail(key: str, message: str) -> Invalid:
    return Invalid({key: message.replace(":attr", key.replace("_", " "))})


def string(key: str, value: object, *, nullable: bool, max: int | None = None) -> str | None:
    if value is None:
        if nullable:
            return None
        raise fail(key, "The :attr field must be a string.")
    if not isinstance(value, str):
        raise fail(key, "The :attr field must be a string.")
    if max is not None and len(value) > max:
        raise fail(key, f"The :attr field must not be greater than {max} characters.")
    return value


def required_string(key: str, value: object, max: int = 255) -> str:
    if value is None:
        raise fail(key, "The :attr field is required.")
    text = string(key, value, nullable=False, max=max)
    assert text is not None
    return text


def as_int(value: object) -> int | None:
    """PHP's FILTER_VALIDATE_INT, roughly: ints, integral numbers, digit strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        whole = value.is_finite() and value == value.to_integral_value()
        return int(value) if whole and abs(value) < LIMIT else None
    if isinstance(value, str) and INTEGER.match(value) and len(value) < 13:
        return int(value)
    return None


def integer(key: str, value: object, *, min: int | None = None) -> int | None:
    if value is None:
        return None
    number = as_int(value)
    if number is None or abs(number) >= LIMIT:
        raise fail(key, "The :attr field must be an integer.")
    if min is not None and number < min:
        raise fail(key, f"The :attr field must be at least {min}.")
    return number


def numeric(key: str, value: object, *, minimum: int | None = 0) -> Decimal:
    if value is None:
        raise fail(key, "The :attr field is required.")
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise fail(key, "The :attr field must be a number.")
    if isinstance(value, str) and not NUMERIC.match(value):
        raise fail(key, "The :attr field must be a number.")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise fail(key, "The :attr field must be a number.") from None
    if not number.is_finite() or abs(number) >= LIMIT:
        raise fail(key, f"The :attr field must be between -{LIMIT} and {LIMIT}.")
    if minimum is not None and number < minimum:
        raise fail(key, f"The :attr field must be at least {minimum}.")
    return number


def choice(key: str, value: object, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise fail(key, "The selected :attr is invalid.")
    return value


def date(key: str, value: object) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(key, "The :attr field must be a valid date.") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def entries(key: str, value: object) -> list[tuple[str, object]]:
    """A PHP array: a JSON list, or an object whose keys become the error keys."""
    if isinstance(value, list):
        return [(f"{key}.{i}", v) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return [(f"{key}.{k}", v) for k, v in value.items()]
    raise fail(key, "The :attr field must be an array.")


def each(key: str, value: object, rule: Callable[[str, dict[str, object]], object]) -> list[object]:
    """Apply `rule` to every element (each must be an object); collect every failure."""
    found: dict[str, str] = {}
    out: list[object] = []
    for sub, element in entries(key, value):
        try:
            if not isinstance(element, dict):
                raise fail(sub, "The :attr field must be an array.")
            out.append(rule(sub, element))
        except Invalid as exc:
            found.update(exc.errors)
    if found:
        raise Invalid(found)
    return out


def fields(
    sub: str, element: dict[str, object], checks: dict[str, Callable[[str, object], object]]
) -> dict[str, object]:
    """Run per-key checks on one array element, every key checked, failures collected."""
    found: dict[str, str] = {}
    out: dict[str, object] = {}
    for name, check in checks.items():
        try:
            out[name] = check(f"{sub}.{name}", element.get(name))
        except Invalid as exc:
            found.update(exc.errors)
    if found:
        raise Invalid(found)
    return out


def clean(value: object) -> object:
    """Laravel's TrimStrings and ConvertEmptyStringsToNull middleware, applied deeply."""
    if isinstance(value, str):
        trimmed = value.strip()
        return trimmed or None
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value
