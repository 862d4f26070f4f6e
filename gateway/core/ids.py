"""Readable global IDs: `<vendor>:<type>:<native id>`, validated before they reach a URL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.core.domain import Vendor

# Native ID shapes. Kantata IDs are positive integers (sent as strings); Kitchen IDs are a
# type prefix and 24 lowercase hex digits in every example we have, but we accept any
# URL-safe token after the prefix so an unseen length still works.
_KANTATA_NATIVE = re.compile(r"[1-9][0-9]{0,18}")
_KITCHEN_NATIVE = {
    "invoice": re.compile(r"in_[A-Za-z0-9]{1,64}"),
    "user": re.compile(r"u_[A-Za-z0-9]{1,64}"),
    "item": re.compile(r"invi_[A-Za-z0-9]{1,64}"),
    "discount": re.compile(r"invti_[A-Za-z0-9]{1,64}"),
    "tax_item": re.compile(r"invti_[A-Za-z0-9]{1,64}"),
}
KANTATA_TYPES = frozenset(
    {
        "invoice",
        "user",
        "workspace",
        "time_entry",
        "expense",
        "fixed_fee_item",
        "additional_item",
        "billing_milestone",
        "time_adjustment",
        "external_reference",
    }
)
KITCHEN_TYPES = frozenset(_KITCHEN_NATIVE)


class InvalidId(ValueError):
    pass


@dataclass(frozen=True)
class GlobalId:
    vendor: Vendor
    type: str
    native: str

    def __str__(self) -> str:
        return f"{self.vendor.value.lower()}:{self.type}:{self.native}"


_PREFIX = {vendor: vendor.value.lower() for vendor in Vendor}


def format_id(vendor: Vendor, type_: str, native: str) -> str:
    # Called for every object of every answer: the string directly, not through GlobalId.
    return f"{_PREFIX[vendor]}:{type_}:{native}"


def is_native_id(vendor: Vendor, type_: str, native: str) -> bool:
    """Whether `native` has the shape of a `type_` ID at `vendor`; IDs that arrive in a
    vendor's answer are checked with this before they are put in a URL."""
    if vendor is Vendor.KANTATA:
        return type_ in KANTATA_TYPES and _KANTATA_NATIVE.fullmatch(native) is not None
    pattern = _KITCHEN_NATIVE.get(type_)
    return pattern is not None and pattern.fullmatch(native) is not None


def well_formed(vendor: Vendor, type_: str, natives: Iterable[str]) -> list[str]:
    """The distinct IDs among `natives` that are safe to put in a URL, in order; a vendor
    answer naming a malformed ID is treated as naming nothing (the loader reports it missing)."""
    return [n for n in dict.fromkeys(natives) if is_native_id(vendor, type_, n)]


def parse_id(value: str, expected_type: str | frozenset[str] | None = None) -> GlobalId:
    """Parse and validate a global ID; raises InvalidId with a message fit for a caller."""
    parts = value.split(":")
    if len(parts) != 3:
        raise InvalidId(f"{value!r} is not a global ID (expected vendor:type:id)")
    vendor_name, type_, native = parts
    try:
        vendor = Vendor(vendor_name.upper())
    except ValueError:
        raise InvalidId(f"{value!r} names an unknown vendor {vendor_name!r}") from None
    if vendor_name != vendor_name.lower():
        raise InvalidId(f"{value!r}: the vendor is written in lower case")
    if expected_type is not None:
        allowed = {expected_type} if isinstance(expected_type, str) else expected_type
        if type_ not in allowed:
            raise InvalidId(f"{value!r} is not an ID of type {' or '.join(sorted(allowed))}")
    if vendor is Vendor.KANTATA:
        if type_ not in KANTATA_TYPES:
            raise InvalidId(f"{value!r}: Kantata has no type {type_!r}")
        if not _KANTATA_NATIVE.fullmatch(native):
            raise InvalidId(f"{value!r}: a Kantata ID is a positive integer")
    else:
        pattern = _KITCHEN_NATIVE.get(type_)
        if pattern is None:
            raise InvalidId(f"{value!r}: Kitchen has no type {type_!r}")
        if not pattern.fullmatch(native):
            raise InvalidId(f"{value!r} is not a well-formed Kitchen {type_} ID")
    return GlobalId(vendor, type_, native)
