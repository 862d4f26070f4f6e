"""Readable global IDs: `<vendor>:<type>:<native id>`, validated before they reach a URL.

The format is the core's. The shapes of each vendor's native IDs are its own (an
`IdShapes` its adapter holds); `IdParser` reads an ID of any vendor it was given.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gateway.core.domain import Vendor


class InvalidId(ValueError):
    pass


@dataclass(frozen=True)
class GlobalId:
    vendor: Vendor
    type: str
    native: str

    def __str__(self) -> str:
        return format_id(self.vendor, self.type, self.native)


def format_id(vendor: Vendor, type_: str, native: str) -> str:
    # Called for every object of every answer: the string directly, not through GlobalId.
    return f"{vendor.key}:{type_}:{native}"


def _split(value: str) -> tuple[str, str, str]:
    parts = value.split(":")
    if len(parts) != 3:
        raise InvalidId(f"{value!r} is not a global ID (expected vendor:type:id)")
    vendor_key, type_, native = parts
    if vendor_key != vendor_key.lower():
        raise InvalidId(f"{value!r}: the vendor is written in lower case")
    return vendor_key, type_, native


def _allowed(value: str, type_: str, expected_type: str | frozenset[str] | None) -> None:
    if expected_type is None:
        return
    allowed = {expected_type} if isinstance(expected_type, str) else expected_type
    if type_ not in allowed:
        raise InvalidId(f"{value!r} is not an ID of type {' or '.join(sorted(allowed))}")


class Lookup(enum.Enum):
    """What an ID looked up alone (`node(id:)`) is fetched as."""

    INVOICE = "invoice"
    USER = "user"
    WORKSPACE = "workspace"
    LINE_ITEM = "line_item"


@dataclass(frozen=True)
class IdShapes:
    """One vendor's ID types and the shape of a native ID of each; `hint` says the shape
    in words for a caller who sent a malformed one. `lookups` are the types the vendor can
    fetch alone; the others exist only inside their invoice."""

    vendor: Vendor
    shapes: Mapping[str, re.Pattern[str]]
    hint: str
    lookups: Mapping[str, Lookup] = field(default_factory=dict)

    def format(self, type_: str, native: str) -> str:
        return format_id(self.vendor, type_, native)

    def is_native(self, type_: str, native: str) -> bool:
        """Whether `native` has the shape of a `type_` ID; IDs that arrive in a vendor's
        answer are checked with this before they are put in a URL."""
        pattern = self.shapes.get(type_)
        return pattern is not None and pattern.fullmatch(native) is not None

    def well_formed(self, type_: str, natives: Iterable[str]) -> list[str]:
        """The distinct IDs among `natives` that are safe to put in a URL, in order; an
        answer naming a malformed ID is treated as naming nothing (reported missing)."""
        return [n for n in dict.fromkeys(natives) if self.is_native(type_, n)]

    def parse(self, value: str, expected_type: str | frozenset[str] | None = None) -> GlobalId:
        """`value` as one of this vendor's IDs; raises InvalidId fit for a caller."""
        vendor_key, type_, native = _split(value)
        if vendor_key != self.vendor.key:
            raise InvalidId(f"{value!r} is not a {self.vendor.label} ID")
        return self.checked(value, type_, native, expected_type)

    def checked(
        self, value: str, type_: str, native: str, expected_type: str | frozenset[str] | None
    ) -> GlobalId:
        _allowed(value, type_, expected_type)
        if type_ not in self.shapes:
            raise InvalidId(f"{value!r}: {self.vendor.label} has no type {type_!r}")
        if not self.is_native(type_, native):
            raise InvalidId(
                f"{value!r} is not a well-formed {self.vendor.label} {type_} ID ({self.hint})"
            )
        return GlobalId(self.vendor, type_, native)


class IdParser:
    """Global IDs of every vendor it was given."""

    def __init__(self, vendors: Iterable[IdShapes]) -> None:
        self._by_key = {shapes.vendor.key: shapes for shapes in vendors}

    def parse(self, value: str, expected_type: str | frozenset[str] | None = None) -> GlobalId:
        """Parse and validate a global ID; raises InvalidId with a message fit for a caller."""
        vendor_key, type_, native = _split(value)
        shapes = self._by_key.get(vendor_key)
        if shapes is None:
            raise InvalidId(f"{value!r} names an unknown vendor {vendor_key!r}")
        return shapes.checked(value, type_, native, expected_type)

    def shapes(self, vendor: Vendor) -> IdShapes:
        return self._by_key[vendor.key]
