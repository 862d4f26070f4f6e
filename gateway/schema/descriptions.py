"""The schema's descriptions that compare the vendors, from descriptions.toml: the shared
schema's code names no vendor, and a new vendor changes that text as it changes docs/vendors.md."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files


@cache
def _texts() -> dict[str, str]:
    text = files("gateway.schema").joinpath("descriptions.toml").read_text(encoding="utf-8")
    return {key: str(value) for key, value in tomllib.loads(text).items()}


def describe(key: str) -> str:
    """The description of GraphQL type `key` (`LineItem`) or field (`Invoice.total`)."""
    return _texts()[key]
