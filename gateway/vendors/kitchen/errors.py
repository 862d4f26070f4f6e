"""Kitchen.co error bodies, Laravel's: `{"message": "...", "errors": {"field": ["..."]}}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def error_messages(body: Any) -> list[tuple[str, str | None]]:
    """Laravel bodies: `{"message": "...", "errors": {"field": ["...", ...]}}`."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if isinstance(errors, Mapping) and errors:
        return [
            (str(message), str(key))
            for key, messages in errors.items()
            for message in (messages if isinstance(messages, list) else [messages])
        ]
    message = body.get("message")
    return [(str(message), None)] if message else []
