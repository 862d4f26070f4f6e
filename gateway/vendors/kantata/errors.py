"""Kantata OX error bodies: `{"errors": [{"type", "message", "field"?}]}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def error_messages(body: Any) -> list[tuple[str, str | None]]:
    """Kantata error bodies: `{"errors": [{"type", "message", "field"?}]}`."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [
        (
            str(e.get("message") or e.get("type") or "error"),
            e["field"] if isinstance(e.get("field"), str) else None,
        )
        for e in errors
        if isinstance(e, Mapping)
    ]
