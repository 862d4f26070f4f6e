"""A request ID on every GraphQL response: the caller's `X-Request-Id` when it is a sane
one, else a fresh uuid4. Logs and masked errors carry it, so a caller's report can be
matched with the log line that holds the real exception. Set and echoed at the door
(gateway/http/edge.py)."""

from __future__ import annotations

HEADER = "x-request-id"
MAX_LENGTH = 200


def accepted(value: str | None) -> str | None:
    """The caller's ID if it is 1-200 printable ASCII characters without spaces at the ends."""
    if not value or len(value) > MAX_LENGTH or value != value.strip():
        return None
    # For ASCII, printable is exactly " " to "~".
    if not (value.isascii() and value.isprintable()):
        return None
    return value
