"""Python attribute names to the GraphQL names callers see (strawberry's own convention)."""

from __future__ import annotations


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
